"""How reports number glossary entries and cite them: 1. 1． 1、 [1] ［1］ 【1】 〔1〕 (1) （1） ① in any width.

One table of number styles serves the glossary (where an entry starts) and the body (which markers cite an
entry), so a style added here is read in both places.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ①..⑳, ㉑..㉟, ㊱..㊿: a circled number's value is its place in this string, plus one.
CIRCLED = "".join(chr(c) for c in range(0x2460, 0x2474)) + "".join(chr(c) for c in range(0x3251, 0x3260)) \
    + "".join(chr(c) for c in range(0x32B1, 0x32C0))
_OPEN = r"［\[【〔"
_CLOSE = r"］\]】〕"

# The number that opens a glossary entry, then an optional stray colon ("[7]：“六稳”“六保”：…") and spaces.
_ENTRY_NUMBER = re.compile(
    rf"^\s*(?:[{_OPEN}]\s*(?P<bracket>\d{{1,3}})\s*[{_CLOSE}]"
    r"|[(（]\s*(?P<paren>\d{1,3})\s*[)）]"
    rf"|(?P<circled>[{CIRCLED}])"
    r"|(?P<dot>\d{1,3})\s*[.．、])"
    r"\s*[:：]?\s*"
)
# A footnote marker in the body: ［1］ [1] 【1】 〔1〕, perhaps after a caret (^[1], from Markdown-like copies).
_BRACKET_MARKER = rf"\^?[{_OPEN}]\s*(\d{{1,3}})\s*[{_CLOSE}]"
MARKER = re.compile(_BRACKET_MARKER)
# Circled numbers in a body are list items (①…②…) unless the glossary itself is numbered with them.
MARKER_WITH_CIRCLED = re.compile(rf"{_BRACKET_MARKER}|\^?([{CIRCLED}])")
MARKER_LINE = re.compile(rf"^\s*{_BRACKET_MARKER}\s*$")


@dataclass(frozen=True)
class Numbered:
    """A line that opens with an entry number: its value, its style and the text after it."""

    number: int
    style: str  # "dot" (1. 1． 1、), "bracket" ([1] ［1］ 【1】 〔1〕), "paren" ((1) （1）) or "circled" (①)
    rest: str
    # whether the style cannot be the start of a sentence: "[3]" can only be a number, "3." may open "3.5亿元"
    strong: bool


def entry_number(text: str) -> Numbered | None:
    """The entry number a line opens with, if any."""
    match = _ENTRY_NUMBER.match(text)
    if not match:
        return None
    rest = text[match.end():]
    for style in ("bracket", "paren", "dot"):
        if match.group(style):
            return Numbered(int(match.group(style)), style, rest, style != "dot")
    return Numbered(CIRCLED.index(match.group("circled")) + 1, "circled", rest, True)


def marker_pattern(glossary_style: str | None) -> re.Pattern[str]:
    """The markers that cite entries in a body whose glossary is numbered in ``glossary_style``."""
    return MARKER_WITH_CIRCLED if glossary_style == "circled" else MARKER


def extract_markers(text: str, pattern: re.Pattern[str] = MARKER) -> tuple[str, list[tuple[int, int]]]:
    """Remove footnote markers; return the clean text and (number, offset in clean text) pairs."""
    out: list[str] = []
    found: list[tuple[int, int]] = []
    position = 0
    length = 0
    for match in pattern.finditer(text):
        piece = text[position:match.start()]
        out.append(piece)
        length += len(piece)
        digits = match.group(1)
        found.append((int(digits) if digits else CIRCLED.index(match.group(2)) + 1, length))
        position = match.end()
    out.append(text[position:])
    return "".join(out), found
