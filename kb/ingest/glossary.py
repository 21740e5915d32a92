"""Glossary entries (名词解释): numbering, headword, definition, labels, full name, components."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.errors import IngestError
from kb.ingest.layout import Line
from kb.ingest.text import fix_spacing

# "1.", "1、", "［1］", "[1]" then a headword that ends at the first "：" or ":".
_ENTRY_START = re.compile(r"^\s*(?:[［\[]\s*(\d{1,3})\s*[］\]]|(\d{1,3})\s*[.．、])\s*(.*)$")
_HEADWORD = re.compile(r"^([^：:。；！？，]{1,60}?)\s*[：:]")


@dataclass(frozen=True)
class RawEntry:
    number: int
    headword: str
    definition: str
    line: int


def parse_entries(lines: list[Line], path: str) -> list[RawEntry]:
    """Entries in order; a missing or repeated number is an error naming the line."""
    entries: list[RawEntry] = []
    current: list[str] | None = None
    start: tuple[int, int, str] | None = None

    def close() -> None:
        if start is not None and current is not None:
            entries.append(_make_entry(start, "".join(current), path))

    for line in _rejoin_headwords(lines):
        text = line.text
        number = _entry_number(text)
        expected = len(entries) + (1 if start is not None else 0) + 1
        if number is not None and _looks_decimal(text):
            number = None  # "8.7%、贷款余额…" in a wrapped definition is a number, not entry 8
        if number is not None and number != expected:
            if number > expected:
                raise IngestError(path, f"glossary entry {number} follows entry {expected - 1}: "
                                  f"entry {expected} is missing", line.number)
            raise IngestError(path, f"glossary entry number {number} is repeated", line.number)
        if number is not None:
            close()
            start = (number, line.number, text)
            current = [_ENTRY_START.match(text).group(3)]  # type: ignore[union-attr]
        elif current is not None:
            current.append(text)
    close()
    return entries


def _looks_decimal(text: str) -> bool:
    """"8.7%、贷款…", "2.65万个…": a number with a unit, not "20.2026年10件民生实事" (entry 20)."""
    return re.match(r"^\s*\d{1,3}[.．]\d+\s*[%％‰万亿千百元个项倍]", text) is not None


def _rejoin_headwords(lines: list[Line]) -> list[Line]:
    """Non-blank lines, with a headword put back together where a wrap or a web page split it before
    its colon: "1.省委“1310”具体" + "部署：2023年…", or "1.百千万工程" + "：全称…"."""
    result: list[Line] = []
    for line in lines:
        text = line.text.strip()
        if not text:
            continue
        if result and _entry_number(result[-1].text) is None and _ENTRY_START.match(result[-1].text):
            joined = result[-1].text + text
            if text[0] in "：:" or (_entry_number(joined) is not None and len(result[-1].text) <= 40):
                result[-1] = Line(result[-1].number, joined)
                continue
        result.append(Line(line.number, text))
    return result


def _entry_number(text: str) -> int | None:
    """The number of a line that starts an entry: a number, then a headword ending in a colon."""
    match = _ENTRY_START.match(text)
    if not match or not _HEADWORD.match(match.group(3)):
        return None
    return int(match.group(1) or match.group(2))


def _make_entry(start: tuple[int, int, str], body: str, path: str) -> RawEntry:
    number, line, _ = start
    body = fix_spacing(body)
    match = _HEADWORD.match(body)
    if not match:
        raise IngestError(path, f"glossary entry {number} has no headword ending in '：'", line)
    definition = body[match.end():].strip()
    if not definition:
        raise IngestError(path, f"glossary entry {number} has an empty definition", line)
    return RawEntry(number, match.group(1).strip(), definition, line)
