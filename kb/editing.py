"""Editors' writes: one transaction each, a revision each, history kept; a rebuild never touches them.

An entry's state as editors left it lives in ``edits`` (an overlay on a corpus entry, or an entry of its own);
every write also appends to ``revisions``. The first statement of each write takes the store's next revision
(and with it the write lock); then the process catches up with every change before it, checks the entry's
version and the labels the write adds, derives what the change alters (kb.derive: the passages that use or
name the entry, the entries whose definitions name it) and writes exactly those rows. The result is the next
snapshot, which the caller installs; other processes apply the same rows from the revision log.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from kb import derive, model
from kb.errors import KBError, NotFound
from kb.labels import entry_from_state
from kb.live import Live
from kb.model import Entry
from kb.normalize import label_key
from kb.snapshot import Snapshot
from kb.store import Store, edits, log_change, next_revision, revisions
from kb.store import components as component_rows
from kb.store import entries as entry_rows
from kb.store import labels as label_rows

EDITABLE = ("headword", "definition", "full_name", "labels", "components", "related")
EDITOR_PREFIX = model.EDITOR_PREFIX
# naming(keys, documents, kind): the passages or entries ("passage" | "entry") whose text holds one of keys
Naming = Callable[[Snapshot, set[str], "frozenset[str] | None", str], Iterable[str]]


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


@dataclass(frozen=True)
class Written:
    """A write's outcome: the entry, the store revision it took, and the snapshot after it."""

    entry_id: str
    revision: int
    snapshot: Snapshot
    rewritten: tuple[str, ...] = ()  # the passages whose uses the write derived again


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# -- the entry's state -------------------------------------------------------------------------------
def corpus_state(conn: Connection, entry_id: str) -> dict[str, Any] | None:
    """A corpus entry as printed, as an editor's state (its related entries are left to be derived)."""
    row = conn.execute(select(entry_rows).where(entry_rows.c.id == entry_id)).first()
    if row is None:
        return None
    aliases = [r.text for r in conn.execute(select(label_rows).where(
        label_rows.c.entry == entry_id, label_rows.c.kind == "alias").order_by(label_rows.c.ord))]
    parts = [{"label": r.label, "meaning": r.meaning} for r in conn.execute(
        select(component_rows).where(component_rows.c.entry == entry_id).order_by(component_rows.c.ord))]
    return {"headword": row.headword, "definition": row.definition, "full_name": row.full_name,
            "labels": aliases, "components": parts, "related": [], "document": row.document,
            "number": row.number, "page": row.page}


def _current(conn: Connection, entry_id: str) -> tuple[dict[str, Any] | None, int, bool]:
    """(state, version, deleted) of an entry now: the editors' overlay if any, else the corpus entry."""
    row = conn.execute(select(edits).where(edits.c.entry == entry_id)).first()
    if row is not None:
        return json.loads(row.state), row.version, bool(row.deleted)
    return corpus_state(conn, entry_id), 0, False


def _live(conn: Connection, entry_id: str, expected_version: int) -> tuple[dict[str, Any], int]:
    """The entry's state and version, if it exists, is not deleted and is still at ``expected_version``."""
    state, version, deleted = _current(conn, entry_id)
    if state is None or deleted:
        raise NotFound("entry", entry_id, deleted=deleted)
    if version != expected_version:
        raise StaleEntry(entry_id)
    return state, version


def _taken(snapshot: Snapshot, entry_id: str, before: Entry | None, after: Entry) -> dict[str, list[str]]:
    """Labels that ``after`` adds (``before`` did not have them) and that already name another entry."""
    had = {label_key(n) for n in before.names} if before is not None else set()
    added = {label_key(n): n for n in after.names if label_key(n) not in had}
    owners = {key: sorted({e.id for e, _, kind in snapshot.by_key.get(key, ())
                           if kind != "component" and e.id != entry_id}) for key in added}
    return {added[key]: ids for key, ids in owners.items() if ids}


def _diff(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    before = before or {}
    return {k: {"from": before.get(k), "to": after.get(k)} for k in EDITABLE if before.get(k) != after.get(k)}


# -- writing -----------------------------------------------------------------------------------------
@dataclass
class _Write:
    """One write in progress: its transaction, revision and the snapshot of everything before it."""

    store: Store
    conn: Connection
    revision: int
    snapshot: Snapshot
    naming: Naming

    def commit(self, entry_id: str, state: dict[str, Any], version: int, deleted: bool, author: str,
               note: str | None, action: str, changes: dict[str, Any], allow_shared_labels: bool = True) -> Written:
        """Record the entry's new state, derive and write what it changes, log it: the next snapshot."""
        before = self.snapshot.entries.get(entry_id)
        after = None if deleted else entry_from_state(entry_id, state)
        if after is not None and not allow_shared_labels:
            taken = _taken(self.snapshot, entry_id, before, after)
            if taken:
                raise LabelTaken(taken)
        made = self.snapshot.with_entries({entry_id: after})
        derived = self._derive(entry_id, before, after, state, made)
        values = {"state": json.dumps(state, ensure_ascii=False), "deleted": deleted, "version": version}
        if self.conn.execute(update(edits).where(edits.c.entry == entry_id).values(**values)).rowcount == 0:
            self.conn.execute(insert(edits).values(entry=entry_id, **values))
        self.conn.execute(insert(revisions).values(
            entry=entry_id, number=version, kb_revision=self.revision, author=author, time=_now(), note=note,
            action=action, changes=json.dumps(changes, ensure_ascii=False), state=values["state"]))
        self.store.write_derived(self.conn, derived)
        log_change(self.conn, self.revision, "edit", entry_id, derived.uses, derived.related)
        listed = {entry_id: list(state.get("related") or ()) or None}
        snapshot = self.snapshot.patched(self.revision, {entry_id: after}, {entry_id: version}, listed, derived, made)
        return Written(entry_id, self.revision, snapshot, tuple(derived.uses))

    def _derive(self, entry_id: str, before: Entry | None, after: Entry | None, state: dict[str, Any],
                made: tuple[dict[str, Entry], derive.Matcher, dict[str, int]]) -> derive.Derived:
        snap = self.snapshot
        passages, related_ids = derive.affected(
            before, after, snap.uses_of, lambda keys, documents, kind: self.naming(snap, keys, documents, kind))
        if after is not None:
            passages |= set(snap.citing(entry_id))
        entries, matcher, order = made
        listed = {**snap.listed, entry_id: list(state.get("related") or ())}
        uses = {pid: derive.passage_uses(snap.passages[pid], matcher, entries, order.__getitem__)
                for pid in sorted(passages) if pid in snap.passages}
        related = {eid: derive.related_of(entries[eid], matcher, entries, listed.get(eid))
                   for eid in sorted(related_ids) if eid in entries}
        if after is None:
            related[entry_id] = ()  # a deleted entry relates to nothing: its rows go
        return derive.Derived(uses, related)


def _begin(store: Store, live: Live, conn: Connection, naming: Naming) -> _Write:
    revision = next_revision(conn)  # the write lock: no change can commit between here and ours
    return _Write(store, conn, revision, live.catch_up(conn, upto=revision - 1), naming)


def create_entry(store: Store, live: Live, naming: Naming, draft: dict[str, Any], author: str,
                 note: str | None = None, allow_shared_labels: bool = False, entry_id: str | None = None,
                 document: str | None = None) -> Written:
    """A new entry: an editor's own (the next ``editor:N``, no source document), or, for an import that carries
    an entry from another KB, one with the ``entry_id`` and ``document`` it had there (``<document>:<number>``
    or ``editor:N``), which no entry, live or deleted, may have here (StaleEntry: one was made meanwhile)."""
    with store.engine.begin() as conn:
        write = _begin(store, live, conn, naming)
        number: int | None = None
        if entry_id is None:
            used = [r.entry for r in conn.execute(select(edits.c.entry).where(edits.c.entry.like(f"{EDITOR_PREFIX}%")))]
            numbers = (int(e[len(EDITOR_PREFIX):]) for e in used if e[len(EDITOR_PREFIX):].isdigit())
            entry_id = f"{EDITOR_PREFIX}{1 + max(numbers, default=0)}"
        elif _current(conn, entry_id)[0] is not None:
            raise StaleEntry(entry_id)
        elif document is not None and entry_id.startswith(f"{document}:") and entry_id[len(document) + 1:].isdigit():
            number = int(entry_id[len(document) + 1:])
        state = {k: draft.get(k) for k in EDITABLE} | {"document": document, "number": number}
        state["labels"] = state["labels"] or []
        state["related"] = state["related"] or []
        return write.commit(entry_id, state, 1, False, author, note, "create", _diff(None, state),
                            allow_shared_labels)


def update_entry(store: Store, live: Live, naming: Naming, entry_id: str, changes: dict[str, Any],
                 expected_version: int, author: str, note: str | None = None,
                 allow_shared_labels: bool = False) -> Written:
    """Apply ``changes`` (some of EDITABLE) if the entry is still at ``expected_version``. A corpus entry whose
    headword is renamed keeps the printed one as a label (the report still says it), unless the same write
    sets the labels."""
    with store.engine.begin() as conn:
        write = _begin(store, live, conn, naming)
        state, version = _live(conn, entry_id, expected_version)
        after = state | {k: v for k, v in changes.items() if k in EDITABLE}
        printed = (corpus_state(conn, entry_id) or {}).get("headword")
        if ("headword" in changes and "labels" not in changes and printed
                and label_key(printed) not in {label_key(n) for n in entry_from_state(entry_id, after).names}):
            after["labels"] = [*(after.get("labels") or []), printed]
        return write.commit(entry_id, after, version + 1, False, author, note, "update", _diff(state, after),
                            allow_shared_labels)


def delete_entry(store: Store, live: Live, naming: Naming, entry_id: str, expected_version: int, author: str,
                 note: str | None = None) -> Written:
    """Retire an entry: a revision like any other (its history stays), after which its labels stop resolving."""
    with store.engine.begin() as conn:
        write = _begin(store, live, conn, naming)
        state, version = _live(conn, entry_id, expected_version)
        return write.commit(entry_id, state, version + 1, True, author, note, "delete", {})


def revert_entry(store: Store, live: Live, naming: Naming, entry_id: str, to: int, expected_version: int | None,
                 author: str, note: str | None = None, allow_shared_labels: bool = False) -> Written:
    """The entry as it was after its revision ``to`` (0: as printed), as a new revision; a deleted entry comes
    back. ``expected_version`` (None for a deleted entry) guards against a write since the client read it."""
    with store.engine.begin() as conn:
        write = _begin(store, live, conn, naming)
        state, version, deleted = _current(conn, entry_id)
        if state is None:
            raise NotFound("entry", entry_id)
        if not deleted and expected_version != version:
            raise StaleEntry(entry_id)
        target = next((r for r in _history(conn, entry_id) if r.number == to), None)
        if target is None or target.action == "delete":
            raise NotFound("revision", f"{entry_id}@{to}")
        after = dict(target.state)
        action = "restore" if deleted else "revert"
        return write.commit(entry_id, after, version + 1, False, author, note or f"{action} to revision {to}",
                            action, _diff(state, after) | {"revision": {"from": version, "to": to}},
                            allow_shared_labels)


def current(store: Store, entry_id: str) -> tuple[dict[str, Any], int, bool]:
    """The entry's state as editors left it (or as printed), its version, and whether it is deleted."""
    with store.engine.connect() as conn:
        state, version, deleted = _current(conn, entry_id)
    if state is None:
        raise NotFound("entry", entry_id)
    return state, version, deleted


def merge(base: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A three-way merge of two writes made from the same revision ``base``, field by field: a field only one
    side changed takes that side's value; a field both changed differently keeps ``mine`` and is named in the
    conflicts, for the editor to decide."""
    merged, conflicts = {}, []
    for field in EDITABLE:
        was, ours, other = base.get(field), mine.get(field), theirs.get(field)
        if ours == was or ours == other:
            merged[field] = other
        else:
            merged[field] = ours
            if other != was:
                conflicts.append(field)
    return merged, conflicts


def history(store: Store, entry_id: str) -> list[Revision]:
    """Every revision of an entry, oldest first; a corpus entry starts with revision 0, as printed."""
    with store.engine.connect() as conn:
        found = _history(conn, entry_id)
    if not found:
        raise NotFound("entry", entry_id)
    return found


def _history(conn: Connection, entry_id: str) -> list[Revision]:
    rows = list(conn.execute(select(revisions).where(revisions.c.entry == entry_id).order_by(revisions.c.id)))
    corpus = corpus_state(conn, entry_id)
    found = [Revision(0, 0, "corpus", "", None, "import", {}, corpus)] if corpus is not None else []
    return found + [Revision(r.number, r.kb_revision, r.author, r.time, r.note, r.action, json.loads(r.changes),
                             json.loads(r.state)) for r in rows]
