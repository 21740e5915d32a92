"""Reading a source file into text: UTF-8 or GB18030, with clear errors for what is not text."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

from kb.errors import IngestError


def _first_bad_line(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def decode(data: bytes, path: str) -> str:
    """Decode a report's bytes; GB18030 is common for Chinese government text."""
    text = _decode(data, path)
    if not text.strip():
        raise IngestError(path, "the file is empty")
    return text


def _decode(data: bytes, path: str) -> str:
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as error:
                raise IngestError(path, f"not valid {encoding.upper()} text",
                                  _first_bad_line(data, error.start)) from None
    if b"\x00" in data:
        raise IngestError(path, "binary data (NUL byte), not text", _first_bad_line(data, data.index(b"\x00")))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            line = _first_bad_line(data, utf8_error.start)
            raise IngestError(path, "neither UTF-8 nor GB18030 text", line) from None
    if not _looks_like_text(text):
        raise IngestError(path, "binary data, not text in UTF-8 or GB18030")
    return text


def _looks_like_text(text: str) -> bool:
    """GB18030 decodes almost any bytes; binary shows as control, private-use or unassigned characters."""
    bad = sum(1 for ch in text if ch not in "\t\n\r\f" and unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs"))
    return bad <= 0.01 * len(text)


def read_source(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise IngestError(str(path), f"cannot read: {error.strerror}") from None
    return decode(data, str(path))
