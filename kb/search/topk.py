"""A page of search results without scoring every hit.

A common word is in most texts of every report, so a query for it matches tens of thousands of texts at 1,000
documents; scoring and grading each of them (as Whoosh's collector and kb.search.ranking would) cost about
25 µs a hit, a second for one query. Here:

- The hits are found and counted as sets, from the posting lists: a text holds a query term when it holds each
  of its bigrams (``grams``); for a term of two characters that is exact, and a longer term is checked in the
  text's folded fields, as ``grade`` checks it. A text that holds every term passes ``grade``, so the hits (and
  ``total``) are exactly those of the full search.
- Each hit gets an upper bound of Whoosh's score from the same postings and field lengths: the same BM25 terms
  Whoosh sums, its phrases counted as if they matched (a bound, made a little larger still against the order of
  a floating-point sum).
- Only the hits whose bound could reach the page are scored, by Whoosh itself (a matcher skipping to each), and
  graded, best bound first, in batches, until the page's last hit and the one after it outrank the best score
  any hit not yet scored could have (its bound in the top band). So the page, its scores and ``more`` are those
  of the full search, and a query costs a pass over its posting lists, not a score and a grade for every hit.

Whoosh's internals read here (a posting list's blocks, a segment's length column) are those of the
whoosh-reloaded version setup.cfg pins, like kb.search.codec's.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate, repeat
from operator import add, mul, truediv
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.matching.mcore import ListMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.util.numeric import byte_to_length

from kb.search.analysis import TITLE_SEPARATOR
from kb.search.query import WORDS_BOOST, Part
from kb.search.ranking import TEXT_EXACT, TYPICAL_LENGTH, Grade, banded, grade, units
from kb.search.storage import MappedFile

FIRST_BATCH = 16  # hits scored first (or two pages' worth); then the rest in growing batches, best bound first
FAST_FROM = 128  # a query that may match more texts than this is paged by top(); fewer, in full
PROBE_RATIO = 16  # a posting list this many times longer than the documents left is probed for them, not read
SLACK = 1e-9  # relative: a bound sums in another order than Whoosh does, so it may be a few ulps off


@dataclass(frozen=True)
class Plan:
    """A query term as its Whoosh query reads the index: its bigrams (each once) and its words (in order)."""

    key: str
    grams: tuple[str, ...]
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class Scored:
    position: tuple[int, str]  # (-units of the score, id): the order of the ranking, best first
    score: float
    graded: Grade
    docnum: int


class SegmentCache:
    """What searches read of a segment whole, kept as long as the segment is in the index: each field's length
    norms (BM25's ``K1 * (1 - B + B * length / average)`` by document) and the documents of a filter."""

    def __init__(self) -> None:
        self._norms: dict[tuple[str, str], list[float]] = {}
        self._docs: dict[tuple[str, str, str], frozenset[int]] = {}
        self._keys: dict[tuple[str, str, str], _Keys] = {}

    def keep(self, segment_ids: Iterable[str]) -> None:
        """Forget the segments that are no longer in the index."""
        live = set(segment_ids)
        self._norms = {k: v for k, v in self._norms.items() if k[0] in live}
        self._docs = {k: v for k, v in self._docs.items() if k[0] in live}
        self._keys = {k: v for k, v in self._keys.items() if k[0] in live}

    def norms(self, reader, fieldname: str, weighting) -> list[float]:
        key = (reader.segment().segment_id(), fieldname)
        found = self._norms.get(key)
        if found is None:
            k1, b, average = weighting.K1, weighting.B, TYPICAL_LENGTH.get(fieldname, 1.0)
            # as Whoosh's bm25() computes it, from the length a byte stands for (kb.search.ranking._LocalScorer)
            table = [k1 * ((1 - b) + b * byte_to_length(byte) / average) for byte in range(256)]
            column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            lengths = b"" if column is None else column._dbfile.get(column._basepos, column._count)
            found = list(map(table.__getitem__, lengths))
            found += [table[0]] * (reader.doc_count_all() - len(found))
            self._norms[key] = found
        return found

    def keys(self, reader) -> _Keys:
        key = (reader.segment().segment_id(), "key", "")
        found = self._keys.get(key)
        if found is None:
            found = self._keys[key] = _Keys(reader.column_reader("key", translate=False))
        return found

    def docs(self, reader, fieldname: str, value: str) -> frozenset[int]:
        key = (reader.segment().segment_id(), fieldname, value)
        found = self._docs.get(key)
        if found is None:
            found = self._docs[key] = frozenset(postings(reader, fieldname, value))
        return found


class _Keys:
    """A segment's ``key`` column (kb.search.codec.KeyColumn: kind, id and folded fields), searched in the mapped
    file itself: whether a text holds a key is a search of its bytes there, nothing decoded or copied."""

    def __init__(self, column):
        self._lengths, self._offsets = column._lengths, column._offsets
        file = column._dbfile
        self._mapping = file.mapping if isinstance(file, MappedFile) else None
        self._base = (file.base if isinstance(file, MappedFile) else 0) + column._basepos
        self._column = column

    def _span(self, docnum: int) -> tuple[int, int]:
        """Where the document's folded fields are in the mapping (after its kind and id)."""
        start = self._base + self._offsets[docnum]
        end = start + self._lengths[docnum]
        find = self._mapping.find  # type: ignore[union-attr]
        return find(b"\0", find(b"\0", start, end) + 1, end) + 1, end

    def holds(self, docnum: int, keys: list[bytes]) -> bool:
        """Whether some field of the document holds each of ``keys`` (folded, UTF-8, no separator inside)."""
        if self._mapping is None or not self._lengths[docnum]:
            folded = self._column[docnum].split(b"\0", 2)[-1]
            return all(key in folded for key in keys)
        start, end = self._span(docnum)
        find = self._mapping.find
        return all(find(key, start, end) >= 0 for key in keys)

    def text_holds(self, docnum: int, key: bytes) -> bool:
        """Whether the document's own text (its first field) holds ``key``."""
        if self._mapping is None or not self._lengths[docnum]:
            folded = self._column[docnum].split(b"\0", 2)[-1]
            return key in folded.split(TITLE_SEPARATOR.encode(), 1)[0]
        start, end = self._span(docnum)
        cut = self._mapping.find(TITLE_SEPARATOR.encode(), start, end)
        return self._mapping.find(key, start, end if cut < 0 else cut) >= 0


def postings(reader, fieldname: str, text: str) -> dict[int, float]:
    """A term's postings in a segment, deleted documents too: {docnum: weight}, read a block at a time."""
    field = reader.schema[fieldname]
    term = field.to_bytes(text)
    if (fieldname, term) not in reader:
        return {}
    matcher = reader.postings(fieldname, term)
    if isinstance(matcher, FilterMatcher):  # deletions: the caller takes them out of its sets
        matcher = matcher.child
    if isinstance(matcher, ListMatcher):  # inlined in the term table (kb.search.codec)
        ids = matcher._ids
        if matcher._all_weights:
            return dict(zip(ids, repeat(float(matcher._all_weights)), strict=False))
        weights = matcher._weights
        return dict(zip(ids, weights if weights else repeat(1.0), strict=False))
    ids_found: list[int] = []
    weights_found: list[float] = []
    while not matcher._atend:
        matcher._read_data()
        deltas, weights, _ = matcher._data
        ids_found += accumulate(deltas)
        count = matcher._blocklength
        if weights is None:
            weights_found += repeat(1.0, count)
        elif isinstance(weights, float):
            weights_found += repeat(weights, count)
        else:
            weights_found += weights
        matcher._next_block()
    return dict(zip(ids_found, weights_found, strict=True))


def many(searcher, plans: list[Plan]) -> bool:
    """Whether the query may match enough texts for ``top`` to pay: at most as many as its rarest bigram is in
    (the full search scores and grades each match, about 25 µs each; ``top`` costs a few ms whatever the
    matches, then about a µs a match)."""
    most = 0
    for sub, _ in searcher.leaf_searchers():
        reader = sub.reader()
        most += min(reader.doc_frequency("grams", g) for plan in plans for g in plan.grams)
        if most > FAST_FROM:
            return True
    return False


def top(searcher, query, parts: list[Part], plans: list[Plan], filters: list[tuple[str, str]],
        keys: Callable[[int], tuple[str, str, list[str]]], cache: SegmentCache, limit: int,
        after: tuple[int, str] | None) -> tuple[int, list[Scored], bool] | None:
    """(total, the page's hits, whether hits follow it), as the full search gives them; None if a hit did not
    score or grade as its postings said (the caller then searches in full)."""
    weighting = searcher.weighting
    long_keys = [plan.key.encode("utf-8", "surrogatepass") for plan in plans if len(plan.key) > 2]
    bounds: list[float] = []  # by candidate: an upper bound of its raw score (up to the order of a sum)
    docnums: list[int] = []
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        found = _candidates(reader, plans, filters, cache, weighting)
        if found is None:
            continue
        held, leaves = found
        if long_keys:  # bigrams may stand apart: the key must be in a field, as grade() asks
            holds = cache.keys(reader).holds
            live = [d for d in held if holds(d, long_keys)]
        else:
            live = list(held)
        bounds += _bounds(reader, live, leaves, cache, weighting)
        docnums += map(offset.__add__, live)
    total = len(docnums)
    size = max(FIRST_BATCH, 2 * (limit + 1))
    first = heapq.nlargest(size + 1, range(total), key=bounds.__getitem__)
    batch, rest = first[:size], first[size:]
    ordered: list[int] | None = None
    taken = 0
    hits: list[Scored] = []
    wanted = limit + 1  # the page and the hit after it, which says whether more follow
    while True:
        scored = _score(searcher, query, [docnums[i] for i in batch])
        for i in batch:
            docnum = docnums[i]
            raw = scored.get(docnum)
            kind, ident, fields = keys(docnum)
            graded = grade(parts, fields, kind == "passage") if raw is not None else None
            if graded is None:
                return None
            score = banded(graded.band, raw)  # type: ignore[arg-type]
            position = (-units(score), ident)
            if after is None or position > (-after[0], after[1]):
                hits.append(Scored(position, score, graded, docnum))
        taken += len(batch)
        hits.sort(key=lambda h: h.position)
        if not rest:
            return total, hits[:limit], len(hits) > limit
        # the best score a hit not scored yet may have: its bound (a little larger, for the order of the sum)
        # in the top band, and never better than the cursor's
        best_unscored = units(banded(TEXT_EXACT, bounds[rest[0]] * (1 + SLACK) + SLACK))
        if after is not None:
            best_unscored = min(best_unscored, after[0])
        if len(hits) >= wanted and -hits[wanted - 1].position[0] > best_unscored:
            return total, hits[:limit], True
        if ordered is None:  # nlargest's order, then the rest
            ordered = sorted(range(total), key=bounds.__getitem__, reverse=True)
        batch = ordered[taken:taken + max(taken, FIRST_BATCH)]
        rest = ordered[taken + len(batch):taken + len(batch) + 1]


def _bounds(reader, live: list[int], leaves: list[tuple[list[dict[int, float]], str, float]], cache: SegmentCache,
            weighting) -> list[float]:
    """Each candidate's bound: the sum over the leaves of BM25 of the leaf's weight (the least of its postings')
    and the field's length, times the leaf's boost."""
    k1p1 = weighting.K1 + 1
    norms_of: dict[str, list[float]] = {}
    weights_of: dict[int, list[float]] = {}
    bounds: list[float] | None = None
    for postings_, fieldname, boost in leaves:
        if fieldname not in norms_of:
            norms_of[fieldname] = list(map(cache.norms(reader, fieldname, weighting).__getitem__, live))
        for weights in postings_:
            if id(weights) not in weights_of:
                weights_of[id(weights)] = list(map(weights.get, live, repeat(0.0)))
        ws = weights_of[id(postings_[0])] if len(postings_) == 1 else \
            list(map(min, *(weights_of[id(w)] for w in postings_)))
        # Whoosh's bm25() with idf 1: (w * (K1 + 1)) / (w + norm), in C (map) rather than a loop of Python
        scores = list(map(truediv, map(mul, ws, repeat(k1p1)), map(add, ws, norms_of[fieldname])))
        if boost != 1.0:
            scores = list(map(mul, scores, repeat(boost)))
        bounds = scores if bounds is None else list(map(add, bounds, scores))
    return bounds if bounds is not None else [0.0] * len(live)


def holding(searcher, plan: Plan, filters: list[tuple[str, str]], cache: SegmentCache) -> list[int]:
    """The documents that hold every bigram of ``plan``'s key and pass the filters: what its query matches."""
    found: list[int] = []
    for sub, offset in searcher.leaf_searchers():
        held = _candidates(sub.reader(), [Plan(plan.key, plan.grams, ())], filters, cache, searcher.weighting)
        if held is not None:
            found += map(offset.__add__, held[0])
    return found


def _candidates(reader, plans: list[Plan], filters: list[tuple[str, str]], cache: SegmentCache, weighting) \
        -> tuple[set[int], list[tuple[list[dict[int, float]], str, float]]] | None:
    """The documents of a segment that hold every term's bigrams and pass the filters, and the leaves of a bound
    of the query's score over them: (postings whose least weight bounds the leaf's, field, boost). The rarest
    bigram is read first; a list much longer than the documents left is probed for them instead of read."""
    live: set[int] | None = None
    weights_of: list[dict[str, dict[int, float]]] = []  # by plan: each bigram's weights in the documents left
    for plan in plans:
        counts = sorted((reader.doc_frequency("grams", g), g) for g in plan.grams)
        if not counts or counts[0][0] == 0:
            return None
        found: dict[str, dict[int, float]] = {}
        for count, gram in counts:
            if live is not None and count > PROBE_RATIO * len(live):
                weights = probe(reader, "grams", gram, live)
                live = set(weights)
            else:
                weights = postings(reader, "grams", gram)
                live = set(weights) if live is None else live.intersection(weights)
            found[gram] = weights
            if not live:
                return None
        weights_of.append(found)
    assert live is not None
    for fieldname, value in filters:
        live &= cache.docs(reader, fieldname, value)
    live -= reader.deleted_docs_set
    if not live:
        return None
    leaves: list[tuple[list[dict[int, float]], str, float]] = []
    for plan, by_gram in zip(plans, weights_of, strict=True):
        leaves += [([weights], "grams", 1.0) for weights in by_gram.values()]
        for token in plan.tokens:  # a phrase scores the sum of its words (each as often as it has it)
            # a text has a word no more often than each of its bigrams (the word's weight is at most theirs), so
            # their postings bound its score without reading the word's own (which hold its positions too)
            bounding = [by_gram.get(a + b) for a, b in zip(token, token[1:], strict=False)]
            if bounding and all(w is not None for w in bounding):
                leaves.append((bounding, "words", WORDS_BOOST))  # type: ignore[arg-type]
            elif reader.doc_frequency("words", token) > PROBE_RATIO * len(live):
                leaves.append(([probe(reader, "words", token, live)], "words", WORDS_BOOST))
            elif weights := postings(reader, "words", token):
                leaves.append(([weights], "words", WORDS_BOOST))
    return live, leaves


def probe(reader, fieldname: str, text: str, docnums: set[int]) -> dict[int, float]:
    """A term's weights in those of ``docnums`` that its posting list has: the list skipped to each of them
    (block by block, then by bisection) rather than read whole."""
    term = reader.schema[fieldname].to_bytes(text)
    if (fieldname, term) not in reader:
        return {}
    matcher = reader.postings(fieldname, term)
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    return {docnum: matcher.weight() for docnum in _matched(matcher, sorted(docnums))}


def _score(searcher, query, docnums: list[int]) -> dict[int, float]:
    """Whoosh's scores of ``docnums`` for ``query``: its matcher in each segment, skipping to each of them in
    turn (the scores the collector of a full search gets, without the matches between)."""
    found: dict[int, float] = {}
    wanted = sorted(docnums)
    context = searcher.context()
    for sub, offset in searcher.leaf_searchers():
        end = offset + sub.doc_count_all()
        local = [d - offset for d in wanted if offset <= d < end]
        if not local:
            continue
        matcher: Any = query.matcher(sub, context)
        for docnum in _matched(matcher, local):
            found[docnum + offset] = matcher.score()
    return found


def _matched(matcher: Any, docnums: list[int]) -> Iterator[int]:
    """Those of ``docnums`` (sorted) that ``matcher`` matches, skipping to each in turn; while one is yielded
    the matcher stands on it (its weight and score are that document's)."""
    for docnum in docnums:
        if not matcher.is_active():
            return
        if matcher.id() < docnum:
            matcher.skip_to(docnum)
            if not matcher.is_active():
                return
        if matcher.id() == docnum:
            yield docnum
