"""Search queries: parts of a query (words, "quoted phrases", acronyms) and the pieces of an unspaced part,
the Whoosh query of each, and highlights and snippets."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from whoosh import query as Q

from kb.normalize import fold_with_offsets, label_key
from kb.search.analysis import bigrams, words

SNIPPET_CHARS = 80
WORDS_BOOST = 2.0  # a text that holds a query term as whole words scores higher than one that holds its bigrams
_SENTENCE_END = "。；！？;!?\n"


@dataclass(frozen=True)
class Term:
    """One piece of a query that a text must contain: a word, an acronym or a quoted phrase, by its key;
    ``words``: its jieba words when the query's analysis found them already."""

    key: str
    words: tuple[str, ...] | None = field(default=None, compare=False)

    def query(self, words_file: str, cache_dir: str) -> Q.Query:
        """Any text that contains the key matches (through the bigrams); a text where it is a whole
        jieba word or a whole acronym scores higher (through the words)."""
        if len(self.key) == 1:
            return Q.Prefix("grams", self.key)
        grams, tokens = self.arms(words_file, cache_dir)
        candidates = _sequence("grams", grams, ordered=False)
        if not tokens:
            return candidates
        return _Or([candidates, _sequence("words", tokens, boost=WORDS_BOOST)])

    def arms(self, words_file: str, cache_dir: str) -> tuple[list[str], list[str]]:
        """What ``query`` asks of a key of two characters or more: its bigrams (any order), and its jieba words,
        in order (none when they do not make up the key: punctuation inside)."""
        tokens = list(self.words) if self.words is not None else [
            w for w, _, _ in words(self.key, words_file, cache_dir)]
        if "".join(tokens) != self.key:  # punctuation inside: only the bigrams see it
            tokens = []
        return [g for g, _, _ in bigrams(self.key)][:-1], tokens


class _Or(Q.Or):
    """An Or that always builds a plain union matcher: Whoosh's array matcher costs more than it saves here."""

    matcher_type = Q.Or.DEFAULT_MATCHER


def _sequence(fieldname: str, tokens: list[str], boost: float = 1.0, ordered: bool = True) -> Q.Query:
    if len(tokens) == 1:
        return Q.Term(fieldname, tokens[0], boost=boost)
    if not ordered:
        return Q.And([Q.Term(fieldname, token) for token in dict.fromkeys(tokens)], boost=boost)
    return Q.Phrase(fieldname, tokens, boost=boost)


# Characters that jieba gives as words of their own and that join or qualify words rather than name anything
# (particles, conjunctions, prepositions): between two words of an unspaced query they separate them as a space
# would (乡村的振兴: 乡村, 振兴), and a text need not hold them, unless to hold the query as typed.
FUNCTION_CHARACTERS = frozenset("的地得之了着和与及或并而且同等是在对把被向从于以为将")


@dataclass(frozen=True)
class Part:
    """One part of a query, between spaces or in quotes, by its key; ``terms``: what a text that does not
    hold the key must hold instead, each anywhere (the key alone when the part is quoted or is one word)."""

    key: str
    terms: tuple[Term, ...]

    @property
    def pieces(self) -> tuple[str, ...]:
        return tuple(t.key for t in self.terms)


def parse_query(text: str, words_file: str = "", cache_dir: str = "") -> list[Part]:
    """Quoted phrases ("…" or “…”) stay whole; other words are split at spaces; every part is required.
    A part made only of punctuation is dropped. An unquoted part is split into words by the index's jieba
    tokenizer (``words_file``: its user words), see :func:`pieces`."""
    found = re.findall(r'"([^"]+)"|“([^”]+)”|(\S+)', text)
    parts: dict[str, Part] = {}
    for quoted_d, quoted_c, plain in found:
        key = label_key(quoted_d or quoted_c or plain)
        if not searchable(key) or key in parts:
            continue
        parts[key] = Part(key, pieces(key, words_file, cache_dir) if plain else (Term(key),))
    return list(parts.values())


def pieces(key: str, words_file: str = "", cache_dir: str = "") -> tuple[Term, ...]:
    """The pieces of an unquoted part: its jieba words, except that

    - a word of one character joins the word before it (清远鸡品牌: 清远鸡, 品牌, where jieba knows no 清远鸡
      and gives 清远 鸡 品牌), or the word after it when none is before (量发展 stays whole). One character
      alone would make every text that has it anywhere a hit (量 and 发展), and jieba's single characters are
      often pieces of a name it does not know;
    - but a function character between two words of two characters or more separates them, and is dropped
      (乡村的振兴: 乡村, 振兴; 发展和安全: 发展, 安全); elsewhere it is a character like any other (和美乡村:
      和美, 乡村, where jieba gives 和 美 乡村; 水与电 stays whole).

    A part with punctuation inside (产业，集群) stays whole: it was copied from a text."""
    tokens = [w for w, _, _ in words(key, words_file, cache_dir)]
    if "".join(tokens) != key:
        return (Term(key, ()),)
    runs: list[list[str]] = [[]]
    for at, token in enumerate(tokens):
        run = runs[-1]
        lone = len(run) == 1 and len(run[0]) == 1
        following = tokens[at + 1] if at + 1 < len(tokens) else ""
        if token in FUNCTION_CHARACTERS and run and not lone and len(following) > 1:
            runs.append([])
        elif run and (len(token) == 1 or lone):
            run.append(token)
        else:
            runs.append([token])
    terms = dict.fromkeys(Term("".join(run), tuple(run)) for run in runs if run)
    return tuple(terms) or (Term(key, tuple(tokens)),)


def searchable(text: str) -> bool:
    """Whether ``text`` has a letter, digit or Chinese character: punctuation alone is not a query."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def highlights(text: str, keys: Iterable[str]) -> list[tuple[int, int]]:
    """Where ``keys`` (folded) occur in ``text``, as sorted, merged (start, end) offsets into it."""
    folded, offsets = fold_with_offsets(text)
    spans = []
    for key in keys:
        at = folded.find(key)
        while at >= 0:
            spans.append((offsets[at], offsets[at + len(key) - 1] + 1))
            at = folded.find(key, at + 1)
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

