"""Reading a source file into text: UTF-8 or GB18030, with clear errors for what is not text."""

from __future__ import annotations

import codecs
from pathlib import Path

from kb.errors import IngestError


def _first_bad_line(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def decode(data: bytes, path: str) -> str:
    """Decode a report's bytes; GB18030 is common for Chinese government text."""
    if not data.strip():
        raise IngestError(path, "the file is empty")
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding)
    if b"\x00" in data:
        raise IngestError(path, "binary data (NUL byte), not text",
                          _first_bad_line(data, data.index(b"\x00")))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            line = _first_bad_line(data, utf8_error.start)
            raise IngestError(path, "neither UTF-8 nor GB18030 text", line) from None
    if not _looks_like_text(text):
        raise IngestError(path, "not text in UTF-8 or GB18030 (decoding gives mostly symbols)")
    return text


def _looks_like_text(text: str) -> bool:
    """GB18030 decodes almost any bytes: accept it only if most characters are CJK, ASCII or punctuation."""
    good = sum(1 for ch in text if ch.isascii() or "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef")
    return good >= 0.9 * len(text)


def read_source(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise IngestError(str(path), f"cannot read: {error.strerror}") from None
    return decode(data, str(path))
