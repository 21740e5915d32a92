"""The labels of an entry, derived from its headword and definition: quoted cores, full name, aliases, components.

Used by a build for the glossary's entries and by editors' writes for theirs, so both name entries alike.
"""

from __future__ import annotations

import re
from typing import Any

from kb.ingest.text import compact
from kb.model import Component, Entry, Label
from kb.normalize import label_key, strip_quotes

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
# A pronunciation gloss after a rare character: the body writes 垕 where the glossary prints 垕（hòu）.
_GLOSS = re.compile(r"\s*[（(]\s*[a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüêńňǹḿ\s]+\s*[)）]")


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
    """Every label of an entry, most specific first, each text once (as its most specific kind)."""
    found: list[Label] = [Label(headword, "headword")]
    unquoted = strip_quotes(headword)
    if unquoted != headword:
        found.append(Label(unquoted, "headword"))
    bare = _GLOSS.sub("", headword)
    if bare != headword:
        found += [Label(bare, "headword"), Label(strip_quotes(bare), "headword")]
    for term in terms(headword, definition):
        found.append(Label(strip_quotes(term), "headword"))
    for core in _QUOTED.findall(headword):
        for text in dict.fromkeys((core, _GLOSS.sub("", core))):
            if not _is_weak_core(text):
                found.append(Label(text, "core"))
    name = full_name(definition)
    if name:
        found.append(Label(name, "full_name"))
    for alias in _ALIAS.findall(definition):
        if not _is_weak_core(alias):
            found.append(Label(alias, "alias"))
    for component in components(headword, definition):
        found.append(Label(component.label, "component"))
    return _unique(found)


def _unique(found: list[Label]) -> list[Label]:
    """Each text once, as the first kind it came as (names before components): “两重” is a headword of
    “两重”“两新” and a quoted core of it, listed once. Texts differ as printed: “双百”行动 and 双百行动 both stay."""
    unique: dict[str, Label] = {}
    for label in found:
        if label_key(label.text):
            unique.setdefault(label.text, label)
    return list(unique.values())


def entry_from_state(entry_id: str, state: dict[str, Any]) -> Entry:
    """The entry an editor's state describes: labels derived as for the glossary, plus the ones given."""
    headword, definition = state["headword"], state["definition"]
    found = labels(headword, definition)
    if state.get("full_name"):
        found.append(Label(state["full_name"], "full_name"))
    found += [Label(text, "alias") for text in state.get("labels") or ()]
    if state.get("components") is not None:
        parts = tuple(Component(c["label"], c["meaning"]) for c in state["components"])
        found = [lb for lb in found if lb.kind != "component"] + [Label(c.label, "component") for c in parts]
    else:
        parts = tuple(components(headword, definition))
    return Entry(entry_id, headword, definition, state.get("document"), state.get("number"),
                 state.get("full_name"), tuple(_unique(found)), parts, page=state.get("page"))
