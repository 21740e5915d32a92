"""Search ranking: a score that depends on the hit and the query alone, bands that say how a hit matches,
and which of its fields the snippet shows.

Scores never use collection statistics (BM25's idf, the average text length), so a write that adds or
changes other texts leaves every other hit's score, and so its place, as it was: a keyset cursor (the
score and id of a page's last hit) then neither repeats nor skips a hit when the index changes between
two pages. A hit's score is its band (an integer) plus a fraction for how well it matches.
"""

from __future__ import annotations

from dataclasses import dataclass

from whoosh.scoring import BM25F, BM25FScorer, WeightScorer

from kb.search.query import Part

# BM25's length normalisation against a fixed, typical length (of a passage of the reports, as words and as
# bigrams) instead of the index's average, which changes with every write
TYPICAL_LENGTH = {"words": 100.0, "grams": 230.0}
SCORE_HALF = 10.0  # the raw score at which the fraction is one half: about a phrase found once in a passage
SCORE_UNITS = 10_000  # scores are given to 4 decimals; cursors hold them as integers of these units

# How a hit matches, best first. A passage's own text is its text; its section headings are not (a passage
# under a heading that names the query but that says nothing of it ranks below every passage that does).
# An entry's labels are its own: they name it.
TEXT_EXACT = 3  # the text holds every part of the query as typed
TEXT_WORDS = 2  # the text holds every word of them, anywhere
HEADING_EXACT = 1  # only with its headings: every part as typed
HEADING_WORDS = 0  # only with its headings: every word


class LocalBM25(BM25F):
    """BM25F with every term's idf 1 and a fixed typical field length: a score from the document alone."""

    def scorer(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        return _LocalScorer(searcher, fieldname, text, self.B, self.K1, qf=qf)


class _LocalScorer(BM25FScorer):
    def __init__(self, searcher, fieldname, text, B, K1, qf=1):
        self.idf = 1.0
        self.avgfl = TYPICAL_LENGTH.get(fieldname, 1.0)
        self.B, self.K1, self.qf = B, K1, qf
        self.setup(searcher, fieldname, text)


def banded(band: int, raw: float) -> float:
    """The score of a hit: its band plus ``raw`` (Whoosh's score, >= 0) squashed into [0, 1), to 4 decimals."""
    return round(band + raw / (raw + SCORE_HALF), 4)


def units(score: float) -> int:
    """A score as the integer a cursor holds."""
    return round(score * SCORE_UNITS)


@dataclass(frozen=True)
class Grade:
    band: int
    field: int  # the field the snippet shows: 0 the text, 1... a heading or label (the title's parts)
    marks: tuple[str, ...]  # what to highlight there


def grade(parts: list[Part], fields: list[str], titled: bool) -> Grade | None:
    """How a text matches the query, from its folded ``fields`` (the text, then its title's parts); None if it
    does not (a candidate of the bigrams that lacks a part). ``titled``: the title's parts are headings that
    the text is under (a passage), not names of its own (an entry's labels)."""
    for part in parts:
        if not any(part.key in f for f in fields) and not all(any(p in f for f in fields) for p in part.pieces):
            return None
    own = fields[:1] if titled else fields
    if all(any(part.key in f for f in own) for part in parts):
        band = TEXT_EXACT
    elif all(any(part.key in f for f in own) or all(any(p in f for f in own) for p in part.pieces)
             for part in parts):
        band = TEXT_WORDS
    elif all(any(part.key in f for f in fields) for part in parts):
        band = HEADING_EXACT
    else:
        band = HEADING_WORDS
    marks = _marks(parts, fields[0])
    if marks or len(fields) == 1:
        return Grade(band, 0, marks)
    # the text holds nothing of the query: the snippet is the heading or label that does (the deepest heading,
    # which says most about the passage; an entry's first such label)
    order = range(len(fields) - 1, 0, -1) if titled else range(1, len(fields))
    for i in order:
        marks = _marks(parts, fields[i])
        if marks:
            return Grade(band, i, marks)
    return Grade(band, 0, ())


def _marks(parts: list[Part], folded: str) -> tuple[str, ...]:
    """What of each part ``folded`` holds: the part as typed if it is there, else those of its words that are."""
    found: list[str] = []
    for part in parts:
        if part.key in folded:
            found.append(part.key)
        else:
            found += [p for p in part.pieces if p in folded]
    return tuple(dict.fromkeys(found))
