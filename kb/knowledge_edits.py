"""The KnowledgeBase's writes for editors: one transaction each, then the KB and the search index catch up."""

from __future__ import annotations

from typing import Any

from kb import editing
from kb.errors import NotFound
from kb.model import Entry


class EditingMixin:
    def create_entry(self, draft: dict[str, Any], author: str, note: str | None = None,
                     allow_shared_labels: bool = False) -> Entry:
        self._check_related(draft)
        entry_id, _ = editing.create_entry(self.store, draft, author, note, allow_shared_labels)
        self._after_write()
        return self.entry(entry_id)

    def update_entry(self, entry_id: str, changes: dict[str, Any], expected_version: int, author: str,
                     note: str | None = None, allow_shared_labels: bool = False) -> Entry:
        self._check_related(changes)
        editing.update_entry(self.store, entry_id, changes, expected_version, author, note, allow_shared_labels)
        self._after_write()
        return self.entry(entry_id)

    def delete_entry(self, entry_id: str, expected_version: int, author: str, note: str | None = None) -> int:
        revision = editing.delete_entry(self.store, entry_id, expected_version, author, note)
        self._after_write()
        return revision

    def history(self, entry_id: str) -> list[dict[str, Any]]:
        return [{"revision": r.number, "kb_revision": r.kb_revision, "author": r.author, "time": r.time,
                 "note": r.note, "action": r.action, "changes": r.changes}
                for r in editing.history(self.store, entry_id)]

    def entry_at(self, entry_id: str, revision: int) -> dict[str, Any]:
        """The entry as it was after one of its revisions (0: as the corpus printed it)."""
        found = next((r for r in editing.history(self.store, entry_id) if r.number == revision), None)
        if found is None:
            raise NotFound("revision", f"{entry_id}@{revision}")
        view = self.entry_view(editing.entry_from_state(entry_id, found.state), with_passages=False)
        view["related"] = [{"id": i, "headword": self._entries[i].headword if i in self._entries else i}
                           for i in found.state.get("related") or ()]  # as that revision had them
        return view | {"revision": found.number, "deleted": found.action == "delete"}

    def _check_related(self, fields: dict[str, Any]) -> None:
        unknown = [i for i in fields.get("related") or () if i not in self._entries]
        if unknown:
            raise editing.UnknownRelated(unknown)

    def _after_write(self) -> None:
        self.refresh()
        if self.search_index is not None:
            self.sync_index()

