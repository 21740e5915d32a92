"""Where an entry's headword ends and its definition starts, in each way reports print it.

“四免”政策：指… (a colon outside quotes), 3.[林长制]即由… (a bracketed headword), 6.“湾长制”。是指… (a full stop),
and, when none of these holds, a guess that the caller reports as a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_HEADWORD = 60  # characters
_PAIRS = {"“": "”", "《": "》", "「": "」", "『": "』", "（": "）", "(": ")", "‘": "’", "〈": "〉"}
_COLONS = "：:"
_STOPS = "。！？；!?;，,"  # a headword never spans these outside quotes: "绿水青山，金山银山" only when quoted
# A number with a unit is the text of a definition, not a headword: "8.7%、贷款余额…" wrapped after "增长".
_PERCENT = re.compile(r"^\d+(?:\.\d+)?\s*[%％‰]")
_BRACKETED = re.compile(r"^[［\[【]([^［\[【］\]】]{1,40})[］\]】]\s*[:：]?\s*")
# "五大行动——指…": a dash instead of the colon, after a short headword.
_DASH = re.compile(r"^([^，。；：:—\s][^，。；：:—]{0,29}?)\s*——\s*(?=\S)")
_PERIOD = re.compile(r"^(“[^“”]{1,40}”[^，。：:；“”\s]{0,20}|[^，。：:；“”、\s]{1,20})。\s*(?=\S)")
_NAIVE_COLON = re.compile(rf"^([^{_COLONS}。！？；!?;，,]{{1,{MAX_HEADWORD}}}?)\s*[{_COLONS}]")
_DEFINING = re.compile(r"^(.{1,30}?)(?=是指|指的是|即|指|是)")
_FIRST_CLAUSE = re.compile(r"^([^，。；、,;]{1,30})[，。；、,;]")


@dataclass(frozen=True)
class Split:
    headword: str
    definition: str
    how: str  # "colon", "bracket", "dash", "period" or "guess"


def split_headword(text: str) -> Split | None:
    """The headword and definition of an entry's text, if the text marks where the headword ends."""
    text = text.strip()
    if not text or _PERCENT.match(text):
        return None
    bracketed = _BRACKETED.match(text)
    if bracketed and bracketed.end() < len(text):
        return Split(bracketed.group(1).strip(), text[bracketed.end():].strip(), "bracket")
    colon = _colon_outside_quotes(text)
    if colon is None:
        naive = _NAIVE_COLON.match(text)  # an opening quote never closed: [14]“四方责任：在疫情期间…
        colon = naive.end() - 1 if naive and "“" in naive.group(1) and "”" not in naive.group(1) else None
    if colon is not None:
        return Split(text[:colon].strip(), text[colon + 1:].strip(), "colon")
    for pattern, how in ((_DASH, "dash"), (_PERIOD, "period")):
        match = pattern.match(text)
        if match:
            return Split(match.group(1).strip(), text[match.end():].strip(), how)
    return None


def guess_split(text: str) -> Split:
    """A split for an entry that marks none: before the first 是指/即/指/是, else at the first clause's end."""
    text = text.strip()
    for pattern in (_DEFINING, _FIRST_CLAUSE):
        match = pattern.match(text)
        if match and match.group(1).strip():
            return Split(match.group(1).strip(), text[match.end(1):].lstrip("，。；、,; "), "guess")
    return Split(text, "", "guess")


def _colon_outside_quotes(text: str) -> int | None:
    """The first colon that no quote or bracket encloses, within MAX_HEADWORD characters."""
    closers: list[str] = []
    for index, ch in enumerate(text[:MAX_HEADWORD * 2]):
        if closers and ch == closers[-1]:
            closers.pop()
        elif ch in _PAIRS:
            closers.append(_PAIRS[ch])
        elif ch == '"':
            closers.append('"')
        elif closers:
            continue
        elif ch in _COLONS:
            return index if 0 < len(text[:index].strip()) <= MAX_HEADWORD else None
        elif ch in _STOPS:
            return None
    return None
