"""Finding labels in text: leftmost-longest, non-overlapping, acronyms only on their own."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from kb.model import Entry
from kb.normalize import ACRONYM, ACRONYM_CHAR, fold_fast, label_key


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    key: str
    targets: tuple[str, ...]


class LabelMatcher:
    """An Aho-Corasick automaton over label keys; every key maps to the ids of the entries it names.

    It scans with ``iter`` (every match) and chooses itself, because ``iter_long`` can miss a label
    that is a prefix of a longer label when the longer one is not complete (pyahocorasick issue 133).
    """

    def __init__(self, labels: Iterable[tuple[str, str]]):
        targets: dict[str, list[str]] = {}
        for text, target in labels:
            key = label_key(text)
            if key and target not in targets.setdefault(key, []):
                targets[key].append(target)
        self._automaton = ahocorasick.Automaton()
        for key, ids in targets.items():
            self._automaton.add_word(key, (key, tuple(ids), bool(ACRONYM.fullmatch(key))))
        self._empty = not targets
        if targets:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[Match]:
        """Matches in ``text`` with code-point offsets into ``text`` itself."""
        if self._empty or not text:
            return []
        folded, offsets = fold_fast(text)
        candidates = []
        for end, (key, ids, acronym) in self._automaton.iter(folded):
            start = end - len(key) + 1
            first, last = offsets[start], offsets[end]
            if acronym and last - first + 1 != len(key):
                continue  # an acronym is one run as written: 1310 is not in 第1、3、10条 or 13 10
            if _stands_alone(text, first, last + 1, key):
                candidates.append((start, end + 1, key, ids))
        candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
        chosen: list[Match] = []
        reached = 0
        for start, end, key, ids in candidates:
            if start >= reached:
                first, last = _balance_quotes(text, offsets[start], offsets[end - 1] + 1)
                chosen.append(Match(first, last, key, ids))
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
    return True


def names_matcher(entries: Iterable[Entry]) -> LabelMatcher:
    """A matcher over the names of ``entries`` (components are parts, never matched on their own)."""
    return LabelMatcher((name, e.id) for e in entries for name in e.names)
