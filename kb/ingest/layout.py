"""A report's lines into its parts: header, body, glossary and other appendices, without the page around them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.ingest.clutter import drop_clutter, footer_at, is_debris
from kb.ingest.glossary import find_run, glued_heading, is_glossary_heading
from kb.ingest.lines import Line, lines_of
from kb.ingest.numbering import MARKER
from kb.ingest.text import NUMERALS, SALUTATION, compact, heading_level, is_title_like

APPENDIX_HEADING = re.compile(rf"^附件[\d{NUMERALS}]*(?:[:：、.．]|$).{{0,30}}$|^附件[\d{NUMERALS}]+.{{0,30}}$")
# The speech opens "各位代表：", "各位代表，同志们：" (perhaps glued to its first sentence); "各位代表，2019年，…"
# later on does not.
_OPENING = re.compile(r"^各位(代表|委员)(?:[、，,]?[^，。！？,!?\d]{0,10})?[:：]")
# A line that can only be the report's body: a numbered part ("一、", "第一部分", "（一）") or a long paragraph.
_BODY_HEADING = re.compile(rf"^(?:[{NUMERALS}]+、|第[{NUMERALS}]+部分|[（(][{NUMERALS}]+[）)])")
_LONG = 60
def _names_glossary(key: str) -> bool:
    """Every glossary heading holds one of these words: lines without them need no closer look."""
    return ("名词" in key or "注释" in key or "术语" in key or "词语" in key or "用语" in key or "注解" in key
            or "释义" in key)
# An appendix whose heading says it explains words ("附件1 有关术语") is a glossary if its entries are numbered.
_EXPLAINS = re.compile(r"名词|术语|词语|用语|注释|释义|解释|新提法|新概念")
# Lines of a report's own header: its title, when and where it was given, who gave it.
_HEADERISH = re.compile(r"报告$|人民代表大会|日在|^——|人民政府.{0,10}长|^\d{4}年\d{1,2}月\d{1,2}日$")


@dataclass
class Section:
    """An appendix or the glossary: its heading line (none for a glossary known by its shape) and its lines."""

    heading: Line | None
    lines: list[Line] = field(default_factory=list)


@dataclass
class Layout:
    """The parts of a report: header lines, body lines, each appendix, and the glossary if there is one."""

    header: list[Line] = field(default_factory=list)
    body: list[Line] = field(default_factory=list)
    appendices: list[Section] = field(default_factory=list)
    glossary: Section | None = None
    found_by_shape: bool = False


def split_layout(text: str) -> Layout:
    lines = drop_clutter(lines_of(text))
    start = body_start(lines)
    layout = Layout(header=[line for line in lines[:start] if compact(line.text)])
    seen: list[str] = []
    section: list[Line] = layout.body
    for line in lines[start:]:
        key = compact(line.text)
        if not key:
            section.append(line)
            continue
        cut = footer_at(line.text, key)
        if cut is not None or is_debris(line, seen):
            if cut:
                section.append(Line(line.number, line.text[:cut]))
            break
        seen.append(key)
        named = layout.glossary is None and _names_glossary(key)
        glued = glued_heading(line.text) if named else None
        if named and (is_glossary_heading(key) or glued):
            layout.glossary = Section(Line(line.number, glued[0]) if glued else line)
            section = layout.glossary.lines
            if glued:
                section.append(Line(line.number, glued[1]))
            continue
        if APPENDIX_HEADING.match(key):
            layout.appendices.append(Section(line))
            section = layout.appendices[-1].lines
            continue
        section.append(line)
    # '附件' alone on a line just before the glossary heading belongs to the glossary: drop it
    layout.appendices = [a for a in layout.appendices if any(compact(x.text) for x in a.lines)]
    if layout.glossary is None:
        _glossary_by_shape(layout)
    return layout


def body_start(lines: list[Line]) -> int:
    """Where the body starts: at the salutation (looked for up to the first numbered part, past a site's long
    navigation lines), else at the first line that cannot be the header's."""
    first_other: int | None = None
    for index, line in enumerate(lines):
        key = compact(line.text)
        if not key:
            continue
        if _OPENING.match(key) or SALUTATION.fullmatch(key):
            return index
        if _BODY_HEADING.match(key):
            return index if first_other is None else first_other
        if first_other is None and (len(key) > _LONG or not _HEADERISH.search(key)):
            first_other = index
    return first_other or 0


def _glossary_by_shape(layout: Layout) -> None:
    """A glossary under a heading kb does not know, or none: a numbered run of entries at the end of the body
    (or of an appendix the body cites), told from a numbered list by a heading-like line before it, by the
    body's markers citing it, or by following the speech's closing words."""
    cited = {int(n) for line in layout.body for n in MARKER.findall(line.text)}
    for appendix in reversed(layout.appendices):
        start = find_run(appendix.lines)
        # a bare "附件1" has its title on the next line: "附件1" / "有关术语"
        title = "".join(compact(line.text) for line in [appendix.heading, *appendix.lines[:1]] if line)
        explains = _EXPLAINS.search(title) is not None
        if start is not None and ({1, 2} <= cited or explains):
            layout.glossary, layout.found_by_shape = appendix, True
            layout.appendices.remove(appendix)
            return
    if layout.appendices:
        return
    start = find_run(layout.body)
    if start is None:
        return
    before = next((line for line in reversed(layout.body[:start]) if compact(line.text)), None)
    key = compact(before.text) if before else ""
    titled = bool(key) and is_title_like(key) and heading_level(key) is None
    closing = bool(re.match(r"^各位(代表|委员)", key)) and key[-1:] in "！!。"
    if not (titled or closing or {1, 2} <= cited):
        return
    lines = layout.body[start:]
    layout.body = layout.body[:start]
    if titled and before is not None:
        layout.body.remove(before)
    layout.glossary = Section(before if titled else None, lines)
    layout.found_by_shape = True
