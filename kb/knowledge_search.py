"""The KnowledgeBase's search: what the index holds, keeping it current, and searching it."""

from __future__ import annotations

from typing import Any

from kb.errors import InvalidRequest, KBNotBuilt
from kb.paging import check_limit, decode_cursor, encode_cursor
from kb.search import TITLE_SEPARATOR, SearchDoc, SearchIndex, SyncReport

SEARCH_TYPES = ("entry", "passage")
ENTRY_BOOST = 2.0
CITED_BOOST = 1.5


class SearchMixin:
    def search_docs(self) -> list[SearchDoc]:
        """Every entry and passage as the search index holds it."""
        cited = {u.passage for uses in self._uses.values() for u in uses if u.cited}
        docs = [SearchDoc("entry", e.id, e.document or "", f"{e.headword}：{e.definition}",
                          TITLE_SEPARATOR.join(lb.text for lb in e.labels), ENTRY_BOOST)
                for e in self._entries.values()]
        docs += [SearchDoc("passage", p.id, p.document, p.text, TITLE_SEPARATOR.join(p.section),
                           CITED_BOOST if p.id in cited else 1.0) for p in self._passages.values()]
        return docs

    def user_words(self) -> list[str]:
        """Every label of every entry: user words of the search tokenizer."""
        return [lb.text for e in self._entries.values() for lb in e.labels]

    def _search_index(self) -> SearchIndex:
        if self.search_index is None:
            raise KBNotBuilt("this KnowledgeBase, which was opened without a search index")
        return self.search_index

    def sync_index(self, rebuild: bool = False) -> SyncReport:
        """Bring the search index up to the store's revision (a no-op when its stamp says it is)."""
        self.refresh()
        report = self._search_index().sync(self.search_docs(), self.user_words(), self.revision, rebuild,
                                           store=self.store_id)
        self._index_checked = True
        return report

    def ensure_index(self) -> None:
        """At start: repair a stale index (e.g. after a crash between a store commit and the index update)."""
        self.refresh()
        if self._search_index().stamp() != (self.store_id, self.revision):
            self.sync_index()
        self._index_checked = True

    def search(self, text: str, document: str | None = None, type: str | None = None,
               limit: int = 10, cursor: str | None = None) -> dict[str, Any]:
        """Entries and passages containing every part of ``text``, best first, with snippets and highlights."""
        if self._search_index().stamp() != (self.store_id, self.revision):
            self.refresh()  # another process wrote: the entries and passages shown must be as current as hits
        check_limit(limit)
        if type is not None and type not in SEARCH_TYPES:
            raise InvalidRequest("type", f"must be one of {', '.join(SEARCH_TYPES)}")
        if document is not None:
            self.document(document)
        if not self._index_checked:
            self.ensure_index()
        offset = decode_cursor(cursor)
        found = self._search_index().search(text, document, type, limit, offset)
        hits = []
        for hit in found.hits:
            view: dict[str, Any] = {"type": hit.kind, "id": hit.id, "document": hit.document or None,
                                    "score": hit.score}
            if hit.kind == "entry" and hit.id in self._entries:
                view["headword"] = self._entries[hit.id].headword
            elif hit.id in self._passages:
                view["section"] = list(self._passages[hit.id].section)
            view.update(snippet=hit.snippet, offset=hit.offset, highlights=[list(s) for s in hit.highlights])
            hits.append(view)
        following = offset + len(hits)
        return {"query": text, "total": found.total, "hits": hits,
                "next_cursor": encode_cursor(following) if following < found.total else None}

