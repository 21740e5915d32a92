"""An immutable view of one store revision: documents, passages, the entries as they are now, their uses and
related entries, and the indexes that answer reads (entries by label key, uses by entry, the label matcher).

A snapshot is never changed once made. A build gives a new one from the store (``from_content``); an edit
gives the next one from the last (``patched``), copying only the maps the edit touches and layering the
changed entries over the label matcher, so an edit costs what it changes, not the corpus.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kb.derive import Current, Derived, Matcher, current_entries
from kb.matcher import LabelMatcher, LayeredMatcher
from kb.model import Document, Entry, Passage, Use
from kb.normalize import label_key
from kb.presence import Presence, Seen, presence_of, written
from kb.ranking import newest_first
from kb.store import Content

LAYER_LIMIT = 256  # entries changed since the matcher was last built whole: beyond, it is built again


@dataclass(frozen=True)
class Indexes:
    """What a snapshot derives from its content to answer reads."""

    by_entry: dict[str, tuple[Use, ...]]  # entry id -> the uses of it
    by_key: dict[str, tuple[tuple[Entry, str, str], ...]]  # label key -> (entry, label text, kind)
    names: dict[str, str]  # label key -> the first printed name with it (never a component): "did you mean"
    order: dict[str, int]  # entry id -> its place (uses list entries in this order)
    by_document: dict[str | None, tuple[str, ...]]  # document (None: editors') -> its live entries, in order


class Snapshot:
    """The store at ``revision``: read-only; every attribute is fixed when the snapshot is made."""

    def __init__(self, store_id: str, revision: int, documents: dict[str, Document], passages: dict[str, Passage],
                 current: Current, uses: dict[str, tuple[Use, ...]], related: dict[str, tuple[str, ...]],
                 indexes: Indexes, base: LabelMatcher, layer: dict[str, Entry | None],
                 static: _Static, changed: dict[str, int], retired: dict[str, int],
                 presence: Presence | None = None):
        self.store_id = store_id
        self.revision = revision
        self.documents = documents
        self.passages = passages
        self.entries = current.entries
        self.versions = current.versions
        self.deleted = current.deleted
        self.listed = current.listed
        self.uses = uses  # passage id -> its uses
        self.related = related
        self.by_entry = indexes.by_entry
        self.by_key = indexes.by_key
        self.names = indexes.names
        self.order = indexes.order
        self._by_document = indexes.by_document
        self._base = base
        self._layer = layer
        self._static = static
        self.changed = changed  # entry id -> the revision that last changed it (live or gone)
        self.retired = retired  # corpus entries a build no longer found -> that build
        self.presence = presence or Presence()  # when each entry came and went (the change feed reads it)

    # -- making one ----------------------------------------------------------------------------
    @classmethod
    def from_content(cls, content: Content) -> Snapshot:
        current = current_entries(content.corpus, content.edits)
        passages = {p.id: p for p in content.passages}
        uses = _shared(content.uses, passages, current.entries)
        by_entry: dict[str, list[Use]] = {}
        for found in uses.values():
            for use in found:
                by_entry.setdefault(use.entry, []).append(use)
        by_key: dict[str, list[tuple[Entry, str, str]]] = {}
        for entry in current.entries.values():
            for label in entry.labels:
                by_key.setdefault(label_key(label.text), []).append((entry, label.text, label.kind))
        frozen_keys = {k: tuple(rows) for k, rows in by_key.items()}
        by_document: dict[str | None, list[str]] = {}
        for entry in current.entries.values():
            by_document.setdefault(entry.document, []).append(entry.id)
        indexes = Indexes({e: tuple(u) for e, u in by_entry.items()}, frozen_keys,
                          {k: n for k in frozen_keys if (n := _name(frozen_keys[k])) is not None},
                          {entry_id: i for i, entry_id in enumerate(current.entries)},
                          {d: tuple(ids) for d, ids in by_document.items()})
        retired = {i: r for i, r in content.retired.items() if i not in current.entries}
        return cls(content.info.get("store", ""), int(content.info.get("revision", "0")),
                   {d.id: d for d in content.documents}, passages, current, uses, content.related, indexes,
                   _matcher_from(frozen_keys), {}, _Static.of(passages), content.changed, retired,
                   presence_of(content.log, current.entries, content.edits, content.changed, retired))

    def with_entries(self, changed: Mapping[str, Entry | None]) -> tuple[dict[str, Entry], Matcher, dict[str, int]]:
        """The live entries, the label matcher and the order as they are once ``changed`` holds (None: gone).
        The matcher layers every entry changed since the last whole one over it (see ``patched``)."""
        entries = dict(self.entries)
        order = dict(self.order)
        for entry_id, entry in changed.items():
            if entry is None:
                entries.pop(entry_id, None)
            else:
                entries[entry_id] = entry
                order.setdefault(entry_id, len(order))
        layer = {**self._layer, **changed}
        top = _names_matcher(e for e in layer.values() if e is not None)
        return entries, LayeredMatcher(self._base, top, frozenset(layer)), order

    def patched(self, revision: int, changed: Mapping[str, Entry | None], versions: Mapping[str, int],
                listed: Mapping[str, list[str] | None], derived: Derived,
                made: tuple[dict[str, Entry], Matcher, dict[str, int]] | None = None,
                came: Mapping[str, tuple[bool, Seen]] | None = None) -> Snapshot:
        """The next snapshot: ``changed`` entries (None: deleted) with their ``versions``, the editors' related
        lists, and the uses and related entries ``derived`` rewrote. ``made``: what ``with_entries(changed)``
        gave already (a writer derived with it). ``came``: whether each entry is live after this revision, and
        its headword and document, as the log says (a process replaying the log reads rows as they are now,
        maybe later; kb.presence). Only the maps a change touches are copied."""
        entries, matcher, order = made or self.with_entries(changed)
        gone = {i for i, e in changed.items() if e is None}
        current = Current(entries, {**self.versions, **versions}, frozenset((self.deleted - changed.keys()) | gone),
                          {k: v for k, v in {**self.listed, **listed}.items() if v})
        uses = dict(self.uses)
        touched: set[str] = set()
        for pid, found in derived.uses.items():
            touched |= {u.entry for u in self.uses.get(pid, ())} | {u.entry for u in found}
            uses[pid] = tuple(found)
        by_entry = dict(self.by_entry)
        rewritten = derived.uses.keys()
        for entry_id in touched:
            kept = [u for u in self.by_entry.get(entry_id, ()) if u.passage not in rewritten]
            kept += [u for pid in rewritten for u in derived.uses[pid] if u.entry == entry_id]
            by_entry[entry_id] = tuple(kept)
        related = {**self.related, **derived.related}
        for entry_id in gone:
            related.pop(entry_id, None)
        by_key, names = self._keys_patched(changed)
        by_document = dict(self._by_document)
        for entry_id, entry in changed.items():
            for document in {e.document for e in (self.entries.get(entry_id), entry) if e is not None}:
                ids = [i for i in by_document.get(document, ()) if i != entry_id]
                if entry is not None and entry.document == document:
                    ids.append(entry_id)
                by_document[document] = tuple(sorted(ids, key=order.__getitem__))
        layer = {**self._layer, **changed}
        base = self._base
        if len(layer) > LAYER_LIMIT:  # built whole again, from keys folded already
            base, layer = _matcher_from(by_key), {}
        snapshot = Snapshot(self.store_id, revision, self.documents, self.passages, current, uses, related,
                            Indexes(by_entry, by_key, names, order, by_document), base, layer, self._static,
                            {**self.changed, **dict.fromkeys(changed, revision)},
                            {i: r for i, r in self.retired.items() if i not in changed},
                            self.presence.patched(revision, came or written(changed, self.entries)))
        if layer:
            snapshot.__dict__["matcher"] = matcher  # the layered matcher of this very content, made already
        return snapshot

    def _keys_patched(self, changed: Mapping[str, Entry | None]) -> tuple[dict, dict[str, str]]:
        by_key, names = dict(self.by_key), dict(self.names)
        keys: set[str] = set()
        for entry_id, entry in changed.items():
            for version in (self.entries.get(entry_id), entry):
                keys |= {label_key(lb.text) for lb in version.labels} if version is not None else set()
        for key in keys:
            rows = [row for row in by_key.get(key, ()) if row[0].id not in changed]
            rows += [(e, lb.text, lb.kind) for e in changed.values() if e is not None
                     for lb in e.labels if label_key(lb.text) == key]
            if rows:
                by_key[key] = tuple(rows)
            else:
                by_key.pop(key, None)
            name = _name(tuple(rows))
            if name is None:
                names.pop(key, None)
            else:
                names[key] = name
        return by_key, names

    # -- reading -------------------------------------------------------------------------------
    @functools.cached_property
    def matcher(self) -> Matcher:
        """Every live entry's names (never components), for linking and for an editor's next write."""
        if not self._layer:
            return self._base
        top = _names_matcher(e for e in self._layer.values() if e is not None)
        return LayeredMatcher(self._base, top, frozenset(self._layer))

    @functools.cached_property
    def newest(self) -> dict[str, tuple[str, str]]:
        """Each document's sort key when the newest report comes first (undated last, then by id): made once a
        snapshot, not once a lookup (a lookup sorts an entry's passages by it)."""
        return {d.id: (newest_first(d.date), d.id) for d in self.documents.values()}

    def passages_of(self, document: str) -> tuple[str, ...]:
        return self._static.by_document.get(document, ())

    def entries_of(self, document: str | None) -> list[Entry]:
        """The live entries of a document (None: editors' own), in order."""
        return [self.entries[i] for i in self._by_document.get(document, ())]

    def citing(self, entry_id: str) -> tuple[str, ...]:
        """The passages whose markers cite this entry's number in its report."""
        return self._static.citing.get(entry_id, ())

    def uses_of(self, entry_id: str) -> tuple[Use, ...]:
        return self.by_entry.get(entry_id, ())

    def with_revision(self, revision: int) -> Snapshot:
        """The same content at a later revision (a change that touched no entry: a token's)."""
        twin = object.__new__(Snapshot)
        twin.__dict__.update(self.__dict__)  # cached readings too: the content is the same
        twin.revision = revision
        return twin


@dataclass(frozen=True)
class _Static:
    """What only a build changes: passages by document, and the passages citing each entry number."""

    by_document: dict[str, tuple[str, ...]]
    citing: dict[str, tuple[str, ...]]

    @classmethod
    def of(cls, passages: Mapping[str, Passage]) -> _Static:
        by_document: dict[str, list[str]] = {}
        citing: dict[str, list[str]] = {}
        for passage in passages.values():
            by_document.setdefault(passage.document, []).append(passage.id)
            for citation in passage.citations:
                found = citing.setdefault(f"{passage.document}:{citation.number}", [])
                if passage.id not in found:
                    found.append(passage.id)
        return cls({k: tuple(v) for k, v in by_document.items()}, {k: tuple(v) for k, v in citing.items()})


def _shared(uses: Mapping[str, list[Use]], passages: Mapping[str, Passage],
            entries: Mapping[str, Entry]) -> dict[str, tuple[Use, ...]]:
    """The uses read from the store, made again with the snapshot's own id strings and one tuple for each
    distinct list of spans. The store makes new strings and tuples for every row, and a passage that names an
    entry of many reports has a use of each, with the same spans: at 1,000 documents two million uses held a
    copy of two ids and of their spans each, most of a GiB. Made anew rather than changed in place, so that the
    memory of the store's objects is freed whole (their arenas empty) once the content is dropped."""
    ids = {entry_id: entry_id for entry_id in entries}
    spans: dict[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]] = {}
    shared = {}
    for pid, found in uses.items():
        own = passages[pid].id if pid in passages else pid
        shared[own] = tuple(Use(ids.get(u.entry, u.entry), own, u.cited, spans.setdefault(u.spans, u.spans),
                                u.ambiguous) for u in found)
    return shared


def _name(rows: tuple[tuple[Entry, str, str], ...]) -> str | None:
    return next((text for _, text, kind in rows if kind != "component"), None)


def _matcher_from(by_key: Mapping[str, Iterable[tuple[Entry, str, str]]]) -> LabelMatcher:
    """The matcher over every entry's names, from keys already folded (no label is folded again)."""
    return LabelMatcher.from_keys({key: [(e.id, e.document, text) for e, text, kind in rows if kind != "component"]
                                   for key, rows in by_key.items()})


def _names_matcher(entries: Iterable[Entry]) -> LabelMatcher:
    return LabelMatcher((name, e.id, e.document) for e in entries for name in e.names)
