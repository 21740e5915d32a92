"""The one normaliser: turns any label, query or text into the key used for lookups, indexes and links."""

from __future__ import annotations

import functools
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


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` like :func:`label_key` and map each folded character to its index in ``text``.

    ``offsets[i]`` is the index in ``text`` of the character that produced folded character ``i``,
    so a match ``folded[a:b]`` covers ``text[offsets[a]:offsets[b - 1] + 1]``.
    """
    pieces = list(map(_fold_char, text))
    longest = max(map(len, pieces), default=0)
    if longest <= 1:  # the common case: each character folds to one character or to nothing
        return "".join(pieces), [index for index, piece in enumerate(pieces) if piece]
    offsets: list[int] = []
    for index, piece in enumerate(pieces):
        offsets.extend([index] * len(piece))
    return "".join(pieces), offsets


def strip_quotes(text: str) -> str:
    """The text with its quotation marks removed: "省委“1310”具体部署" -> "省委1310具体部署"."""
    return "".join(ch for ch in text if ch not in "\"'“”‘’「」『』")
