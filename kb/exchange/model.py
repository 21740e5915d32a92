"""What every exchange format carries: an entry as a record, a row read back from a file, the scope of an
export (its snapshot, entries and URIs), and the errors of an import."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from kb.errors import KBError, NotFound
from kb.labels import labels as derived_labels
from kb.model import Component, Document, Entry, Label
from kb.normalize import label_key
from kb.snapshot import Snapshot
from kb.views import related

DEFAULT_BASE_URL = "http://localhost:8000"  # the CLI's, where KB_PUBLIC_URL is not set
LANGUAGE = "zh"


class ImportUnreadable(KBError):
    """The file is not one of its format at all (not UTF-8, not CSV with kb's columns, not XML, not TBX):
    nothing of it is read. ``line`` where known."""

    def __init__(self, message: str, line: int | None = None):
        self.message = message
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


class ImportRefused(KBError):
    """An import asked to apply a file whose report says it cannot be: rows that do not validate. Nothing
    is written; ``report`` says what is wrong, row by row."""

    def __init__(self, report: dict[str, Any], message: str):
        self.report = report
        super().__init__(message)


class ImportInterrupted(KBError):
    """An import's write failed part way (another write came first); the entries before it stay written."""

    def __init__(self, line: int, cause: KBError, written: list[str], report: dict[str, Any]):
        self.line = line
        self.cause = cause
        self.written = written
        self.report = report
        super().__init__(f"line {line}: {cause} ({len(written)} entries before it were written: "
                         f"{', '.join(written) or 'none'}; nothing after it; the dry run says what is left)")


@dataclass(frozen=True)
class Record:
    """An entry as the exchange formats carry it; ``labels`` are its other names (not the headword or the full
    name), with their kinds; ``related`` the ids of its related entries."""

    id: str
    document: str | None
    headword: str
    full_name: str | None
    labels: tuple[Label, ...]
    definition: str
    components: tuple[Component, ...]
    related: tuple[str, ...]
    version: int

    @property
    def label_texts(self) -> list[str]:
        return [label.text for label in self.labels]


def record_of(snap: Snapshot, entry: Entry) -> Record:
    names = {entry.headword, entry.full_name}
    others: dict[str, Label] = {}
    for label in entry.labels:
        if label.kind != "component" and label.text not in names:
            others.setdefault(label.text, label)
    return Record(entry.id, entry.document, entry.headword, entry.full_name, tuple(others.values()),
                  entry.definition, entry.components, tuple(r.id for r in related(snap, entry)),
                  snap.versions.get(entry.id, 0))


def same_as_headword(entry_or_record: Entry | Record, label: Label) -> bool:
    """A spelling of the headword itself (without its quotes, its width or case): kb matches it as the
    headword."""
    return label_key(label.text) == label_key(entry_or_record.headword)


def given_labels(headword: str, definition: str, full_name: str | None, names: list[str]) -> list[str]:
    """The labels an import must give for an entry to have ``names``: those kb does not derive itself from
    its headword, definition and full name (which it derives again, so they are not kept twice)."""
    derived = {label.text for label in derived_labels(headword, definition)} | {headword, full_name}
    return [name for name in dict.fromkeys(names) if name not in derived]


def in_order(snap: Snapshot, entries: Iterable[Entry]) -> list[Entry]:
    """The KB's documents in their order, then documents only imported entries name (by id), then editors'
    entries; each document's by number (editor:N by N)."""
    rank = {doc_id: index for index, doc_id in enumerate(snap.documents)}

    def key(entry: Entry) -> tuple:
        number = entry.number if entry.number is not None else entry.id.rpartition(":")[2]
        number = int(number) if str(number).isdigit() else 0
        where = (0, rank[entry.document], "") if entry.document in rank else (
            (1, 0, entry.document) if entry.document is not None else (2, 0, ""))
        return (*where, number, entry.id)
    return sorted(entries, key=key)


@dataclass(frozen=True)
class Row:
    """An entry as a file gives it: its line, its id and document (None: not given), the editable fields
    it has (only those: a column or key the file lacks leaves the entry's as it is), or what is wrong."""

    line: int
    id: str | None = None
    document: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None  # the file's row itself cannot be read (not JSON, a bad cell): this says why


@dataclass(frozen=True)
class Scope:
    """What one export holds: the entries of a snapshot (of one document, if given) and the URIs they get."""

    snapshot: Snapshot
    base_url: str
    document: str | None
    entries: list[Entry]

    @classmethod
    def of(cls, snap: Snapshot, base_url: str, document: str | None = None) -> Scope:
        """Every live entry, or those of ``document``: a document the KB has, or one that imported entries
        name (NotFound if neither). In one order whatever order they were written in (``in_order``)."""
        if document is None:
            return cls(snap, base_url.rstrip("/"), None, in_order(snap, snap.entries.values()))
        found = snap.entries_of(document)
        if document not in snap.documents and not found:
            raise NotFound("document", document)
        return cls(snap, base_url.rstrip("/"), document, in_order(snap, found))

    def entry_uri(self, entry_id: str) -> str:
        return f"{self.base_url}/entries/{quote(entry_id, safe=':')}"

    def scheme_uri(self, document: str | None) -> str:
        """A document's glossary is a concept scheme at the document's URL; editors' entries have their own."""
        if document is None:
            return f"{self.base_url}/entries?source=editor"
        return f"{self.base_url}/documents/{quote(document, safe='')}"

    def documents(self) -> list[tuple[str | None, Document | None]]:
        """The documents the entries belong to (None: editors'), in order, with what the KB has of each."""
        ids = dict.fromkeys(entry.document for entry in self.entries)
        return [(doc_id, self.snapshot.documents.get(doc_id) if doc_id else None) for doc_id in ids]

    def records(self) -> Iterator[Record]:
        """One at a time, as an export streams them."""
        return (record_of(self.snapshot, entry) for entry in self.entries)

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(entry.id for entry in self.entries)
