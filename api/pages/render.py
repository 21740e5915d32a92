"""What the pages show, shaped for templates: texts cut into pieces (plain, marked, linked, cited), so that a
template escapes every piece and never builds HTML from strings; terms grouped by their initial."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kb import pinyin
from kb.linking import Link
from kb.model import Entry, Passage


@dataclass(frozen=True)
class Piece:
    """A piece of a text: ``kind`` is "text", "mark" (a highlight), "link" (a term), "cite" (a footnote), or in
    a diff "ins" and "del"."""

    kind: str
    text: str
    href: str = ""
    title: str = ""
    number: int = 0


def when(iso: str) -> str:
    """A revision's time as people read it: "2026-12-02 01:39 UTC" (the page's <time> keeps the exact one)."""
    try:
        moment = datetime.fromisoformat(iso).astimezone(UTC)
    except ValueError:
        return iso
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def diff(before: str, after: str) -> list[Piece]:
    """What changed from ``before`` to ``after``, character by character (Chinese has no spaces to split words
    at): "text" pieces both have, "del" pieces only ``before`` has, "ins" pieces only ``after`` has. One or two
    characters the same between two changes are taken into the change, so that 第二人 → 编辑补充 reads as one
    replacement, not as a patchwork."""
    runs: list[list[int]] = []  # [same?, a1, a2, b1, b2], changes next to each other joined
    opcodes = difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes()
    for n, (op, a1, a2, b1, b2) in enumerate(opcodes):
        same = op == "equal" and not (a2 - a1 <= SHORT_SAME and 0 < n < len(opcodes) - 1)
        if runs and not same and not runs[-1][0]:
            runs[-1][2], runs[-1][4] = a2, b2
        else:
            runs.append([same, a1, a2, b1, b2])
    pieces = []
    for same, a1, a2, b1, b2 in runs:
        if same:
            pieces.append(Piece("text", before[a1:a2]))
            continue
        if a2 > a1:
            pieces.append(Piece("del", before[a1:a2]))
        if b2 > b1:
            pieces.append(Piece("ins", after[b1:b2]))
    return pieces


SHORT_SAME = 2


def marked(text: str, spans: Iterable[Iterable[int]]) -> list[Piece]:
    """``text`` with the (start, end) ``spans`` (sorted, apart) as marks."""
    pieces, at = [], 0
    for start, end in spans:
        if start > at:
            pieces.append(Piece("text", text[at:start]))
        pieces.append(Piece("mark", text[start:end]))
        at = end
    if at < len(text):
        pieces.append(Piece("text", text[at:]))
    return pieces


def linked(passage: Passage, links: list[Link], term_href, cited: dict[int, Entry]) -> list[Piece]:
    """A passage's text with its links, and its footnote markers (citations) where they stood, each a link
    to the entry of its number (``cited``); ``term_href(link)`` is a link's page."""
    events: list[tuple[int, int, Piece]] = []
    for link in links:
        events.append((link.start, 1, Piece("link", passage.text[link.start:link.end], term_href(link),
                                            link.summary)))
    for citation in passage.citations:
        entry = cited.get(citation.number)
        if entry is not None:
            events.append((citation.offset, 0, Piece("cite", str(citation.number), f"#cite-{entry.id}",
                                                     entry.headword, citation.number)))
    events.sort(key=lambda e: (e[0], e[1]))
    pieces, at = [], 0
    for offset, _, piece in events:
        if offset < at:  # a marker inside a link: after it
            offset = at
        if offset > at:
            pieces.append(Piece("text", passage.text[at:offset]))
            at = offset
        pieces.append(piece)
        if piece.kind == "link":
            at = offset + len(piece.text)
    if at < len(passage.text):
        pieces.append(Piece("text", passage.text[at:]))
    return pieces


@dataclass
class Initial:
    letter: str
    entries: list[Entry] = field(default_factory=list)


initial = pinyin.initial  # the letter a headword is filed under (百 -> B, "#" for digits and the rest)


def by_initial(entries: Iterable[Entry]) -> list[Initial]:
    """Entries grouped by initial (A to Z, then #), each group in pinyin order of its headwords."""
    groups: dict[str, Initial] = {}
    for entry in entries:
        letter = initial(entry.headword)
        groups.setdefault(letter, Initial(letter)).entries.append(entry)
    for group in groups.values():
        group.entries.sort(key=lambda e: (pinyin.sort_key(e.headword), e.headword))
    return sorted(groups.values(), key=lambda g: (g.letter == "#", g.letter))
