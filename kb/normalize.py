"""The one normaliser: turns any label, query or text into the key used for lookups, indexes and links."""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import unicodedata

import opencc

# Characters that never distinguish two labels: quotes, brackets, middle dots, the enumeration comma.
_DROPPED = set(
    "\"'`“”‘’「」『』《》〈〉()（）[]［］【】〔〕{}｛｝<>"
    "·•・‧∙、"
)


_SURROGATE = re.compile("[\ud800-\udfff]")

# Labels made of these (after folding) are acronyms: 3+1+n, 1310, esi. They match only as a whole run.
ACRONYM_CHAR = re.compile(r"[0-9a-z+]")
ACRONYM = re.compile(r"[0-9a-z+]+")


@functools.cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _unconverted(ch: str) -> str:
    """A character's fold before traditional -> simplified: width (NFKC), Latin case, dropped characters."""
    folded = unicodedata.normalize("NFKC", ch).casefold()
    return "".join(c for c in folded if not (c in _DROPPED or c.isspace() or unicodedata.category(c) in ("Cc", "Cf")))


def _converts(folded: str) -> bool:
    return bool(folded) and not folded.isascii() and not _SURROGATE.search(folded)  # a lone surrogate stays


@functools.lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    """Fold one character: width (NFKC), Latin case, traditional to simplified; '' if dropped."""
    folded = _unconverted(ch)
    return _converter().convert(folded) if _converts(folded) else folded


def _fold_bmp() -> dict[str, str]:
    """Every character of the Basic Multilingual Plane that folds to something else, and its fold: what
    _fold_char gives, computed in bulk. NFKC and case folding run once over all the characters joined by NUL
    (a starter, so nothing composes across it, and nothing folds to it); the dropped characters go in one
    pass; the conversion to simplified runs once over the results that need it, joined by newlines."""
    chars = [chr(code) for code in range(1, 0x10000) if not 0xD800 <= code <= 0xDFFF]
    folded = unicodedata.normalize("NFKC", "\x00".join(chars)).casefold()
    dropped = {c for c in set(folded) - {"\x00"}
               if c in _DROPPED or c.isspace() or unicodedata.category(c) in ("Cc", "Cf")}
    unconverted = re.sub("[" + "".join(re.escape(c) for c in sorted(dropped)) + "]", "", folded).split("\x00")
    todo = [i for i, piece in enumerate(unconverted) if _converts(piece)]
    converted = _converter().convert("\n".join(unconverted[i] for i in todo)).split("\n")
    for i, piece in zip(todo, converted, strict=True):
        unconverted[i] = piece
    found = {ch: piece for ch, piece in zip(chars, unconverted, strict=True) if piece != ch}
    found["\x00"] = ""  # a control character: dropped, as _fold_char drops it
    return found


def label_key(text: str) -> str:
    """The key of a label or query: ``label_key("“３＋２”") == label_key("3+2") == "3+2"``."""
    return "".join(_fold_char(ch) for ch in text)


class _Table(dict):
    """A ``str.translate`` table filled as characters are first seen: code point -> ``shape(folded)``."""

    def __init__(self, shape):
        super().__init__()
        self._shape = shape

    def __missing__(self, code: int):
        value = self[code] = self._shape(_fold_char(chr(code)))
        return value


# Both tables make folding one C-level pass over the text. _MASK says, per character, whether it folds to
# one character (1), to nothing (0) or to several (2, NFKC: "㎡" -> "m2"), so offsets need no Python loop.
_FOLD = _Table(lambda folded: folded or None)
_MASK = _Table(lambda folded: "\x01" if len(folded) == 1 else "\x00" if not folded else "\x02")


def fold(text: str) -> str:
    """``fold_with_offsets(text)[0]``: the folded text alone, one C-level pass."""
    return text.translate(_FOLD)


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` like :func:`label_key` and map each folded character to its index in ``text``.

    ``offsets[i]`` is the index in ``text`` of the character that produced folded character ``i``,
    so a match ``folded[a:b]`` covers ``text[offsets[a]:offsets[b - 1] + 1]``.
    """
    folded = text.translate(_FOLD)
    mask = text.translate(_MASK)
    if "\x02" not in mask:
        if "\x00" not in mask:
            return folded, list(range(len(text)))
        return folded, list(itertools.compress(range(len(text)), mask.encode("latin-1")))
    offsets: list[int] = []
    for index, ch in enumerate(text):
        offsets.extend([index] * len(_FOLD[ord(ch)] or ""))
    return folded, offsets


def strip_quotes(text: str) -> str:
    """The text with its quotation marks removed: "省委“1310”具体部署" -> "省委1310具体部署"."""
    return "".join(ch for ch in text if ch not in "\"'“”‘’「」『』")


class Offsets:
    """``offsets`` of a folded text as a sequence computed on demand: folded index -> index in the text,
    through the few places where folding expands a character ("…" -> "...") and by bisection over the
    characters it dropped, instead of a list as long as the text."""

    def __init__(self, shifted: list[int], expansions: list[tuple[int, int]], length: int):
        # shifted[k]: where the k-th dropped character would stand in the folded text (its index minus k)
        self._shifted = shifted
        self._starts: list[int] = []  # where each expansion starts in the folded text
        self._spans: list[tuple[int, int, int]] = []  # (index without drops, its length, extra before it)
        extra = 0
        for at, size in expansions:
            self._starts.append(at + extra)
            self._spans.append((at, size, extra))
            extra += size - 1
        self._length = length

    def __len__(self) -> int:
        return self._length

    def dropped_inside(self, start: int, end: int) -> bool:
        """Whether folding dropped a character of the text between folded ``start`` and ``end``."""
        first, last = (self._undropped(start), self._undropped(end - 1)) if self._spans else (start, end - 1)
        return bisect.bisect_right(self._shifted, last) > bisect.bisect_right(self._shifted, first)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Where the folded text's ``start:end`` (not empty) came from in the text: ``text[first:last]``."""
        shifted = self._shifted
        if self._spans:
            first, last = self._undropped(start), self._undropped(end - 1)
            return first + bisect.bisect_right(shifted, first), last + bisect.bisect_right(shifted, last) + 1
        return start + bisect.bisect_right(shifted, start), end + bisect.bisect_right(shifted, end - 1)

    def _undropped(self, index: int) -> int:
        """Where folded ``index`` stands in the text with only its dropped characters removed."""
        if not self._spans:
            return index
        n = bisect.bisect_right(self._starts, index) - 1
        if n < 0:
            return index
        at, size, extra = self._spans[n]
        return at if index < self._starts[n] + size else index - extra - (size - 1)

    def __getitem__(self, index: int) -> int:
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        undropped = self._undropped(index) if self._spans else index
        return undropped + bisect.bisect_right(self._shifted, undropped)


class _Classes:
    """Characters by what folding does to them, as regular expressions, so that a long text folds in a few
    C-level passes (linking chat messages and whole reports). Every character of the Basic Multilingual Plane
    is classified once (about 0.05 s, on first use); an astral character that folds to something else is
    learnt when a text first brings it, so a client cannot make the classes grow without bound."""

    def __init__(self) -> None:
        self.folded: dict[str, str] = _fold_bmp()  # the characters that fold to something other than themselves
        self._astral_seen: set[str] = set()
        self._compile()

    def _compile(self) -> None:
        def group(chars, keep: bool = False) -> re.Pattern | None:  # keep: split() keeps what it matched
            chars = sorted(chars)
            pattern = "[" + "".join(re.escape(c) for c in chars) + "]"
            return re.compile(f"({pattern})" if keep else pattern) if chars else None

        known = self.folded
        self.dropped = group(c for c, f in known.items() if not f)
        # the characters that fold to other ones (to one, or to several: "…" -> "..."): the Basic Multilingual
        # Plane's thousands compiled once; the astral ones learnt since in a small class of their own, cheap to
        # compile again
        if not hasattr(self, "changed"):
            self.changed = group((c for c, f in known.items() if f), keep=True)
        self.changed_astral = group((c for c, f in known.items() if f and ord(c) > 0xFFFF), keep=True)

    def learn(self, text: str) -> None:
        """Classify the astral characters of ``text`` not seen before (emoji fold to themselves)."""
        new = set(_ASTRAL.findall(text)) - self._astral_seen
        if not new:
            return
        self._astral_seen |= new
        changed = {ch: folded for ch in new if (folded := _fold_char(ch)) != ch}
        if changed:
            self.folded.update(changed)
            self._compile()


_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


def astral_positions(text: str) -> list[int]:
    """Where ``text`` has characters beyond the Basic Multilingual Plane (two UTF-16 code units each)."""
    return [m.start() for m in _ASTRAL.finditer(text)] if has_astral(text) else []


def has_astral(text: str) -> bool:
    """Whether ``text`` has a character beyond the Basic Multilingual Plane (emoji, 𠮷): its UTF-16 takes
    more than two bytes a character then. Encoding is a copy in C, ten times faster than a regex search."""
    return len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)
_classes: _Classes | None = None


def _folding_classes() -> _Classes:
    global _classes
    if _classes is None:
        _classes = _Classes()
    return _classes


_FREQUENT = {ch: _fold_char(ch) for ch in "，：；！？"}


def fold_fast(text: str) -> tuple[str, Offsets]:
    """Like :func:`fold_with_offsets`, for long texts: the same folded text and offsets (as a sequence)."""
    classes = _folding_classes()
    astral = has_astral(text)
    if astral:
        classes.learn(text)
    # the pieces between dropped characters: their lengths, summed, are where each drop falls in the folded text
    pieces = classes.dropped.split(text) if classes.dropped is not None else [text]
    folded = "".join(pieces) if len(pieces) > 1 else text
    shifted = list(itertools.accumulate(map(len, pieces[:-1])))
    for ch in _FREQUENT:  # most of what a report's text changes: replaced outright, no search for them
        if ch in folded:
            folded = folded.replace(ch, _FREQUENT[ch])
    # the rest that changes, in one pass each: the BMP's, then (in a text that has some) the astral ones
    folded, expansions = _replace(folded, classes.changed, classes.folded)
    if astral:
        folded, more = _replace(folded, classes.changed_astral, classes.folded)
        if more:  # where the first pass's expansions moved them from
            expansions = sorted(expansions + [(_before(expansions, at), size) for at, size in more])
    return folded, Offsets(shifted, expansions, len(folded))


def _replace(text: str, pattern: re.Pattern | None, folds: dict[str, str]) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with each character ``pattern`` matches folded, and where one folded to several characters:
    (its index in ``text``, how many). split() keeps each such character at the odd places, folded there."""
    parts = pattern.split(text) if pattern is not None else [text]
    if len(parts) == 1:
        return text, []
    replaced = parts[1::2] = [folds[ch] for ch in parts[1::2]]
    expansions: list[tuple[int, int]] = []
    if sum(map(len, replaced)) != len(replaced):
        ends = list(itertools.accumulate(map(len, parts[0::2])))  # of the unchanged pieces, counted up
        expansions = [(ends[k] + k, len(f)) for k, f in enumerate(replaced) if len(f) > 1]
    return "".join(parts), expansions


def _before(expansions: list[tuple[int, int]], at: int) -> int:
    """Where index ``at`` of a text in which ``expansions`` (sorted) happened stood before they did (``at`` is
    never inside one: it is an astral character's, and expansions are of the BMP's)."""
    extra = 0
    for start, size in expansions:
        if start + extra >= at:
            break
        extra += size - 1
    return at - extra
