"""The domain's value objects: documents, passages, entries and how they refer to each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EDITOR_PREFIX = "editor:"  # the ids of editors' own entries; a report's are "<document>:<number>"


@dataclass(frozen=True)
class IngestWarning:
    """Something odd in a report that kb read as well as it could: the line, what it found and what it did."""

    line: int | None
    message: str


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    date: str | None = None
    source: str = ""
    warnings: tuple[IngestWarning, ...] = ()


@dataclass(frozen=True)
class Citation:
    """A footnote marker ［n］ in a passage: ``offset`` is where it stood in the clean text."""

    number: int
    offset: int


@dataclass(frozen=True)
class Passage:
    id: str
    document: str
    order: int
    section: tuple[str, ...]
    text: str
    line: int = 0
    citations: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class Component:
    """A part of an entry that its definition spells out: “1”指锚定“走在前列”总目标."""

    label: str
    meaning: str


@dataclass(frozen=True)
class Label:
    """A string that names an entry; ``kind`` is headword, core, full_name, alias or component."""

    text: str
    kind: str


@dataclass(frozen=True)
class Entry:
    id: str
    headword: str
    definition: str
    document: str | None = None
    number: int | None = None
    full_name: str | None = None
    labels: tuple[Label, ...] = ()
    components: tuple[Component, ...] = ()
    line: int = 0
    page: int | None = None  # the page of the printed report a note in the glossary names: "(见第2页)"

    @property
    def names(self) -> tuple[str, ...]:
        """The labels that name the entry itself (components are parts, not names)."""
        return tuple(label.text for label in self.labels if label.kind != "component")


@dataclass(frozen=True, slots=True)  # a KB holds millions of them (every passage's uses of every report's entries)
class Use:
    """Where a passage uses an entry: the spans of its labels, whether it cites the entry, and whether the words
    may name another entry as well."""

    entry: str
    passage: str
    cited: bool
    spans: tuple[tuple[int, int], ...] = ()
    # the words name entries of several other reports, and this is one of them (the passage's own report has
    # no entry of that name): see kb.derive
    ambiguous: bool = False


@dataclass(frozen=True)
class Edit:
    """An entry as editors left it (see kb.editing): its state, whether deleted, and its version."""

    entry: str
    state: dict[str, Any]
    deleted: bool
    version: int


@dataclass
class ParsedDocument:
    document: Document
    passages: list[Passage] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
