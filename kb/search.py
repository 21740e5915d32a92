"""Full-text search over entries and passages: the only module that knows Whoosh.

Each text is indexed twice: ``words``, jieba words (every label a user word, acronyms such as 3+1+N kept
whole, positions sequential so phrases match), and ``grams``, character bigrams, so that any substring of
two or more characters is found as a phrase. Both also hold an entry's labels or a passage's section trail,
after its text. Everything passes through the one normaliser.

The index is derived from the store. A stamp document inside the index records the store revision it
reflects; it is written in the same commit as the changes, so a stale index is always detectable.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import pickle
import re
import threading
import time
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import jieba
from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh import writing
from whoosh.analysis import Token, Tokenizer
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3PostingsWriter
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.index import LockError
from whoosh.scoring import BM25F

from kb.errors import KBError
from kb.normalize import ACRONYM, fold_with_offsets, label_key

_RUNS = re.compile(ACRONYM.pattern + r"|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_STAMP_ID = "~stamp"
USER_WORD_FREQ = 10_000
WRITE_TIMEOUT_S = 10.0
WRITER_MEMORY_MB = 1024  # postings kept in memory before Whoosh spills sorted runs to disk (slow)
SNIPPET_CHARS = 80
TITLE_SEPARATOR = "|"  # between a text and its title's parts; no bigram or phrase spans it
_SENTENCE_END = "。；！？;!?\n"

logging.getLogger("jieba").setLevel(logging.WARNING)


class SearchBusy(KBError):
    def __init__(self, where: str):
        super().__init__(f"the search index at {where} is locked by another writer; try again")


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
        partial = cache.with_suffix(f".{os.getpid()}.tmp")
        with partial.open("wb") as f:
            pickle.dump((jieba.__version__, tokenizer.FREQ, tokenizer.total), f, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(cache)
    return tokenizer.FREQ, tokenizer.total


def preload(cache_dir: str = "") -> None:
    """Load jieba's dictionary now, e.g. in a server's master process before it forks workers."""
    _base_dictionary(cache_dir)


class _UserWords:
    """A private ``jieba.Tokenizer`` and the user words applied to it, kept in step with a words file."""

    def __init__(self, cache_dir: str):
        freq, total = _base_dictionary(cache_dir)
        self.tokenizer = jieba.Tokenizer()
        self.tokenizer.FREQ, self.tokenizer.total = dict(freq), total
        self.tokenizer.initialized = True
        self.original: dict[str, int | None] = {}
        self.stamp: tuple[int, int] | None = None

    def sync(self, words_file: str) -> jieba.Tokenizer:
        path = Path(words_file) if words_file else None
        try:
            st = path.stat() if path else None
        except FileNotFoundError:
            st = None
        stamp = (st.st_mtime_ns, st.st_size) if st else (0, 0)
        if stamp != self.stamp:
            wanted = set(path.read_text(encoding="utf-8").split("\n")) - {""} if st else set()
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


# each text is analysed twice in a row (words, then bigrams): fold it once
_fold = functools.lru_cache(maxsize=16)(fold_with_offsets)


def words(text: str, words_file: str = "", cache_dir: str = "") -> Iterator[tuple[str, int, int]]:
    """(word, start, end) over the folded text, offsets into ``text``; acronyms stay single words."""
    for word, start, end, _ in _words(text, words_file, cache_dir):
        yield word, start, end


def _words(text: str, words_file: str, cache_dir: str) -> Iterator[tuple[str, int, int, bool]]:
    """Like :func:`words`, each with whether something (punctuation, a symbol) stood before it."""
    folded, offsets = _fold(text)
    tokenizer = None
    previous_end = 0
    for run in _RUNS.finditer(folded):
        if len(run.group(0)) == 1 or ACRONYM.fullmatch(run.group(0)):
            pieces = [(run.group(0), 0, len(run.group(0)))]
        else:
            tokenizer = tokenizer or _tokenizer(words_file, cache_dir)
            pieces = list(tokenizer.tokenize(run.group(0)))
        gap = run.start() != previous_end
        previous_end = run.end()
        for word, start, end in pieces:
            a, b = run.start() + start, run.start() + end
            yield word, offsets[a], offsets[b - 1] + 1, gap
            gap = False


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


def schema(words_file: str = "", cache_dir: str = "") -> Schema:
    return Schema(
        kind=ID(stored=True), id=ID(stored=True, unique=True), document=ID(stored=True),
        digest=STORED, text=STORED, key=STORED, stamp=STORED, store=STORED,
        words=TEXT(analyzer=_KBTokenizer("words", words_file, cache_dir), phrase=True),
        # no positions: a text that has every bigram of a query term is a candidate, and the search
        # keeps it only if a part of its folded text and title (``key``) contains the term; exact,
        # and cheaper to index
        grams=TEXT(analyzer=_KBTokenizer("grams"), phrase=False),
    )


class _PostingsWriter(W3PostingsWriter):
    """Whoosh 2.7's writer with its inlining fixed: it calls a ``set_inline`` that does not exist, and
    its reader gives inlined postings without values the value '' (a str), which a merge refuses."""

    def finish_postings(self):
        if not self.written() and len(self._ids) < self._inlinelimit:
            terminfo = self._terminfo
            terminfo.add_block(self)
            # a format without values (bigram frequencies) still needs one bytes value per posting, or
            # merging segments later reads '' (a str) and fails
            values = self._values if len(self._values) == len(self._ids) else [b""] * len(self._ids)
            terminfo.set_inlined(self._ids, self._weights, values)
            self._terminfo = None
            return terminfo
        return super().finish_postings()


class _Lengths:
    """A document's field length, read once per field rather than once per posting."""

    def __init__(self, lengths):
        self._read = lengths.doc_field_length
        self._known: dict[tuple[int, str], int] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        key = (docnum, fieldname)
        if key not in self._known:
            self._known[key] = self._read(docnum, fieldname, default)
        return self._known[key]


class _FieldWriter(W3FieldWriter):
    def add_postings(self, schema, lengths, items):
        return super().add_postings(schema, _Lengths(lengths) if lengths else lengths, items)


class _Codec(W3Codec):
    """Short posting lists (most bigrams are in a few texts) live inside the term table instead of
    blocks of their own, blocks are not compressed, and field lengths are read once per document:
    indexing costs about 40% less than with Whoosh's default codec."""

    def __init__(self, blocklimit: int = 128, compression: int = 0, inlinelimit: int = 32):
        super().__init__(blocklimit, compression, inlinelimit)

    def field_writer(self, storage, segment):
        return _FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile, byteids=False):
        return _PostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                               compression=self._compression, inlinelimit=self._inlinelimit)


# -- queries --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Term:
    """One part of a query: a word, an acronym or a quoted phrase, by its key."""

    key: str

    def query(self, words_file: str, cache_dir: str) -> Q.Query:
        """Any text that contains the key matches (through the bigrams); a text where it is a whole
        jieba word or a whole acronym scores higher (through the words)."""
        if len(self.key) == 1:
            return Q.Prefix("grams", self.key)
        tokens = [w for w, _, _ in words(self.key, words_file, cache_dir)]
        if "".join(tokens) != self.key:  # punctuation inside: only the bigrams see it
            tokens = []
        grams = [g for g, _, _ in bigrams(self.key)][:-1]
        candidates = _sequence("grams", grams, ordered=False)
        if not tokens:
            return candidates
        return _Or([candidates, _sequence("words", tokens, boost=2.0)])

    @property
    def needs_check(self) -> bool:
        """Whether the bigrams alone may match a text without the term (three characters or more)."""
        return len(self.key) > 2 or TITLE_SEPARATOR in self.key


class _Or(Q.Or):
    """An Or that always builds a plain union matcher: Whoosh's array matcher costs more than it saves here."""

    matcher_type = Q.Or.DEFAULT_MATCHER


def _sequence(fieldname: str, tokens: list[str], boost: float = 1.0, ordered: bool = True) -> Q.Query:
    if len(tokens) == 1:
        return Q.Term(fieldname, tokens[0], boost=boost)
    if not ordered:
        return Q.And([Q.Term(fieldname, token) for token in dict.fromkeys(tokens)], boost=boost)
    return Q.Phrase(fieldname, tokens, boost=boost)


def parse_query(text: str) -> list[Term]:
    """Quoted phrases ("…" or “…”) stay whole; other words are split at spaces; every part is required.
    A part made only of punctuation is dropped."""
    parts = re.findall(r'"([^"]+)"|“([^”]+)”|(\S+)', text)
    terms = [label_key(next(p for p in part if p)) for part in parts]
    unique: list[Term] = []
    for key in terms:
        if searchable(key) and Term(key) not in unique:
            unique.append(Term(key))
    return unique


def searchable(text: str) -> bool:
    """Whether ``text`` has a letter, digit or Chinese character: punctuation alone is not a query."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def highlights(text: str, terms: Iterable[Term]) -> list[tuple[int, int]]:
    """Where the query's terms occur in ``text``, as sorted, merged (start, end) offsets into it."""
    folded, offsets = fold_with_offsets(text)
    spans = []
    for term in terms:
        at = folded.find(term.key)
        while at >= 0:
            spans.append((offsets[at], offsets[at + len(term.key) - 1] + 1))
            at = folded.find(term.key, at + 1)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(text: str, spans: list[tuple[int, int]], size: int = SNIPPET_CHARS) -> tuple[int, str]:
    """A window of about ``size`` characters around the first span, starting at a sentence when one
    starts shortly before it: (offset of the window in ``text``, window)."""
    if len(text) <= size:
        return 0, text
    first = spans[0][0] if spans else 0
    start = max(0, first - size // 4)
    boundary = max(text.rfind(ch, start, first) for ch in _SENTENCE_END)
    if boundary >= 0:
        start = boundary + 1
    start = max(0, min(start, len(text) - size))
    return start, text[start:start + size]


# -- the index ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SearchDoc:
    """One entry or passage as the index sees it."""

    kind: str  # "entry" | "passage"
    id: str
    document: str
    text: str
    title: str = ""
    boost: float = 1.0

    @property
    def digest(self) -> str:
        return hashlib.sha1(json.dumps([self.kind, self.document, self.text, self.title, self.boost],
                                       ensure_ascii=False).encode()).hexdigest()


@dataclass
class Hit:
    kind: str
    id: str
    document: str
    score: float
    offset: int
    snippet: str
    highlights: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Results:
    total: int
    hits: list[Hit]


@dataclass(frozen=True)
class SyncReport:
    added: int
    updated: int
    deleted: int
    revision: int


class SearchIndex:
    """A Whoosh index in ``directory``; the jieba cache lives in ``cache_dir`` (the data dir).

    Writers take Whoosh's lock with a timeout and hold it only while writing; each thread keeps its own
    searcher and refreshes it on every search, so changes by other processes show at once.
    """

    def __init__(self, directory: Path, cache_dir: Path | None = None):
        self.directory = Path(directory)
        self.words_file = str((self.directory / "words.txt").resolve())
        self.cache_dir = str(Path(cache_dir or self.directory).resolve())
        self._local = threading.local()
        self._ix = None
        self._signal = self.directory / "changed"

    # -- opening ------------------------------------------------------------------------------
    def _index(self):
        if self._ix is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            wanted = schema(self.words_file, self.cache_dir)
            if whoosh_index.exists_in(str(self.directory)):
                ix = whoosh_index.open_dir(str(self.directory))
                if ix.schema == wanted:
                    self._ix = ix
                    return ix
                ix.close()  # made elsewhere (another data dir path) or by an older kb: start afresh
            self._ix = whoosh_index.create_in(str(self.directory), wanted)
        return self._ix

    def preload(self) -> None:
        preload(self.cache_dir)
        _tokenizer(self.words_file, self.cache_dir)

    def close(self) -> None:
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            searcher.close()
            self._local.searcher = None
        if self._ix is not None:
            self._ix.close()
            self._ix = None

    def _searcher(self):
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None and not searcher.up_to_date():
            # not Searcher.refresh(): it reuses the readers of segments that have new deletions since,
            # so an updated document would show twice
            searcher.close()
            searcher = None
        if searcher is None:
            searcher = self._local.searcher = self._index().searcher(weighting=BM25F())
            self._local.stamp = _stamp(searcher.document(id=_STAMP_ID))
        return searcher

    def stamp(self) -> tuple[str, int] | None:
        """(store id, store revision) that the index reflects, or None for a new index. Cheap: every
        commit here also rewrites a small file, and while that file is unchanged the last stamp holds."""
        try:
            st = self._signal.stat()
            seen = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            seen = None
        fresh = getattr(self._local, "searcher", None) is not None and seen == getattr(self._local, "signal", None)
        if seen is None or not fresh:
            self._searcher()
            self._local.signal = seen
        return self._local.stamp

    def _signal_commit(self) -> None:
        """Tell readers in other processes that the index changed (see ``stamp``)."""
        partial = self._signal.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(f"{time.time_ns()}\n", encoding="utf-8")
        partial.replace(self._signal)

    def revision(self) -> int | None:
        """The store revision the index reflects, or None for a new index."""
        stamp = self.stamp()
        return None if stamp is None else stamp[1]

    # -- writing ------------------------------------------------------------------------------
    def _writer(self):
        try:
            return self._index().writer(timeout=WRITE_TIMEOUT_S, codec=_Codec(), limitmb=WRITER_MEMORY_MB)
        except LockError as error:
            raise SearchBusy(str(self.directory)) from error

    def _write_words(self, user_words: Iterable[str]) -> None:
        keys = sorted({label_key(w) for w in user_words} - {""})
        text = "\n".join(k for k in keys if len(k) > 1 and not ACRONYM.fullmatch(k)) + "\n"
        path = Path(self.words_file)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            tmp = path.with_suffix(".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)

    def sync(self, docs: Iterable[SearchDoc], user_words: Iterable[str], revision: int,
             rebuild: bool = False, store: str = "") -> SyncReport:
        """Make the index hold exactly ``docs`` at ``revision`` of ``store``: only what changed is
        rewritten, unless ``rebuild``. An index already at this revision or a later one of the same
        store is left alone (another process got there first; never roll back)."""
        docs = list(docs)
        writer = self._writer()
        try:
            reader = writer.reader()
            held = {f["id"]: f.get("digest") for f in reader.all_stored_fields() if f.get("id") != _STAMP_ID}
            stamp = _stamp(next((f for f in reader.all_stored_fields() if f.get("id") == _STAMP_ID), None))
            if not rebuild and stamp is not None and stamp[0] == store and stamp[1] >= revision:
                writer.cancel()
                return SyncReport(0, 0, 0, stamp[1])
            self._write_words(user_words)
            wanted = {d.id: d for d in docs}
            if rebuild:
                added, updated, deleted = len(wanted), 0, 0
                changed = list(wanted.values())
                for doc in changed:
                    writer.add_document(**_fields(doc))
                writer.add_document(id=_STAMP_ID, kind="stamp", stamp=str(revision), store=store)
                writer.commit(mergetype=writing.CLEAR)
                self._signal_commit()
                return SyncReport(added, updated, deleted, revision)
            deleted = 0
            for doc_id in held.keys() - wanted.keys():
                writer.delete_by_term("id", doc_id)
                deleted += 1
            added = updated = 0
            for doc in wanted.values():
                if doc.id not in held:
                    writer.add_document(**_fields(doc))
                    added += 1
                elif held[doc.id] != doc.digest:
                    writer.update_document(**_fields(doc))
                    updated += 1
            writer.update_document(id=_STAMP_ID, kind="stamp", stamp=str(revision), store=store)
            writer.commit()
            self._signal_commit()
            return SyncReport(added, updated, deleted, revision)
        except BaseException:
            if not writer.is_closed:
                writer.cancel()
            raise

    def update(self, docs: Iterable[SearchDoc], deleted: Iterable[str], user_words: Iterable[str],
               revision: int, store: str = "") -> None:
        """Apply a few changes (an editor's write) in one short commit, with the new revision."""
        docs = list(docs)
        self._write_words(user_words)
        _tokenizer(self.words_file, self.cache_dir)  # new user words are applied before taking the lock
        writer = self._writer()
        try:
            for doc_id in deleted:
                writer.delete_by_term("id", doc_id)
            for doc in docs:
                writer.update_document(**_fields(doc))
            writer.update_document(id=_STAMP_ID, kind="stamp", stamp=str(revision), store=store)
            writer.commit()
            self._signal_commit()
        except BaseException:
            if not writer.is_closed:
                writer.cancel()
            raise

    # -- searching ----------------------------------------------------------------------------
    def search(self, text: str, document: str | None = None, kind: str | None = None,
               limit: int | None = 10, offset: int = 0) -> Results:
        """Entries and passages that contain every part of the query, best first."""
        terms = parse_query(text)
        if not terms:
            return Results(0, [])
        query = Q.And([t.query(self.words_file, self.cache_dir) for t in terms])
        filters = [Q.Term(name, value) for name, value in (("kind", kind), ("document", document)) if value]
        searcher = self._searcher()
        # every match is scored: cheaper here than a second pass to count them
        results = searcher.search(query, filter=Q.And(filters) if filters else None, limit=None)
        matches = list(results)
        checks = [t.key for t in terms if t.needs_check]
        if checks:
            matches = [m for m in matches if all(any(key in part for part in m["key"]) for key in checks)]
        stop = None if limit is None else offset + limit
        hits = []
        for found in matches[offset:stop]:
            body = found["text"]
            spans = highlights(body, terms)
            start, window = snippet(body, spans)
            inside = [(max(s, start) - start, min(e, start + len(window)) - start)
                      for s, e in spans if s < start + len(window) and e > start]
            hits.append(Hit(found["kind"], found["id"], found["document"], round(found.score, 4),
                            start, window, inside))
        return Results(len(matches), hits)


def _stamp(fields: dict | None) -> tuple[str, int] | None:
    return None if fields is None else (fields.get("store") or "", int(fields["stamp"]))


def _fields(doc: SearchDoc) -> dict:
    indexed = f"{doc.text}{TITLE_SEPARATOR}{doc.title}" if doc.title else doc.text
    return {"kind": doc.kind, "id": doc.id, "document": doc.document, "digest": doc.digest,
            "text": doc.text, "key": _fold(indexed)[0].split(TITLE_SEPARATOR),
            "words": indexed, "grams": indexed, "_boost": doc.boost}
