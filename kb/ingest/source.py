"""Reading a source file into text: a text file (UTF-8 or GB18030), a PDF or a saved web page; and repairing
what copying did to the text (escaped line breaks, lost characters, entities).
"""

from __future__ import annotations

import codecs
import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
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


def _pdf(data: bytes, path: str) -> str:
    from kb.ingest.pdf import pdf_text  # PDFium loads only when a PDF is read

    return pdf_text(data, path)


def _html(data: bytes, path: str) -> str:
    from kb.ingest.html import html_text

    return html_text(data, path)


@dataclass(frozen=True)
class Source:
    """A report's text and how its lines were set: wrapped visual lines (a PDF), one paragraph a line (a web
    page), or unknown (a text file, which may hold either; kb then tells by the lines' widths)."""

    text: str
    wrapped: bool | None = None


# suffix -> (reader, whether its lines are wrapped)
READERS: dict[str, tuple[Callable[[bytes, str], str], bool | None]] = {
    ".txt": (decode, None), ".pdf": (_pdf, True), ".html": (_html, False), ".htm": (_html, False)}
SOURCE_SUFFIXES = tuple(READERS)


def read_source(path: Path) -> Source:
    """The text of a report's file, by its suffix (.txt, .pdf, .html, .htm)."""
    if path.suffix.lower() not in READERS:
        raise IngestError(str(path), f"kb reads {', '.join(SOURCE_SUFFIXES)} files, not {path.suffix or 'this'}")
    reader, wrapped = READERS[path.suffix.lower()]
    try:
        data = path.read_bytes()
    except OSError as error:
        raise IngestError(str(path), f"cannot read: {error.strerror}") from None
    return Source(reader(data, str(path)), wrapped)


# A scraper that stored the escapes: "一、2019年工作回顾 \r\n2019年，是…" (four characters, not a line break).
_ESCAPED_BREAK = re.compile(r"\\r\\n|\\n|\\r")
# Characters a copy could not encode come out as "??" ("许?? 喆", "阜平??中国风景摄影大展"): read them as a space.
_LOST = re.compile(r"\?{2,}")
# Entities left by a page's markup: "&emsp;", "&nbsp;", "&#12288;", "&ldquo;".
_ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{2,6}|#x[0-9a-fA-F]{2,5});")


@dataclass(frozen=True)
class Repaired:
    """The text as the report printed it, and what had to be undone to get it."""

    text: str
    escaped_breaks: int = 0  # line breaks that were stored as the characters \\r\\n
    lost_lines: tuple[int, ...] = ()  # lines where "??" stood for characters the copy lost


def repair(text: str) -> Repaired:
    """Undo what copying did to a report: line breaks stored as escapes, characters lost as "??", entities."""
    escaped = len(_ESCAPED_BREAK.findall(text))
    if escaped and escaped > text.count("\n"):
        text = _ESCAPED_BREAK.sub("\n", text)
    else:
        escaped = 0
    lost = tuple(sorted({text.count("\n", 0, m.start()) + 1 for m in _LOST.finditer(text)}))
    if lost:
        text = _LOST.sub(" ", text)
    if "&" in text:
        text = _ENTITY.sub(lambda m: html.unescape(m.group(0)).replace("\xa0", " ").replace("\u2003", " "), text)
    return Repaired(text, escaped, lost)
