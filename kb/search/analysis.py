"""Search analysis: jieba words (a private tokenizer, labels as user words, acronyms whole) and bigrams.

The only place that loads jieba's dictionary (once per process) and the tokenizer Whoosh pickles with the
schema, which keeps only configuration (two paths) so that it pickles.
"""

from __future__ import annotations

import functools
import logging
import pickle
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import jieba
import numpy as np
from whoosh.analysis import Token, Tokenizer

from kb.files import replace_file
from kb.normalize import ACRONYM, fold, fold_with_offsets
from kb.search.dagcut import DictionaryCut

_RUNS = re.compile(ACRONYM.pattern + r"|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
USER_WORD_FREQ = 10_000
TITLE_SEPARATOR = "|"  # between a text and its title's parts; no bigram or phrase spans it

logging.getLogger("jieba").setLevel(logging.WARNING)


# -- jieba: one dictionary load per process, one private tokenizer per word list --------------------
_jieba_lock = threading.RLock()


_base: tuple[dict[str, int], int] | None = None


def _base_dictionary(cache_dir: str) -> tuple[dict[str, int], int]:
    """jieba's dictionary, loaded once per process whatever the data dir (it is the same dictionary).

    It is cached in ``cache_dir`` as a pickle, which loads about three times faster than jieba's own
    marshal cache (0.25 s against 0.8 s here); the pickle names the jieba version it was made with.
    """
    global _base
    with _jieba_lock:
        if _base is None:
            _base = _load_dictionary(Path(cache_dir) if cache_dir else None)
        return _base


def _load_dictionary(cache_dir: Path | None) -> tuple[dict[str, int], int]:
    cache = cache_dir / "jieba-dictionary.pickle" if cache_dir else None
    if cache is not None and cache.exists():
        try:
            with cache.open("rb") as f:
                version, freq, total = pickle.load(f)
            if version == jieba.__version__:
                return freq, total
        except (OSError, ValueError, EOFError, pickle.UnpicklingError):
            pass  # a damaged cache is made again below
    tokenizer = jieba.Tokenizer()
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tokenizer.tmp_dir = str(cache_dir)
    tokenizer.initialize()
    if cache is not None:
        replace_file(cache, pickle.dumps((jieba.__version__, tokenizer.FREQ, tokenizer.total),
                                         protocol=pickle.HIGHEST_PROTOCOL))
    return tokenizer.FREQ, tokenizer.total


def preload(cache_dir: str = "") -> None:
    """Load jieba's dictionary now, e.g. in a server's master process before it forks workers."""
    _base_dictionary(cache_dir)


class _UserWords:
    """A private ``jieba.Tokenizer`` and the user words applied to it, kept in step with a words file; and, once a
    bulk write asked for it (``prepare_bulk_cut``), the same cut by arrays of its dictionary, made again after the
    words change."""

    def __init__(self, cache_dir: str):
        freq, total = _base_dictionary(cache_dir)
        self.tokenizer = jieba.Tokenizer()
        self.tokenizer.FREQ, self.tokenizer.total = dict(freq), total
        self.tokenizer.initialized = True
        self.original: dict[str, int | None] = {}
        self.stamp: tuple[int, int] | None = None
        self.bulk_cut: DictionaryCut | None = None

    def sync(self, words_file: str) -> jieba.Tokenizer:
        path = Path(words_file) if words_file else None
        try:
            st = path.stat() if path else None
        except FileNotFoundError:
            st = None
        stamp = (st.st_mtime_ns, st.st_size) if st else (0, 0)
        if stamp != self.stamp:
            wanted = set(path.read_text(encoding="utf-8").split("\n")) - {""} if st and path else set()
            if wanted != self.original.keys():
                self.bulk_cut = None  # made from the dictionary as it was
            for word in set(self.original) - wanted:
                self._set(word, self.original.pop(word))
            for word in wanted - set(self.original):
                self.original[word] = self.tokenizer.FREQ.get(word)
                self._set(word, USER_WORD_FREQ)
            self.stamp = stamp
        return self.tokenizer

    def _set(self, word: str, freq: int | None) -> None:
        """Like ``Tokenizer.add_word`` but without jieba's global force-split when a word is removed."""
        freq_table = self.tokenizer.FREQ
        self.tokenizer.total += (freq or 0) - freq_table.get(word, 0)
        freq_table[word] = freq or 0
        for i in range(1, len(word)):
            freq_table.setdefault(word[:i], 0)


@functools.cache
def _user_words(words_file: str, cache_dir: str) -> _UserWords:
    return _UserWords(cache_dir)


def _tokenizer(words_file: str, cache_dir: str) -> jieba.Tokenizer:
    with _jieba_lock:
        return _user_words(words_file, cache_dir).sync(words_file)


def prepare_bulk_cut(words_file: str, cache_dir: str) -> None:
    """Make the dictionary's arrays that cut runs as jieba does (kb.search.dagcut) for the current user words, so
    that ``word_sequences`` cuts with them: before a bulk write of much text forks its writers, which share
    them. It takes 1-1.7 s, and a batch of texts is then cut in about half the time jieba takes."""
    with _jieba_lock:
        user_words = _user_words(words_file, cache_dir)
        tokenizer = user_words.sync(words_file)
        if user_words.bulk_cut is None:
            user_words.bulk_cut = DictionaryCut(tokenizer.FREQ, tokenizer.total)


def _cutter(words_file: str, cache_dir: str) -> Callable[[str], list[str]]:
    """How to cut a run into words: by jieba's tokenizer for the current user words."""
    return functools.partial(_cut, _tokenizer(words_file, cache_dir))


def cut_runs(runs: Sequence[str], words_file: str = "", cache_dir: str = "") -> list[list[str]]:
    """``tokenizer.cut(run)`` for each run (of Chinese characters, more than one): those jieba takes as one block
    cut all at once by kb.search.dagcut if ``prepare_bulk_cut`` made its arrays for the current user words, the
    others (and all of them otherwise) by jieba."""
    with _jieba_lock:
        user_words = _user_words(words_file, cache_dir)
        tokenizer = user_words.sync(words_file)
        dictionary_cut = user_words.bulk_cut
    if dictionary_cut is None:
        return [_cut(tokenizer, run) for run in runs]
    blocks = [_JIEBA_BLOCK.fullmatch(run) is not None for run in runs]
    by_arrays = iter(dictionary_cut.cut_many([run for run, block in zip(runs, blocks, strict=True) if block]))
    return [next(by_arrays) if block else _cut(tokenizer, run) for run, block in zip(runs, blocks, strict=True)]


# each text is analysed twice in a row (words, then bigrams): fold it once
_fold = functools.lru_cache(maxsize=16)(fold_with_offsets)
# a bulk write folds a text for its key column, then cuts a batch of texts before it keeps them for their bigrams
# (kb.search.bulk): the folded texts alone (no offsets), kept for a batch and more
_folded = functools.lru_cache(maxsize=1024)(fold)


def words(text: str, words_file: str = "", cache_dir: str = "") -> Iterator[tuple[str, int, int]]:
    """(word, start, end) over the folded text, offsets into ``text``; acronyms stay single words."""
    for word, start, end, _ in _words(text, words_file, cache_dir):
        yield word, start, end


def _words(text: str, words_file: str, cache_dir: str) -> Iterator[tuple[str, int, int, bool]]:
    """Like :func:`words`, each with whether something (punctuation, a symbol) stood before it."""
    folded, offsets = _fold(text)
    cut = None
    for at, run, gap in _runs(folded):
        if _is_cut(run):
            cut = cut or _cutter(words_file, cache_dir)
            pieces = cut(run)
        else:
            pieces = [run]
        for word in pieces:
            end = at + len(word)
            yield word, offsets[at], offsets[end - 1] + 1, gap
            at = end
            gap = False


def _runs(folded: str) -> Iterator[tuple[int, str, bool]]:
    """Each run of Chinese characters or acronym in ``folded``: where it starts, the run, and whether something
    (punctuation, a symbol) stood before it."""
    previous_end = 0
    for run in _RUNS.finditer(folded):
        yield run.start(), run.group(0), run.start() != previous_end
        previous_end = run.end()


def _is_cut(run: str) -> bool:
    """Whether a run is cut into words (else it is one word: a single character, an acronym)."""
    return len(run) > 1 and not ACRONYM.fullmatch(run)


_JIEBA_BLOCK = re.compile("[\u4e00-\u9fd5]+")  # characters jieba's cut() hands to its DAG as one block


def _cut(tokenizer: jieba.Tokenizer, run: str) -> list[str]:
    """``tokenizer.cut(run)``: for a run jieba takes as one block (most of them), its DAG cut straight away,
    without cut()'s splitting and generators (a few µs a run, and a text has dozens of runs)."""
    if _JIEBA_BLOCK.fullmatch(run):
        return list(tokenizer._Tokenizer__cut_DAG(run))  # what cut() yields for a single block (jieba 0.42)
    return list(tokenizer.cut(run))


def bigrams(text: str) -> Iterator[tuple[str, int, int]]:
    """Every pair of adjacent folded characters, and the last character alone (so one-character
    queries find it too); offsets into ``text``. Nothing spans the separator between a text and its title
    (or between the title's parts), so no query matches across it."""
    folded, offsets = _fold(text)
    for gram, at in _grams(folded):
        yield gram, offsets[at], offsets[at + len(gram) - 1] + 1


def _grams(folded: str) -> list[tuple[str, int]]:
    """The bigrams of each separated part of ``folded``, each with its index."""
    found: list[tuple[str, int]] = []
    start = 0
    for part in folded.split(TITLE_SEPARATOR):
        if part:
            found += zip(map(str.__add__, part, part[1:]), range(start, start + len(part) - 1), strict=True)
            found.append((part[-1], start + len(part) - 1))
        start += len(part) + 1
    return found


def word_positions(text: str, words_file: str = "", cache_dir: str = "") -> dict[str, list[int]]:
    """Each word of ``text`` with its positions, as the index's ``words`` field holds them (what
    ``_KBTokenizer("words")`` yields when Whoosh indexes ``text``)."""
    words, positions, _ = word_sequences([text], words_file, cache_dir)
    found: dict[str, list[int]] = {}
    for word, position in zip(words, positions.tolist(), strict=True):
        found.setdefault(word, []).append(position)
    return found


def word_sequences(texts: Sequence[str], words_file: str = "", cache_dir: str = "") -> tuple[list[str], np.ndarray,
                                                                                             list[int]]:
    """The words of each text in order and their positions, as the index's ``words`` field holds them: every
    text's words in one list, their positions (each text's from 0; a gap in a text, punctuation or a symbol,
    leaves a hole, so that a phrase never matches across it) and how many words each text has. The runs of all
    the texts are cut together (``cut_runs``: by kb.search.dagcut where ``prepare_bulk_cut`` made its arrays)."""
    runs = [list(_runs(_folded(text))) for text in texts]
    cuts = iter(cut_runs([run for found in runs for _, run, _ in found if _is_cut(run)], words_file, cache_dir))
    words: list[str] = []
    run_sizes: list[int] = []
    gaps: list[bool] = []  # whether a run's first word follows a gap
    per_text: list[int] = []
    for found in runs:
        before = len(words)
        for _, run, gap in found:
            if _is_cut(run):
                pieces = next(cuts)
                words += pieces
                run_sizes.append(len(pieces))
            else:
                words.append(run)
                run_sizes.append(1)
            gaps.append(gap)
        per_text.append(len(words) - before)
    steps = np.ones(len(words), dtype=np.int64)  # each word's position after the one before it
    sizes = np.array(run_sizes, dtype=np.int64)
    steps[(np.cumsum(sizes) - sizes)[np.array(gaps, dtype=bool)]] = 2
    counts = np.array(per_text, dtype=np.int64)
    firsts = (np.cumsum(counts) - counts)[counts > 0]
    steps[firsts] = 1  # a text's first word is at 0, whatever stands before it
    at = np.cumsum(steps)
    positions = at - np.repeat(at[firsts] - 1, counts[counts > 0]) - 1 if len(words) else at
    return words, positions, per_text


def gram_codes(folded: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The grams of each of ``folded`` (folded texts) as the index's ``grams`` field holds them (what
    ``_KBTokenizer("grams")`` yields), in order, as numbers that sort as the
    grams' UTF-8 bytes do (``gram_text`` reads one): a bigram's characters' code points ``a << 21 | b + 1``, a
    part's last character ``a << 21``; and how many grams each text has. A bulk write counts them for many texts
    at once (kb.search.bulk)."""
    points = np.frombuffer("".join(folded).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
    sizes = np.fromiter(map(len, folded), np.int64, len(folded))
    ends = np.cumsum(sizes)
    separator = points == ord(TITLE_SEPARATOR)
    alone = np.zeros(len(points), dtype=bool)  # a part's last character: before a separator or a text's end
    alone[:-1] = separator[1:]
    alone[ends[sizes > 0] - 1] = True
    following = np.zeros(len(points), dtype=np.int64)
    following[:-1] = points[1:] + 1
    codes = points << 21 | np.where(alone, 0, following)
    kept = np.concatenate(([0], np.cumsum(~separator)))
    return codes[~separator], kept[ends] - kept[ends - sizes]


def gram_text(code: int) -> str:
    """The gram a number of ``gram_codes`` stands for."""
    second = code & 0x1FFFFF
    return chr(code >> 21) + chr(second - 1) if second else chr(code >> 21)


class _KBTokenizer(Tokenizer):
    """Keeps only configuration, so Whoosh can pickle it inside the schema."""

    def __init__(self, kind: str, words_file: str = "", cache_dir: str = ""):
        self.kind = kind
        self.words_file = words_file
        self.cache_dir = cache_dir

    def __eq__(self, other):
        return isinstance(other, _KBTokenizer) and vars(self) == vars(other)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if self.kind == "grams" and not (chars or keeporiginal):  # how the index calls it: texts only
            for position, (gram, _) in enumerate(_grams(_fold(value)[0]), start_pos):
                token.text = gram
                token.boost = 1.0
                token.pos = position
                yield token
            return
        if self.kind == "grams":
            pieces = ((gram, start, end, False) for gram, start, end in bigrams(value))
        else:
            pieces = _words(value, self.words_file, self.cache_dir)
        position = start_pos - 1
        for text, start, end, gap in pieces:
            # a gap in the text leaves a hole in the positions, so a phrase never matches across it
            position += 2 if gap and position >= start_pos else 1
            token.text = text
            token.boost = 1.0
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = position
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


