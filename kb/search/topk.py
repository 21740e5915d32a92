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
- The sets, weights and bounds are numpy arrays, each step over every candidate at once (the same floating-point
  operations a loop would do, so the same bounds); the posting lists read most lately are kept decoded
  (``SegmentCache.lists``), so the common words most queries hold are not decoded again by each.

Whoosh's internals read here (a posting list's blocks, a segment's length column) are those of the
whoosh-reloaded version setup.cfg pins, like kb.search.codec's.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import compress, repeat
from operator import le
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.matching.mcore import ListMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.util.numeric import byte_to_length

from kb.search.codec import _LeafMatcher
from kb.search.query import WORDS_BOOST, Part
from kb.search.ranking import TEXT_EXACT, TYPICAL_LENGTH, Grade, banded, grade, units
from kb.search.storage import MappedFile

FIRST_BATCH = 16  # hits scored first (or two pages' worth); then the rest in growing batches, best bound first
FAST_FROM = 128  # a query that may match more texts than this is paged by top(); fewer, in full
RANKED = 8  # candidates ranked by bound at first, per one of a first batch and the one after it (each ranking is a
# pass over every bound, whatever its size; copies of a text share a bound, and the groups of them run long)
REFINE_AFTER = 4  # batches' worth of hits scored before words' bounds from their bigrams give way to their own
PROBE_RATIO = 16  # a posting list this many times longer than the documents left is probed for them, not read
SLACK = 1e-9  # relative: a bound sums in another order than Whoosh does, so it may be a few ulps off
SPAN_CHUNK = 1 << 23  # bytes of a key column searched for NULs at a time
KEPT_POSTINGS = 2_000_000  # decoded postings kept by a process, of the lists read most lately (16 bytes each)


# a segment's terms (field, bytes): each block's last id and position in its posting list (None: not a list of blocks)
Blocks = dict[tuple[str, bytes], tuple[list[int], list[int]] | None]


# a leaf of a bound: weights by candidate (their least), field, boost, and the word whose weights its bigrams' stand
# for ("" if none)
Leaf = tuple[list[np.ndarray], str, float, str]


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
    norms (BM25's ``K1 * (1 - B + B * length / average)`` by document) and its key column; and the posting lists
    read most lately, decoded (``lists``; a filter's documents too), up to ``KEPT_POSTINGS`` postings: the common
    words that most queries hold are read from the index once, not by every query. A segment's postings never change
    (deletions are read apart, from the reader)."""

    def __init__(self) -> None:
        self._norms: dict[tuple[str, str], np.ndarray] = {}
        self._keys: dict[tuple[str, str, str], _Keys] = {}
        self._lists: OrderedDict[tuple[str, str, str], _Decoded] = OrderedDict()  # least lately read first
        self._kept = 0  # postings in ``_lists``
        self._lock = threading.Lock()

    def keep(self, segment_ids: Iterable[str]) -> None:
        """Forget the segments that are no longer in the index."""
        live = set(segment_ids)
        with self._lock:
            self._norms = {k: v for k, v in self._norms.items() if k[0] in live}
            self._keys = {k: v for k, v in self._keys.items() if k[0] in live}
            self._lists = OrderedDict((k, v) for k, v in self._lists.items() if k[0] in live)
            self._kept = sum(len(v.docnums) for v in self._lists.values())

    def lists(self, reader, fieldname: str, text: str, blocks: Blocks | None = None) -> tuple[np.ndarray, np.ndarray]:
        """A term's postings in a segment, deleted documents too, in document order: (docnums, weights), as
        ``listed`` reads them; ``blocks`` gets the heads of its blocks."""
        key = (reader.segment().segment_id(), fieldname, text)
        with self._lock:
            found = self._lists.get(key)
            if found is not None:
                self._lists.move_to_end(key)
        if found is None:
            heads: Blocks = {}
            docnums, weights = listed(reader, fieldname, text, heads)
            found = _Decoded(_frozen(np.array(docnums, dtype=np.int64)), _frozen(np.array(weights, dtype=np.float64)),
                             next(iter(heads.items()), None))
            with self._lock:
                if key not in self._lists:
                    self._lists[key] = found
                    self._kept += len(docnums)
                while self._kept > KEPT_POSTINGS and len(self._lists) > 1:
                    _, dropped = self._lists.popitem(last=False)
                    self._kept -= len(dropped.docnums)
        if blocks is not None and found.heads is not None:
            blocks[found.heads[0]] = found.heads[1]
        return found.docnums, found.weights

    def norms(self, reader, fieldname: str, weighting) -> np.ndarray:
        key = (reader.segment().segment_id(), fieldname)
        found = self._norms.get(key)
        if found is None:
            k1, b, average = weighting.K1, weighting.B, TYPICAL_LENGTH.get(fieldname, 1.0)
            # as Whoosh's bm25() computes it, from the length a byte stands for (kb.search.ranking._LocalScorer)
            table = np.array([k1 * ((1 - b) + b * byte_to_length(byte) / average) for byte in range(256)])
            column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            lengths = b"" if column is None else column._dbfile.get(column._basepos, column._count)
            found = np.full(reader.doc_count_all(), table[0])
            found[:len(lengths)] = table[np.frombuffer(lengths, dtype=np.uint8)]
            self._norms[key] = found
        return found

    def keys(self, reader) -> _Keys:
        key = (reader.segment().segment_id(), "key", "")
        found = self._keys.get(key)
        if found is None:
            found = self._keys[key] = _Keys(reader.column_reader("key", translate=False))
        return found


def _frozen(array: np.ndarray) -> np.ndarray:
    """``array``, read-only (it is shared by every search that reads it)."""
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class _Decoded:
    """A posting list as ``SegmentCache.lists`` keeps it: its documents and weights, and its blocks' heads
    (``((field, term), heads)``, None for a list inlined in the term table)."""

    docnums: np.ndarray
    weights: np.ndarray
    heads: tuple[tuple[str, bytes], tuple[list[int], list[int]] | None] | None


class _Keys:
    """A segment's ``key`` column (kb.search.codec.KeyColumn: kind, id and folded fields), searched in the mapped
    file itself: whether a text holds a key is a search of its bytes there, nothing decoded or copied. Where each
    document's folded fields are in the mapping is found once (``_spans``), the first time a search asks."""

    def __init__(self, column) -> None:
        self._lengths, self._offsets = column._lengths, column._offsets
        file = column._dbfile
        self._mapping = file.mapping if isinstance(file, MappedFile) else None
        self._base = (file.base if isinstance(file, MappedFile) else 0) + column._basepos
        self._column = column
        self._starts: np.ndarray | None = None
        self._ends: np.ndarray | None = None

    def _spans(self) -> tuple[np.ndarray, np.ndarray]:
        """Where each document's folded fields start and end in the mapping: after its kind and id, the first
        two NULs of its bytes (as ``split(b"\\0", 2)[-1]`` reads them; where one is missing, from the last one
        found); found among every NUL of the column, a chunk of the mapping at a time."""
        if self._starts is None or self._ends is None:
            assert self._mapping is not None
            starts = self._base + np.frombuffer(self._offsets, dtype=self._offsets.typecode).astype(np.int64)
            ends = starts + np.frombuffer(self._lengths, dtype=self._lengths.typecode)
            lo, hi = (int(starts.min()), int(ends.max())) if len(starts) else (0, 0)
            pieces = []
            for at in range(lo, hi, SPAN_CHUNK):
                view = np.frombuffer(self._mapping, dtype=np.uint8, count=min(SPAN_CHUNK, hi - at), offset=at)
                pieces.append(np.flatnonzero(view == 0) + at)
                del view  # no view of the mapping may outlive this (it could not be closed)
            nuls = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)
            for _ in range(2):
                if not len(nuls):
                    break
                at = np.searchsorted(nuls, starts)
                cut = nuls[np.minimum(at, len(nuls) - 1)]
                starts = np.where((at < len(nuls)) & (cut < ends), cut + 1, starts)
            self._starts, self._ends = starts, ends
        return self._starts, self._ends

    def holding(self, docnums: list[int], keys: list[bytes]) -> list[int]:
        """Those of ``docnums`` where some field of the document holds each of ``keys`` (folded, UTF-8, no
        separator inside), in their order: each a search of the mapping (``map``, no Python frame a document)."""
        if self._mapping is None:
            return [d for d in docnums if self._holds(d, keys)]
        all_starts, all_ends = self._spans()
        find = self._mapping.find
        for key in keys:
            chosen = np.asarray(docnums, dtype=np.int64)
            starts, ends = all_starts[chosen].tolist(), all_ends[chosen].tolist()
            found = map(find, repeat(key), starts, ends)
            docnums = list(compress(docnums, map(le, repeat(0), found)))
        return docnums

    def _holds(self, docnum: int, keys: list[bytes]) -> bool:
        """``holding`` for one document, read from the column (a file that is not mapped)."""
        folded = self._column[docnum].split(b"\0", 2)[-1]
        return all(key in folded for key in keys)


def listed(reader, fieldname: str, text: str, blocks: Blocks | None = None) -> tuple[list[int], list[float]]:
    """A term's postings in a segment, deleted documents too, in document order: (docnums, their weights), read a
    block at a time; ``blocks`` gets each block's last id and position, for the term's matchers to skip by."""
    field = reader.schema[fieldname]
    term = field.to_bytes(text)
    if (fieldname, term) not in reader:
        return [], []
    matcher = reader.postings(fieldname, term)
    if isinstance(matcher, FilterMatcher):  # deletions: the caller takes them out of its sets
        matcher = matcher.child
    if isinstance(matcher, ListMatcher):  # inlined in the term table (kb.search.codec)
        ids = list(matcher._ids)
        if matcher._all_weights:
            return ids, [float(matcher._all_weights)] * len(ids)
        weights = matcher._weights
        return ids, list(weights[:len(ids)]) if weights else [1.0] * len(ids)
    ids_found: list[int] = []
    weights_found: list[float] = []
    last: list[int] = []
    positions: list[int] = []
    while not matcher._atend:
        last.append(matcher._maxid)
        positions.append(getattr(matcher, "_position", -1))
        matcher._read_ids()  # from the block's bytes where kb.search.codec can, its values left unread
        matcher._read_weights()
        ids_found += matcher._ids
        weights_found += matcher._weights
        matcher._next_block()
    if len(ids_found) != len(weights_found):
        raise ValueError(f"{fieldname}:{text}: {len(ids_found)} postings, {len(weights_found)} weights")
    if blocks is not None and isinstance(matcher, _LeafMatcher):
        blocks[(fieldname, term)] = (last, positions)
    return ids_found, weights_found


def _blocks_of(reader, fieldname: str, term: bytes) -> tuple[list[int], list[int]] | None:
    """Each block's last id and position in a term's posting list, from the heads of its blocks."""
    matcher = reader.postings(fieldname, term)
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    if not isinstance(matcher, _LeafMatcher):
        return None
    last: list[int] = []
    positions: list[int] = []
    while not matcher._atend:
        last.append(matcher._maxid)
        positions.append(matcher._position)
        matcher._next_block()
    return last, positions


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
    bound_parts: list[np.ndarray] = []  # by segment, by candidate: an upper bound of its raw score
    docnum_parts: list[np.ndarray] = []
    segments: list[tuple[Any, int, np.ndarray, list[Leaf]]] = []  # reader, first candidate, candidates, leaves
    blocks: dict[int, Blocks] = {}  # by segment (its offset): the blocks of the terms read so far
    start = 0
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        found = _candidates(reader, plans, filters, cache, weighting, long_keys, blocks.setdefault(offset, {}))
        if found is None:
            continue
        live, leaves = found
        segments.append((reader, start, live, leaves))
        bound_parts.append(_bounds(reader, live, leaves, cache, weighting))
        docnum_parts.append(live + offset if offset else live)
        start += len(live)
    bounds = np.concatenate(bound_parts) if bound_parts else np.zeros(0)
    docnums: list[int] = np.concatenate(docnum_parts).tolist() if docnum_parts else []
    total = len(docnums)
    size = max(FIRST_BATCH, 2 * (limit + 1))
    id_of = lambda i: keys(docnums[i])[1]  # noqa: E731
    waiting = _Waiting(bounds, id_of, None if after is None else after[0], RANKED * (size + 1))
    batch = waiting.take(size)
    taken = 0
    done: set[int] = set()  # the candidates scored
    loose = any(leaf[3] for segment in segments for leaf in segment[3])
    hits: list[Scored] = []
    wanted = limit + 1  # the page and the hit after it, which says whether more follow
    while True:
        scored = _score(searcher, query, [docnums[i] for i in batch], blocks)
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
        done.update(batch)
        hits.sort(key=lambda h: h.position)
        least = waiting.least()
        if least is None:
            return total, hits[:limit], len(hits) > limit
        if len(hits) >= wanted and hits[wanted - 1].position < least:  # no hit not scored yet comes before
            return total, hits[:limit], True
        if loose and taken >= REFINE_AFTER * size:
            # the words' bounds from their bigrams are too loose for this query: bound them by the words' own
            # weights (their postings read now) and go on with the candidates not scored yet
            loose = False
            for reader, first, live, leaves in segments:
                exact = [([_word_weights(reader, leaf[3], live, cache)], leaf[1], leaf[2], "") if leaf[3] else leaf
                         for leaf in leaves]
                bounds[first:first + len(live)] = _bounds(reader, live, exact, cache, weighting)
            waiting = _Waiting(bounds, id_of, None if after is None else after[0], RANKED * (size + 1), done)
        batch = waiting.take(max(taken, FIRST_BATCH))


class _Waiting:
    """The candidates not scored yet, in the order of the least position in the ranking each may reach:
    (-units, id) of its bound (a little larger, for the order of the sum) in the top band, never better than the
    cursor's score (``cap``: a hit is after the cursor). A hit not scored then comes after every scored one that
    precedes that least position. They are taken from the order of the bounds a group of equal units at a time,
    and each group in the order of its ids: of many texts that share a bound (copies of one text), only those
    whose ids come first need be scored."""

    def __init__(self, bounds: np.ndarray, ident: Callable[[int], str], cap: int | None, first: int,
                 done: set[int] | frozenset[int] = frozenset()):
        self._bounds = bounds
        self._done = done  # candidates scored already: never queued
        self._ident = ident
        self._cap = cap
        self._ranked = _best(bounds, first)  # the best bounds, best first; extended as groups need
        self._at = 0  # the first of them not queued yet
        self._queue: list[tuple[tuple[int, str], int]] = []  # (least position, candidate), in order
        self._head = 0  # the first of the queue not taken yet

    def _units(self, i: int) -> int:
        best = units(banded(TEXT_EXACT, float(self._bounds[i]) * (1 + SLACK) + SLACK))
        return best if self._cap is None else min(best, self._cap)

    def _fill(self, count: int) -> None:
        """Queue whole groups until ``count`` candidates wait (or every candidate is queued)."""
        while len(self._queue) - self._head < count and self._at < len(self._bounds):
            if self._at == len(self._ranked):
                self._ranked = _best(self._bounds, 4 * len(self._ranked) + 1)
            group = self._units(self._ranked[self._at])
            members = []
            while True:
                if self._at == len(self._ranked):  # the group may go on past the bounds ranked so far
                    if len(self._ranked) == len(self._bounds):
                        break
                    self._ranked = _best(self._bounds, 4 * len(self._ranked) + 1)
                candidate = self._ranked[self._at]
                if self._units(candidate) != group:
                    break
                if candidate not in self._done:
                    members.append(candidate)
                self._at += 1
            self._queue += sorted(((-group, self._ident(i)), i) for i in members)

    def take(self, count: int) -> list[int]:
        """The next ``count`` candidates (fewer if fewer are left)."""
        self._fill(count)
        taken = self._queue[self._head:self._head + count]
        self._head += len(taken)
        return [i for _, i in taken]

    def least(self) -> tuple[int, str] | None:
        """The least position a candidate not taken yet may reach; None if every one was taken."""
        self._fill(1)
        return self._queue[self._head][0] if self._head < len(self._queue) else None


def _best(bounds: np.ndarray, count: int) -> list[int]:
    """The candidates of the ``count`` largest bounds (or more, those tied with the last), best first (ties in
    the order of the candidates): the bound they reach found by a partial sort, then those that reach it."""
    if count >= len(bounds):
        return np.argsort(-bounds, kind="stable").tolist()
    cut = len(bounds) - count
    least = np.partition(bounds, cut)[cut]
    chosen = np.flatnonzero(bounds >= least)
    return chosen[np.argsort(-bounds[chosen], kind="stable")].tolist()


def _bounds(reader, live: np.ndarray, leaves: list[Leaf], cache: SegmentCache, weighting) -> np.ndarray:
    """Each candidate's bound: the sum over the leaves of BM25 of the leaf's weight (the least of its weights')
    and the field's length, times the leaf's boost; each step over every candidate at once (the same floating-point
    operations, in the same order, as a loop over them would do)."""
    k1p1 = weighting.K1 + 1
    norms_of: dict[str, np.ndarray] = {}
    bounds: np.ndarray | None = None
    for weights_lists, fieldname, boost, _ in leaves:
        if fieldname not in norms_of:
            norms_of[fieldname] = cache.norms(reader, fieldname, weighting)[live]
        ws = weights_lists[0] if len(weights_lists) == 1 else np.minimum.reduce(weights_lists)
        # Whoosh's bm25() with idf 1: (w * (K1 + 1)) / (w + norm), times the boost
        scores = (ws * k1p1) / (ws + norms_of[fieldname])
        if boost != 1.0:
            scores = scores * boost
        bounds = scores if bounds is None else bounds + scores
    return bounds if bounds is not None else np.zeros(len(live))


def holding(searcher, plan: Plan, filters: list[tuple[str, str]], cache: SegmentCache) -> list[int]:
    """The documents that hold every bigram of ``plan``'s key and pass the filters: what its query matches."""
    found: list[int] = []
    for sub, offset in searcher.leaf_searchers():
        held = _candidates(sub.reader(), [Plan(plan.key, plan.grams, ())], filters, cache, searcher.weighting, [],
                           None)
        if held is not None:
            found += (held[0] + offset).tolist()
    return found


def _within(docnums: np.ndarray, among: np.ndarray, size: int) -> np.ndarray:
    """Those of ``docnums`` that are among ``among`` (both sorted, each below ``size``), in order."""
    if len(among) * 8 < len(docnums):  # a few among many: each of them looked up
        at = np.searchsorted(docnums, among)
        inside = at < len(docnums)
        at, among = at[inside], among[inside]
        return among[docnums[at] == among]
    return docnums[_marked(among, size)[docnums]]


def _marked(docnums: np.ndarray, size: int) -> np.ndarray:
    """A mask of ``size`` documents, true at ``docnums``."""
    marked = np.zeros(size, dtype=bool)
    marked[docnums] = True
    return marked


def _candidates(reader, plans: list[Plan], filters: list[tuple[str, str]], cache: SegmentCache, weighting,
                long_keys: list[bytes], blocks: Blocks | None) -> tuple[np.ndarray, list[Leaf]] | None:
    """The documents of a segment that hold every term's bigrams, pass the filters and hold each of
    ``long_keys`` in a field (bigrams may stand apart: a key of three characters or more must be in a field, as
    grade() asks), in document order, and the leaves of a bound of the query's score over them: (weights, by
    candidate, whose least bounds the leaf's; field; boost). The rarest bigram is read first; a list much longer
    than the documents left is probed for them instead of read."""
    counts = sorted({(reader.doc_frequency("grams", g), g) for plan in plans for g in plan.grams})
    if not counts or counts[0][0] == 0:
        return None
    size = reader.doc_count_all()
    read: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # each bigram read whole, or probed: (docnums, weights)
    live, weights = cache.lists(reader, "grams", counts[0][1], blocks)
    read[counts[0][1]] = (live, weights)
    for count, gram in counts[1:]:
        if count > PROBE_RATIO * len(live):
            read[gram] = probe(reader, "grams", gram, live)
            live = read[gram][0]
        else:
            read[gram] = cache.lists(reader, "grams", gram, blocks)
            live = _within(live, read[gram][0], size)
        if not len(live):
            return None
    for fieldname, value in filters:
        live = _within(live, cache.lists(reader, fieldname, value)[0], size)
    if reader.has_deletions():
        deleted = np.fromiter(reader.deleted_docs_set, dtype=np.int64)
        if len(deleted):
            live = live[~_marked(deleted, size)[live]]
    if long_keys and len(live):
        held = cache.keys(reader).holding(live.tolist(), long_keys)
        if len(held) != len(live):
            live = np.array(held, dtype=np.int64)
    if not len(live):
        return None

    def aligned(gram: str) -> np.ndarray:
        """The bigram's weights in the documents left, in their order (they are among its postings)."""
        ids, ws = read[gram]
        if len(ids) == len(live):  # the documents left are all of its postings
            return ws
        return ws[np.searchsorted(ids, live)]

    by_gram = {gram: aligned(gram) for gram in dict.fromkeys(g for plan in plans for g in plan.grams)}
    leaves: list[Leaf] = []
    for plan in plans:
        leaves += [([by_gram[gram]], "grams", 1.0, "") for gram in plan.grams]
        for token in plan.tokens:  # a phrase scores the sum of its words (each as often as it has it)
            # a text has a word no more often than each of its bigrams (the word's weight is at most theirs), so
            # their weights bound its score without reading the word's own postings (which hold its positions)
            bounding = [by_gram[a + b] for a, b in zip(token, token[1:], strict=False) if a + b in by_gram]
            if bounding and len(bounding) == len(token) - 1:
                leaves.append((bounding, "words", WORDS_BOOST, token))
            elif reader.doc_frequency("words", token):
                leaves.append(([_word_weights(reader, token, live, cache)], "words", WORDS_BOOST, ""))
    return live, leaves


def _word_weights(reader, token: str, docnums: np.ndarray, cache: SegmentCache) -> np.ndarray:
    """A word's weights in ``docnums`` (sorted; 0 where it is not): its posting list probed for them if it is
    much longer, else read."""
    if reader.doc_frequency("words", token) > PROBE_RATIO * len(docnums):
        ids, ws = probe(reader, "words", token, docnums)
    else:
        ids, ws = cache.lists(reader, "words", token)
    if not len(ids):
        return np.zeros(len(docnums))
    at = np.minimum(np.searchsorted(ids, docnums), len(ids) - 1)
    return np.where(ids[at] == docnums, ws[at], 0.0)


def probe(reader, fieldname: str, text: str, docnums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Those of ``docnums`` (sorted) that a term's posting list has, and its weights there: the list skipped to
    each of them (block by block, then by bisection) rather than read whole."""
    term = reader.schema[fieldname].to_bytes(text)
    if (fieldname, term) not in reader:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    matcher = reader.postings(fieldname, term)
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    weights = {docnum: matcher.weight() for docnum in _matched(matcher, docnums.tolist())}
    return np.fromiter(weights.keys(), dtype=np.int64), np.fromiter(weights.values(), dtype=np.float64)


def _score(searcher, query, docnums: list[int], blocks: dict[int, Blocks] | None = None) -> dict[int, float]:
    """Whoosh's scores of ``docnums`` for ``query``: its matcher in each segment, skipping to each of them in
    turn (the scores the collector of a full search gets, without the matches between); ``blocks``: by segment,
    its terms' blocks (kept for the next call)."""
    found: dict[int, float] = {}
    wanted = sorted(docnums)
    context = searcher.context()
    for sub, offset in searcher.leaf_searchers():
        end = offset + sub.doc_count_all()
        local = [int(d) - offset for d in wanted if offset <= d < end]
        if not local:
            continue
        known = {} if blocks is None else blocks.setdefault(offset, {})
        matcher: Any = query.matcher(_From(sub, local[0], known), context)
        for docnum in _matched(matcher, local):
            found[docnum + offset] = matcher.score()
    return found


class _From:
    """A segment's searcher whose posting lists start at document ``start``: each term's matcher skips there
    before the query combines them, so that the query's matcher does not walk (and, for a phrase, read the
    positions of) every document before the first one asked for to find its first match; and it skips from
    block to block by ``blocks`` (each block's last id and position), not reading every head between. A
    document's score is that of the term matchers standing on it, however they got there; the tree the query
    builds of them depends on its terms' sizes in the segment, not on where they stand."""

    def __init__(self, searcher, start: int, blocks: Blocks):
        self._searcher = searcher
        self._start = start
        self._blocks = blocks

    def postings(self, fieldname, text, weighting=None, qf=1):
        matcher = self._searcher.postings(fieldname, text, weighting=weighting, qf=qf)
        leaf = matcher.child if isinstance(matcher, FilterMatcher) else matcher
        if isinstance(leaf, _LeafMatcher):  # it skips by its blocks' heads, read once a query
            key = (fieldname, text)
            if key not in self._blocks:
                self._blocks[key] = _blocks_of(self._searcher.reader(), fieldname, text)
            leaf._blocks = self._blocks[key]
        if matcher.is_active() and matcher.id() < self._start:
            matcher.skip_to(self._start)
        return matcher

    def __getattr__(self, name: str):
        return getattr(self._searcher, name)


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
