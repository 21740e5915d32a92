"""The KnowledgeBase: kb's documented Python API that every front end (CLI, HTTP) calls.

It is composed of explicit collaborators: the ``store`` (the truth), ``live`` (this process's snapshot of the
store, kept current), and the ``search_index`` (derived from the store). Reads go to the current snapshot
through kb.lookup, kb.views, kb.searching and kb.linking; writes go through kb.editing, which returns the next
snapshot. A front end calls ``current()`` once per request: the one answer to "is this process up to date?".
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from kb import derive, editing, lookup, searching, views
from kb.config import Settings
from kb.errors import KBNotBuilt, NotFound, TextTooLong
from kb.labels import entry_from_state
from kb.linking import Linker, to_html, to_markdown
from kb.live import SIGNAL_FILE, Live
from kb.model import Document, Entry, Passage, Use
from kb.normalize import fold_fast, label_key
from kb.paging import CURSOR_PATTERN, MAX_LIMIT, check_limit, page  # noqa: F401 - part of this module's API
from kb.readiness import Readiness, readiness_of
from kb.search import SearchIndex, SyncReport
from kb.searching import SEARCH_TYPES  # noqa: F401 - part of this module's API
from kb.snapshot import Snapshot
from kb.store import DERIVED, Store, make_engine

MAX_LINK_CHARS = 100_000  # per text a chat tool asks to link
INDEX_REPLAY_LIMIT = 500  # changes the index applies one by one; further behind, it is synced whole


class KnowledgeBase:
    def __init__(self, store: Store, index_dir: Path | None = None, cache_dir: Path | None = None):
        self.store = store
        try:
            info = store.info()
        except Exception as error:  # no tables yet
            raise KBNotBuilt(str(store.engine.url)) from error
        if "corpus" not in info:  # only a build writes it (a token change before one takes a revision too)
            raise KBNotBuilt(str(store.engine.url))
        store.create()  # a store made by an older kb gains what it lacks
        if info.get("derived") != DERIVED:
            store.rederive()
        self.live = Live(store, None if cache_dir is None else Path(cache_dir) / SIGNAL_FILE)
        self.search_index = None if index_dir is None else SearchIndex(index_dir, cache_dir)

    @classmethod
    def open(cls, settings: Settings) -> KnowledgeBase:
        return cls(Store(make_engine(settings.database_url)), settings.data_dir / "index", settings.data_dir)

    def release(self) -> None:
        """Let go of database connections and open index files (before a fork); they reopen when needed."""
        if self.search_index is not None:
            self.search_index.close()
        self.store.engine.dispose()

    close = release

    # -- freshness -------------------------------------------------------------------------------
    def current(self) -> Snapshot:
        """The snapshot of the store's latest revision: front ends call this once per request."""
        return self.live.current()

    @property
    def snapshot(self) -> Snapshot:
        return self.live.snapshot

    @property
    def revision(self) -> int:
        return self.snapshot.revision

    @property
    def store_id(self) -> str:
        return self.snapshot.store_id

    # -- listings --------------------------------------------------------------------------------
    def documents(self) -> list[Document]:
        return list(self.snapshot.documents.values())

    def document(self, doc_id: str) -> Document:
        found = self.snapshot.documents.get(doc_id)
        if found is None:
            raise NotFound("document", doc_id)
        return found

    def entries(self, document: str | None = None) -> list[Entry]:
        if document is None:
            return list(self.snapshot.entries.values())
        self.document(document)
        return self.snapshot.entries_of(document)

    def entry(self, entry_id: str) -> Entry:
        snap = self.snapshot
        if entry_id not in snap.entries:
            raise NotFound("entry", entry_id, deleted=entry_id in snap.deleted)
        return snap.entries[entry_id]

    def version(self, entry_id: str) -> int:
        """How many times editors changed the entry (0: as the corpus has it)."""
        return self.snapshot.versions.get(entry_id, 0)

    def passages(self, document: str | None = None) -> list[Passage]:
        snap = self.snapshot
        if document is None:
            return list(snap.passages.values())
        self.document(document)
        return [snap.passages[p] for p in snap.passages_of(document)]

    def passage(self, passage_id: str) -> Passage:
        found = self.snapshot.passages.get(passage_id)
        if found is None:
            raise NotFound("passage", passage_id)
        return found

    def related(self, entry: Entry) -> list[Entry]:
        return views.related(self.snapshot, entry)

    def passages_using(self, entry: Entry) -> list[tuple[Passage, Use]]:
        """Passages that cite the entry first, then those that mention it, each group in document order."""
        return views.passages_using(self.snapshot, entry)

    def entries_page(self, document: str | None = None, source: str | None = None, changed_since: int | None = None,
                     limit: int = 20, cursor: str | None = None) -> dict[str, Any]:
        """The entries a page at a time, filtered; ``changed_since``: those changed (or gone) after it."""
        if document is not None:
            self.document(document)
        return views.entries_page(self.snapshot, document, source, changed_since, limit, cursor)

    def entry_passages(self, entry_id: str, document: str | None = None, limit: int = 20,
                       cursor: str | None = None) -> dict[str, Any]:
        """The passages that use an entry (of one document, if given), a page at a time."""
        entry = self.entry(entry_id)
        if document is not None:
            self.document(document)
        return views.entry_passages(self.snapshot, entry, document, limit, cursor)

    def passages_page(self, document: str, limit: int = 20, cursor: str | None = None) -> dict[str, Any]:
        """A document's passages in document order, a page at a time."""
        check_limit(limit)
        found = self.passages(document)
        shown, following = page(found, limit, cursor)
        return {"passages": [views.passage_view(p) for p in shown], "total": len(found), "next_cursor": following}

    # -- lookup ----------------------------------------------------------------------------------
    def resolve(self, term: str, document: str | None = None) -> list[lookup.Resolved]:
        if document is not None:
            self.document(document)
        return lookup.resolve(self.snapshot, term, document)

    def lookup(self, term: str, document: str | None = None) -> dict[str, Any]:
        """The JSON answer for a term: every entry it names (of ``document`` and editors', if given), best
        first, each with how it matched and the passages that use it; ``match`` is the first entry's."""
        snap = self.snapshot
        found = self.resolve(term, document)
        return {"query": term, "match": {"label": found[0].label, "by": found[0].by},
                "entries": [{**views.entry_view(snap, r.entry), "match": {"label": r.label, "by": r.by}}
                            for r in found]}

    def suggest(self, term: str, limit: int = 10) -> list[str]:
        return lookup.suggest(self.snapshot, term, limit)

    def terms(self, prefix: str | None = None, contains: str | None = None, document: str | None = None,
              limit: int = 20, cursor: str | None = None) -> dict[str, Any]:
        if document is not None:
            self.document(document)
        return lookup.terms(self.snapshot, prefix, contains, document, limit, cursor)

    # -- views -----------------------------------------------------------------------------------
    def document_view(self, doc: Document) -> dict[str, Any]:
        return views.document_view(self.snapshot, doc)

    def passage_detail(self, passage: Passage) -> dict[str, Any]:
        return views.passage_detail(self.snapshot, passage)

    def entry_view(self, entry: Entry, with_passages: bool = True) -> dict[str, Any]:
        return views.entry_view(self.snapshot, entry, with_passages)

    passage_view = staticmethod(views.passage_view)

    def entry_tag(self, entry: Entry) -> str:
        """The entry's version tag (its ETag): it changes when the entry's own fields do, and only then."""
        return views.entry_tag(self.snapshot, entry)

    # -- search ----------------------------------------------------------------------------------
    def search_docs(self) -> list:
        return searching.search_docs(self.snapshot)

    def user_words(self) -> list[str]:
        return searching.user_words(self.snapshot)

    def _search_index(self) -> SearchIndex:
        if self.search_index is None:
            raise KBNotBuilt("this KnowledgeBase, which was opened without a search index")
        return self.search_index

    def sync_index(self, rebuild: bool = False) -> SyncReport:
        """Bring the search index up to the store's revision (a no-op when its stamp says it is)."""
        snap = self.current()
        report = self._search_index().sync(searching.search_docs(snap), searching.user_words(snap), snap.revision,
                                           rebuild, store=snap.store_id, folded=True)
        return report

    def ensure_index(self) -> None:
        """At start: bring this node's index up to the store (after a crash, a restart, or while another node
        wrote), or build it if there is none."""
        self.current()
        self.follow_index()

    def follow_index(self) -> None:
        """Bring the search index to the snapshot's revision. Each node keeps an index of its own and the
        store's revision log says what changed since the index's stamp: the entries edited there (this node's
        or another's) and the passages whose uses they rewrote, indexed again as the snapshot has them now. A
        build, a new index or a long way behind: the index is synced whole (only what differs is rewritten).
        Cheap when the index is current (its stamp is cached while its signal file is unchanged)."""
        index, snap = self._search_index(), self.snapshot
        stamp = index.stamp()
        if stamp is not None and stamp[0] == snap.store_id and stamp[1] >= snap.revision:
            return
        found = None if stamp is None or stamp[0] != snap.store_id else self.store.changes_since(stamp[1])[1]
        if found is None or len(found) > INDEX_REPLAY_LIMIT or any(c.kind == "build" for c in found):
            self.sync_index()
            return
        edited = {c.entry for c in found if c.revision <= snap.revision and c.kind == "edit" and c.entry}
        rewritten = {p for c in found if c.revision <= snap.revision for p in c.passages}
        docs = [searching.entry_doc(snap.entries[e]) for e in sorted(edited) if e in snap.entries]
        docs += [searching.passage_doc(snap, snap.passages[p]) for p in sorted(rewritten) if p in snap.passages]
        if not index.update(docs, sorted(e for e in edited if e not in snap.entries), searching.user_words(snap),
                            snap.revision, store=snap.store_id, folded=True):
            self.sync_index()

    def readiness(self) -> Readiness:
        """Whether this process can answer as the store stands (the store answers, the index holds the
        snapshot's content), with the numbers monitoring wants; never raises (see kb.readiness)."""
        return readiness_of(self.store, self.live, self._search_index())

    def search(self, text: str, document: str | None = None, type: str | None = None,
               limit: int = 10, cursor: str | None = None) -> dict[str, Any]:
        """Entries and passages containing every part of ``text``, best first, with snippets and highlights."""
        if document is not None:
            self.document(document)
        self.follow_index()
        return searching.search(self.snapshot, self._search_index(), text, document, type, limit, cursor)

    # -- linking ---------------------------------------------------------------------------------
    @property
    def linker(self) -> Linker:
        return _linker(self.snapshot)

    def link(self, text: str, format: str = "json", first_only: bool = False,
             documents: list[str] | None = None, prefer: str | None = None, base_url: str = "") -> dict[str, Any]:
        """Every term in ``text`` linked: offsets (code points and UTF-16), the entry, a summary, its URL (from
        ``base_url``), every candidate where the words name entries of several documents (``prefer`` decides
        first, then the document this text links most); with ``format`` html or markdown, the text rendered
        with the links too."""
        if len(text) > MAX_LINK_CHARS:
            raise TextTooLong(len(text), MAX_LINK_CHARS)
        for doc_id in [*(documents or ()), *([prefer] if prefer else [])]:
            self.document(doc_id)
        links = self.linker.link(text, documents, first_only, prefer, base_url)
        answer: dict[str, Any] = {"links": [vars(link) for link in links]}
        if format == "html":
            answer["html"] = to_html(text, links)
        elif format == "markdown":
            answer["markdown"] = to_markdown(text, links)
        return answer

    # -- editors' writes -------------------------------------------------------------------------
    def create_entry(self, draft: dict[str, Any], author: str, note: str | None = None,
                     allow_shared_labels: bool = False) -> Entry:
        self._check_related(draft)
        written = editing.create_entry(self.store, self.live, self.naming, draft, author, note, allow_shared_labels)
        return self._after_write(written)

    def update_entry(self, entry_id: str, changes: dict[str, Any], expected_version: int, author: str,
                     note: str | None = None, allow_shared_labels: bool = False) -> Entry:
        self._check_related(changes)
        written = editing.update_entry(self.store, self.live, self.naming, entry_id, changes, expected_version,
                                       author, note, allow_shared_labels)
        return self._after_write(written)

    def delete_entry(self, entry_id: str, expected_version: int, author: str, note: str | None = None) -> int:
        written = editing.delete_entry(self.store, self.live, self.naming, entry_id, expected_version, author, note)
        self._after_write(written)
        return written.revision

    def revert_entry(self, entry_id: str, revision: int, expected_version: int | None, author: str,
                     note: str | None = None, allow_shared_labels: bool = False) -> Entry:
        """The entry as it was after its ``revision`` (0: as printed), as a new revision; restores a deleted one."""
        written = editing.revert_entry(self.store, self.live, self.naming, entry_id, revision, expected_version,
                                       author, note, allow_shared_labels)
        return self._after_write(written)

    def last_live_revision(self, entry_id: str) -> int:
        """The entry's last revision before it was deleted (what a restore brings back)."""
        found = editing.history(self.store, entry_id)
        live = [r.number for r in found if r.action != "delete"]
        return live[-1] if live else 0

    def history(self, entry_id: str) -> list[dict[str, Any]]:
        return [{"revision": r.number, "kb_revision": r.kb_revision, "author": r.author, "time": r.time,
                 "note": r.note, "action": r.action, "changes": r.changes}
                for r in editing.history(self.store, entry_id)]

    def state(self, entry_id: str, revision: int | None = None) -> dict[str, Any]:
        """An entry's editable fields (kb.editing.EDITABLE) as they are now, even if it is deleted, or as they
        were after one of its revisions (0: as printed): what an editor's form starts from."""
        if revision is None:
            state = editing.current(self.store, entry_id)[0]
        else:
            found = next((r for r in editing.history(self.store, entry_id) if r.number == revision), None)
            if found is None:
                raise NotFound("revision", f"{entry_id}@{revision}")
            state = found.state
        return {field: state.get(field) for field in editing.EDITABLE}

    def entry_at(self, entry_id: str, revision: int) -> dict[str, Any]:
        """The entry as it was after one of its revisions (0: as the corpus printed it)."""
        found = next((r for r in editing.history(self.store, entry_id) if r.number == revision), None)
        if found is None:
            raise NotFound("revision", f"{entry_id}@{revision}")
        snap = self.snapshot
        entry = entry_from_state(entry_id, found.state)
        view = views.entry_view(snap, entry, with_passages=False)
        related = derive.related_of(entry, snap.matcher, snap.entries, found.state.get("related"))
        view["related"] = [{"id": i, "headword": snap.entries[i].headword if i in snap.entries else i}
                           for i in related]  # as that revision had them, against the entries now
        return view | {"revision": found.number, "deleted": found.action == "delete"}

    def _check_related(self, fields: dict[str, Any]) -> None:
        unknown = [i for i in fields.get("related") or () if i not in self.snapshot.entries]
        if unknown:
            raise editing.UnknownRelated(unknown)

    def _after_write(self, written: editing.Written) -> Entry:
        """Hold the write's snapshot, tell the other processes, and update the search index with the entry."""
        before = self.snapshot
        snap = written.snapshot
        self.live.install(snap)
        self.live.signal()
        if self.search_index is not None and self.search_index.revision() != before.revision:
            self.follow_index()  # the index lacks changes before this one (another node's): it takes them all
        elif self.search_index is not None:
            entry = snap.entries.get(written.entry_id)
            docs = [searching.entry_doc(entry)] if entry is not None else []
            docs += [searching.passage_doc(snap, snap.passages[pid]) for pid in written.rewritten
                     if any(u.cited for u in snap.uses.get(pid, ())) != any(u.cited for u in before.uses.get(pid, ()))]
            if not self.search_index.update(docs, [] if entry is not None else [written.entry_id],
                                            _words_if_changed(before, snap, written.entry_id), written.revision,
                                            store=snap.store_id, folded=True):
                self.sync_index()  # a store built with --no-index: the first write builds the whole index
        return snap.entries.get(written.entry_id)  # type: ignore[return-value]

    def naming(self, snap: Snapshot, keys: set[str], documents: frozenset[str] | None, kind: str) -> list[str]:
        """The passages or entries whose text holds one of ``keys``: in one report, read there; across every
        report, through the search index (and the entries editors changed, which it may not hold yet)."""
        if not keys:
            return []
        if documents is not None:
            [document] = documents
            if kind == "passage":
                texts = [(p, snap.passages[p].text) for p in snap.passages_of(document)]
            else:
                texts = [(e.id, e.definition) for e in [*snap.entries_of(document), *snap.entries_of(None)]]
            return [i for i, text in texts if _holds(text, keys)]
        edited = [e for i in snap.versions if (e := snap.entries.get(i)) is not None]
        found = {e.id for e in edited if kind == "entry" and _holds(e.definition, keys)}
        if self.search_index is not None and self.search_index.stamp() is not None:
            return sorted(found | self.search_index.containing(keys, kind))
        texts = ([(p.id, p.text) for p in snap.passages.values()] if kind == "passage"
                 else [(e.id, e.definition) for e in snap.entries.values()])
        return sorted(found | {i for i, text in texts if _holds(text, keys)})


def _words_if_changed(before: Snapshot, after: Snapshot, entry_id: str) -> list[str] | None:
    """The tokenizer's user words if a write changed which label keys exist, else None (most writes)."""
    keys = {label_key(lb.text) for e in (before.entries.get(entry_id), after.entries.get(entry_id))
            if e is not None for lb in e.labels}
    if all((key in before.by_key) == (key in after.by_key) for key in keys):
        return None
    return searching.user_words(after)


def _holds(text: str, keys: set[str]) -> bool:
    folded = fold_fast(text)[0]
    return any(key in folded for key in keys)


@functools.lru_cache(maxsize=4)
def _linker(snapshot: Snapshot) -> Linker:
    """One linker a snapshot (its caches of chosen entries and summaries live as long as the snapshot)."""
    return Linker(snapshot)
