"""Finding labels in text: leftmost-longest, non-overlapping, acronyms only on their own."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import ahocorasick

from kb.model import Entry
from kb.normalize import ACRONYM, ACRONYM_CHAR, fold_fast, label_key
from kb.quantities import is_quantity


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    key: str
    targets: tuple[str, ...]


@dataclass(frozen=True)
class _Targets:
    """The entries a key names: all of them, and by the document each belongs to (None: an editor's entry)."""

    ids: tuple[str, ...]
    by_document: dict[str | None, tuple[str, ...]]

    def within(self, documents: frozenset[str] | None) -> tuple[str, ...]:
        """The ids an entry of ``documents`` or an editor's entry has (all of them for None)."""
        if documents is None:
            return self.ids
        if len(documents) == 1:
            [document] = documents
            return self.by_document.get(document, ()) + self.by_document.get(None, ())
        return tuple(i for d, ids in self.by_document.items() if d is None or d in documents for i in ids)


# (start, end) in the folded text, the key, and the entries it names
_Candidate = tuple[int, int, str, _Targets]


class LabelMatcher:
    """An Aho-Corasick automaton over label keys; every key maps to the entries it names.

    It scans with ``iter`` (every match) and chooses itself, because ``iter_long`` can miss a label
    that is a prefix of a longer label when the longer one is not complete (pyahocorasick issue 133).
    ``find(text, documents)`` chooses leftmost-longest among the entries of ``documents`` (and editors'),
    so an entry left out never hides a shorter label of one that is in.
    """

    def __init__(self, labels: Iterable[tuple[str, str] | tuple[str, str, str | None]] = (),
                 grouped: dict[str, dict[str, str | None]] | None = None):
        """``labels``: (text, entry id) or (text, entry id, its document); or ``grouped``, folded already:
        key -> {entry id: its document}."""
        grouped = {} if grouped is None else grouped
        for label in labels:
            text, target = label[0], label[1]
            key = label_key(text)
            if key:
                grouped.setdefault(key, {}).setdefault(target, label[2] if len(label) > 2 else None)  # type: ignore[misc]
        self._automaton = ahocorasick.Automaton()
        for key, owners in grouped.items():
            by_document: dict[str | None, tuple[str, ...]] = {}
            for target, document in owners.items():
                by_document[document] = by_document.get(document, ()) + (target,)
            self._automaton.add_word(key, (key, _Targets(tuple(owners), by_document), bool(ACRONYM.fullmatch(key))))
        self.size = len(grouped)
        if grouped:
            self._automaton.make_automaton()

    @classmethod
    def from_keys(cls, keys: Mapping[str, Iterable[tuple[str, str | None]]]) -> LabelMatcher:
        """A matcher from label keys folded already: key -> (entry id, its document) pairs."""
        grouped: dict[str, dict[str, str | None]] = {}
        for key, owners in keys.items():
            for target, document in owners:
                grouped.setdefault(key, {}).setdefault(target, document)
        return cls(grouped=grouped)

    def candidates(self, text: str, folded: str, offsets) -> list[_Candidate]:
        """Every match of a key in ``folded`` (the folding of ``text``) that stands as a label there."""
        found: list[_Candidate] = []
        if not self.size:
            return found
        for end, (key, targets, acronym) in self._automaton.iter(folded):
            start = end - len(key) + 1
            first, last = offsets[start], offsets[end]
            if acronym and last - first + 1 != len(key):
                continue  # an acronym is one run as written: 1310 is not in 第1、3、10条 or 13 10
            if _stands_alone(text, first, last + 1, key):
                found.append((start, end + 1, key, targets))
        return found

    def find(self, text: str, documents: frozenset[str] | None = None) -> list[Match]:
        """Matches in ``text`` with code-point offsets into ``text`` itself."""
        if not self.size or not text:
            return []
        folded, offsets = fold_fast(text)
        return choose(text, offsets, [(s, e, k, t.within(documents))
                                      for s, e, k, t in self.candidates(text, folded, offsets)])


class LayeredMatcher:
    """A matcher as ``base`` would be with the entries ``changed`` as ``top`` names them now (or gone): an
    editor's write builds only ``top``, never the whole automaton again."""

    def __init__(self, base: LabelMatcher, top: LabelMatcher, changed: frozenset[str]):
        self.base, self.top, self.changed = base, top, changed
        self.size = base.size + top.size

    def find(self, text: str, documents: frozenset[str] | None = None) -> list[Match]:
        if not self.size or not text:
            return []
        folded, offsets = fold_fast(text)
        found = [(s, e, k, tuple(i for i in t.within(documents) if i not in self.changed))
                 for s, e, k, t in self.base.candidates(text, folded, offsets)]
        found += [(s, e, k, t.within(documents)) for s, e, k, t in self.top.candidates(text, folded, offsets)]
        return choose(text, offsets, found)


def choose(text: str, offsets, candidates: list[tuple[int, int, str, tuple[str, ...]]]) -> list[Match]:
    """Leftmost-longest and non-overlapping among the candidates that name some entry."""
    merged: dict[tuple[int, int, str], list[str]] = {}
    for start, end, key, ids in candidates:
        if ids:
            into = merged.setdefault((start, end, key), [])
            into += [i for i in ids if i not in into]
    chosen: list[Match] = []
    reached = 0
    for (start, end, key), named in sorted(merged.items(), key=lambda item: (item[0][0], -(item[0][1] - item[0][0]))):
        if start >= reached:
            first, last = _balance_quotes(text, offsets[start], offsets[end - 1] + 1)
            chosen.append(Match(first, last, key, tuple(named)))
            reached = end
    return chosen


def _balance_quotes(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span by the quote it closes or opens: 亮诺亮绩亮牌”行动 -> “亮诺亮绩亮牌”行动."""
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
