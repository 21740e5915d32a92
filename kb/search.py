"""Full-text search over entries and passages: the only module that knows Whoosh.

Two fields hold each text: ``words``, jieba words (every label a user word, acronyms such as 3+1+N kept
whole, positions sequential so phrases match) and ``grams``, character bigrams, so that any substring of
two or more characters is found as a phrase. Both see the text through the one normaliser.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jieba
from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh.analysis import Token, Tokenizer
from whoosh.fields import ID, TEXT, Schema

from kb.normalize import ACRONYM, fold_with_offsets, label_key

_RUNS = re.compile(ACRONYM.pattern + r"|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@functools.lru_cache(maxsize=8)
def _jieba(words_file: str, cache_dir: str, stamp: float) -> jieba.Tokenizer:
    """One private tokenizer per process and word list: never jieba's global one."""
    tokenizer = jieba.Tokenizer()
    if cache_dir:
        tokenizer.tmp_dir = cache_dir
    tokenizer.initialize()
    if words_file and Path(words_file).exists():
        for word in Path(words_file).read_text(encoding="utf-8").split("\n"):
            if word:
                tokenizer.add_word(word, freq=10_000)
    return tokenizer


def words(text: str, words_file: str = "", cache_dir: str = "") -> Iterator[tuple[str, int, int]]:
    """(word, start, end) over the folded text, offsets into ``text``; acronyms stay single words."""
    folded, offsets = fold_with_offsets(text)
    stamp = Path(words_file).stat().st_mtime if words_file and Path(words_file).exists() else 0.0
    tokenizer = None
    for run in _RUNS.finditer(folded):
        if ACRONYM.fullmatch(run.group(0)):
            pieces = [(run.group(0), 0, len(run.group(0)))]
        else:
            tokenizer = tokenizer or _jieba(words_file, cache_dir, stamp)
            pieces = list(tokenizer.tokenize(run.group(0)))
        for word, start, end in pieces:
            a, b = run.start() + start, run.start() + end
            yield word, offsets[a], offsets[b - 1] + 1


def bigrams(text: str) -> Iterator[tuple[str, int, int]]:
    folded, offsets = fold_with_offsets(text)
    for i in range(len(folded) - 1):
        yield folded[i:i + 2], offsets[i], offsets[i + 1] + 1


class _KBTokenizer(Tokenizer):
    """Keeps only configuration, so Whoosh can pickle it inside the schema."""

    def __init__(self, kind: str, words_file: str = "", cache_dir: str = ""):
        self.kind = kind
        self.words_file = words_file
        self.cache_dir = cache_dir

    def __eq__(self, other):
        return isinstance(other, _KBTokenizer) and vars(self) == vars(other)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pieces = bigrams(value) if self.kind == "grams" else words(value, self.words_file, self.cache_dir)
        for position, (text, start, end) in enumerate(pieces):
            token.text = text
            token.boost = 1.0
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


def schema(words_file: str = "", cache_dir: str = "") -> Schema:
    return Schema(
        kind=ID(stored=True), id=ID(stored=True, unique=True), document=ID(stored=True),
        words=TEXT(analyzer=_KBTokenizer("words", words_file, cache_dir), phrase=True),
        grams=TEXT(analyzer=_KBTokenizer("grams"), phrase=True),
    )


@dataclass(frozen=True)
class Term:
    """One part of a query: a word, an acronym or a quoted phrase, by its key."""

    key: str

    def query(self, words_file: str, cache_dir: str) -> Q.Query:
        if ACRONYM.fullmatch(self.key):
            return Q.Term("words", self.key)
        if len(self.key) == 1:
            return Q.Prefix("grams", self.key)
        grams = Q.Phrase("grams", [g for g, _, _ in bigrams(self.key)])
        tokens = [w for w, _, _ in words(self.key, words_file, cache_dir)]
        exact = Q.Phrase("words", tokens) if len(tokens) > 1 else Q.Term("words", tokens[0]) if tokens else None
        return Q.Or([grams, exact]) if exact is not None else grams


def parse_query(text: str) -> list[Term]:
    """Quoted phrases ("…" or “…”) stay whole; other words are split at spaces; every part is required."""
    parts = re.findall(r'"([^"]+)"|“([^”]+)”|(\S+)', text)
    terms = [label_key(next(p for p in part if p)) for part in parts]
    return [Term(key) for key in terms if key]


def open_or_create(directory: Path, words_file: str = "", cache_dir: str = ""):
    directory.mkdir(parents=True, exist_ok=True)
    if whoosh_index.exists_in(str(directory)):
        return whoosh_index.open_dir(str(directory))
    return whoosh_index.create_in(str(directory), schema(words_file, cache_dir))
