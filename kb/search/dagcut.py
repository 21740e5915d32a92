"""jieba's cut of a run of Chinese characters, its dictionary words found by one Aho–Corasick pass: for bulk writes.

jieba 0.42.1 cuts a block (``Tokenizer.cut`` with HMM: ``__cut_DAG``) in three steps, most of it in Python:

- ``get_DAG``: for each start, every end such that the piece is a word of ``FREQ`` with a nonzero count, found by
  looking each longer prefix up in the dict until one is not in it (``FREQ`` holds every word's prefixes, with
  count 0 if they are not words themselves); a start with no word gets the single character;
- ``calc``: from the end, ``route[i] = max((log(FREQ[word] or 1) - logtotal + route[end + 1][0], end))`` over
  the starts' words, a generator and a max for each character;
- a walk of the route that gathers single characters into a buffer, cut by the HMM (finalseg) where the buffer
  is not itself a word.

About 4 µs a character. Here one automaton over the words with a nonzero count (so, as the prefixes are in
``FREQ``, every word the DAG holds, and only those) is run over the run reversed: its matches come ordered by where
the words start, counted from the run's end, which is the order ``calc`` fills its route in, so the route is
computed as the matches come, with the same floating-point sums in the same order and the same ties (the longer
word). The walk is jieba's, and the buffers go to jieba's own HMM (its answers kept for strings that come again).
pyahocorasick's ``iter`` reports every match (not ``iter_long``, which skips some: its issue 133).

The automaton is made from one state of a tokenizer's dictionary (0.8-1.1 s of CPU and about 42 MB for jieba's
with a few hundred user words), so it is only for cutting whole texts in bulk; queries and small writes cut with
jieba.
"""

from __future__ import annotations

import functools
from math import log

import ahocorasick
from jieba import finalseg


class DictionaryCut:
    """``Tokenizer.cut(run)`` for a run of characters that jieba cuts as one block (``[\\u4e00-\\u9fd5]+``), by a
    dictionary ``freq`` (word or prefix: count) and its ``total``, as they are when this is made."""

    def __init__(self, freq: dict[str, int], total: int):
        logtotal = log(total)
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        self._lengths: list[int] = []
        self._weights: list[float] = []  # calc's log(count) - logtotal, the first of its sums
        add = self._automaton.add_word
        for word, count in freq.items():
            if count:
                add(word[::-1], len(self._lengths))
                self._lengths.append(len(word))
                self._weights.append(log(count) - logtotal)
        self._automaton.make_automaton()
        self._alone = log(1) - logtotal  # a character that starts no word: log(FREQ.get(char) or 1) - logtotal

    def __call__(self, run: str) -> list[str]:
        """jieba's walk of the route (``__cut_DAG``): the route's words, and between them the single characters
        gathered, as they are if they make a word, else as the HMM cuts them."""
        lengths = self._route(run)
        words: list[str] = []
        n = len(run)
        gathered = at = 0  # single characters from ``gathered`` to ``at``
        while at < n:
            length = lengths[n - at]
            if length == 1:
                at += 1
                continue
            if gathered < at:
                words += self._gathered(run[gathered:at])
            words.append(run[at:at + length])
            at = gathered = at + length
        if gathered < n:
            words += self._gathered(run[gathered:])
        return words

    def _route(self, run: str) -> list[int]:
        """jieba's route, from the end: for the last ``k`` characters of ``run``, the length of the first word of
        the best cut of them (``calc``'s ``route[len(run) - k]``, its end as a length)."""
        n = len(run)
        best = [0.0] * (n + 1)  # best[k]: calc's route[n - k][0]
        lengths = [1] * (n + 1)
        weights, word_lengths, alone = self._weights, self._lengths, self._alone
        done = 0  # best[k] is final up to k = done - 1, and best[done] is being chosen
        for last, word in self._automaton.iter(run[::-1]):
            length = word_lengths[word]
            if last < done:  # another word starting there: calc's max, ties to the longer word
                score = weights[word] + best[done - length]
                if score > best[done] or score == best[done] and length > lengths[done]:
                    best[done] = score
                    lengths[done] = length
                continue
            while done < last:  # characters that start no word
                best[done + 1] = alone + best[done]
                done += 1
            done += 1
            best[done] = weights[word] + best[done - length]
            lengths[done] = length
        return lengths

    def _gathered(self, characters: str) -> list[str] | tuple[str, ...]:
        """The single characters between two words of the route, as ``__cut_DAG`` yields them: one by one if they
        are one or make a word (``FREQ.get(buf)`` is nonzero), else as the HMM cuts them."""
        if len(characters) > 1 and characters[::-1] not in self._automaton:
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
