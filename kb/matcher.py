"""Finding labels in text: leftmost-longest, non-overlapping, acronyms only on their own and never as numbers."""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import chain

import ahocorasick_rs

from kb.model import Entry
from kb.normalize import ACRONYM, ACRONYM_CHAR, Offsets, fold_fast, label_key
from kb.quantities import is_quantity


@dataclass(slots=True)
class Match:
    start: int
    end: int
    key: str
    targets: tuple[str, ...]
    # entries that a shorter or overlapping label in this place names, left out by leftmost-longest (or by a
    # preferred document): another reading of the same words
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Targets:
    """The entries a key names: all of them, by the document each belongs to (None: an editor's entry), and
    the characters around the key that its labels print and folding drops (《条例》, 双碳>)."""

    ids: tuple[str, ...]
    by_document: dict[str | None, tuple[str, ...]]
    edges: tuple[tuple[str, str], ...] = field(default=())

    def within(self, documents: frozenset[str] | None) -> tuple[str, ...]:
        """The ids an entry of ``documents`` or an editor's entry has (all of them for None)."""
        if documents is None:
            return self.ids
        if len(documents) == 1:
            [document] = documents
            return self.by_document.get(document, ()) + self.by_document.get(None, ())
        return tuple(i for d, ids in self.by_document.items() if d is None or d in documents for i in ids)


# (start, end) in the folded text, the key, the ids in scope, and the key's targets
_Candidate = tuple[int, int, str, tuple[str, ...], _Targets]


DFA_LIMIT = 2_000  # label keys up to which the automaton is a DFA


class LabelMatcher:
    """An Aho-Corasick automaton over label keys (ahocorasick-rs); every key maps to the entries it names.

    It scans for every match (overlapping ones too) and chooses itself: leftmost-longest, never a label
    that a longer one hides only because the longer one is not complete.
    ``find(text, documents)`` chooses leftmost-longest among the entries of ``documents`` (and editors'),
    so an entry left out never hides a shorter label of one that is in.
    """

    def __init__(self, labels: Iterable[tuple[str, str] | tuple[str, str, str | None]] = (),
                 grouped: dict[str, dict[str, str | None]] | None = None,
                 edges: dict[str, set[tuple[str, str]]] | None = None):
        """``labels``: (text, entry id) or (text, entry id, its document); or ``grouped``, folded already:
        key -> {entry id: its document}, with the ``edges`` of each key's labels."""
        grouped = {} if grouped is None else grouped
        edges = {} if edges is None else edges
        for label in labels:
            text, target = label[0], label[1]
            key = label_key(text)
            if key:
                grouped.setdefault(key, {}).setdefault(target, label[2] if len(label) > 2 else None)  # type: ignore[misc]
                if (edge := _edges(text)) != ("", ""):
                    edges.setdefault(key, set()).add(edge)
        self._values: list[tuple[str, _Targets, bool, bool]] = []  # by pattern index: key, targets, kinds
        for key, owners in grouped.items():
            by_document: dict[str | None, tuple[str, ...]] = {}
            for target, document in owners.items():
                by_document[document] = by_document.get(document, ()) + (target,)
            shapes = tuple(sorted(edges.get(key, ()), key=lambda e: -len(e[0]) - len(e[1])))
            acronym = bool(ACRONYM.fullmatch(key))
            edged = acronym or bool(ACRONYM_CHAR.match(key[0]) or ACRONYM_CHAR.match(key[-1]))
            self._values.append((key, _Targets(tuple(owners), by_document, shapes), acronym, edged))
        self.size = len(grouped)
        # a DFA is the fastest scan while it is small; beyond, a contiguous NFA scans nearly as fast in far less
        # memory (a DFA of 5,000 labels takes about 30 MB)
        kinds = ahocorasick_rs.Implementation
        kind = kinds.DFA if self.size <= DFA_LIMIT else kinds.ContiguousNFA
        self._automaton = (ahocorasick_rs.AhoCorasick([v[0] for v in self._values], implementation=kind)
                           if grouped else None)

    @classmethod
    def from_keys(cls, keys: Mapping[str, Iterable[tuple[str, str | None, str]]]) -> LabelMatcher:
        """A matcher from label keys folded already: key -> (entry id, its document, the label as printed)."""
        grouped: dict[str, dict[str, str | None]] = {}
        edges: dict[str, set[tuple[str, str]]] = {}
        for key, owners in keys.items():
            for target, document, text in owners:
                grouped.setdefault(key, {}).setdefault(target, document)
                if (edge := _edges(text)) != ("", ""):
                    edges.setdefault(key, set()).add(edge)
        return cls(grouped=grouped, edges=edges)

    def candidates(self, text: str, folded: str, offsets: Offsets,
                   documents: frozenset[str] | None) -> list[_Candidate]:
        """Every match of a key in ``folded`` (the folding of ``text``) that stands as a label there: never
        across the edge of a quoted name."""
        found: list[_Candidate] = []
        if not self.size:
            return found
        values = self._values
        dropped_inside = offsets.dropped_inside
        assert self._automaton is not None
        for index, start, stop in self._automaton.find_matches_as_indexes(folded, overlapping=True):
            key, targets, acronym, edged = values[index]
            quoted = dropped_inside(start, stop)  # a quotation mark (folding drops them) inside?
            if edged or quoted:
                first, last = offsets.span(start, stop)
                if acronym and last - first != len(key):
                    continue  # an acronym is one run as written: 1310 is not in 第1、3、10条 or 13 10
                if edged and not _stands_alone(text, first, last, key):
                    continue  # a key that begins or ends with a letter or digit: what stands beside it matters
                if quoted and _crosses_a_quoted_name(text, first, last):
                    continue
            found.append((start, stop, key, targets.ids if documents is None else targets.within(documents),
                          targets))
        return found

    def scan(self, text: str, documents: frozenset[str] | None = None) -> Scan:
        """Every label that stands as one in ``text``, to choose among (once or more: see ``Scan.choose``)."""
        if not self.size or not text:
            return Scan(text, Offsets([], [], 0), [])
        folded, offsets = fold_fast(text)
        return Scan(text, offsets, self.candidates(text, folded, offsets, documents))

    def find(self, text: str, documents: frozenset[str] | None = None,
             prefer: str | None = None) -> list[Match]:
        """Matches in ``text`` with code-point offsets into ``text`` itself; ``prefer``: a document whose
        entries win where their labels overlap others'."""
        return self.scan(text, documents).choose(prefer)


class LayeredMatcher:
    """A matcher as ``base`` would be with the entries ``changed`` as ``top`` names them now (or gone): an
    editor's write builds only ``top``, never the whole automaton again."""

    def __init__(self, base: LabelMatcher, top: LabelMatcher, changed: frozenset[str]):
        self.base, self.top, self.changed = base, top, changed
        self.size = base.size + top.size

    def scan(self, text: str, documents: frozenset[str] | None = None) -> Scan:
        if not self.size or not text:
            return Scan(text, Offsets([], [], 0), [])
        folded, offsets = fold_fast(text)
        found = [(s, e, k, tuple(i for i in ids if i not in self.changed), t)
                 for s, e, k, ids, t in self.base.candidates(text, folded, offsets, documents)]
        found += self.top.candidates(text, folded, offsets, documents)
        return Scan(text, offsets, found)

    def find(self, text: str, documents: frozenset[str] | None = None,
             prefer: str | None = None) -> list[Match]:
        return self.scan(text, documents).choose(prefer)


_Span = tuple[int, int, str]  # (start, end) in the folded text, and the key


class Scan:
    """The labels that stand as one in a text (its candidates), before choosing among them."""

    def __init__(self, text: str, offsets: Offsets, candidates: list[_Candidate]):
        self.text, self.offsets = text, offsets
        merged: dict[_Span, tuple[tuple[str, ...], _Targets]] = {}
        for start, end, key, ids, targets in candidates:
            if ids:
                if (start, end, key) in merged:  # the same key from the base and the layer over it
                    ids = tuple(dict.fromkeys(merged[start, end, key][0] + ids))
                merged[start, end, key] = (ids, targets)
        self._merged = merged
        self._spans = sorted(merged, key=lambda span: (span[0], -(span[1] - span[0])))

    def choose(self, prefer: str | None = None) -> list[Match]:
        """Leftmost-longest and non-overlapping among the candidates; where one of them names an entry of
        ``prefer``, it wins over the candidates it overlaps. Each match keeps what it left out."""
        return _choose(self.text, self.offsets, self._merged, self._spans, prefer)


def _overlapping(spans: list[_Span], starts: list[int], longest: int, start: int, end: int) -> list[_Span]:
    """The spans (sorted by start, ``starts`` theirs, none longer than ``longest``) that overlap start..end."""
    return [s for s in spans[bisect.bisect_left(starts, start - longest):bisect.bisect_left(starts, end)]
            if start < s[1]]


def _choose(text: str, offsets: Offsets, merged: dict[_Span, tuple[tuple[str, ...], _Targets]], spans: list[_Span],
            prefer: str | None) -> list[Match]:
    if prefer is not None:
        preferred = [s for s in spans if (own := merged[s][1].by_document.get(prefer))
                     and not set(own).isdisjoint(merged[s][0])]
        if preferred:
            firsts, reach = [p[0] for p in preferred], max(p[1] - p[0] for p in preferred)
            keep = set(preferred)
            spans = [s for s in spans if s in keep or not _overlapping(preferred, firsts, reach, s[0], s[1])]
    chosen: list[_Span] = []
    reached = 0
    for span in spans:
        if span[0] >= reached:
            chosen.append(span)
            reached = span[1]
    taken = set(chosen)
    left_out = sorted(s for s in merged if s not in taken)
    starts = [s[0] for s in left_out]
    longest = max((e - s for s, e, _ in left_out), default=0)
    found = []
    for start, end, key in chosen:
        named, targets = merged[start, end, key]
        others: tuple[str, ...] = ()
        around = _overlapping(left_out, starts, longest, start, end) if left_out else ()
        if around:  # other readings of these words: their entries in order, once each, none of ``named``
            seen = set(named)
            others = tuple(i for i in dict.fromkeys(chain.from_iterable(merged[span][0] for span in around))
                           if i not in seen)
        first, last = _widen(text, *offsets.span(start, end), targets.edges)
        found.append(Match(first, last, key, named, others))
    return found


def _edges(text: str) -> tuple[str, str]:
    """What a label prints before and after its key that folding drops: 《条例》 -> ("《", "》"), 双碳> -> ("", ">")."""
    start, end = 0, len(text)
    while start < end and not label_key(text[start]):
        start += 1
    while end > start and not label_key(text[end - 1]):
        end -= 1
    return text[:start], text[end:]


_OPENING, _CLOSING = "“‘《「", "”’》」"
# A name in quotation marks or a title in 《》 is one unit: short, no clause inside (a quoted saying is not one
# name). 百千万工程 is not in “十百千万”工程; it is in “深化百千万工程” and 深化百千万工程.
_STOPS = "。；！？，："
_NAME_LIMIT = {"“": 20, "‘": 20, "《": 30, "「": 20}
_NAME_AFTER = {opener: re.compile(f"[^{re.escape(opener + closer + _STOPS)}]{{1,{_NAME_LIMIT[opener]}}}"
                                  f"{re.escape(closer)}")
               for opener, closer in zip(_OPENING, _CLOSING, strict=True)}
_CLOSES = dict(zip(_OPENING, _CLOSING, strict=True))  # opening mark -> its closing mark
_OPENS = dict(zip(_CLOSING, _OPENING, strict=True))


def _crosses_a_quoted_name(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] begins inside a quoted name and ends after it, or begins before one and ends
    inside it: a quotation mark inside the span whose partner stands outside."""
    for at in range(start + 1, end):
        ch = text[at]
        if ch in _CLOSES:  # a name opens inside the span: it crosses if it goes on after the span
            name = _NAME_AFTER[ch].match(text, at + 1)
            if name is not None and name.end() - 1 > end:  # its closing mark stands after the span's end
                return True
        elif ch in _OPENS:  # a name closes inside the span: it crosses if it began before the span
            opener = _OPENS[ch]
            opened = text.rfind(opener, max(0, at - _NAME_LIMIT[opener] - 1), at)
            if 0 <= opened < start - 1 and (name := _NAME_AFTER[opener].match(text, opened + 1)) \
                    and name.end() == at + 1:  # it began before the span did
                return True
    return False


def _widen(text: str, start: int, end: int, edges: tuple[tuple[str, str], ...]) -> tuple[int, int]:
    """The span with what the label prints around its key, where the text has it too (a link of 双碳> takes the
    >), else with the quote it opens or closes: 亮诺亮绩亮牌”行动 -> “亮诺亮绩亮牌”行动."""
    for head, tail in edges:
        if text.startswith(head, start - len(head)) and text.startswith(tail, end) and start >= len(head):
            return start - len(head), end + len(tail)
    if not ((start > 0 and text[start - 1] in _OPENING) or (end < len(text) and text[end] in _CLOSING)):
        return start, end  # no quote beside the span: nothing to balance
    for left, right in (("“", "”"), ("‘", "’"), ("《", "》"), ("「", "」")):
        span = text[start:end]
        if span.count(right) > span.count(left) and start > 0 and text[start - 1] == left:
            start -= 1
        elif span.count(left) > span.count(right) and end < len(text) and text[end] == right:
            end += 1
    return start, end


def _stands_alone(text: str, start: int, end: int, key: str) -> bool:
    """An acronym does not match inside a longer run (1310 not in 13100, 3+2 not in 13+2). The neighbours
    are checked in the text as sent: a quote or space between two runs separates them, an invisible
    format character (a zero-width space) does not."""
    if ACRONYM_CHAR.match(key[0]):
        before = start - 1
        while before >= 0 and unicodedata.category(text[before]) == "Cf":
            before -= 1
        if before >= 0 and ACRONYM_CHAR.match(label_key(text[before])):
            return False
    if ACRONYM_CHAR.match(key[-1]):
        after = end
        while after < len(text) and unicodedata.category(text[after]) == "Cf":
            after += 1
        if after < len(text) and ACRONYM_CHAR.match(label_key(text[after])):
            return False
    # a run with digits is a number where it stands as one: 1310万元, 1310年, 第1310号, 1310.5, 3+2=5
    return not (ACRONYM.fullmatch(key) and any(c.isdigit() for c in key) and is_quantity(text, start, end))


def names_matcher(entries: Iterable[Entry]) -> LabelMatcher:
    """A matcher over the names of ``entries`` (components are parts, never matched on their own)."""
    return LabelMatcher((name, e.id, e.document) for e in entries for name in e.names)
