"""Search queries: parts of a query (words, "quoted phrases", acronyms), and highlights and snippets."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from whoosh import query as Q

from kb.normalize import fold_with_offsets, label_key
from kb.search.analysis import TITLE_SEPARATOR, bigrams, words

SNIPPET_CHARS = 80
_SENTENCE_END = "。；！？;!?\n"


@dataclass(frozen=True)
class Term:
    """One part of a query: a word, an acronym or a quoted phrase, by its key."""

    key: str

    def query(self, words_file: str, cache_dir: str) -> Q.Query:
        """Any text that contains the key matches (through the bigrams); a text where it is a whole
        jieba word or a whole acronym scores higher (through the words)."""
        if len(self.key) == 1:
            return Q.Prefix("grams", self.key)
        tokens = [w for w, _, _ in words(self.key, words_file, cache_dir)]
        if "".join(tokens) != self.key:  # punctuation inside: only the bigrams see it
            tokens = []
        grams = [g for g, _, _ in bigrams(self.key)][:-1]
        candidates = _sequence("grams", grams, ordered=False)
        if not tokens:
            return candidates
        return _Or([candidates, _sequence("words", tokens, boost=2.0)])

    @property
    def needs_check(self) -> bool:
        """Whether the bigrams alone may match a text without the term (three characters or more)."""
        return len(self.key) > 2 or TITLE_SEPARATOR in self.key


class _Or(Q.Or):
    """An Or that always builds a plain union matcher: Whoosh's array matcher costs more than it saves here."""

    matcher_type = Q.Or.DEFAULT_MATCHER


def _sequence(fieldname: str, tokens: list[str], boost: float = 1.0, ordered: bool = True) -> Q.Query:
    if len(tokens) == 1:
        return Q.Term(fieldname, tokens[0], boost=boost)
    if not ordered:
        return Q.And([Q.Term(fieldname, token) for token in dict.fromkeys(tokens)], boost=boost)
    return Q.Phrase(fieldname, tokens, boost=boost)


def parse_query(text: str) -> list[Term]:
    """Quoted phrases ("…" or “…”) stay whole; other words are split at spaces; every part is required.
    A part made only of punctuation is dropped."""
    parts = re.findall(r'"([^"]+)"|“([^”]+)”|(\S+)', text)
    terms = [label_key(next(p for p in part if p)) for part in parts]
    unique: list[Term] = []
    for key in terms:
        if searchable(key) and Term(key) not in unique:
            unique.append(Term(key))
    return unique


def searchable(text: str) -> bool:
    """Whether ``text`` has a letter, digit or Chinese character: punctuation alone is not a query."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def highlights(text: str, terms: Iterable[Term]) -> list[tuple[int, int]]:
    """Where the query's terms occur in ``text``, as sorted, merged (start, end) offsets into it."""
    folded, offsets = fold_with_offsets(text)
    spans = []
    for term in terms:
        at = folded.find(term.key)
        while at >= 0:
            spans.append((offsets[at], offsets[at + len(term.key) - 1] + 1))
            at = folded.find(term.key, at + 1)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(text: str, spans: list[tuple[int, int]], size: int = SNIPPET_CHARS) -> tuple[int, str]:
    """A window of about ``size`` characters around the first span, starting at a sentence when one
    starts shortly before it: (offset of the window in ``text``, window)."""
    if len(text) <= size:
        return 0, text
    first = spans[0][0] if spans else 0
    start = max(0, first - size // 4)
    boundary = max(text.rfind(ch, start, first) for ch in _SENTENCE_END)
    if boundary >= 0:
        start = boundary + 1
    start = max(0, min(start, len(text) - size))
    return start, text[start:start + size]


# -- the index ------------------------------------------------------------------------------------
