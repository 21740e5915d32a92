"""The store's tables: the corpus as printed, what follows from it, editors' overlay and history, tokens, the log."""

from __future__ import annotations

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
    event,
)
from sqlalchemy.engine import Engine

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
    Column("revision", Integer),  # the build that last printed it otherwise (GET /entries?changed_since=)
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

citations = Table(
    "citations", metadata,
    Column("passage", String(220), ForeignKey("passages.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False), Column("offset", Integer, nullable=False),
    Column("entry", String(220), ForeignKey("entries.id")),
)
# What follows from the entries as they are now (the corpus with editors' changes; see kb.derive): a build
# writes all of it, an editor's write the rows it changes. No foreign keys: an editor's entry is not in entries.
uses = Table(
    "passage_uses", metadata,
    Column("passage", String(220), nullable=False, index=True), Column("entry", String(220), nullable=False),
    Column("cited", Boolean, nullable=False), Column("spans", Text, nullable=False),
    Column("ord", Integer, nullable=False), Column("ambiguous", Boolean),
    # the passage's other uses with the same cited, spans and ambiguous (the senses of one name): [[entry, ord], ...]
    Column("others", Text),
)
related = Table(
    "entry_related", metadata,
    Column("entry", String(220), nullable=False, index=True), Column("other", String(220), nullable=False),
    Column("ord", Integer, nullable=False),
)
# the tables of the same rows in an older kb, which took the corpus's entries only: dropped when a store opens
RETIRED_TABLES = ("uses", "related")

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
    # JSON, a build's: what it did to the corpus's entries, {"added": [ids], "changed": [ids], "removed": {id:
    # headword}} (GET /changes tells created from modified with it); null in builds before kb recorded it
    Column("summary", Text),
)

CHANGE_KINDS = ("build", "edit", "token")

# what a build replaces (in an order that deletes rows before the rows they refer to)
CONTENT = (uses, citations, related, components, labels, entries, passages, document_warnings, documents)


def make_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):  # a server may restart, or end idle sessions: test a pooled one first
        return create_engine(url, pool_pre_ping=True)
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
