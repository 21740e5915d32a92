"""The one normaliser: turns any label, query or text into the key used for lookups, indexes and links."""

from __future__ import annotations

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


# Labels made of these (after folding) are acronyms: 3+1+n, 1310, esi. They match only as a whole run.
ACRONYM_CHAR = re.compile(r"[0-9a-z+]")
ACRONYM = re.compile(r"[0-9a-z+]+")


@functools.cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    """Fold one character: width (NFKC), Latin case, traditional to simplified; '' if dropped."""
    folded = unicodedata.normalize("NFKC", ch).casefold()
    out = []
    for c in folded:
        if c in _DROPPED or c.isspace() or unicodedata.category(c) in ("Cc", "Cf"):
            continue
        out.append(c)
    folded = "".join(out)
    if folded and not folded.isascii():
        folded = _converter().convert(folded)
    return folded


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
