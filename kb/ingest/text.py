"""Character classes and small text rules shared by the parser: widths, punctuation, spacing, headings."""

from __future__ import annotations

import functools
import re
import unicodedata

from kb.ingest.numbering import MARKER

CJK = "\u2e80-\u2fff\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’—…"
# Spaces the PDF extraction put next to Chinese text: "745.34 亿元", "2023年 6月", "名 词 解 释".
_SPACES_NEAR_CJK = re.compile(rf"(?<=[{CJK}])[ \t\u3000\xa0]+|[ \t\u3000\xa0]+(?=[{CJK}])")
TERMINAL = "。！？；：!?;:…"
CLOSERS = "”’」』）)》〉】］]"
OPENERS = "“‘「『（(《〈【［["
# A line cannot start with these in Chinese typesetting, so such a line continues the one before.
CONTINUATION_START = "，。、；：！？,.;:!?）)”’》〉】…"
NUMERALS = "一二三四五六七八九十"
# How the speech opens ("各位代表：", "各位代表、同志们："): the body starts here.
SALUTATION = re.compile(r"^各位(代表|委员)")
# Headings that open a section; the level says how deep.
HEADING_PATTERNS = (
    (1, re.compile(rf"^[{NUMERALS}]+、")),
    (1, re.compile(rf"^第[{NUMERALS}]+部分")),
    (2, re.compile(rf"^[（(][{NUMERALS}]+[）)]")),
    (2, re.compile(r"^——")),
    (3, re.compile(rf"^[{NUMERALS}]+是")),
    (3, re.compile(r"^[（(]\d{1,2}[）)]")),
)


_WIDE_AMBIGUOUS = set("“”‘’—…·")


def width(text: str) -> float:
    """Display width in a Chinese PDF: a Chinese character or quote is 1, a Latin letter or digit 0.5,
    and a superscript footnote marker about 1.5."""
    if "［" in text or "[" in text or "【" in text or "〔" in text:
        markers = MARKER.findall(text)
        if markers:
            return 1.5 * len(markers) + width(MARKER.sub("", text))
    return sum(map(_char_width, text))


@functools.lru_cache(maxsize=65536)
def _char_width(ch: str) -> float:
    return 1.0 if ch in _WIDE_AMBIGUOUS or unicodedata.east_asian_width(ch) in "WF" else 0.5


def fix_spacing(text: str) -> str:
    return _SPACES_NEAR_CJK.sub("", text).strip()


def compact(text: str) -> str:
    """The text without any whitespace, for recognising headings and clutter."""
    return "".join(text.split())


def ends_sentence(text: str) -> bool:
    stripped = text.rstrip().rstrip(CLOSERS)
    return bool(stripped) and stripped[-1] in TERMINAL


def balanced(text: str) -> bool:
    """Whether every opening quote or bracket is closed: "“双向" is not, so the next line continues it."""
    return (text.count("“") <= text.count("”") and text.count("（") <= text.count("）")
            and text.count("《") <= text.count("》"))


def heading_level(text: str) -> int | None:
    for level, pattern in HEADING_PATTERNS:
        if pattern.match(text):
            return level
    return None


def is_title_like(text: str) -> bool:
    """A short paragraph with no sentence punctuation: "2023年工作回顾", "名词解释"."""
    body = MARKER.sub("", compact(text))
    return 0 < len(body) <= 30 and not re.search(r"[，。；！？,;!?：:]", body) and balanced(body)


def is_heading(text: str) -> bool:
    """A paragraph that is a heading and nothing more (it may still open with （一） or 一、)."""
    if heading_level(text) is not None:
        return not re.search(r"[。！？；!?;]", text)
    return is_title_like(text)


def lead_sentence(text: str) -> str:
    """The heading a paragraph opens with: its first sentence, or all of it."""
    match = re.match(r"^.*?[。！？!?](?:[”’])?", text)
    return match.group(0) if match else text


def joiner(left: str, right: str) -> str:
    """Chinese lines join with nothing; two Latin words split by a wrap get their space back."""
    if left and right and left[-1].isascii() and left[-1].isalpha() and right[0].isascii() and right[0].isalpha():
        return " "
    return ""


def join_lines(parts: list[str]) -> str:
    """Wrapped or split lines of one paragraph put back together."""
    text = ""
    for part in parts:
        text += joiner(text, part) + part
    return text
