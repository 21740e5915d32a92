"""Linking for chat tools: every term and acronym in a text, with offsets, as JSON, HTML or Markdown."""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

from kb.model import Entry
from kb.ranking import KIND_RANK, newest_first
from kb.snapshot import Snapshot

SUMMARY_CHARS = 120
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")  # two UTF-16 code units each
_SENTENCE = re.compile(r"[^。；！？!?;]*[。；！？!?;]?")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&=])")  # = too: "===" under a line is a heading


@dataclass(frozen=True)
class Link:
    start: int
    end: int
    start_utf16: int
    end_utf16: int
    surface: str
    id: str
    headword: str
    summary: str
    url: str


def summarize(definition: str, limit: int = SUMMARY_CHARS) -> str:
    """The definition cut after its last whole sentence within ``limit`` characters (or cut short with …)."""
    text = " ".join(definition.split())
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in _SENTENCE.findall(text):
        if not sentence or len(kept) + len(sentence) > limit:
            break
        kept += sentence
    return kept or text[:limit - 1] + "…"


def term_url(label: str) -> str:
    return "/terms/" + quote(label, safe="/+")


class Linker:
    """Links the names of a snapshot's entries (never components) in any text, leftmost-longest and
    non-overlapping, with the snapshot's one matcher (an entry left out by ``documents`` never hides a shorter
    label of one that is in).

    When a label names several entries, the link goes to the one ``resolve`` ranks first (by label kind, then
    the newest document), with that entry's own spelling of the label: the link's URL looks that spelling up.
    """

    def __init__(self, snapshot: Snapshot):
        self._snap = snapshot
        self._summaries: dict[str, str] = {}
        self._chosen: dict[tuple[str, tuple[str, ...]], tuple[Entry, str]] = {}  # -> (entry, its URL)

    def _choose(self, key: str, ids: tuple[str, ...]) -> tuple[Entry, str]:
        snap = self._snap
        rows = [(e, text, kind) for e, text, kind in snap.by_key.get(key, ()) if e.id in ids and kind != "component"]

        def rank(row: tuple[Entry, str, str]) -> tuple:
            doc = snap.documents.get(row[0].document or "")
            return KIND_RANK.get(row[2], 9), "" if doc is None else newest_first(doc.date), row[0].id

        if not rows:
            return snap.entries[ids[0]], snap.names.get(key, key)
        entry, text, _ = min(rows, key=rank)
        return entry, text

    def link(self, text: str, documents: Iterable[str] | None = None, first_only: bool = False) -> list[Link]:
        if not text:
            return []
        allowed = None if documents is None else frozenset(documents)
        entries = self._snap.entries
        found: list[Link] = []
        seen: set[str] = set()
        utf16 = _Utf16(text)
        for match in self._snap.matcher.find(text, allowed):
            ids = tuple(i for i in match.targets if i in entries)
            if not ids:
                continue
            chosen = self._chosen.get((match.key, ids))
            if chosen is None:
                entry, spelling = self._choose(match.key, ids)
                chosen = self._chosen[match.key, ids] = (entry, term_url(spelling))
            entry, url = chosen
            if first_only and entry.id in seen:
                continue
            seen.add(entry.id)
            if entry.id not in self._summaries:
                self._summaries[entry.id] = summarize(entry.definition)
            found.append(Link(match.start, match.end, utf16[match.start], utf16[match.end],
                              text[match.start:match.end], entry.id, entry.headword, self._summaries[entry.id],
                              url))
        return found


class _Utf16:
    """Code-point offsets to UTF-16 offsets (JavaScript's), counting the astral characters before."""

    def __init__(self, text: str):
        self._astral = [m.start() for m in _ASTRAL.finditer(text)]

    def __getitem__(self, index: int) -> int:
        return index + bisect.bisect_left(self._astral, index) if self._astral else index


def to_html(text: str, links: list[Link]) -> str:
    """The text with every character escaped, each link an <a> with the lookup URL and the summary."""
    out, at = [], 0
    for link in links:
        out.append(html.escape(text[at:link.start], quote=False))
        out.append(f'<a href="{html.escape(link.url)}" title="{html.escape(link.summary)}">'
                   f"{html.escape(link.surface, quote=False)}</a>")
        at = link.end
    out.append(html.escape(text[at:], quote=False))
    return "".join(out)


def escape_markdown(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def to_markdown(text: str, links: list[Link]) -> str:
    """The text with Markdown's metacharacters escaped, each link [surface](url "summary")."""
    out, at = [], 0
    for link in links:
        out.append(escape_markdown(text[at:link.start]))
        title = link.summary.replace("\\", "\\\\").replace('"', '\\"')
        out.append(f'[{escape_markdown(link.surface)}]({link.url} "{title}")')
        at = link.end
    out.append(escape_markdown(text[at:]))
    return "".join(out)
