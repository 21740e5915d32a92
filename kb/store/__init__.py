"""The store, the source of truth: the corpus as printed, what follows from it, editors' changes, the log.

Every statement of SQL on content is here (editors' history in kb.editing, tokens in kb.tokens); the tables
are in ``schema``, the revision log in ``log``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection, Engine

from kb.derive import Derived, current_entries, derive_all
from kb.model import Citation, Component, Document, Edit, Entry, IngestWarning, Label, Passage, Use
from kb.normalize import label_key
from kb.presence import Build, Log, Write
from kb.store import migrate
from kb.store.log import Change, changes_since, current_revision, log_change, next_revision
from kb.store.schema import (  # noqa: F401 - the tables, for kb.editing and kb.tokens
    CONTENT,
    changes,
    citations,
    components,
    document_warnings,
    documents,
    edits,
    entries,
    labels,
    make_engine,
    meta,
    passages,
    related,
    revisions,
    tokens,
    uses,
)

# Bumped when what a build derives changes meaning: a store derived otherwise is derived again when it opens.
DERIVED = "3"  # uses (mentions across reports, ambiguous ones marked) and related entries, editors' changes in
# meta keys that a build keeps: the revision counter, and how long the last build took (monitoring reads it)
BUILD_SECONDS = "build_seconds"
KEPT_META = ("revision", BUILD_SECONDS)


@dataclass(frozen=True)
class Content:
    """Everything the store holds for readers, at one revision."""

    info: dict[str, str]
    documents: list[Document]
    passages: list[Passage]
    corpus: list[Entry]  # the glossary entries as printed
    edits: list[Edit]
    uses: dict[str, list[Use]]  # passage id -> its uses
    related: dict[str, tuple[str, ...]]
    # entry id -> the revision that last changed it: the build that printed it so, or an editor's last write
    changed: dict[str, int] = field(default_factory=dict)
    retired: dict[str, int] = field(default_factory=dict)  # corpus entries a build no longer found -> that build
    log: Log = field(default_factory=Log)  # what the log says of entries coming and going (kb.presence)


@dataclass(frozen=True)
class Rows:
    """What an edit rewrote, read back: the entries' corpus rows and edits, the passages' uses, the related."""

    corpus: dict[str, Entry] = field(default_factory=dict)
    edits: dict[str, Edit] = field(default_factory=dict)
    uses: dict[str, list[Use]] = field(default_factory=dict)
    related: dict[str, tuple[str, ...]] = field(default_factory=dict)


class Store:
    """Reads and writes the KB's tables; one transaction per call that writes."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._migrated = False

    def create(self) -> None:
        """Make the tables, or bring an older store's to this kb's schema (kb.store.migrate): once a process."""
        if not self._migrated:
            migrate.upgrade(self.engine)
            self._migrated = True

    def info(self, conn: Connection | None = None) -> dict[str, str]:
        if conn is None:
            with self.engine.connect() as own:
                return self.info(own)
        return {row.key: row.value for row in conn.execute(select(meta))}

    # -- a build ---------------------------------------------------------------------------------
    def replace_content(self, docs: list[Document], all_passages: list[Passage], corpus: list[Entry],
                        info: dict[str, str], derive: Callable[[list[Edit]], Derived], seen: list[Edit],
                        derived: Derived) -> tuple[int, list[Edit], Derived]:
        """Replace every document, passage and entry in one transaction, as the next revision. ``derived`` was
        derived with the edits ``seen``; if an editor wrote since, it is derived again with ``derive`` under the
        write lock, so a build never loses an edit. Returns the revision, the edits and what was derived."""
        with self.engine.begin() as conn:
            revision = next_revision(conn)
            now = self.edits(conn)
            if now != seen:
                derived = derive(now)
            before = self._corpus_entries(conn)
            printed = {r.id: r.revision for r in conn.execute(select(entries.c.id, entries.c.revision))}
            for table in CONTENT:
                conn.execute(delete(table))
            # (a province's reports are tens of thousands of passages and entries: on the driver's fast path too)
            _insert_plain(conn, documents, ("id", "title", "date", "source", "ord"), (
                (d.id, d.title, d.date, d.source, i) for i, d in enumerate(docs)))
            _insert_plain(conn, document_warnings, ("document", "ord", "line", "message"), (
                (d.id, i, w.line, w.message) for d in docs for i, w in enumerate(d.warnings)))
            _insert_plain(conn, passages, ("id", "document", "ord", "section", "text", "line"), (
                (p.id, p.document, p.order, json.dumps(p.section, ensure_ascii=False), p.text, p.line)
                for p in all_passages))
            _insert_plain(conn, entries, ("id", "document", "number", "headword", "definition", "full_name", "ord",
                                          "line", "page", "revision"), (
                (e.id, e.document, e.number, e.headword, e.definition, e.full_name, i, e.line, e.page,
                 printed.get(e.id) if _same(before.get(e.id), e) else revision) for i, e in enumerate(corpus)))
            _insert_plain(conn, labels, ("entry", "text", "kind", "key", "ord"), (
                (e.id, lb.text, lb.kind, label_key(lb.text), i) for e in corpus for i, lb in enumerate(e.labels)))
            _insert_plain(conn, components, ("entry", "label", "meaning", "ord"), (
                (e.id, c.label, c.meaning, i) for e in corpus for i, c in enumerate(e.components)))
            by_number = {(e.document, e.number): e.id for e in corpus}
            _insert_plain(conn, citations, ("passage", "number", "offset", "entry"), (
                (p.id, c.number, c.offset, by_number.get((p.document, c.number)))
                for p in all_passages for c in p.citations))
            self.write_derived(conn, derived, replace=False)
            conn.execute(delete(meta).where(meta.c.key.not_in(KEPT_META)))
            _insert(conn, meta, [{"key": k, "value": v} for k, v in {**info, "derived": DERIVED}.items()])
            log_change(conn, revision, "build", entries=before.keys() - {e.id for e in corpus},
                       summary=_summary(before, corpus))
        return revision, now, derived

    def record_build(self, seconds: float) -> None:
        """Note how long the last build took, from parsing to the index (a fact about it, not content: it
        takes no revision). The server runs in other processes and reads it from here (``info``)."""
        with self.engine.begin() as conn:
            conn.execute(delete(meta).where(meta.c.key == BUILD_SECONDS))
            conn.execute(insert(meta).values(key=BUILD_SECONDS, value=f"{seconds:.3f}"))

    def write_derived(self, conn: Connection, derived: Derived, replace: bool = True) -> None:
        """The uses of ``derived``'s passages and the related entries of its entries, as rows (replacing those
        rows, unless a build emptied the tables already)."""
        if replace:
            for chunk in _chunks(list(derived.uses)):
                conn.execute(delete(uses).where(uses.c.passage.in_(chunk)))
            for chunk in _chunks(list(derived.related)):
                conn.execute(delete(related).where(related.c.entry.in_(chunk)))
        encoded: dict[tuple, str] = {}  # a use's spans repeat (one list of spans for every sense of a name)
        # (a build of a province's reports derives millions of uses: they go in on the driver's fast path)
        _insert_plain(conn, uses, ("passage", "entry", "cited", "ord", "ambiguous", "spans", "others"), (
            (passage, first.entry, first.cited, order, first.ambiguous,
             encoded.get(first.spans) or encoded.setdefault(first.spans, json.dumps(first.spans)), others)
            for passage, found in derived.uses.items() for first, order, others in _shared(found)))
        _insert(conn, related, [
            {"entry": entry, "other": other, "ord": i}
            for entry, others in derived.related.items() for i, other in enumerate(others)])

    # -- reading -------------------------------------------------------------------------------
    def rederive(self) -> int:
        """Derive the uses and related entries of the whole store again (a store an older kb derived
        otherwise), as a change of its own."""
        with self.engine.begin() as conn:
            revision = next_revision(conn)
            content = self._content(conn)
            now = current_entries(content.corpus, content.edits)
            conn.execute(delete(uses))
            conn.execute(delete(related))
            self.write_derived(conn, derive_all(content.passages, now.entries, now.listed), replace=False)
            conn.execute(delete(meta).where(meta.c.key == "derived"))
            conn.execute(insert(meta).values(key="derived", value=DERIVED))
            log_change(conn, revision, "build", summary={"added": [], "changed": [], "removed": {}})
        return revision

    def load(self) -> Content:
        """Everything, in order, at one revision: the KB is small enough to answer reads from memory."""
        with self.engine.connect() as conn:
            return self._content(conn)

    def _content(self, conn: Connection) -> Content:
        info = self.info(conn)
        noted: dict[str, list[IngestWarning]] = {}
        for r in conn.execute(select(document_warnings).order_by(document_warnings.c.document,
                                                                 document_warnings.c.ord)):
            noted.setdefault(r.document, []).append(IngestWarning(r.line, r.message))
        docs = [Document(r.id, r.title, r.date, r.source or "", tuple(noted.get(r.id, ())))
                for r in conn.execute(select(documents).order_by(documents.c.ord))]
        cited: dict[str, list[tuple[int, int]]] = {}
        for r in conn.execute(select(citations).order_by(citations.c.passage, citations.c.offset)):
            cited.setdefault(r.passage, []).append((r.number, r.offset))
        psgs = [Passage(r.id, r.document, r.ord, tuple(json.loads(r.section)), r.text, r.line or 0,
                        tuple(Citation(n, o) for n, o in cited.get(r.id, ())))
                for r in conn.execute(select(passages).order_by(passages.c.document, passages.c.ord))]
        corpus = list(self._corpus_entries(conn).values())
        found = self._uses(conn)
        links = self._related(conn)
        changed = {r.id: r.revision or 0 for r in conn.execute(select(entries.c.id, entries.c.revision))}
        for r in conn.execute(select(revisions.c.entry, func.max(revisions.c.kb_revision).label("last"))
                              .group_by(revisions.c.entry)):
            changed[r.entry] = max(changed.get(r.entry, 0), r.last)
        retired: dict[str, int] = {}
        builds: list[Build] = []
        for r in conn.execute(select(changes.c.revision, changes.c.entries, changes.c.summary)
                              .where(changes.c.kind == "build").order_by(changes.c.revision)):
            removed = tuple(json.loads(r.entries or "[]"))
            retired.update((entry_id, r.revision) for entry_id in removed)
            builds.append(Build(r.revision, None if r.summary is None else json.loads(r.summary), removed))
        writes = tuple(Write(r.kb_revision, r.entry, r.action != "delete") for r in conn.execute(
            select(revisions.c.kb_revision, revisions.c.entry, revisions.c.action)
            .order_by(revisions.c.kb_revision, revisions.c.id)))
        return Content(info, docs, psgs, corpus, self.edits(conn), found, links, changed,
                       {i: r for i, r in retired.items() if i not in changed or changed[i] < r},
                       Log(tuple(builds), writes))

    def edits(self, conn: Connection, ids: Iterable[str] | None = None) -> list[Edit]:
        query = select(edits).order_by(edits.c.entry)
        if ids is not None:
            query = query.where(edits.c.entry.in_(list(ids)))
        return [Edit(r.entry, json.loads(r.state), bool(r.deleted), r.version) for r in conn.execute(query)]

    def changes_since(self, revision: int) -> tuple[int, list[Change]]:
        """(the store's revision now, every change after ``revision``)."""
        with self.engine.connect() as conn:
            return current_revision(conn), changes_since(conn, revision)

    def written(self, entry_id: str, revision: int, conn: Connection) -> tuple[str, dict[str, Any]] | None:
        """The action of an editor's write to the entry at KB ``revision`` and the state it left (None: none)."""
        row = conn.execute(select(revisions.c.action, revisions.c.state)
                           .where(revisions.c.entry == entry_id, revisions.c.kb_revision == revision)).first()
        return None if row is None else (row.action, json.loads(row.state))

    def rows(self, entry_ids: Iterable[str], passage_ids: Iterable[str], related_ids: Iterable[str],
             conn: Connection | None = None) -> Rows:
        """What edits rewrote, read back (in ``conn``'s transaction, if given)."""
        if conn is None:
            with self.engine.connect() as own:
                return self.rows(entry_ids, passage_ids, related_ids, own)
        ids = list(entry_ids)
        return Rows(self._corpus_entries(conn, ids), {e.entry: e for e in self.edits(conn, ids)},
                    self._uses(conn, list(passage_ids)), self._related(conn, list(related_ids)))

    def _corpus_entries(self, conn: Connection, ids: list[str] | None = None) -> dict[str, Entry]:
        def where(query, column):
            return query if ids is None else query.where(column.in_(ids))

        lbls: dict[str, list[Label]] = {}
        for r in conn.execute(where(select(labels), labels.c.entry).order_by(labels.c.entry, labels.c.ord)):
            lbls.setdefault(r.entry, []).append(Label(r.text, r.kind))
        comps: dict[str, list[Component]] = {}
        for r in conn.execute(where(select(components), components.c.entry)
                              .order_by(components.c.entry, components.c.ord)):
            comps.setdefault(r.entry, []).append(Component(r.label, r.meaning))
        return {r.id: Entry(r.id, r.headword, r.definition, r.document, r.number, r.full_name,
                            tuple(lbls.get(r.id, ())), tuple(comps.get(r.id, ())), r.line or 0, r.page)
                for r in conn.execute(where(select(entries), entries.c.id).order_by(entries.c.ord))}

    def _uses(self, conn: Connection, passage_ids: list[str] | None = None) -> dict[str, list[Use]]:
        found: dict[str, list[Use]] = {p: [] for p in passage_ids or ()}
        decoded: dict[str, tuple[tuple[int, int], ...]] = {}  # the same spans, read once (see write_derived)
        gapped: set[str] = set()  # passages whose uses were put in their places
        for r in _rows(conn, uses, uses.c.passage, passage_ids):
            spans = decoded.get(r.spans)
            if spans is None:
                spans = decoded[r.spans] = tuple(tuple(s) for s in json.loads(r.spans))
            cited, ambiguous = bool(r.cited), bool(r.ambiguous)
            listed = found.get(r.passage)
            if listed is None:
                listed = found[r.passage] = []
            if r.others is None and r.ord == len(listed):  # (rows come in order: most are the next use)
                listed.append(Use(r.entry, r.passage, cited, spans, ambiguous))
                continue
            # a use sharing its row with others, or a use that stands after some of theirs: each in its place
            placed = [(r.ord, r.entry)] + [(order, entry) for entry, order in json.loads(r.others or "[]")]
            listed.extend([None] * (max(order for order, _ in placed) + 1 - len(listed)))  # type: ignore[list-item]
            for order, entry in placed:
                listed[order] = Use(entry, r.passage, cited, spans, ambiguous)
            gapped.add(r.passage)
        for passage in gapped:  # (a place no row filled: only where rows were lost)
            found[passage] = [use for use in found[passage] if use is not None]
        return found

    def _related(self, conn: Connection, entry_ids: list[str] | None = None) -> dict[str, tuple[str, ...]]:
        found: dict[str, list[str]] = {e: [] for e in entry_ids or ()}
        for r in _rows(conn, related, related.c.entry, entry_ids):
            found.setdefault(r.entry, []).append(r.other)
        return {k: tuple(v) for k, v in found.items()}


def _summary(before: dict[str, Entry], corpus: list[Entry]) -> dict[str, Any]:
    """What a build does to the corpus's entries: those it adds, those it prints otherwise, those it removes
    (with their headwords, which the feed names once the rows are gone)."""
    now = {e.id for e in corpus}
    return {"added": [e.id for e in corpus if e.id not in before],
            "changed": [e.id for e in corpus if e.id in before and not _same(before[e.id], e)],
            "removed": {i: e.headword for i, e in before.items() if i not in now}}


def _same(before: Entry | None, after: Entry) -> bool:
    """Whether a build prints an entry as the last one did (its line may move: that is no change to it)."""
    return before is not None and (before.headword, before.definition, before.document, before.number,
                                   before.full_name, before.labels, before.components, before.page) == (
        after.headword, after.definition, after.document, after.number, after.full_name, after.labels,
        after.components, after.page)


def _rows(conn: Connection, table, key, ids: list[str] | None) -> Iterable:
    """The rows of ``table`` whose ``key`` is one of ``ids`` (every row for None), in order, a chunk at a time."""
    for chunk in ([None] if ids is None else _chunks(ids)):
        query = select(table).order_by(key, table.c.ord)
        yield from conn.execute(query if chunk is None else query.where(key.in_(chunk)))


def _shared(found: list[Use]) -> list[tuple[Use, int, str | None]]:
    """A passage's uses as its rows: each first use of a cited, spans and ambiguous (the senses of one name share
    them), its order, and the others' entries and orders (JSON) or None."""
    rows: dict[tuple, list] = {}
    for i, use in enumerate(found):
        key = (use.cited, use.ambiguous, use.spans)
        row = rows.get(key)
        if row is None:
            rows[key] = [use, i, None]
        elif row[2] is None:
            row[2] = [[use.entry, i]]
        else:
            row[2].append([use.entry, i])
    return [(use, order, None if others is None else json.dumps(others, ensure_ascii=False))
            for use, order, others in rows.values()]


def _chunks(items: list[str], size: int = 500) -> list[list[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _insert(conn: Connection, table, rows: Iterable[dict]) -> None:
    rows = list(rows)
    if rows:
        conn.execute(insert(table), rows)


def _insert_plain(conn: Connection, table, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Rows of plain values (text, integers, booleans, None: nothing SQLAlchemy's types would convert), each a
    tuple in the order of ``columns``, on the driver's fastest path in ``conn``'s transaction: PostgreSQL's
    COPY, SQLite's executemany of tuples. SQLAlchemy's insert of as many dicts costs about 10 µs a row."""
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(map(quote, columns))
    driver: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    elif conn.dialect.paramstyle == "qmark":
        cursor = driver.cursor()
        try:
            cursor.executemany(f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join('?' * len(columns))})",
                               rows)
        finally:
            cursor.close()
    else:
        _insert(conn, table, (dict(zip(columns, row, strict=True)) for row in rows))


__all__ = ["BUILD_SECONDS", "Change", "Content", "Edit", "Rows", "Store", "log_change", "make_engine", "next_revision"]
