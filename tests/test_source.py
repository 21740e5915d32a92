"""Tests for kb.source: decoding report bytes as UTF-8 or GB18030 and rejecting what is not text."""

import codecs

import pytest

from kb.errors import IngestError
from kb.ingest.source import Source, decode, read_source

REPORT = "政府工作报告\n——2024年1月10日在青城区第九届人民代表大会第四次会议上\n各位代表：\n“四免”政策全面落地。\n"


@pytest.mark.parametrize(
    "data",
    [
        REPORT.encode("utf-8"),
        codecs.BOM_UTF8 + REPORT.encode("utf-8"),
        REPORT.encode("gb18030"),
    ],
    ids=["utf-8", "utf-8 with BOM", "gb18030"],
)
def test_decode_gives_the_text(data):
    assert decode(data, "qingcheng-2024.txt") == REPORT


def test_decode_gb18030_four_byte_characters():
    text = "各位代表：\n我们完成了䶮、𠀀等生僻字的录入，推动政务服务便民利民。\n"
    data = text.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert decode(data, "g.txt") == text


def test_decode_gb18030_text_full_of_chinese_punctuation():
    # Chinese quotation marks, dashes and ellipses are text, not symbols.
    text = (
        "“十四五”规划实施情况\n"
        "——2024年1月10日在青城区第九届人民代表大会第四次会议上\n"
        "我们推动“两重”“两新”落地见效……\n"
        "1.“两重”“两新”：“两重”指国家重大战略实施和重点领域安全能力建设；“两新”指大规模设备更新和消费品以旧换新。\n"
    )
    assert decode(text.encode("gb18030"), "gb.txt") == text


def test_decode_prefers_utf8_when_bytes_are_valid_utf8():
    # Valid UTF-8 Chinese would also decode (to other characters) as GB18030.
    assert decode("科技创新".encode(), "x.txt") == "科技创新"


@pytest.mark.parametrize(
    "data",
    [b"", b" \n\n\t\r\n", codecs.BOM_UTF8, codecs.BOM_UTF8 + b"\n \n"],
    ids=["no bytes", "whitespace", "only a BOM", "BOM and whitespace"],
)
def test_decode_rejects_an_empty_file(data):
    with pytest.raises(IngestError) as caught:
        decode(data, "empty.txt")
    assert caught.value.path == "empty.txt"
    assert "empty" in caught.value.message


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"\x00\x01\x02binary", 1),
        ("各位代表：\n现在\n".encode() + b"\x00\x00", 3),
    ],
)
def test_decode_rejects_nul_bytes_naming_the_line(data, line):
    with pytest.raises(IngestError) as caught:
        decode(data, "report.pdf")
    assert caught.value.path == "report.pdf"
    assert caught.value.line == line
    assert "NUL" in caught.value.message


def test_decode_rejects_undecodable_bytes_naming_the_line():
    data = "政府工作报告\n各位代表：\n".encode() + b"\x80\x80\x80\n"
    with pytest.raises(IngestError) as caught:
        decode(data, "bad.txt")
    assert caught.value.line == 3
    assert "UTF-8" in caught.value.message and "GB18030" in caught.value.message


def test_decode_rejects_bytes_that_gb18030_turns_into_symbols():
    # Every pair is valid GB18030, but the result is box-drawing and symbol characters, not Chinese text.
    data = bytes(range(0x81, 0xFF)) * 3
    with pytest.raises(IngestError) as caught:
        decode(data, "noise.bin")
    assert caught.value.path == "noise.bin"


def test_decode_rejects_a_truncated_utf16_file_with_an_ingest_error():
    # A UTF-16 byte order mark followed by an odd number of bytes cannot be decoded.
    with pytest.raises(IngestError) as caught:
        decode(codecs.BOM_UTF16_LE + b"A", "half.txt")
    assert caught.value.path == "half.txt"


@pytest.mark.parametrize(
    ("line", "shown"),
    [(7, "r.txt:7: cannot decode"), (None, "r.txt: cannot decode")],
)
def test_ingest_error_names_path_and_line(line, shown):
    error = IngestError("r.txt", "cannot decode", line)
    assert (error.path, error.line, error.message) == ("r.txt", line, "cannot decode")
    assert str(error) == shown


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_read_source_reads_and_decodes_a_file(tmp_path, encoding):
    path = tmp_path / "qingcheng-2024.txt"
    path.write_bytes(REPORT.encode(encoding))
    assert read_source(path) == Source(REPORT, wrapped=None)


def test_read_source_of_a_missing_file_is_an_ingest_error(tmp_path):
    path = tmp_path / "missing.txt"
    with pytest.raises(IngestError) as caught:
        read_source(path)
    assert caught.value.path == str(path)
    assert "cannot read" in caught.value.message


def test_read_source_reports_errors_with_the_file_path(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(IngestError) as caught:
        read_source(path)
    assert caught.value.path == str(path)
