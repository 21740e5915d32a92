"""Schema migrations (kb/store/migrate.py, Alembic): a new store, a store made before migrations, and the scripts
against the tables kb declares; on SQLite, and on PostgreSQL when KB_TEST_STORE=postgres."""

from __future__ import annotations

import dataclasses

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from kb import tokens
from kb.build import build
from kb.cli import main
from kb.knowledge import KnowledgeBase
from kb.store import Store, make_engine, migrate
from kb.store.schema import metadata
from tests.conftest import make_settings
from tests.helpers import kb_env
from tests.reports import MINI, MINI_ID


def differences(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)


def test_a_new_store_gets_the_newest_schema_and_it_is_the_one_kb_declares(tmp_path):
    settings = make_settings(tmp_path, {MINI_ID: MINI})
    settings.data_dir.mkdir()
    engine = make_engine(settings.database_url)
    assert migrate.current(engine) is None
    assert migrate.upgrade(engine) == (None, migrate.head())
    assert migrate.current(engine) == migrate.head()
    # every table and column kb declares comes from a script: a change to kb/store/schema.py needs one
    assert differences(engine) == []
    assert migrate.upgrade(engine) == (migrate.head(), migrate.head())  # again: nothing to do
    engine.dispose()


def _made_before_migrations(settings) -> dict:
    """A store as the kb before migrations left it: built, edited, with tokens, and no version table; also
    without what kb added later (entries.page, document_warnings), as a store of an older release lacked."""
    build(settings, index=False)
    kb = KnowledgeBase.open(settings)
    kb.update_entry(f"{MINI_ID}:1", {"definition": "编辑改过的释义。"}, 0, "alice", "修订")
    made = kb.create_entry({"headword": "新词条", "definition": "编辑加的。"}, "alice")
    kb.delete_entry(f"{MINI_ID}:2", 0, "bob")
    secret = tokens.create(kb.store, "carol", "editor")
    before = {"entries": {e.id: (e.headword, e.definition) for e in kb.entries()},
              "history": {i: kb.history(i) for i in (f"{MINI_ID}:1", made.id, f"{MINI_ID}:2")},
              "tokens": [vars(t) for t in tokens.listing(kb.store)], "secret": secret,
              "revision": kb.store.info()["revision"]}
    kb.close()
    engine = make_engine(settings.database_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(text("DROP TABLE document_warnings"))
        conn.execute(text("ALTER TABLE entries DROP COLUMN page"))
    engine.dispose()
    return before


def test_kb_migrate_keeps_every_entry_edit_and_token_of_a_store_made_before_migrations(
        tmp_path, monkeypatch, capsys):
    settings = make_settings(tmp_path, {MINI_ID: MINI})
    before = _made_before_migrations(settings)
    engine = make_engine(settings.database_url)
    assert migrate.current(engine) is None and "document_warnings" not in inspect(engine).get_table_names()
    kb_env(monkeypatch, settings)
    assert main(["migrate"]) == 0
    assert "from schema revision none" in capsys.readouterr().out
    assert migrate.current(engine) == migrate.head() and differences(engine) == []
    kb = KnowledgeBase.open(settings)
    try:
        assert {e.id: (e.headword, e.definition) for e in kb.entries()} == before["entries"]
        assert {i: kb.history(i) for i in before["history"]} == before["history"]
        assert [vars(t) for t in tokens.listing(kb.store)] == before["tokens"]
        assert tokens.verify(kb.store, before["secret"]).name == "carol"
        assert kb.store.info()["revision"] == before["revision"]  # a migration is not a change of content
    finally:
        kb.close()
    assert main(["migrate"]) == 0
    assert "already" in capsys.readouterr().out
    engine.dispose()


def test_opening_a_store_made_before_migrations_migrates_it(tmp_path):
    settings = make_settings(tmp_path, {MINI_ID: MINI})
    before = _made_before_migrations(settings)
    kb = KnowledgeBase.open(settings)  # what every start does
    try:
        assert migrate.current(kb.store.engine) == migrate.head()
        assert {e.id: (e.headword, e.definition) for e in kb.entries()} == before["entries"]
    finally:
        kb.close()


def test_a_store_migrates_once_per_process(tmp_path):
    settings = make_settings(tmp_path, {MINI_ID: MINI})
    settings.data_dir.mkdir()
    store = Store(make_engine(settings.database_url))
    store.create()
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
    store.create()  # the same Store: not asked again
    assert migrate.current(store.engine) is None
    Store(store.engine).create()  # another (a new process): migrates
    assert migrate.current(store.engine) == migrate.head()
    store.engine.dispose()


def test_the_newest_revision_kb_names_is_the_newest_script():
    assert migrate.HEAD == migrate.head()  # a store at HEAD is taken as current without asking Alembic


PLAIN = """2025年某某县政府工作报告
——2025年1月12日在某某县人民代表大会上
各位代表：
我们实施百千万工程，壮大“3+2”产业集群，百千万工程成效明显。
"""


def _uses(kb) -> dict:
    return {p: [dataclasses.asdict(u) for u in found] for p, found in kb.snapshot.uses.items()}


def test_the_senses_of_one_name_are_one_row_and_a_store_of_one_row_a_use_reads_the_same(tmp_path):
    """A passage of a report without a glossary names 百千万工程, which two reports define: its two (ambiguous) uses
    are one row of passage_uses. Written one row a use (as before schema 0003), or migrated down and up again, the
    store reads the same uses."""
    settings = make_settings(tmp_path, {MINI_ID: MINI, "mini-2026": MINI, "plain-2025": PLAIN})
    build(settings, index=False)
    kb = KnowledgeBase.open(settings)
    expected = _uses(kb)
    kb.close()
    plain = expected["plain-2025:p2"]
    assert [u["entry"] for u in plain] == [f"{MINI_ID}:1", f"{MINI_ID}:3", "mini-2026:1", "mini-2026:3"]
    assert all(u["ambiguous"] for u in plain) and plain[0]["spans"] == plain[2]["spans"] == ((4, 9), (22, 27))
    engine = make_engine(settings.database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT entry, ord, others FROM passage_uses WHERE passage = 'plain-2025:p2' "
                                 "ORDER BY ord")).all()
        total = conn.execute(text("SELECT count(*) FROM passage_uses")).scalar()
    assert [(r.entry, r.ord) for r in rows] == [(f"{MINI_ID}:1", 0), (f"{MINI_ID}:3", 1)]
    assert [r.others for r in rows] == ['[["mini-2026:1", 2]]', '[["mini-2026:3", 3]]']
    assert total < sum(map(len, expected.values()))
    from alembic import command

    with engine.begin() as conn:
        command.downgrade(migrate._config(conn), "0002")
    with engine.connect() as conn:
        assert "others" not in {c["name"] for c in inspect(conn).get_columns("passage_uses")}
        assert conn.execute(text("SELECT count(*) FROM passage_uses")).scalar() == sum(map(len, expected.values()))
    kb = KnowledgeBase.open(settings)  # migrates up again, the rows one a use
    try:
        assert migrate.current(engine) == migrate.head() and _uses(kb) == expected
    finally:
        kb.close()
        engine.dispose()
