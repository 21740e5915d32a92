"""Importing entries from a file's rows: a plan (what a dry run reports) and its application.

A row names an existing entry by its id, else by its headword among the entries of its document (editors'
entries: no document); otherwise it is a new entry, with the id it carries (an entry of another KB keeps its
id and document) or the next ``editor:N``. A column or key the file lacks leaves the entry's field as it
is. Labels, components and related entries that kb derives itself (from the headword, definition and the
other entries) are not written as given, so they follow the definition later as kb's own do.

The report lists each row as new, changed (with what changes) or unchanged; the labels a row adds that
already name another entry (an editor's write would be refused the same: 409); and the rows in error, each
with its line and what is wrong. Applying writes the new and changed entries, one revision each, through
KnowledgeBase.create_entry and update_entry (history, search and linking follow at once); it writes nothing
if any row is in error, or (unless ``allow_shared_labels``) if a label is taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kb import labels as entry_labels
from kb.derive import name_keys, related_of
from kb.editing import EDITOR_PREFIX, LabelTaken
from kb.errors import KBError
from kb.exchange.model import ImportInterrupted, ImportRefused, Row, given_labels
from kb.labels import entry_from_state
from kb.model import Component, Entry
from kb.normalize import label_key
from kb.rules import Validate, flatten, text_errors
from kb.snapshot import Snapshot

if TYPE_CHECKING:
    from kb.knowledge import KnowledgeBase

_ID = re.compile(r"(.+):(\d+)")
DOCUMENT_ID = (1, 200)
FIELDS = ("headword", "definition", "full_name", "labels", "components", "related")


class ImportLabelsTaken(LabelTaken):
    """Labels the file's rows add name other entries: nothing written (send allow_shared_labels)."""

    def __init__(self, taken: dict[str, list[str]], report: dict[str, Any]):
        super().__init__(taken)
        self.report = report
        self.args = (f"{self}; nothing was written",)


@dataclass
class Step:
    """One row that names an entry: what it is now (None: new), what it will be, how it was found."""

    row: Row
    key: str  # the entry's id, or a placeholder for the next editor:N
    entry_id: str | None
    before: Entry | None
    after: Entry
    draft: dict[str, Any]
    matched_by: str | None
    given_related: list[str]
    version: int = 0  # the entry's version when planned: a write since then makes the update stale
    kind: str = "new"
    changes: dict[str, Any] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        found = {"line": self.row.line, "id": self.entry_id, "document": self.after.document,
                 "headword": self.after.headword, "matched_by": self.matched_by}
        return found | ({"changes": self.changes} if self.kind == "changed" else {})


@dataclass
class Plan:
    format: str
    rows: int
    steps: list[Step]  # the entries to write, in the order to write them, then the unchanged
    invalid: list[dict[str, Any]]
    conflicts: list[dict[str, Any]]

    def report(self, applied: bool = False, written: list[str] | None = None, revision: int | None = None
               ) -> dict[str, Any]:
        by_kind = {kind: [s.view() for s in sorted(self.steps, key=lambda s: s.row.line) if s.kind == kind]
                   for kind in ("new", "changed", "unchanged")}
        return {"format": self.format, "applied": applied, "revision": revision, "rows": self.rows, **by_kind,
                "conflicts": self.conflicts, "invalid": sorted(self.invalid, key=lambda i: i["line"]),
                "written": written or []}


def _invalid(row: Row, detail: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"line": row.line, "id": row.id, "detail": detail, "errors": errors or {}}


def _fields_of(snap: Snapshot, entry: Entry) -> dict[str, Any]:
    """An entry's fields as an import reads them, for the columns a file lacks."""
    return {"headword": entry.headword, "definition": entry.definition, "full_name": entry.full_name,
            "labels": list(dict.fromkeys(entry.names)),
            "components": [{"label": c.label, "meaning": c.meaning} for c in entry.components],
            "related": [i for i in snap.related.get(entry.id, ()) if i in snap.entries]}


def _target(snap: Snapshot, row: Row) -> tuple[str | None, str | None, Entry | None, str | None] | str:
    """(the row's id, its document, the entry it names or None, matched by), or what is wrong."""
    document = row.document
    found = _ID.fullmatch(row.id) if row.id else None
    if row.id and found is None:
        return f"id: {row.id!r} is not an entry id (<document>:<number>, or editor:<number>)"
    if found is not None:
        owner = None if f"{found.group(1)}:" == EDITOR_PREFIX else found.group(1)
        if row.document is None:
            document = owner
        elif owner != row.document:
            return f"id: {row.id} is an entry of {owner or 'editors'}, but the row's document is {row.document}"
    if document is not None and (problem := text_errors(document, DOCUMENT_ID)):
        return f"document: {' '.join(problem)}"
    if row.id in snap.entries:
        entry = snap.entries[row.id]
        if row.document is not None and entry.document != row.document:
            return f"entry {row.id} is of {entry.document or 'editors'}, not {row.document}: its document stays"
        return row.id, entry.document, entry, "id"
    if row.id in snap.deleted:
        return f"entry {row.id} was deleted here: restore it first (POST /entries/{row.id}/restore)"
    headword = row.fields.get("headword")
    if isinstance(headword, str):
        named = [e for e in snap.entries_of(document) if label_key(e.headword) == label_key(headword)]
        if len(named) > 1:
            return (f"{len(named)} entries of {document or 'editors'} have the headword {headword!r} "
                    f"({', '.join(e.id for e in named)}): give the id of the one meant")
        if named:
            return named[0].id, document, named[0], "headword"
    if row.id is None and document is not None:
        return (f"no entry of {document} has the headword {headword!r}; a new entry without an id is an editor's "
                f"own: leave its document empty")
    return row.id, document, None, None


def _step(snap: Snapshot, row: Row, validate: Validate) -> Step | dict[str, Any]:
    target = _target(snap, row)
    if isinstance(target, str):
        return _invalid(row, target)
    entry_id, document, before, matched_by = target
    merged = (_fields_of(snap, before) if before is not None else {}) | row.fields
    if errors := flatten(validate({k: merged[k] for k in FIELDS if k in merged})):
        detail = "; ".join(f"{path}: {' '.join(texts)}" for path, texts in errors.items())
        return _invalid(row, detail, errors)
    headword, definition, full_name = merged["headword"], merged["definition"], merged.get("full_name")
    components = merged.get("components")
    if components is not None:
        parts = tuple(Component(c["label"], c["meaning"]) for c in components)
        components = None if parts == tuple(entry_labels.components(headword, definition)) else components
    draft = {"headword": headword, "definition": definition, "full_name": full_name,
             "labels": given_labels(headword, definition, full_name, merged.get("labels") or []),
             "components": components, "related": []}
    key = entry_id or f"{EDITOR_PREFIX}new-{row.line}"  # never an id kb makes (editor:<number>)
    number = before.number if before is not None else int(key.rsplit(":", 1)[1]) if document else None
    after = entry_from_state(key, draft | {"document": document, "number": number,
                                           "page": before.page if before is not None else None})
    related = [i for i in dict.fromkeys(merged.get("related") or []) if i != key]
    return Step(row, key, entry_id, before, after, draft, matched_by, related, snap.versions.get(key, 0))


def plan(snap: Snapshot, rows: list[Row], format: str, validate: Validate) -> Plan:
    """What importing ``rows`` into the KB at ``snap`` would do (nothing is written)."""
    steps: list[Step] = []
    invalid: list[dict[str, Any]] = []
    claimed: dict[str, int] = {}
    for row in rows:
        made = _invalid(row, row.problem) if row.problem else _step(snap, row, validate)
        if isinstance(made, Step) and made.key in claimed:
            made = _invalid(row, f"line {claimed[made.key]} names this entry ({made.key}) already")
        if isinstance(made, Step):
            claimed[made.key] = row.line
            steps.append(made)
        else:
            invalid.append(made)
    entries, matcher, _ = snap.with_entries({s.key: s.after for s in steps})
    kept = []
    for step in steps:
        unknown = [i for i in step.given_related if i not in entries or i.startswith(f"{EDITOR_PREFIX}new-")]
        if unknown:
            invalid.append(_invalid(step.row, f"related: no entry {', '.join(unknown)} (here or in the file)"))
            continue
        derived = [i for i in related_of(step.after, matcher, entries) if not i.startswith(f"{EDITOR_PREFIX}new-")]
        step.draft["related"] = [] if step.given_related == derived else step.given_related
        _classify(snap, step, related_of(step.after, matcher, entries, step.draft["related"] or None),
                  related_of(step.before, matcher, entries, snap.listed.get(step.key)) if step.before else ())
        kept.append(step)
    ordered = _write_order(kept)
    return Plan(format, len(rows), ordered, invalid, _conflicts(snap, ordered))


def _record(entry: Entry, related: tuple[str, ...]) -> dict[str, Any]:
    return {"headword": entry.headword, "definition": entry.definition, "full_name": entry.full_name,
            "labels": [(lb.text, lb.kind) for lb in entry.labels],
            "components": [{"label": c.label, "meaning": c.meaning} for c in entry.components],
            "related": list(related)}


def _classify(snap: Snapshot, step: Step, after: tuple[str, ...], before: tuple[str, ...]) -> None:
    if step.before is None:
        return
    now, then = _record(step.before, before), _record(step.after, after)
    changed = {k: {"from": now[k], "to": then[k]} for k in now if now[k] != then[k]}
    if "labels" in changed:  # as texts: the kinds are kb's to say
        changed["labels"] = {side: [text for text, _ in changed["labels"][side]] for side in ("from", "to")}
    step.kind, step.changes = ("changed", changed) if changed else ("unchanged", {})


def _write_order(steps: list[Step]) -> list[Step]:
    """New and changed entries, each after the new ones it lists as related (so they exist when it is
    written); then the unchanged. A cycle of such lists is written in file order (see ``apply``)."""
    writing = [s for s in steps if s.kind != "unchanged"]
    new = {s.key for s in writing if s.before is None}
    done: set[str] = set()
    ordered: list[Step] = []
    while len(ordered) < len(writing):
        ready = [s for s in writing if s.key not in done
                 and all(i in done or i not in new for i in s.draft["related"])]
        batch = ready or [next(s for s in writing if s.key not in done)]
        for step in batch:
            ordered.append(step)
            done.add(step.key)
    return ordered + [s for s in steps if s.kind == "unchanged"]


def _conflicts(snap: Snapshot, steps: list[Step]) -> list[dict[str, Any]]:
    """The labels each write adds (in write order) that name another entry then, as an editor's write is
    refused (kb.editing): the KB's entries and the file's earlier rows."""
    owners = {key: {e.id for e, _, kind in rows if kind != "component"} for key, rows in snap.by_key.items()}
    where = {s.key: s.row.line for s in steps}
    found = []
    for step in steps:
        if step.kind == "unchanged":
            continue
        had, has = name_keys(step.before), name_keys(step.after)
        texts = {label_key(n): n for n in step.after.names}
        for key in sorted(has - had):
            others = owners.get(key, set()) - {step.key}
            if others:
                found.append({"line": step.row.line, "id": step.entry_id, "headword": step.after.headword,
                              "label": texts[key], "entries": sorted(
                                  f"line {where[o]} (new)" if o.startswith(f"{EDITOR_PREFIX}new-") else o
                                  for o in others)})
        for key in had - has:
            owners.get(key, set()).discard(step.key)
        for key in has:
            owners.setdefault(key, set()).add(step.key)
    return found


def apply(kb: KnowledgeBase, plan: Plan, author: str, note: str | None, allow_shared_labels: bool
          ) -> dict[str, Any]:
    """Write the plan's new and changed entries, one revision each (an entry that lists as related a new
    entry written after it, in a cycle of such lists, gets a second revision that sets them)."""
    if plan.invalid:
        first = plan.invalid[0]
        raise ImportRefused(plan.report(), f"{len(plan.invalid)} rows of the file are in error; nothing was "
                                           f"written (line {first['line']}: {first['detail']})")
    if plan.conflicts and not allow_shared_labels:
        taken = {c["label"]: c["entries"] for c in plan.conflicts}
        raise ImportLabelsTaken(taken, plan.report())
    written: list[str] = []
    later: list[tuple[Step, str]] = []
    for step in (s for s in plan.steps if s.kind != "unchanged"):
        listed = step.draft["related"]
        now = [i for i in listed if i in kb.snapshot.entries]
        draft = step.draft | {"related": now}
        try:
            if step.before is None:
                made = kb.create_entry(draft, author, note, allow_shared_labels, step.entry_id,
                                       step.after.document)
            else:
                made = kb.update_entry(step.key, draft, step.version, author, note, allow_shared_labels)
        except KBError as error:
            raise ImportInterrupted(step.row.line, error, written, plan.report(False, written)) from error
        written.append(made.id)
        if now != listed:
            later.append((step, made.id))
    for step, entry_id in later:
        try:
            kb.update_entry(entry_id, {"related": step.draft["related"]}, kb.version(entry_id), author, note,
                            allow_shared_labels)
        except KBError as error:
            raise ImportInterrupted(step.row.line, error, written, plan.report(False, written)) from error
    return plan.report(True, written, kb.revision)
