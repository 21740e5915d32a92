"""Parsing whole small reports: documents without a glossary, appendices that are not glossaries."""

from __future__ import annotations

import pytest

from kb.errors import IngestError
from kb.ingest import document, parse_file, parse_files, parse_text

NO_GLOSSARY = """某某县政府工作报告
各位代表：
一、过去一年工作回顾
过去一年，我们落实“百千万工程”。
二、今年工作安排
今年，我们继续推进各项工作。
"""

NOT_A_GLOSSARY = NO_GLOSSARY + """附件1
2025年民生实事
1.新建学校3所
2.新增养老床位200张
"""


def test_a_report_without_glossary_ingests_as_passages_only():
    parsed = parse_text(NO_GLOSSARY, "county-2025")
    assert parsed.entries == []
    assert [p.text for p in parsed.passages][-1] == "今年，我们继续推进各项工作。"
    assert parsed.passages[-1].section == ("二、今年工作安排",)


def test_an_appendix_that_is_not_a_glossary_yields_no_entries():
    parsed = parse_text(NOT_A_GLOSSARY, "county-2025")
    assert parsed.entries == []
    assert any("新建学校3所" in p.text for p in parsed.passages)
    assert all(p.section[0] == "附件1" for p in parsed.passages if "养老床位" in p.text)


def test_body_lines_that_start_with_a_number_are_not_entries():
    text = NO_GLOSSARY.replace("今年，我们继续推进各项工作。", "贷款余额增长\n8.7%、存款余额增长9.2%。")
    parsed = parse_text(text, "county-2025")
    assert parsed.entries == []
    assert any("增长8.7%、存款" in p.text for p in parsed.passages)


SPLIT_HEADWORDS = """某某县政府工作报告
各位代表：
今年，我们落实省委“1310”具体部署［1］，推进“百千万工程”［2］。
名词解释
1.省委“1310”具体
部署：2023年6月20日，省委提出“1310”部署。
2.百千万工程
：全称“百县千镇万村高质量发展工程”。
"""


def test_headwords_split_before_their_colon_are_put_back_together():
    parsed = parse_text(SPLIT_HEADWORDS, "county-2025")
    assert [(e.number, e.headword) for e in parsed.entries] == [(1, "省委“1310”具体部署"), (2, "百千万工程")]
    assert parsed.entries[1].full_name == "百县千镇万村高质量发展工程"
    assert parsed.entries[0].definition == "2023年6月20日，省委提出“1310”部署。"


def _corpus(tmp_path, count):
    paths = []
    for i in range(count):
        path = tmp_path / f"county-{2000 + i}.txt"
        path.write_text(NO_GLOSSARY.replace("某某县", f"第{i}县"), encoding="utf-8")
        paths.append(path)
    return paths


def test_a_large_corpus_parses_on_every_core_as_file_by_file(tmp_path, monkeypatch):
    paths = _corpus(tmp_path, 6)
    monkeypatch.setattr(document, "PARALLEL_FILES", 2)
    monkeypatch.setattr(document.os, "cpu_count", lambda: 2)
    assert parse_files(paths) == [parse_file(path) for path in paths]
    assert [doc.document.id for doc in parse_files(paths)] == [path.stem for path in paths]


def test_a_parsing_process_raises_the_first_bad_file_in_order(tmp_path, monkeypatch):
    paths = _corpus(tmp_path, 6)
    for bad in (paths[2], paths[4]):
        bad.write_bytes(b"")
    monkeypatch.setattr(document, "PARALLEL_FILES", 2)
    monkeypatch.setattr(document.os, "cpu_count", lambda: 2)
    with pytest.raises(IngestError) as caught:
        parse_files(paths)
    assert caught.value.path == str(paths[2])
    assert str(caught.value).startswith(f"{paths[2]}: ")
