"""The KnowledgeBase: kb's documented Python API that every front end (CLI, HTTP) calls."""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.config import Settings
from kb.errors import KBNotBuilt, NotFound, TermNotFound
from kb.knowledge_edits import EditingMixin
from kb.knowledge_links import MAX_LINK_CHARS, LinkingMixin  # noqa: F401 - part of this module's API
from kb.knowledge_search import SEARCH_TYPES, SearchMixin  # noqa: F401 - part of this module's API
from kb.linking import Linker
from kb.model import Document, Entry, Passage, Use
from kb.normalize import label_key, strip_quotes
from kb.overlay import apply_edits
from kb.paging import CURSOR_PATTERN, MAX_LIMIT, check_limit, page  # noqa: F401 - part of this module's API
from kb.ranking import KIND_RANK, newest_first
from kb.search import SearchIndex
from kb.store import Snapshot, Store, make_engine

STORE_CHECK_S = 0.5  # how often a reader asks the store itself whether it changed


@dataclass(frozen=True)
class _Hit:
    entry: Entry
    label: str
    kind: str


class KnowledgeBase(SearchMixin, EditingMixin, LinkingMixin):
    """Reads the store once and answers lookups, listings and suggestions from memory; searching, editors'
    writes and linking come from the mixins in kb.knowledge_search, kb.knowledge_edits and kb.knowledge_links."""

    def __init__(self, store: Store, index_dir: Path | None = None, cache_dir: Path | None = None):
        self.store = store
        try:
            self.info = store.info()
        except Exception as error:  # no tables yet
            raise KBNotBuilt(str(store.engine.url)) from error
        if "corpus" not in self.info:  # only a build writes it (a token change before one takes a revision too)
            raise KBNotBuilt(str(store.engine.url))
        store.create()  # a store built by an older kb gains the editors' tables
        self._index(store.load())
        self.search_index = None if index_dir is None else SearchIndex(index_dir, cache_dir)
        self._index_checked = False
        self._store_checked = time.monotonic()

    @classmethod
    def open(cls, settings: Settings) -> KnowledgeBase:
        return cls(Store(make_engine(settings.database_url)), settings.data_dir / "index", settings.data_dir)

    def release(self) -> None:
        """Let go of database connections and open index files (before a fork); they reopen when needed."""
        if self.search_index is not None:
            self.search_index.close()
        self.store.engine.dispose()

    def close(self) -> None:
        if self.search_index is not None:
            self.search_index.close()
        self.store.engine.dispose()

    def _index(self, snap: Snapshot) -> None:
        snap, self._versions, self._deleted = apply_edits(snap)
        self._linker: Linker | None = None
        self._documents = {d.id: d for d in snap.documents}
        self._passages = {p.id: p for p in snap.passages}
        self._entries = {e.id: e for e in snap.entries}
        self._related = snap.related
        self._uses: dict[str, list[Use]] = {}
        self._used_in: dict[str, list[tuple[Entry, Use]]] = {}
        for use in snap.uses:
            self._uses.setdefault(use.entry, []).append(use)
            if use.entry in self._entries:
                self._used_in.setdefault(use.passage, []).append((self._entries[use.entry], use))
        self._by_key: dict[str, list[tuple[Entry, str, str]]] = {}
        for entry in snap.entries:
            for label in entry.labels:
                self._by_key.setdefault(label_key(label.text), []).append((entry, label.text, label.kind))
        # key -> the first printed name with that key: what "did you mean" offers (never a component)
        self._names: dict[str, str] = {}
        for key, rows in self._by_key.items():
            for _, text, kind in rows:
                if kind != "component":
                    self._names.setdefault(key, text)

    # -- listings -------------------------------------------------------------------------------
    @property
    def revision(self) -> int:
        return int(self.info["revision"])

    @property
    def store_id(self) -> str:
        return self.info.get("store", "")

    def refresh(self) -> bool:
        """Reload from the store if it changed since (another process wrote); whether it had."""
        info = self.store.info()
        if (info.get("store"), info.get("revision")) == (self.info.get("store"), self.info.get("revision")):
            return False
        self.info = info
        self._index(self.store.load())
        return True

    def catch_up(self) -> bool:
        """Notice another process's write and reload if there was one: at once when the search index's
        stamp moved (every write ends with that), and within STORE_CHECK_S when only the store changed
        (a build with --no-index, or a writer that died between its commit and the index update)."""
        now = time.monotonic()
        if self.search_index is not None and self._index_checked and now - self._store_checked < STORE_CHECK_S:
            if self.search_index.stamp() == (self.store_id, self.revision):
                return False
        self._store_checked = now
        return self.refresh()

    def documents(self) -> list[Document]:
        return list(self._documents.values())

    def document(self, doc_id: str) -> Document:
        if doc_id not in self._documents:
            raise NotFound("document", doc_id)
        return self._documents[doc_id]

    def entries(self, document: str | None = None) -> list[Entry]:
        if document is not None:
            self.document(document)
        return [e for e in self._entries.values() if document is None or e.document == document]

    def entry(self, entry_id: str) -> Entry:
        if entry_id not in self._entries:
            raise NotFound("entry", entry_id, deleted=entry_id in self._deleted)
        return self._entries[entry_id]

    def version(self, entry_id: str) -> int:
        """How many times editors changed the entry (0: as the corpus has it)."""
        return self._versions.get(entry_id, 0)

    def passages(self, document: str | None = None) -> list[Passage]:
        if document is not None:
            self.document(document)
        return [p for p in self._passages.values() if document is None or p.document == document]

    def passage(self, passage_id: str) -> Passage:
        if passage_id not in self._passages:
            raise NotFound("passage", passage_id)
        return self._passages[passage_id]

    def related(self, entry: Entry) -> list[Entry]:
        return [self._entries[i] for i in self._related.get(entry.id, []) if i in self._entries]

    def passages_using(self, entry: Entry) -> list[tuple[Passage, Use]]:
        """Passages that cite the entry first, then those that mention it, each group in document order."""
        found = [(self._passages[u.passage], u) for u in self._uses.get(entry.id, []) if u.passage in self._passages]
        return sorted(found, key=lambda pu: (not pu[1].cited, pu[0].document, pu[0].order))

    # -- lookup ---------------------------------------------------------------------------------
    def resolve(self, term: str) -> tuple[list[Entry], str, str]:
        """Entries that ``term`` names, best first, with the label that matched and how."""
        hits = [_Hit(e, text, kind) for e, text, kind in self._by_key.get(label_key(term), [])]
        if not hits:
            raise TermNotFound(term, self.suggest(term))
        query = term.strip()

        def rank(hit: _Hit) -> tuple:
            exact = query in (hit.label, strip_quotes(hit.label))
            doc = self._documents.get(hit.entry.document or "")
            return (KIND_RANK.get(hit.kind, 9), not exact, "" if doc is None else newest_first(doc.date), hit.entry.id)

        best: dict[str, _Hit] = {}
        for hit in sorted(hits, key=rank):
            best.setdefault(hit.entry.id, hit)
        ordered = list(best.values())
        top = ordered[0]
        by = top.kind if query in (top.label, strip_quotes(top.label)) else "normalized"
        return [h.entry for h in ordered], top.label, by

    def lookup(self, term: str) -> dict[str, Any]:
        """The JSON answer for a term: every entry it names with the passages that use it."""
        found, label, by = self.resolve(term)
        return {"query": term, "match": {"label": label, "by": by},
                "entries": [self.entry_view(e) for e in found]}

    def suggest(self, term: str, limit: int = 10) -> list[str]:
        """Labels that start with the term, contain it, or are a few edits away: for "did you mean"."""
        key = label_key(term)
        if not key:
            return []
        names = self._names
        starts = [names[k] for k in names if k.startswith(key)]
        contains = [names[k] for k in names if key in k and not k.startswith(key)]
        close = [names[k] for k in difflib.get_close_matches(key, list(names), n=limit, cutoff=0.6)]
        result: list[str] = []
        for text in starts + contains + close:
            if text not in result:
                result.append(text)
        return result[:limit]

    def terms(self, prefix: str | None = None, contains: str | None = None, document: str | None = None,
              limit: int = 20, cursor: str | None = None) -> dict[str, Any]:
        """Labels (never components) with the entries they name: shortest first, for autocomplete."""
        check_limit(limit)
        if document is not None:
            self.document(document)
        start, part = label_key(prefix or ""), label_key(contains or "")
        found = []
        for key, rows in self._by_key.items():
            if not key.startswith(start) or part not in key:
                continue
            named = [(e, kind) for e, _, kind in rows
                     if kind != "component" and (document is None or e.document == document)]
            if named:
                found.append((len(key), key, named))
        found.sort(key=lambda item: item[:2])
        shown, following = page(found, limit, cursor)
        return {"terms": [{"label": self._names[key], "entries": [
                    {"id": e.id, "headword": e.headword, "kind": kind} for e, kind in _unique(named)]}
                          for _, key, named in shown],
                "total": len(found), "next_cursor": following}

    def passages_page(self, document: str, limit: int = 20, cursor: str | None = None) -> dict[str, Any]:
        """A document's passages in document order, a page at a time."""
        check_limit(limit)
        found = self.passages(document)
        shown, following = page(found, limit, cursor)
        return {"passages": [self.passage_view(p) for p in shown], "total": len(found), "next_cursor": following}

    # -- views ----------------------------------------------------------------------------------
    def document_view(self, doc: Document) -> dict[str, Any]:
        return {"id": doc.id, "title": doc.title, "date": doc.date,
                "passages": sum(1 for p in self._passages.values() if p.document == doc.id),
                "warnings": [{"line": w.line, "message": w.message} for w in doc.warnings],
                "entries": [{"id": e.id, "number": e.number, "headword": e.headword}
                            for e in self._entries.values() if e.document == doc.id]}

    def passage_detail(self, passage: Passage) -> dict[str, Any]:
        """A passage with the entries it cites or mentions, and where."""
        view = self.passage_view(passage)
        view["entries"] = [
            {"id": e.id, "headword": e.headword, "cited": u.cited, "uses": [list(span) for span in u.spans]}
            for e, u in self._used_in.get(passage.id, [])]
        return view

    def entry_view(self, entry: Entry, with_passages: bool = True) -> dict[str, Any]:
        doc = self._documents.get(entry.document or "")
        view: dict[str, Any] = {
            "id": entry.id, "number": entry.number, "headword": entry.headword,
            "definition": entry.definition, "full_name": entry.full_name, "page": entry.page,
            "labels": [lb.text for lb in entry.labels if lb.kind != "component"],
            "components": [{"label": c.label, "meaning": c.meaning} for c in entry.components],
            "related": [{"id": r.id, "headword": r.headword} for r in self.related(entry)],
            "document": None if doc is None else {"id": doc.id, "title": doc.title, "date": doc.date},
        }
        if with_passages:
            view["passages"] = [
                {"id": p.id, "text": p.text, "section": list(p.section), "cited": u.cited,
                 "uses": [list(span) for span in u.spans]}
                for p, u in self.passages_using(entry)]
        return view

    @staticmethod
    def passage_view(passage: Passage) -> dict[str, Any]:
        return {"id": passage.id, "document": passage.document, "order": passage.order,
                "section": list(passage.section), "text": passage.text}


def _unique(named: list[tuple[Entry, str]]) -> list[tuple[Entry, str]]:
    seen: dict[str, tuple[Entry, str]] = {}
    for entry, kind in sorted(named, key=lambda ek: KIND_RANK.get(ek[1], 9)):
        seen.setdefault(entry.id, (entry, kind))
    return list(seen.values())


