"""Glossary entries (名词解释): numbering, headword, definition, labels, full name, components."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.errors import IngestError
from kb.layout import Line
from kb.model import Component, Label
from kb.normalize import label_key, strip_quotes
from kb.text import compact, fix_spacing

# "1.", "1、", "［1］", "[1]" then a headword that ends at the first "：" or ":".
_ENTRY_START = re.compile(r"^\s*(?:[［\[]\s*(\d{1,3})\s*[］\]]|(\d{1,3})\s*[.．、])\s*(.*)$")
_HEADWORD = re.compile(r"^([^：:。；！？，]{1,60}?)\s*[：:]")
_QUOTED = re.compile(r"“([^“”]{1,40})”")
_FULL_NAME = (
    re.compile(r"全称(?:为|是)?[：:]?\s*“([^“”]{2,80})”"),
    re.compile(r"(?:是|为|系)“([^“”]{2,80})”的简称"),
    re.compile(r"^(?:是|为|系)?([^，。；：:]{2,80}?)的简称"),
)
_ALIAS = re.compile(r"(?:简称|又称|亦称|也称)(?:为)?“([^“”]{1,40})”")
# “1”指…, “一园”指…, “三区”分别是…: a part of the headword and what it means.
_COMPONENT = re.compile(r"“([^“”]{1,20})”\s*(?:分别是|分别指|分别为|是指|具体指|指的是|指|即|为)")
_SPLIT = re.compile(r"[、和与及]")


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


def full_name(definition: str) -> str | None:
    for pattern in _FULL_NAME:
        match = pattern.search(definition)
        if match:
            return match.group(1).strip()
    return None


def components(headword: str, definition: str) -> list[Component]:
    """Parts the definition spells out; a quoted word that is not a part of the headword is not one."""
    head = set(label_key(headword))
    found = [m for m in _COMPONENT.finditer(definition) if set(label_key(m.group(1))) <= head]
    result: list[Component] = []
    for index, match in enumerate(found):
        end = found[index + 1].start() if index + 1 < len(found) else len(definition)
        meaning = definition[match.end():end]
        stop = re.search(r"[；;。]", meaning)
        meaning = (meaning[:stop.start()] if stop else meaning).strip("，,；;。 ")
        if meaning and all(c.label != match.group(1) for c in result):
            result.append(Component(match.group(1), meaning))
    return result


def terms(headword: str, definition: str) -> list[str]:
    """The terms of an entry that names two: “两重”“两新”, 一江四轨、六纵四横, 科技英才领航工程和“双千”计划."""
    quoted = _QUOTED.findall(headword)
    if len(quoted) >= 2 and compact(headword) == "".join(f"“{q}”" for q in quoted):
        return quoted
    parts = [p.strip() for p in _SPLIT.split(headword)]
    if len(parts) < 2 or any(len(strip_quotes(p)) < 3 for p in parts):
        return []
    if "、" in headword and not re.search(r"[和与及]", headword):
        return parts
    text = label_key(definition)
    return parts if all(label_key(p) in text for p in parts) else []


def _is_weak_core(core: str) -> bool:
    """A quoted number of one or two digits ("21" in 稳增长“21”条) names nothing on its own."""
    key = label_key(core)
    return len(key) < 2 or (key.isdigit() and len(key) < 3)


def labels(headword: str, definition: str) -> list[Label]:
    """Every label of an entry, most specific first, without two of the same key and kind."""
    found: list[Label] = [Label(headword, "headword")]
    unquoted = strip_quotes(headword)
    if unquoted != headword:
        found.append(Label(unquoted, "headword"))
    for term in terms(headword, definition):
        found.append(Label(strip_quotes(term), "headword"))
    for core in _QUOTED.findall(headword):
        if not _is_weak_core(core):
            found.append(Label(core, "core"))
    name = full_name(definition)
    if name:
        found.append(Label(name, "full_name"))
    for alias in _ALIAS.findall(definition):
        if not _is_weak_core(alias):
            found.append(Label(alias, "alias"))
    for component in components(headword, definition):
        found.append(Label(component.label, "component"))
    seen: set[tuple[str, str]] = set()
    unique: list[Label] = []
    for label in found:
        key = (label.text, label.kind)
        if label_key(label.text) and key not in seen:
            seen.add(key)
            unique.append(label)
    return unique
