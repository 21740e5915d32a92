"""Full-text search over entries and passages: the only package that knows Whoosh (analysis, codec, query).

Each text is indexed twice: ``words``, jieba words (every label a user word, acronyms such as 3+1+N kept
whole, positions sequential so phrases match), and ``grams``, character bigrams, so that any substring of
two or more characters is found as a phrase. Both also hold an entry's labels or a passage's section trail,
after its text. Everything passes through the one normaliser.

A query's parts are all required; an unspaced part is found as typed or, ranked below, as its words anywhere
(kb.search.query); scores come from each hit alone, so keyset pages hold across writes (kb.search.ranking).

The index is derived from the store. A stamp document inside the index records the store revision it
reflects; it is written in the same commit as the changes, so a stale index is always detectable.
"""

import bisect
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import query as Q
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError

from kb.errors import KBError
from kb.files import replace_file
from kb.normalize import ACRONYM, label_key
from kb.search import bulk as bulk_writing
from kb.search import topk
from kb.search.analysis import (  # noqa: F401 - the package's API, and names old pickled schemas use
    TITLE_SEPARATOR,
    _fold,
    _folded,
    _KBTokenizer,
    _tokenizer,
    bigrams,
    preload,
    prepare_bulk_cut,
    words,
)
from kb.search.codec import KeyColumn, _Codec  # noqa: F401 - segments written before the split name _Codec here
from kb.search.query import Part, Term, highlights, parse_query, searchable, snippet  # noqa: F401
from kb.search.ranking import Grade, LocalBM25, banded, grade, units
from kb.search.storage import MappedStorage

_STAMP_ID = "~stamp"
WRITE_TIMEOUT_S = 10.0
WRITER_MEMORY_MB = 1024  # postings kept in memory before Whoosh spills sorted runs to disk (slow)
PARALLEL_DOCS = 2000  # a whole index of at least this many texts is written by several processes
MAX_PROCS = 4
# a whole index of at least this many characters is cut into words by arrays of the dictionary (kb.search.dagcut):
# they take 1-1.7 s to make, and halve the cost of cutting
BULK_CUT_CHARS = 500_000


class SearchBusy(KBError):
    def __init__(self, where: str):
        super().__init__(f"the search index at {where} is locked by another writer; try again")


# -- jieba: one dictionary load per process, one private tokenizer per word list --------------------
def schema(words_file: str = "", cache_dir: str = "") -> Schema:
    return Schema(
        kind=ID(stored=True), id=ID(stored=True, unique=True), document=ID(stored=True),
        digest=STORED, text=STORED, title=STORED, stamp=STORED, store=STORED, key=COLUMN(KeyColumn()),
        words=TEXT(analyzer=_KBTokenizer("words", words_file, cache_dir), phrase=True),
        # no positions: a text that has every bigram of a query term is a candidate, and the search
        # keeps it only if a part of its folded text and title (``key``) contains the term; exact,
        # and cheaper to index
        grams=TEXT(analyzer=_KBTokenizer("grams"), phrase=False),
    )


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


HIGHLIGHTS_IN = ("text", "heading", "label")  # a hit's text, a passage's heading, an entry's label


@dataclass
class Hit:
    """One hit: its snippet is a window of its text, or, when the text holds nothing of the query (it matched
    through its title), of the heading or label that does (``highlights_in``); highlights are spans in it."""

    kind: str
    id: str
    document: str
    score: float
    offset: int
    snippet: str
    highlights: list[tuple[int, int]] = field(default_factory=list)
    highlights_in: str = "text"  # one of HIGHLIGHTS_IN

    @property
    def position(self) -> tuple[int, str]:
        """Where the hit stands in the ranking (a keyset cursor holds it): its score in units, its id."""
        return units(self.score), self.id


@dataclass
class Results:
    total: int
    hits: list[Hit]
    more: bool = False  # whether hits follow the last of ``hits``


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
        self._wix = None
        self._signal = self.directory / "changed"
        self._segments = topk.SegmentCache()

    # -- opening ------------------------------------------------------------------------------
    def _index(self):
        """The index for searching: its files memory-mapped and read in place (kb.search.storage), so every
        process shares their pages."""
        if self._ix is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            wanted = schema(self.words_file, self.cache_dir)
            storage = MappedStorage(str(self.directory))
            if storage.index_exists():
                ix = storage.open_index()
                if ix.schema == wanted:
                    self._ix = ix
                    return ix
                ix.close()  # made elsewhere (another data dir path) or by an older kb: start afresh
            self._ix = storage.create_index(wanted)
        return self._ix

    def _write_index(self):
        """The same index for writing, its files read without mmap: Whoosh copies a memory-mapped file whole
        into a BytesIO each time a reader opens it (BufferFile), and a writer opens a reader, so every small
        write cost as much as the index is large."""
        if self._wix is None:
            self._index()  # made (or made again) first
            self._wix = FileStorage(str(self.directory), supports_mmap=False).open_index()
        return self._wix

    def preload(self) -> None:
        preload(self.cache_dir)
        _tokenizer(self.words_file, self.cache_dir)

    def close(self) -> None:
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            searcher.close()
            self._local.searcher = self._local.keys = None
        for ix in (self._ix, self._wix):
            if ix is not None:
                ix.close()
        self._ix = self._wix = None

    def _searcher(self):
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None and not searcher.up_to_date():
            # not Searcher.refresh(): it reuses the readers of segments that have new deletions since,
            # so an updated document would show twice
            searcher.close()
            searcher = None
        if searcher is None:
            searcher = self._local.searcher = self._index().searcher(weighting=LocalBM25())
            self._local.stamp = _stamp(searcher.document(id=_STAMP_ID))
            reader = searcher.reader()  # a new index's reader has no columns (nor any document)
            self._local.keys = reader.column_reader("key", translate=False) if reader.has_column("key") else None
            self._segments.keep(r.segment().segment_id() for r, _ in reader.leaf_readers() if r.segment())
        return searcher

    def _keys(self, docnum: int) -> tuple[str, str, list[str]]:
        """The kind, id and folded fields (text, then the title's parts) of a document of the current searcher."""
        kind, ident, folded = self._local.keys[docnum].decode("utf-8", "surrogatepass").split("\0", 2)
        return kind, ident, folded.split(TITLE_SEPARATOR)

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
        replace_file(self._signal, f"{time.time_ns()}\n")

    def revision(self) -> int | None:
        """The store revision the index reflects, or None for a new index."""
        stamp = self.stamp()
        return None if stamp is None else stamp[1]

    # -- writing ------------------------------------------------------------------------------
    def _writer(self, bulk: bool = False):
        """The one writer (Whoosh's lock, with a timeout): Whoosh's own for a few changes, or ``bulk``, one for a
        whole index (kb.search.bulk)."""
        try:
            if bulk:
                return bulk_writing.BulkWriter(self._write_index(), timeout=WRITE_TIMEOUT_S, **self._options())
            return self._write_index().writer(timeout=WRITE_TIMEOUT_S, limitmb=WRITER_MEMORY_MB, **self._options())
        except LockError as error:
            raise SearchBusy(str(self.directory)) from error

    @staticmethod
    def _options() -> dict:
        return {"codec": _Codec()}

    def _write_words(self, user_words: Iterable[str], folded: bool = False) -> None:
        """The tokenizer's user words, from labels (``folded``: label keys already)."""
        keys = sorted(set(user_words if folded else map(label_key, user_words)) - {""})
        self.directory.mkdir(parents=True, exist_ok=True)
        text = "\n".join(k for k in keys if len(k) > 1 and not ACRONYM.fullmatch(k)) + "\n"
        path = Path(self.words_file)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            replace_file(path, text)  # an editor's write does this before taking the index's lock

    def sync(self, docs: Iterable[SearchDoc], user_words: Iterable[str], revision: int,
             rebuild: bool = False, store: str = "", folded: bool = False) -> SyncReport:
        """Make the index hold exactly ``docs`` at ``revision`` of ``store``: only what changed is
        rewritten, unless ``rebuild``. An index already at this revision or a later one of the same
        store is left alone (another process got there first; never roll back)."""
        docs = list(docs)
        # a whole index written at once (a first build, a reindex) is analysed on every core
        implied = not rebuild and self.stamp() is None
        rebuild = rebuild or implied
        writer = self._writer(bulk=rebuild)
        try:
            with writer.searcher() as searcher:
                stamp = _stamp(searcher.document(id=_STAMP_ID))
            if (not rebuild or implied) and stamp is not None and stamp[0] == store and stamp[1] >= revision:
                writer.cancel()  # (implied: another process built the index since ``stamp()`` found none)
                return SyncReport(0, 0, 0, stamp[1])
            self._write_words(user_words, folded)
            wanted = {d.id: d for d in docs}
            if rebuild:
                changed = list(wanted.values())
                procs = min(os.cpu_count() or 1, MAX_PROCS) if len(changed) >= PARALLEL_DOCS else 1
                writing, own = self._start_whole(writer, changed, procs, here=True)
                writing.commit(writer, _stamp_fields(revision, store), own)
                self._signal_commit()
                return SyncReport(len(changed), 0, 0, revision)
            held = {f["id"]: f.get("digest") for f in writer.reader().all_stored_fields() if f.get("id") != _STAMP_ID}
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
            writer.update_document(**_stamp_fields(revision, store))
            writer.commit()
            self._signal_commit()
            return SyncReport(added, updated, deleted, revision)
        except BaseException:
            if not writer.is_closed:
                writer.cancel()
            raise

    def prepare(self, docs: Iterable[SearchDoc], user_words: Iterable[str], folded: bool = False) -> "Prepared | None":
        """Start writing the whole index of ``docs`` now, in other processes, for a revision not known yet: a build
        stores its content meanwhile, then commits the index at the revision the store gave it. The index's
        lock is held from here to the commit (or ``cancel``). None where it does not pay: fewer than
        ``PARALLEL_DOCS`` texts (then ``sync`` once the revision is known)."""
        docs = list(docs)
        if len(docs) < PARALLEL_DOCS:
            return None
        writer = self._writer(bulk=True)
        try:
            self._write_words(user_words, folded)
            writing, _ = self._start_whole(writer, docs, min(os.cpu_count() or 1, MAX_PROCS), here=False)
        except BaseException:
            writer.cancel()
            raise
        return Prepared(self, writer, writing, len(docs))

    def _start_whole(self, writer, docs: list[SearchDoc], procs: int,
                     here: bool) -> tuple[bulk_writing.Writing, range]:
        """Start writing ``docs`` as the whole index (``writer`` holds the lock, the user words are written): cut
        into ``procs`` runs of about equal text, each written by a forked process, except the first if ``here``
        (returned: this process writes it at the commit)."""
        _tokenizer(self.words_file, self.cache_dir)  # the user words, loaded once before the fork
        sizes = [len(d.text) + len(d.title) for d in docs]
        if sum(sizes) >= BULK_CUT_CHARS:
            prepare_bulk_cut(self.words_file, self.cache_dir)  # also before the fork, which shares it
        parts = bulk_writing.share(len(docs), sizes, procs)
        own = parts[0] if here and parts else range(0)
        forked = parts[1:] if here else parts
        return bulk_writing.Writing(self._write_index(), self._options(), lambda i: _fields(docs[i]), forked), own

    def update(self, docs: Iterable[SearchDoc], deleted: Iterable[str], user_words: Iterable[str] | None,
               revision: int, store: str = "", folded: bool = False) -> bool:
        """Apply a few changes (an editor's write) in one short commit; False (nothing done) if the index holds
        no build of ``store`` yet (then ``sync`` it whole). The stamp never goes back: another writer's later
        revision, already in the index, stays its stamp. ``user_words``: None if the write changed none
        (``folded``: they are keys already)."""
        docs = list(docs)
        if user_words is not None:
            self._write_words(user_words, folded)
        _tokenizer(self.words_file, self.cache_dir)  # new user words are applied before taking the lock
        writer = self._writer()
        try:
            with writer.searcher() as searcher:
                held = _stamp(searcher.document(id=_STAMP_ID))
            if held is None or held[0] != store:
                writer.cancel()
                return False
            revision = max(revision, held[1])
            for doc_id in deleted:
                writer.delete_by_term("id", doc_id)
            for doc in docs:
                writer.update_document(**_fields(doc))
            writer.update_document(**_stamp_fields(revision, store))
            writer.commit()
            self._signal_commit()
            return True
        except BaseException:
            if not writer.is_closed:
                writer.cancel()
            raise

    def containing(self, keys: Iterable[str], kind: str, document: str | None = None) -> set[str]:
        """The ids of the entries or passages (``kind``) whose text holds one of ``keys`` (folded already):
        candidates through the bigrams, each checked in its folded text."""
        searcher = self._searcher()
        given = [("kind", kind)] + ([("document", document)] if document else [])
        filters = [Q.Term(name, value) for name, value in given]
        found: set[str] = set()
        for key in keys:
            if not key:
                continue
            plans = self._plans([Part(key, (Term(key, ()),))])
            if plans is None:  # one character: the matches of its query
                results = searcher.search(Term(key).query(self.words_file, self.cache_dir), filter=Q.And(filters),
                                          limit=None)
                docnums: Iterable[int] = results.docs()
            else:  # the texts that hold the key's bigrams, from their posting lists (no scores needed)
                docnums = topk.holding(searcher, plans[0], given, self._segments)
            for docnum in docnums:
                _, ident, fields = self._keys(docnum)
                if key in fields[0]:
                    found.add(ident)
        return found

    # -- searching ----------------------------------------------------------------------------
    def search(self, text: str, document: str | None = None, kind: str | None = None,
               limit: int | None = 10, after: tuple[int, str] | None = None) -> Results:
        """Entries and passages that contain every part of the query, best first (kb.search.ranking): ``limit``
        of them from the one after ``after`` (a hit's ``position``, which need not be a hit any more)."""
        parts = parse_query(text, self.words_file, self.cache_dir)
        if not parts:
            return Results(0, [])
        given = [(name, value) for name, value in (("kind", kind), ("document", document)) if value]
        searcher = self._searcher()
        query = self._query(parts)
        plans = self._plans(parts)
        if limit is not None and plans is not None and topk.many(searcher, plans):
            found = topk.top(searcher, query, parts, plans, given, self._keys, self._segments, limit, after)
            if found is not None:
                total, page, more = found
                return Results(total, [_hit(searcher.stored_fields(h.docnum), h.score, h.graded) for h in page],
                               more)
        filters = [Q.Term(name, value) for name, value in given]
        # every match is graded and scored: the bands and the keyset need them all
        results = searcher.search(query, filter=Q.And(filters) if filters else None, limit=None)
        ranked = []
        for raw, docnum in results.top_n:
            kind, ident, fields = self._keys(docnum)
            graded = grade(parts, fields, kind == "passage")
            if graded is not None:
                score = banded(graded.band, raw)
                ranked.append(((-units(score), ident), score, graded, docnum))
        ranked.sort(key=lambda r: r[0])
        start = 0 if after is None else bisect.bisect_right(ranked, (-after[0], after[1]), key=lambda r: r[0])
        stop = len(ranked) if limit is None else start + limit
        hits = [_hit(searcher.stored_fields(docnum), score, graded) for _, score, graded, docnum in ranked[start:stop]]
        return Results(len(ranked), hits, stop < len(ranked))

    def _plans(self, parts: list[Part]) -> list[topk.Plan] | None:
        """How kb.search.topk reads each term of the query, or None if it cannot: a term of one character (a
        prefix of bigrams), or one that the bigrams would read otherwise than it is typed."""
        plans = []
        for term in dict.fromkeys(t for p in parts for t in p.terms):
            if len(term.key) < 2 or TITLE_SEPARATOR in term.key or _fold(term.key)[0] != term.key:
                return None
            grams, tokens = term.arms(self.words_file, self.cache_dir)
            plans.append(topk.Plan(term.key, tuple(dict.fromkeys(grams)), tuple(tokens)))
        return plans

    def _query(self, parts: list[Part]) -> Q.Query:
        """Every piece of every part required (the part itself, when it has no other pieces). Whether a text
        holds a part as typed is graded afterwards (kb.search.ranking), from the folded text."""
        pieces = [t.query(self.words_file, self.cache_dir) for t in dict.fromkeys(t for p in parts for t in p.terms)]
        return pieces[0] if len(pieces) == 1 else Q.And(pieces)


class Prepared:
    """A whole index being written (``SearchIndex.prepare``): ``commit`` it at a revision, or ``cancel`` it."""

    def __init__(self, index: SearchIndex, writer, writing: bulk_writing.Writing, count: int):
        self._index, self._writer, self._writing, self._count = index, writer, writing, count

    def commit(self, revision: int, store: str = "") -> SyncReport:
        self._writing.commit(self._writer, _stamp_fields(revision, store))
        self._index._signal_commit()
        return SyncReport(self._count, 0, 0, revision)

    def cancel(self) -> None:
        self._writing.cancel()
        if not self._writer.is_closed:
            self._writer.cancel()


def _hit(stored: dict, score: float, graded: Grade) -> Hit:
    if graded.field == 0:
        body, where = stored["text"], "text"
    else:
        body = (stored.get("title") or "").split(TITLE_SEPARATOR)[graded.field - 1]
        where = "heading" if stored["kind"] == "passage" else "label"
    spans = highlights(body, graded.marks)
    start, window = snippet(body, spans)
    inside = [(max(s, start) - start, min(e, start + len(window)) - start)
              for s, e in spans if s < start + len(window) and e > start]
    return Hit(stored["kind"], stored["id"], stored["document"], score, start, window, inside, where)


def _stamp_fields(revision: int, store: str) -> dict:
    # a key too, so that every segment has the key column (Whoosh maps a document to a segment's column by
    # the segments that have one)
    return {"id": _STAMP_ID, "kind": "stamp", "stamp": str(revision), "store": store,
            "key": "\0".join(("stamp", _STAMP_ID, "")).encode()}


def _stamp(fields: dict | None) -> tuple[str, int] | None:
    return None if fields is None else (fields.get("store") or "", int(fields["stamp"]))


def _fields(doc: SearchDoc) -> dict:
    indexed = f"{doc.text}{TITLE_SEPARATOR}{doc.title}" if doc.title else doc.text
    return {"kind": doc.kind, "id": doc.id, "document": doc.document, "digest": doc.digest,
            "text": doc.text, "title": doc.title,
            "key": "\0".join((doc.kind, doc.id, _folded(indexed))).encode("utf-8", "surrogatepass"),
            "words": indexed, "grams": indexed, "_boost": doc.boost}
