"""Linking for chat tools: every term and acronym in a text, with offsets, as JSON, HTML or Markdown."""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

from kb.matcher import Match, Scan
from kb.model import Entry
from kb.normalize import astral_positions
from kb.ranking import KIND_RANK, newest_first
from kb.snapshot import Snapshot

SUMMARY_CHARS = 120
_SENTENCE = re.compile(r"[^。；！？!?;]*[。；！？!?;]?")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&=])")  # = too: "===" under a line is a heading


# Why a link goes to its entry when the words name entries of several documents (or several entries).
CHOSEN_BY = ("only", "prefer", "context", "longest", "rank")


@dataclass
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
    # every entry these words may name, the chosen one first: {"id", "headword", "document"}
    candidates: tuple[dict, ...]
    ambiguous: bool  # the candidates belong to more than one document
    # see CHOSEN_BY: the only candidate; of the document preferred; of the document the rest of the text links
    # (its context); the longest reading of these words; the best ranked of one label's entries
    chosen_by: str


@dataclass(frozen=True)
class _Reading:
    """Where a match links, the same for every match of one key naming the same entries: what a Link shares."""

    entry: Entry
    summary: str
    url: str  # the lookup path, without the service's address
    candidates: tuple[dict, ...]
    ambiguous: bool
    chosen_by: str


READINGS_KEPT = 50_000  # readings a linker keeps (one per key and candidates, in practice a few thousand)


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
        # (key, ids, other readings' ids, preferred document, why) -> where such a match links
        self._readings: dict[tuple, _Reading] = {}
        # what a match's entries come to in this snapshot, the same for every match of them: a label of a report
        # copied year after year names an entry of each copy, and a text names it again and again
        self._present: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._documents: dict[tuple[tuple[str, ...], tuple[str, ...]], frozenset[str | None]] = {}

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

    def link(self, text: str, documents: Iterable[str] | None = None, first_only: bool = False,
             prefer: str | None = None, base_url: str = "") -> list[Link]:
        """Every name in ``text``. Where words name entries of several documents, the link goes to the entry
        of ``prefer``; else of the document that the text's unambiguous links point to most (its context);
        else the longest reading, then the best ranked entry. Each link says which, with every candidate.
        URLs start with ``base_url`` (the service's own address)."""
        if not text:
            return []
        allowed = None if documents is None else frozenset(documents)
        entries = self._snap.entries
        reason = "prefer"
        scan = self._snap.matcher.scan(text, allowed)
        matches = self._matches(scan, prefer)
        if prefer is None and (context := self._context(matches)) is not None:
            prefer, reason = context, "context"
            if any(entries[i].document == context for _, _, others in matches for i in others):
                matches = self._matches(scan, prefer)  # a reading of the context's was left out: choose again
        found: list[Link] = []
        seen: set[str] = set()
        utf16 = _Utf16(text)
        readings = self._readings
        if len(readings) > READINGS_KEPT:
            readings.clear()
        for match, ids, others in matches:
            reading = readings.get((match.key, ids, others, prefer, reason))
            if reading is None:
                reading = readings[match.key, ids, others, prefer, reason] = self._reading(
                    match.key, ids, others, prefer, reason)
            entry = reading.entry
            if first_only and entry.id in seen:
                continue
            seen.add(entry.id)
            found.append(Link(match.start, match.end, utf16[match.start], utf16[match.end],
                              text[match.start:match.end], entry.id, entry.headword, reading.summary,
                              base_url + reading.url, reading.candidates, reading.ambiguous, reading.chosen_by))
        return found

    def _reading(self, key: str, ids: tuple[str, ...], others: tuple[str, ...], prefer: str | None,
                 reason: str) -> _Reading:
        """Where a match of ``key`` naming ``ids`` (and, read otherwise, ``others``) links, and why."""
        entries = self._snap.entries
        entry = self._pick(key, ids, prefer)
        named = [entry, *(entries[i] for i in (*ids, *others) if i != entry.id)]
        documents = {e.document for e in named}
        if len(named) == 1:
            chosen_by = "only"
        elif entry.document == prefer and len(documents) > 1:
            chosen_by = reason
        else:
            chosen_by = "longest" if len(ids) == 1 else "rank"
        return _Reading(entry, summarize(entry.definition), term_url(self._choose(key, (entry.id,))[1]),
                        tuple({"id": e.id, "headword": e.headword, "document": e.document} for e in named),
                        len(documents) > 1, chosen_by)

    def _matches(self, scan: Scan, prefer: str | None) -> list[tuple[Match, tuple[str, ...], tuple[str, ...]]]:
        """Each match with the entries it names and the other readings' entries, of this snapshot."""
        found = []
        present = self._present
        if len(present) > READINGS_KEPT:
            present.clear()
        for m in scan.choose(prefer):
            named = present.get((m.targets, m.alternatives))
            if named is None:
                named = present[m.targets, m.alternatives] = self._present_of(m.targets, m.alternatives)
            if named[0]:
                found.append((m, *named))
        return found

    def _present_of(self, targets: tuple[str, ...], alternatives: tuple[str, ...]) -> tuple[tuple[str, ...],
                                                                                            tuple[str, ...]]:
        """The entries of this snapshot among a match's targets, and among its alternatives the others."""
        entries = self._snap.entries
        ids = targets if len(targets) == 1 and targets[0] in entries else tuple(i for i in targets if i in entries)
        others = tuple(dict.fromkeys(i for i in alternatives if i in entries and i not in ids)) if alternatives \
            else ()
        return ids, others

    def _context(self, matches: list[tuple[Match, tuple[str, ...], tuple[str, ...]]]) -> str | None:
        """The document whose entries the text's unambiguous links name most, where some ambiguous link has
        a reading of it; None if there is no such one document."""
        entries = self._snap.entries
        votes: dict[str, int] = {}
        open_to: set[str | None] = set()
        known = self._documents
        if len(known) > READINGS_KEPT:
            known.clear()
        for _, ids, others in matches:
            named = known.get((ids, others))
            if named is None:
                named = known[ids, others] = frozenset(entries[i].document for i in (*ids, *others))
            if len(named) == 1:
                [document] = named
                if document is not None:
                    votes[document] = votes.get(document, 0) + 1
            else:
                open_to |= named
        open_to.discard(None)
        if not open_to or not votes:
            return None
        most = max(votes.values())
        top = [d for d, n in votes.items() if n == most]
        return top[0] if len(top) == 1 and top[0] in open_to else None

    def _pick(self, key: str, ids: tuple[str, ...], prefer: str | None) -> Entry:
        """The entry a link goes to among ``ids``: the one of ``prefer`` if there is one, else the best ranked."""
        entries = self._snap.entries
        if len(ids) == 1:
            return entries[ids[0]]
        if prefer is not None and (preferred := tuple(i for i in ids if entries[i].document == prefer)):
            ids = preferred
        return self._choose(key, ids)[0]


class _Utf16:
    """Code-point offsets to UTF-16 offsets (JavaScript's), counting the astral characters before."""

    def __init__(self, text: str):
        self._astral = astral_positions(text)

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
