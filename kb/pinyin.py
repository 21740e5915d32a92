"""Labels by their pinyin (pypinyin): every reading of every character, without tones, in full and as initials,
so that 百千万工程 is found from baiqianwan or bqwgc, and 两重 from liangzhong, liangchong, lz or lc. Digits,
Latin letters and symbols in a label stay as they are (3+1+n, 1310). Queries and labels are label keys
(kb.normalize), so case and width do not matter (BQWGC, ｂｑｗｇｃ). Also the initial a headword is filed under.

A label's spellings are expanded into strings (sorted, so a prefix is found by bisection) unless its
polyphones make more than SPELLINGS_CAP of them (then those of its beginning are, and the rest is read reading
by reading); how well a query fits each label found is worked out by walking its readings.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kb.normalize import label_key


@functools.cache
def _pypinyin() -> Any:
    """pypinyin, imported at its first use: its phrase dictionary takes a quarter of a second to load, which
    every `kb` command would pay (a server loads it before it forks: api.state)."""
    import pypinyin

    return pypinyin

STYLES = ("pinyin", "initials")  # how a query spells a label: full syllables, or their first letters
SPELLINGS_CAP = 16  # spellings of one label in one style expanded into strings (6% of labels have more)
REMADE_AFTER = 2000  # labels added or gone since the last index: beyond, the next is made whole


def is_spelling(key: str) -> bool:
    """Whether a query's key may spell labels: Latin letters (and the digits and symbols a label keeps), no
    Chinese character."""
    return key.isascii() and any(ch.isalpha() for ch in key)


@functools.lru_cache(maxsize=65536)
def _readings(ch: str) -> tuple[str, ...]:
    """Every reading of one character without tones (重: zhong, chong, tong); a character without one: itself.
    These include the reading pypinyin gives the character inside any of its phrases (重庆: chong): over every
    character of the three reports' texts and labels, none was missing (tests/test_pinyin.py holds it to every
    headword of the default report), so a label's phrases need not be read, which costs more than the rest."""
    pypinyin = _pypinyin()
    found = pypinyin.pinyin(ch, style=pypinyin.Style.NORMAL, heteronym=True, errors=_each)
    return tuple(dict.fromkeys(r for r in found[0] if r)) if found and found[0] else (ch,)


def _each(text: str) -> Any:
    """What pypinyin gives for characters without pinyin: each one itself (a list, one item a character;
    its stubs say a string)."""
    return list(text)


@functools.lru_cache(maxsize=65536)
def options(key: str) -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...]]:
    """A label key's readings, one tuple a character, in full (pinyin) and as initials."""
    full = tuple(_readings(ch) for ch in key)
    return full, tuple(tuple(dict.fromkeys(r[:1] for r in choices)) for choices in full)


@dataclass(frozen=True)
class Fit:
    """How a query spells a label: ``full``, all of it (else its beginning), reaching ``matched`` of its
    ``length`` characters (the last perhaps begun only), in ``style``."""

    full: bool
    matched: int
    length: int
    style: str

    @property
    def rank(self) -> tuple[int, float]:
        """Lower is better: a label spelled whole, then the more of it the query reaches."""
        return (0 if self.full else 1, -self.matched / self.length)


@functools.lru_cache(maxsize=65536)  # a snapshot's index is made again from these after an edit
def _spellings(key: str) -> tuple[tuple[tuple[str, bool], ...], ...]:
    """A label's spellings in each style, as (string, whole): every spelling of the label, or where its
    polyphones make more than SPELLINGS_CAP, every spelling of its longest beginning that make no more (its
    head: a query that starts with one, or that one starts with, may spell the label, and is walked)."""
    found = []
    for choices in options(key):
        head, count = 0, 1
        while head < len(choices) and count * len(choices[head]) <= SPELLINGS_CAP:
            count *= len(choices[head])
            head += 1
        head = max(head, 1) if choices else 0
        whole = head == len(choices)
        found.append(tuple(dict.fromkeys(("".join(c), whole) for c in itertools.product(*choices[:head]))))
    return tuple(found)


class PinyinIndex:
    """The spellings of a set of label keys, sorted, for prefix queries: each string with the label and the
    style it spells (about 6 a label); the heads of labels with too many spellings also by string."""

    def __init__(self, keys: Iterable[str]):
        self._keys = frozenset(keys)
        rows = sorted(_rows(self._keys))
        self._texts = [text for text, _, _ in rows]
        self._owners = [key for _, key, _ in rows]  # the label key of each spelling (the snapshot's strings)
        self._styles = bytearray(style for _, _, style in rows)
        self._heads: dict[str, list[tuple[str, int]]] = {}
        for key in self._keys:
            self._add_heads(key)

    def _add_heads(self, key: str) -> None:
        for style, spelled in enumerate(_spellings(key)):
            for text, whole in spelled:
                if not whole:
                    self._heads[text] = [*self._heads.get(text, ()), (key, style)]  # a new list: shared before

    def with_keys(self, keys: Iterable[str]) -> PinyinIndex:
        """The index of ``keys``: made from this one when they differ by a few (an edit's next snapshot), by
        copying its lists and taking out and putting in the spellings of the labels gone and added; else whole."""
        wanted = frozenset(keys)
        removed, added = self._keys - wanted, wanted - self._keys
        if len(removed) + len(added) > REMADE_AFTER:
            return PinyinIndex(wanted)
        made = object.__new__(PinyinIndex)
        made._keys = wanted
        made._texts, made._owners, made._styles = list(self._texts), list(self._owners), bytearray(self._styles)
        made._heads = dict(self._heads)
        for text, key, style in _rows(removed):
            at = bisect.bisect_left(made._texts, text)
            while made._owners[at] != key or made._styles[at] != style:  # it is there: among the same texts
                at += 1
            del made._texts[at], made._owners[at], made._styles[at]
            if text in made._heads:
                made._heads[text] = [owner for owner in made._heads[text] if owner != (key, style)]
        for text, key, style in _rows(added):
            at = bisect.bisect_right(made._texts, text)
            made._texts.insert(at, text)
            made._owners.insert(at, key)
            made._styles.insert(at, style)
        for key in added:
            made._add_heads(key)
        return made

    def fits(self, query: str) -> dict[str, Fit]:
        """The label keys whose spelling starts with ``query`` (a key: kb.normalize.label_key), each with its
        best fit."""
        if not is_spelling(query):
            return {}
        found = {owner for end in range(1, len(query)) for owner in self._heads.get(query[:end], ())}
        at = bisect.bisect_left(self._texts, query)
        while at < len(self._texts) and self._texts[at].startswith(query):
            found.add((self._owners[at], self._styles[at]))
            at += 1
        best: dict[str, Fit] = {}
        for key, style in found:
            walked = _walk(options(key)[style], query)
            if walked is not None:
                fit = Fit(walked[0], walked[1], len(key), STYLES[style])
                if key not in best or fit.rank < best[key].rank:
                    best[key] = fit
        return best


def _rows(keys: Iterable[str]) -> Iterable[tuple[str, str, int]]:
    """(spelling, label key, style) of every spelling of ``keys``."""
    return ((text, key, style) for key in keys for style, spelled in enumerate(_spellings(key))
            for text, _ in spelled)


def _walk(options: tuple[tuple[str, ...], ...], query: str) -> tuple[bool, int] | None:
    """Whether ``query`` spells the beginning of a label whose characters read ``options`` (one reading each,
    the last perhaps begun only): (it spells all of it, the characters it reaches), the best way; else None."""
    best: tuple[int, int] | None = None  # (1 if whole, characters reached): the greater the better
    states = {0}
    for i, choices in enumerate(options):
        following = set()
        for at in states:
            rest = query[at:]
            for reading in choices:
                if rest.startswith(reading):
                    following.add(at + len(reading))
                elif reading.startswith(rest):  # the query ends inside this reading
                    best = max(best or (0, 0), (0, i + 1))
        if len(query) in following:
            best = max(best or (0, 0), (int(i + 1 == len(options)), i + 1))
        states = {at for at in following if at < len(query)}
        if not states:
            break
    return None if best is None else (bool(best[0]), best[1])


def initial(headword: str) -> str:
    """The letter a headword is filed under: the first letter of its key (quotes and brackets dropped, as
    everywhere), or its first Chinese character's pinyin initial (百 -> B); "#" for digits and anything else."""
    first = label_key(headword)[:1]
    if first.isascii() and first.isalpha():
        return first.upper()
    if first and unicodedata.category(first) == "Lo":
        sound = _pypinyin().lazy_pinyin(first, style=_pypinyin().Style.FIRST_LETTER, errors="ignore")
        if sound and sound[0][:1].isalpha():
            return sound[0][:1].upper()
    return "#"


def sort_key(text: str) -> list[str]:
    """``text`` in pinyin order (its key's syllables as pypinyin reads them there)."""
    return _pypinyin().lazy_pinyin(label_key(text))


def preload() -> None:
    """Load pypinyin now (a server does, before it forks its workers)."""
    _pypinyin()
