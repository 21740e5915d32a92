"""The KnowledgeBase's linking for chat tools: every term in a text, rendered as JSON, HTML or Markdown."""

from __future__ import annotations

from typing import Any

from kb.errors import TextTooLong
from kb.linking import Linker, to_html, to_markdown
from kb.model import Entry
from kb.ranking import KIND_RANK, newest_first

MAX_LINK_CHARS = 100_000  # per text a chat tool asks to link


class LinkingMixin:
    @property
    def linker(self) -> Linker:
        if self._linker is None:
            self._linker = Linker(self._entries.values(), self._choose)
        return self._linker

    def _choose(self, key: str, ids: tuple[str, ...]) -> tuple[Entry, str]:
        """The entry a label links to when it names several (by label kind, then the newest document, as
        ``resolve`` ranks), with its own spelling of the label."""
        rows = [(e, text, kind) for e, text, kind in self._by_key.get(key, []) if e.id in ids and kind != "component"]

        def rank(row: tuple[Entry, str, str]) -> tuple:
            doc = self._documents.get(row[0].document or "")
            return KIND_RANK.get(row[2], 9), "" if doc is None else newest_first(doc.date), row[0].id

        if not rows:
            return self._entries[ids[0]], self._names.get(key, key)
        entry, text, _ = min(rows, key=rank)
        return entry, text

    def link(self, text: str, format: str = "json", first_only: bool = False,
             documents: list[str] | None = None) -> dict[str, Any]:
        """Every term in ``text`` linked: offsets (code points and UTF-16), the entry, a summary, its URL;
        with ``format`` html or markdown, the text rendered with the links too."""
        if len(text) > MAX_LINK_CHARS:
            raise TextTooLong(len(text), MAX_LINK_CHARS)
        for doc_id in documents or ():
            self.document(doc_id)
        links = self.linker.link(text, documents, first_only)
        answer: dict[str, Any] = {"links": [vars(link) for link in links]}
        if format == "html":
            answer["html"] = to_html(text, links)
        elif format == "markdown":
            answer["markdown"] = to_markdown(text, links)
        return answer

