"""jieba's cut of runs of Chinese characters, many at once, by array operations over its dictionary: for bulk writes.

jieba 0.42.1 cuts a block (``Tokenizer.cut`` with HMM: ``__cut_DAG``) in three steps, most of it in Python:

- ``get_DAG``: for each start, every end such that the piece is a word of ``FREQ`` with a nonzero count, found by
  looking each longer prefix up in the dict until one is not in it (``FREQ`` holds every word's prefixes, with
  count 0 if they are not words themselves); a start with no word gets the single character;
- ``calc``: from the end, ``route[i] = max((log(FREQ[word] or 1) - logtotal + route[end + 1][0], end))`` over
  the starts' words, a generator and a max for each character;
- a walk of the route that gathers single characters into a buffer, cut by the HMM (finalseg) where the buffer
  is not itself a word.

About 4 µs a character. Here the dictionary's keys are a trie held in sorted arrays (a step: its piece's number
<< 21 | the next character), and many runs are laid end to end: ``get_DAG`` is a few searches of those arrays,
one for each character further from every start at once, and ``calc`` one step for each distance from the runs'
ends, over every run at once, with the same floating-point sums in the same order and the same ties (the longer
word). The walk is jieba's, and the buffers go to jieba's own HMM (its answers kept for strings that come again).
About 1 µs a character, most of it the walk, in batches of a few hundred thousand characters.

The arrays are made from one state of a tokenizer's dictionary (1-1.7 s of CPU for jieba's with a few hundred user
words), so they are only for cutting whole texts in bulk; queries and small writes cut with jieba.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from math import log

import numpy as np
from jieba import finalseg


class DictionaryCut:
    """``Tokenizer.cut(run)`` for runs of characters that jieba cuts as one block (``[\u4e00-\u9fd5]+``), by a
    dictionary ``freq`` (word or prefix: count) and its ``total``, as they are when this is made."""

    def __init__(self, freq: dict[str, int], total: int):
        logtotal = log(total)
        node = {"": 0}  # each piece get_DAG's scan can reach (every key of freq whose prefixes are keys): its number
        steps: list[int] = []  # each node's parent << 21 | its last character
        weights, words = [0.0], [False]  # each node's calc weight, and whether its count is not 0
        for piece in sorted(freq, key=len):
            parent = node.get(piece[:-1])
            if parent is None:  # get_DAG's scan stops before it
                continue
            node[piece] = len(weights)
            steps.append(parent << 21 | ord(piece[-1]))
            count = freq[piece]
            weights.append(log(count) - logtotal if count else 0.0)
            words.append(bool(count))
        order = np.argsort(np.array(steps, dtype=np.int64), kind="stable")
        self._steps = np.array(steps, dtype=np.int64)[order]
        self._children = (order + 1).astype(np.int64)  # node numbers: steps[i] made node i + 1
        self._first = np.zeros(0x110000, dtype=np.int32)  # by code point: the root's child for it, or 0 (none)
        first = (self._steps >> 21) == 0
        self._first[self._steps[first]] = self._children[first]
        self._weights = np.array(weights)
        self._is_word = np.array(words)
        self._words = {piece for piece, count in freq.items() if count}  # for the single characters gathered
        self._alone = log(1) - logtotal  # a character that starts no word: log(FREQ.get(char) or 1) - logtotal

    def __call__(self, run: str) -> list[str]:
        return self.cut_many([run])[0]

    def cut_many(self, runs: Sequence[str]) -> list[list[str]]:
        """``[tokenizer.cut(run) for run in runs]``: the routes of all the runs found at once (``_routes``), then
        jieba's walk of each (``__cut_DAG``): the route's words, and between them the single characters gathered,
        as they are if they make a word, else as the HMM cuts them. For many runs at a time (a few hundred
        thousand characters): each call costs a few array operations for each character of its longest run."""
        lengths = self._routes(runs).tolist()
        cut: list[list[str]] = []
        base = 0
        for run in runs:
            words: list[str] = []
            n = len(run)
            gathered = at = 0  # single characters from ``gathered`` to ``at``
            while at < n:
                length = lengths[base + at]
                if length == 1:
                    at += 1
                    continue
                if gathered < at:
                    words += self._gathered(run[gathered:at])
                words.append(run[at:at + length])
                at = gathered = at + length
            if gathered < n:
                words += self._gathered(run[gathered:])
            cut.append(words)
            base += n + 1
        return cut

    def _matches(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """get_DAG for every start at once: each word of the dictionary found in the text of code points
        ``points``, as its start, length and calc weight, by following the dictionary's pieces one character
        further at each step from every start still on a piece."""
        # the first step, for every start, by the table of the root's children
        nodes = self._first[points].astype(np.int64)
        starts = np.flatnonzero(nodes)
        nodes = nodes[starts]
        word = self._is_word[nodes]
        found: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] = (
            [starts[word]], [np.ones(int(word.sum()), dtype=np.int64)], [self._weights[nodes[word]]])
        length = 1
        while len(starts):
            length += 1
            at = starts + length - 1
            inside = at < len(points)
            starts, nodes, at = starts[inside], nodes[inside], at[inside]
            step = nodes << 21 | points[at]
            i = np.minimum(np.searchsorted(self._steps, step), len(self._steps) - 1)
            on = self._steps[i] == step
            starts, nodes = starts[on], self._children[i[on]]
            word = self._is_word[nodes]
            found[0].append(starts[word])
            found[1].append(np.full(int(word.sum()), length, dtype=np.int64))
            found[2].append(self._weights[nodes[word]])
        return np.concatenate(found[0]), np.concatenate(found[1]), np.concatenate(found[2])

    def _routes(self, runs: Sequence[str]) -> np.ndarray:
        """calc's route of every run at once, the runs laid end to end with a NUL after each (which no piece holds):
        for each index of that text, the length of the word the best cut of the rest of its run starts with. calc
        fills a run's route from its end; here one step for each distance from the runs' ends in turn, a few array
        operations over every run that long: the same sums as calc, in the same order, the same ties (the longer
        word)."""
        text = "\0".join(runs) + "\0"
        points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        sizes = np.fromiter(map(len, runs), np.int64, len(runs)) + 1
        ends = np.cumsum(sizes) - 1  # each run's NUL: its route's end, 0
        distance = np.repeat(ends, sizes) - np.arange(len(points), dtype=np.int64)
        best = np.zeros(len(points))
        lengths = np.ones(len(points), dtype=np.int64)
        if not runs:
            return lengths
        start, length, weight = self._matches(points)
        by_distance = np.lexsort((start, distance[start]))  # matches by distance, then by start
        start, length, weight = start[by_distance], length[by_distance], weight[by_distance]
        longest = int(sizes.max()) - 1
        slots = np.argsort(distance, kind="stable")
        slot_bounds = np.searchsorted(distance[slots], np.arange(longest + 2))
        match_bounds = np.searchsorted(distance[start], np.arange(longest + 2))
        for d in range(1, longest + 1):
            at = slots[slot_bounds[d]:slot_bounds[d + 1]]
            best[at] = self._alone + best[at + 1]  # characters that start no word
            first, last = match_bounds[d], match_bounds[d + 1]
            if first == last:
                continue
            where, size = start[first:last], length[first:last]
            score = weight[first:last] + best[where + size]
            groups = np.flatnonzero(np.concatenate(([True], where[1:] != where[:-1])))
            top = np.maximum.reduceat(score, groups)
            tied = score == np.repeat(top, np.diff(np.append(groups, len(where))))
            best[where[groups]] = top  # calc's max, ties to the longer word
            lengths[where[groups]] = np.maximum.reduceat(np.where(tied, size, 0), groups)
        return lengths

    def _gathered(self, characters: str) -> list[str] | tuple[str, ...]:
        """The single characters between two words of the route, as ``__cut_DAG`` yields them: one by one if they
        are one or make a word (``FREQ.get(buf)`` is nonzero), else as the HMM cuts them."""
        if len(characters) > 1 and characters not in self._words:
            return _hmm(characters)
        return list(characters)


@functools.lru_cache(maxsize=8192)
def _hmm_words(characters: str) -> tuple[str, ...]:
    return tuple(finalseg.cut(characters))


def _hmm(characters: str) -> list[str] | tuple[str, ...]:
    """``finalseg.cut``, kept for the strings that come again (names of places and people, mostly): it depends only
    on the string while jieba's global force-split set is empty (only jieba's del_word fills it, which kb never
    calls: kb.search.analysis ``_UserWords._set``)."""
    if finalseg.Force_Split_Words:
        return list(finalseg.cut(characters))
    return _hmm_words(characters)
