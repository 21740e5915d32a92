"""Schema migrations with Alembic, for SQLite and PostgreSQL alike: applied by `kb migrate` and whenever a store
is opened (``Store.create``), under a lock so that nodes starting together migrate once.

The scripts are in kb/store/migrations/versions. A store made before there were migrations has the tables but
no version: it gains what kb added to those tables over time (nullable columns, new tables), loses the retired
ones, and is stamped with the baseline (0001) before the later scripts run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy import text as sa_text
from sqlalchemy.engine import Connection, Engine

from kb.store import schema

SCRIPTS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"
HEAD = "0003"  # the newest script's revision: a store already there needs no Alembic at all (tests check it)
_LOCK = 7_210_413  # PostgreSQL advisory lock: one migration at a time on one server


def _config(conn: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = conn
    return config


def head() -> str:
    """The newest revision of the scripts."""
    from alembic.script import ScriptDirectory

    found = ScriptDirectory(str(SCRIPTS)).get_current_head()
    assert found is not None
    return found


def current(engine: Engine) -> str | None:
    """The store's schema revision (None: no version table, a new store or one made before migrations)."""
    with engine.connect() as conn:
        return _revision(conn)


def _revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa_text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the store's schema to the newest revision: (the revision it had, the one it has now)."""
    if current(engine) == HEAD:  # the common case: every start and build of a current store
        return HEAD, HEAD
    from alembic import command

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa_text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
        was = _revision(conn)
        config = _config(conn)
        if was is None and "meta" in inspect(conn).get_table_names():
            _unversioned(conn)
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")
        return was, _revision(conn) or ""


def _unversioned(conn: Connection) -> None:
    """A store of the kb before migrations, brought to the baseline: the tables and nullable columns it lacks
    (kb added them one release at a time), without the tables retired since."""
    schema.metadata.create_all(conn)
    present = inspect(conn)
    names = set(present.get_table_names())
    for name in schema.RETIRED_TABLES:
        if name in names:
            conn.execute(sa_text(f"DROP TABLE {name}"))
    for table in schema.metadata.sorted_tables:
        have = {column["name"] for column in present.get_columns(table.name)}
        for column in table.columns:
            if column.name not in have and column.nullable:
                kind = column.type.compile(dialect=conn.dialect)
                conn.execute(sa_text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))
