"""The store, the source of truth: documents, passages, entries, labels, citations and uses in SQL."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    insert,
    inspect,
    select,
)
from sqlalchemy import text as sa_text
from sqlalchemy.engine import Connection, Engine

from kb.model import Component, Document, Entry, IngestWarning, Label, Passage, Use
from kb.normalize import label_key

metadata = MetaData()

meta = Table("meta", metadata, Column("key", String(64), primary_key=True), Column("value", Text))
documents = Table(
    "documents", metadata,
    Column("id", String(200), primary_key=True), Column("title", Text, nullable=False),
    Column("date", String(10)), Column("source", Text), Column("ord", Integer, nullable=False),
)
passages = Table(
    "passages", metadata,
    Column("id", String(220), primary_key=True),
    Column("document", String(200), ForeignKey("documents.id"), nullable=False, index=True),
    Column("ord", Integer, nullable=False), Column("section", Text, nullable=False),
    Column("text", Text, nullable=False), Column("line", Integer),
)
entries = Table(
    "entries", metadata,
    Column("id", String(220), primary_key=True),
    Column("document", String(200), ForeignKey("documents.id"), index=True),
    Column("number", Integer), Column("headword", Text, nullable=False),
    Column("definition", Text, nullable=False), Column("full_name", Text),
    Column("ord", Integer, nullable=False), Column("line", Integer), Column("page", Integer),
)
document_warnings = Table(
    "document_warnings", metadata,  # what a build found odd in each document, and what it did about it
    Column("document", String(200), ForeignKey("documents.id"), nullable=False, index=True),
    Column("ord", Integer, nullable=False), Column("line", Integer), Column("message", Text, nullable=False),
)
labels = Table(
    "labels", metadata,
    Column("entry", String(220), ForeignKey("entries.id"), nullable=False, index=True),
    Column("text", Text, nullable=False), Column("kind", String(16), nullable=False),
    Column("key", Text, nullable=False, index=True), Column("ord", Integer, nullable=False),
)
components = Table(
    "components", metadata,
    Column("entry", String(220), ForeignKey("entries.id"), nullable=False, index=True),
    Column("label", Text, nullable=False), Column("meaning", Text, nullable=False),
    Column("ord", Integer, nullable=False),
)
related = Table(
    "related", metadata,
    Column("entry", String(220), ForeignKey("entries.id"), nullable=False, index=True),
    Column("other", String(220), ForeignKey("entries.id"), nullable=False),
    Column("ord", Integer, nullable=False),
)
citations = Table(
    "citations", metadata,
    Column("passage", String(220), ForeignKey("passages.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False), Column("offset", Integer, nullable=False),
    Column("entry", String(220), ForeignKey("entries.id")),
)
uses = Table(
    "uses", metadata,
    Column("entry", String(220), ForeignKey("entries.id"), nullable=False, index=True),
    Column("passage", String(220), ForeignKey("passages.id"), nullable=False, index=True),
    Column("cited", Boolean, nullable=False), Column("spans", Text, nullable=False),
)

# Written by editors and admins; a build from the corpus never touches these.
tokens = Table(
    "tokens", metadata,
    Column("name", String(100), primary_key=True), Column("role", String(16), nullable=False),
    Column("digest", String(64), nullable=False, unique=True), Column("created", String(32), nullable=False),
    Column("revoked", String(32)),
)
edits = Table(
    "edits", metadata,  # an entry's current state as editors left it: an overlay on the corpus, or a new entry
    Column("entry", String(220), primary_key=True), Column("state", Text, nullable=False),
    Column("deleted", Boolean, nullable=False), Column("version", Integer, nullable=False),
)
revisions = Table(
    "revisions", metadata,  # every write, kept forever
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entry", String(220), nullable=False, index=True), Column("number", Integer, nullable=False),
    Column("kb_revision", Integer, nullable=False), Column("author", String(100), nullable=False),
    Column("time", String(32), nullable=False), Column("note", Text), Column("action", String(16), nullable=False),
    Column("changes", Text, nullable=False), Column("state", Text, nullable=False),
)

changes = Table(
    "changes", metadata,  # the revision log: every change to the store, a revision each, taken in its transaction
    Column("revision", Integer, primary_key=True, autoincrement=False), Column("kind", String(16), nullable=False),
    Column("entry", String(220)), Column("time", String(32), nullable=False),
    Column("passages", Text), Column("entries", Text),  # JSON: what an edit's derivation rewrote (see kb.derive)
)

CHANGE_KINDS = ("build", "edit", "token")

_CONTENT = (uses, citations, related, components, labels, entries, passages, document_warnings, documents)


def make_engine(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record):  # pragma: no cover - exercised by every test
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()
    return engine


class Store:
    """Reads and writes the KB's tables; one transaction per call that writes."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def create(self) -> None:
        """Make the tables; a store made by an older kb gains the tables and (nullable) columns it lacks."""
        metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            present = inspect(conn)
            for table in metadata.sorted_tables:
                have = {column["name"] for column in present.get_columns(table.name)}
                for column in table.columns:
                    if column.name not in have and column.nullable:
                        kind = column.type.compile(dialect=conn.dialect)
                        conn.execute(sa_text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))

    def replace_content(self, docs: list[Document], all_passages: list[Passage], all_entries: list[Entry],
                        all_uses: list[Use], links: dict[str, list[str]], info: dict[str, str]) -> int:
        """Replace every document, passage and entry in one transaction, as the next revision (returned)."""
        with self.engine.begin() as conn:
            revision = next_revision(conn)
            for table in _CONTENT:
                conn.execute(delete(table))
            _insert(conn, documents, [
                {"id": d.id, "title": d.title, "date": d.date, "source": d.source, "ord": i}
                for i, d in enumerate(docs)])
            _insert(conn, document_warnings, [
                {"document": d.id, "ord": i, "line": w.line, "message": w.message}
                for d in docs for i, w in enumerate(d.warnings)])
            _insert(conn, passages, [
                {"id": p.id, "document": p.document, "ord": p.order, "section": json.dumps(p.section,
                 ensure_ascii=False), "text": p.text, "line": p.line} for p in all_passages])
            _insert(conn, entries, [
                {"id": e.id, "document": e.document, "number": e.number, "headword": e.headword,
                 "definition": e.definition, "full_name": e.full_name, "ord": i, "line": e.line, "page": e.page}
                for i, e in enumerate(all_entries)])
            _insert(conn, labels, [
                {"entry": e.id, "text": lb.text, "kind": lb.kind, "key": label_key(lb.text), "ord": i}
                for e in all_entries for i, lb in enumerate(e.labels)])
            _insert(conn, components, [
                {"entry": e.id, "label": c.label, "meaning": c.meaning, "ord": i}
                for e in all_entries for i, c in enumerate(e.components)])
            _insert(conn, related, [
                {"entry": entry, "other": other, "ord": i}
                for entry, others in links.items() for i, other in enumerate(others)])
            by_number = {(e.document, e.number): e.id for e in all_entries}
            _insert(conn, citations, [
                {"passage": p.id, "number": c.number, "offset": c.offset,
                 "entry": by_number.get((p.document, c.number))}
                for p in all_passages for c in p.citations])
            _insert(conn, uses, [
                {"entry": u.entry, "passage": u.passage, "cited": u.cited, "spans": json.dumps(u.spans)}
                for u in all_uses])
            conn.execute(delete(meta).where(meta.c.key != "revision"))
            _insert(conn, meta, [{"key": k, "value": v} for k, v in info.items() if k != "revision"])
            log_change(conn, revision, "build")
        return revision

    def info(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return {row.key: row.value for row in conn.execute(select(meta))}

    def load(self) -> Snapshot:
        """Everything, in order: the KB is small enough to answer reads from memory."""
        with self.engine.connect() as conn:
            noted: dict[str, list[IngestWarning]] = {}
            for r in conn.execute(select(document_warnings).order_by(document_warnings.c.document,
                                                                     document_warnings.c.ord)):
                noted.setdefault(r.document, []).append(IngestWarning(r.line, r.message))
            docs = [Document(r.id, r.title, r.date, r.source or "", tuple(noted.get(r.id, ())))
                    for r in conn.execute(select(documents).order_by(documents.c.ord))]
            psgs = [Passage(r.id, r.document, r.ord, tuple(json.loads(r.section)), r.text, r.line or 0)
                    for r in conn.execute(select(passages).order_by(passages.c.document, passages.c.ord))]
            lbls: dict[str, list[Label]] = {}
            for r in conn.execute(select(labels).order_by(labels.c.entry, labels.c.ord)):
                lbls.setdefault(r.entry, []).append(Label(r.text, r.kind))
            comps: dict[str, list[Component]] = {}
            for r in conn.execute(select(components).order_by(components.c.entry, components.c.ord)):
                comps.setdefault(r.entry, []).append(Component(r.label, r.meaning))
            ents = [Entry(r.id, r.headword, r.definition, r.document, r.number, r.full_name,
                          tuple(lbls.get(r.id, ())), tuple(comps.get(r.id, ())), r.line or 0, r.page)
                    for r in conn.execute(select(entries).order_by(entries.c.ord))]
            rel: dict[str, list[str]] = {}
            for r in conn.execute(select(related).order_by(related.c.entry, related.c.ord)):
                rel.setdefault(r.entry, []).append(r.other)
            use_rows = [Use(r.entry, r.passage, bool(r.cited), tuple(tuple(s) for s in json.loads(r.spans)))
                        for r in conn.execute(select(uses))]
            overlays = [Edit(r.entry, json.loads(r.state), bool(r.deleted), r.version)
                        for r in conn.execute(select(edits).order_by(edits.c.entry))]
        return Snapshot(docs, psgs, ents, rel, use_rows, overlays)


def next_revision(conn: Connection) -> int:
    """Take the store's write lock and its next revision: the first statement of every change (a build, an
    edit, a token change), so that no two changes ever share a revision."""
    bumped = conn.execute(sa_text(
        "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'revision'"))
    if bumped.rowcount == 0:  # a new store
        conn.execute(insert(meta).values(key="revision", value="1"))
    return int(conn.execute(select(meta.c.value).where(meta.c.key == "revision")).scalar_one())


def log_change(conn: Connection, revision: int, kind: str, entry: str | None = None,
               passages: Iterable[str] | None = None, entries: Iterable[str] | None = None) -> None:
    """Record what the change at ``revision`` did, in its own transaction (see ``next_revision``)."""
    conn.execute(insert(changes).values(
        revision=revision, kind=kind, entry=entry, time=datetime.now(UTC).isoformat(timespec="milliseconds"),
        passages=None if passages is None else json.dumps(list(passages), ensure_ascii=False),
        entries=None if entries is None else json.dumps(list(entries), ensure_ascii=False)))


class Snapshot:
    """The store's content at one moment, indexed for reads."""

    def __init__(self, docs: list[Document], psgs: list[Passage], ents: list[Entry],
                 rel: dict[str, list[str]], use_rows: list[Use], overlays: list[Edit] | None = None):
        self.documents = docs
        self.passages = psgs
        self.entries = ents
        self.related = rel
        self.uses = use_rows
        self.edits = overlays or []


@dataclass(frozen=True)
class Edit:
    """An entry as editors left it (see kb.editing): its state, whether deleted, and its version."""

    entry: str
    state: dict
    deleted: bool
    version: int


def _insert(conn, table: Table, rows: Iterable[dict]) -> None:
    rows = list(rows)
    if rows:
        conn.execute(insert(table), rows)
