"""Building the KB from the corpus: parse every document, then replace the store's content in one go."""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from kb import collector, searching
from kb.config import Settings
from kb.derive import Derived, current_entries, derive_all
from kb.errors import IngestError, WarningsAreErrors
from kb.ingest import SOURCE_SUFFIXES, parse_files
from kb.live import SIGNAL_FILE, signal
from kb.model import Edit, IngestWarning, ParsedDocument, Use
from kb.search import Prepared, SearchIndex
from kb.store import Store, make_engine


@dataclass(frozen=True)
class DocumentReport:
    """What a build takes in from one document, and what it warns about."""

    id: str
    title: str
    source: str
    passages: int
    entries: int
    citations: int
    unresolved: int  # markers citing a number no entry of the document has
    mentions: int
    warnings: tuple[IngestWarning, ...]


def corpus_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.is_dir():
        raise IngestError(str(corpus_dir), "the corpus directory does not exist")
    files = sorted(p for p in corpus_dir.iterdir() if p.suffix.lower() in SOURCE_SUFFIXES and p.is_file())
    if not files:
        raise IngestError(str(corpus_dir), f"no documents ({', '.join(SOURCE_SUFFIXES)}) in the corpus directory")
    return files


def report_of(doc: ParsedDocument, uses: list[Use]) -> DocumentReport:
    numbers = {e.number for e in doc.entries}
    cited = [c for p in doc.passages for c in p.citations]
    return DocumentReport(doc.document.id, doc.document.title, doc.document.source, len(doc.passages),
                          len(doc.entries), len(cited), sum(1 for c in cited if c.number not in numbers),
                          sum(1 for u in uses if not u.cited), doc.document.warnings)


def check(paths: list[Path]) -> list[tuple[ParsedDocument, DocumentReport]]:
    """Parse files as a build would, storing nothing: each document and what a build would take in from it."""
    found = []
    for doc in parse_files(paths):
        derived = derive_all(doc.passages, {e.id: e for e in doc.entries}, {})
        found.append((doc, report_of(doc, [u for p in doc.passages for u in derived.uses[p.id]])))
    return found


def fingerprint(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@collector.paused()  # at 1,000 documents: 15 full collections, 7 s of this process's 30 s of CPU
def build(settings: Settings, index: bool = True, strict: bool = False) -> list[DocumentReport]:
    """Parse the whole corpus first; only then replace the store's content, in one transaction,
    so a document that cannot be ingested (or, when ``strict``, one with warnings) leaves the previous
    KB untouched. Then bring the search index up to date, unless ``index`` is false (a bulk load: the
    index catches up at the next start or ``kb reindex``, its stamp telling it is stale). How long it took is
    noted in the store (``Store.record_build``), where a server's metrics read it."""
    started = time.perf_counter()
    files = corpus_files(settings.corpus_dir)
    parsed = parse_files(files)
    _check_unique_ids(parsed)
    if strict and any(doc.document.warnings for doc in parsed):
        raise WarningsAreErrors([(doc.document.source, w) for doc in parsed for w in doc.document.warnings])
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(make_engine(settings.database_url))
    store.create()
    previous = store.info()
    corpus = [e for d in parsed for e in d.entries]
    all_passages = [p for d in parsed for p in d.passages]

    def derive(edits: list[Edit]) -> Derived:
        """The uses and related entries of the entries as they will be: the new corpus with editors' changes."""
        now = current_entries(corpus, edits)
        return derive_all(all_passages, now.entries, now.listed)

    with store.engine.connect() as conn:
        seen = store.edits(conn)
    store_id = previous.get("store") or uuid.uuid4().hex
    search_index = SearchIndex(settings.data_dir / "index", settings.data_dir) if index else None
    try:
        # a missing index is written whole in other processes while this one derives and stores (the revision,
        # known at the end, is stamped when it is committed); else only what changed, once stored
        prepared: Prepared | None = None
        if search_index is not None and search_index.stamp() is None:
            live = current_entries(corpus, seen).entries
            early = searching.docs_of(live, all_passages)
            prepared = search_index.prepare(early, searching.label_keys(live.values()), folded=True)
        derived = derive(seen)  # outside the write lock; derived again under it only if an editor wrote meanwhile
        revision, edits, derived = store.replace_content(
            [d.document for d in parsed], all_passages, corpus,
            # the store's identity tells a search index made for another store (or an older copy) apart
            {"corpus": fingerprint(files), "store": store_id}, derive, seen, derived)
        signal(settings.data_dir / SIGNAL_FILE, revision)  # every process here that serves the KB loads it again
        if search_index is not None:
            # what was just stored, as a snapshot of it would be indexed (kb reindex), without reading it back
            live = current_entries(corpus, edits).entries
            words = searching.label_keys(live.values())
            if prepared is not None:
                written, prepared = prepared, None
                written.commit(revision, store_id)
                if edits != seen:  # an editor wrote while the index was being written: the texts that changed
                    docs, before = searching.docs_of(live, all_passages), {d.id: d.digest for d in early}
                    search_index.update([d for d in docs if before.get(d.id) != d.digest],
                                        sorted(before.keys() - {d.id for d in docs}), words, revision,
                                        store=store_id, folded=True)
            else:
                search_index.sync(searching.docs_of(live, all_passages), words, revision, store=store_id,
                                  folded=True)
    finally:
        if prepared is not None:
            prepared.cancel()
        if search_index is not None:
            search_index.close()
    reports = [report_of(doc, [u for p in doc.passages for u in derived.uses.get(p.id, ())]) for doc in parsed]
    store.record_build(time.perf_counter() - started)
    store.engine.dispose()
    return reports


def _check_unique_ids(parsed: list[ParsedDocument]) -> None:
    seen: dict[str, str] = {}
    for doc in parsed:
        if doc.document.id in seen:
            raise IngestError(doc.document.source, f"document id {doc.document.id!r} is taken by "
                              f"{seen[doc.document.id]}")
        seen[doc.document.id] = doc.document.source


def is_current(settings: Settings) -> bool:
    """Whether the store holds a build of exactly the corpus as it is now."""
    try:
        files = corpus_files(settings.corpus_dir)
        engine = make_engine(settings.database_url)
        try:
            info = Store(engine).info()
        finally:
            engine.dispose()
    except Exception:  # a missing or unreadable store is simply not current
        return False
    return info.get("corpus") == fingerprint(files)
