"""Editors' writes: one transaction each, a revision each, history kept; a rebuild never touches them.

An entry's state as editors left it lives in ``edits`` (an overlay on a corpus entry, or an entry of its own);
every write also appends to ``revisions``. The first statement of each write bumps the store's revision, which
takes the database's write lock, so the checks that follow (version, labels) see every earlier write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update

from kb.errors import KBError, NotFound
from kb.labels import components as derived_components
from kb.labels import labels as derived_labels
from kb.model import Component, Entry, Label
from kb.normalize import label_key
from kb.store import Store, edits, entries, log_change, next_revision, revisions
from kb.store import components as component_rows
from kb.store import labels as label_rows
from kb.store import related as related_rows

EDITABLE = ("headword", "definition", "full_name", "labels", "components", "related")
EDITOR_PREFIX = "editor:"


class StaleEntry(KBError):
    """The entry changed since the client read it (If-Match no longer holds)."""

    def __init__(self, entry_id: str):
        self.entry_id = entry_id
        super().__init__(f"entry {entry_id!r} changed since it was read; read it again and reapply the change")


class LabelTaken(KBError):
    def __init__(self, taken: dict[str, list[str]]):
        self.taken = taken
        names = "; ".join(f"{label!r} names {', '.join(ids)}" for label, ids in taken.items())
        super().__init__(f"{names} (send \"allow_shared_labels\": true if the label has several senses)")


class UnknownRelated(KBError):
    def __init__(self, ids: list[str]):
        self.ids = ids
        super().__init__(f"related entries do not exist (or were deleted): {', '.join(ids)}")


@dataclass(frozen=True)
class Revision:
    number: int
    kb_revision: int
    author: str
    time: str
    note: str | None
    action: str
    changes: dict[str, Any]
    state: dict[str, Any]


def entry_from_state(entry_id: str, state: dict[str, Any]) -> Entry:
    """The entry an editor's state describes: labels derived as for the glossary, plus the ones given."""
    headword, definition = state["headword"], state["definition"]
    found = derived_labels(headword, definition)
    if state.get("full_name"):
        found.append(Label(state["full_name"], "full_name"))
    found += [Label(text, "alias") for text in state.get("labels") or ()]
    if state.get("components") is not None:
        parts = tuple(Component(c["label"], c["meaning"]) for c in state["components"])
        found = [lb for lb in found if lb.kind != "component"] + [Label(c.label, "component") for c in parts]
    else:
        parts = tuple(derived_components(headword, definition))
    unique: dict[tuple[str, str], Label] = {}
    for label in found:  # as the glossary does: by text and kind, so “双百”行动 and 双百行动 both stay
        if label_key(label.text):
            unique.setdefault((label.text, label.kind), label)
    return Entry(entry_id, headword, definition, state.get("document"), state.get("number"),
                 state.get("full_name"), tuple(unique.values()), parts, page=state.get("page"))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _corpus_state(conn, entry_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(entries).where(entries.c.id == entry_id)).first()
    if row is None:
        return None
    aliases = [r.text for r in conn.execute(select(label_rows).where(
        label_rows.c.entry == entry_id, label_rows.c.kind == "alias").order_by(label_rows.c.ord))]
    parts = [{"label": r.label, "meaning": r.meaning} for r in conn.execute(
        select(component_rows).where(component_rows.c.entry == entry_id).order_by(component_rows.c.ord))]
    others = [r.other for r in conn.execute(
        select(related_rows).where(related_rows.c.entry == entry_id).order_by(related_rows.c.ord))]
    return {"headword": row.headword, "definition": row.definition, "full_name": row.full_name,
            "labels": aliases, "components": parts, "related": others, "document": row.document,
            "number": row.number, "page": row.page}


def _current(conn, entry_id: str) -> tuple[dict[str, Any] | None, int, bool]:
    """(state, version, deleted) of an entry now: the editors' overlay if any, else the corpus entry."""
    row = conn.execute(select(edits).where(edits.c.entry == entry_id)).first()
    if row is not None:
        return json.loads(row.state), row.version, bool(row.deleted)
    return _corpus_state(conn, entry_id), 0, False


def _live(conn, entry_id: str, expected_version: int) -> tuple[dict[str, Any], int]:
    """The entry's state and version, if it exists, is not deleted and is still at ``expected_version``."""
    state, version, deleted = _current(conn, entry_id)
    if state is None or deleted:
        raise NotFound("entry", entry_id)
    if version != expected_version:
        raise StaleEntry(entry_id)
    return state, version


def _taken(conn, entry_id: str, entry: Entry) -> dict[str, list[str]]:
    """Labels of ``entry`` that already name another live entry."""
    wanted = {label_key(lb.text): lb.text for lb in entry.labels if lb.kind != "component"}
    overlaid = {r.entry: r for r in conn.execute(select(edits))}
    owners: dict[str, set[str]] = {}
    for r in conn.execute(select(label_rows.c.entry, label_rows.c.key).where(
            label_rows.c.key.in_(list(wanted)), label_rows.c.kind != "component")):
        if r.entry != entry_id and r.entry not in overlaid:
            owners.setdefault(r.key, set()).add(r.entry)
    for other, r in overlaid.items():
        if other == entry_id or r.deleted:
            continue
        for label in entry_from_state(other, json.loads(r.state)).names:
            if label_key(label) in wanted:
                owners.setdefault(label_key(label), set()).add(other)
    return {wanted[key]: sorted(ids) for key, ids in owners.items()}


def _record(conn, entry_id: str, state: dict[str, Any], version: int, deleted: bool, kb_revision: int,
            author: str, note: str | None, action: str, changes: dict[str, Any]) -> None:
    values = {"state": json.dumps(state, ensure_ascii=False), "deleted": deleted, "version": version}
    if conn.execute(update(edits).where(edits.c.entry == entry_id).values(**values)).rowcount == 0:
        conn.execute(insert(edits).values(entry=entry_id, **values))
    conn.execute(insert(revisions).values(
        entry=entry_id, number=version, kb_revision=kb_revision, author=author, time=_now(), note=note,
        action=action, changes=json.dumps(changes, ensure_ascii=False), state=values["state"]))
    log_change(conn, kb_revision, "edit", entry_id)


def _diff(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    before = before or {}
    return {k: {"from": before.get(k), "to": after.get(k)} for k in EDITABLE if before.get(k) != after.get(k)}


def create_entry(store: Store, draft: dict[str, Any], author: str, note: str | None = None,
                 allow_shared_labels: bool = False) -> tuple[str, int]:
    """A new entry (no source document); returns its id and the store revision of the write."""
    with store.engine.begin() as conn:
        kb_revision = next_revision(conn)
        used = [r.entry for r in conn.execute(select(edits.c.entry).where(edits.c.entry.like(f"{EDITOR_PREFIX}%")))]
        number = 1 + max((int(e[len(EDITOR_PREFIX):]) for e in used if e[len(EDITOR_PREFIX):].isdigit()), default=0)
        entry_id = f"{EDITOR_PREFIX}{number}"
        state = {k: draft.get(k) for k in EDITABLE} | {"document": None, "number": None}
        state["labels"] = state["labels"] or []
        state["related"] = state["related"] or []
        _check_labels(conn, entry_id, state, allow_shared_labels)
        _record(conn, entry_id, state, 1, False, kb_revision, author, note, "create", _diff(None, state))
    return entry_id, kb_revision


def update_entry(store: Store, entry_id: str, changes: dict[str, Any], expected_version: int, author: str,
                 note: str | None = None, allow_shared_labels: bool = False) -> int:
    """Apply ``changes`` (some of EDITABLE) if the entry is still at ``expected_version``."""
    with store.engine.begin() as conn:
        kb_revision = next_revision(conn)
        state, version = _live(conn, entry_id, expected_version)
        after = state | {k: v for k, v in changes.items() if k in EDITABLE}
        if "labels" in changes or "headword" in changes or "full_name" in changes or "definition" in changes:
            _check_labels(conn, entry_id, after, allow_shared_labels)
        _record(conn, entry_id, after, version + 1, False, kb_revision, author, note, "update", _diff(state, after))
    return kb_revision


def delete_entry(store: Store, entry_id: str, expected_version: int, author: str, note: str | None = None) -> int:
    """Retire an entry: a revision like any other (its history stays), after which its labels stop resolving."""
    with store.engine.begin() as conn:
        kb_revision = next_revision(conn)
        state, version = _live(conn, entry_id, expected_version)
        _record(conn, entry_id, state, version + 1, True, kb_revision, author, note, "delete", {})
    return kb_revision


def _check_labels(conn, entry_id: str, state: dict[str, Any], allow_shared_labels: bool) -> None:
    if allow_shared_labels:
        return
    taken = _taken(conn, entry_id, entry_from_state(entry_id, state))
    if taken:
        raise LabelTaken(taken)


def history(store: Store, entry_id: str) -> list[Revision]:
    """Every revision of an entry, oldest first; a corpus entry starts with revision 0, as printed."""
    with store.engine.connect() as conn:
        rows = list(conn.execute(select(revisions).where(revisions.c.entry == entry_id).order_by(revisions.c.id)))
        corpus = _corpus_state(conn, entry_id)
    found = []
    if corpus is not None:
        found.append(Revision(0, 0, "corpus", "", None, "import", {}, corpus))
    found += [Revision(r.number, r.kb_revision, r.author, r.time, r.note, r.action, json.loads(r.changes),
                       json.loads(r.state)) for r in rows]
    if not found:
        raise NotFound("entry", entry_id)
    return found
