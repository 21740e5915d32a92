"""The revision log: every change to the store takes the next revision inside its own transaction and says
what it did, so another process can follow the store change by change instead of reloading it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy import text as sa_text
from sqlalchemy.engine import Connection

from kb.store.schema import changes, meta

CHANNEL = "kb_changes"  # PostgreSQL's LISTEN/NOTIFY channel: a change's revision, at its commit


@dataclass(frozen=True)
class Change:
    """One change: a build (everything), an edit (one entry, and the derived rows it rewrote) or a token."""

    revision: int
    kind: str
    entry: str | None = None
    passages: tuple[str, ...] = ()  # an edit's: the passages whose uses it rewrote
    entries: tuple[str, ...] = ()  # an edit's: the entries whose related it rewrote; a build's: those it removed


def next_revision(conn: Connection) -> int:
    """Take the store's write lock and its next revision: the first statement of every change (a build, an
    edit, a token change), so that no two changes ever share a revision."""
    bumped = conn.execute(sa_text(
        "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'revision'"))
    if bumped.rowcount == 0:  # a new store
        conn.execute(insert(meta).values(key="revision", value="1"))
    return current_revision(conn)


def current_revision(conn: Connection) -> int:
    value = conn.execute(select(meta.c.value).where(meta.c.key == "revision")).scalar()
    return int(value or 0)


def log_change(conn: Connection, revision: int, kind: str, entry: str | None = None,
               passages: Iterable[str] | None = None, entries: Iterable[str] | None = None) -> None:
    """Record what the change at ``revision`` did, in its own transaction (see ``next_revision``)."""
    conn.execute(insert(changes).values(
        revision=revision, kind=kind, entry=entry, time=datetime.now(UTC).isoformat(timespec="milliseconds"),
        passages=None if passages is None else json.dumps(sorted(passages), ensure_ascii=False),
        entries=None if entries is None else json.dumps(sorted(entries), ensure_ascii=False)))
    if conn.dialect.name == "postgresql":  # every node listening hears of it when the transaction commits
        conn.execute(sa_text("SELECT pg_notify(:channel, :revision)"), {"channel": CHANNEL, "revision": str(revision)})


def changes_since(conn: Connection, revision: int) -> list[Change]:
    """Every change after ``revision``, oldest first."""
    rows = conn.execute(select(changes).where(changes.c.revision > revision).order_by(changes.c.revision))
    return [Change(r.revision, r.kind, r.entry, tuple(json.loads(r.passages or "[]")),
                   tuple(json.loads(r.entries or "[]"))) for r in rows]
