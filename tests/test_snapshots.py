"""Edits that cost what they change, and stay right: after every write, the writer's next snapshot, a second
process that followed the revision log, a process that loads the store afresh and a derivation of the whole
store from nothing all agree."""

from __future__ import annotations

import pytest

from kb.build import build
from kb.derive import current_entries, derive_all
from kb.knowledge import KnowledgeBase
from kb.snapshot import Snapshot
from kb.store import Store, make_engine
from tests.conftest import make_settings
from tests.reports import MINI, MINI_ID

# A second report that shares a label with MINI (百千万工程) and uses MINI's words in its own passages.
OTHER = """2025年某某市政府工作报告
——2025年1月12日在某某市人民代表大会上
各位代表：
一、2024年工作回顾
我们推进百千万工程［1］和千万工程，落实“上/下”联动，建设青禾智链示范区。
二、2025年工作安排
继续推进百县千镇万村高质量发展工程，打造产业集群。
名词解释
1.百千万工程：指市级层面的百千万工程部署，与千万工程衔接。
"""


def state(snap: Snapshot) -> dict:
    """What a snapshot answers with, in a form two snapshots can be compared by."""
    return {
        "revision": snap.revision,
        "entries": {i: (e.headword, e.definition, e.document, tuple(e.labels), tuple(e.components))
                    for i, e in snap.entries.items()},
        "versions": {i: v for i, v in snap.versions.items() if v},
        "deleted": set(snap.deleted),
        "uses": {p: sorted((u.entry, u.cited, u.spans, u.ambiguous) for u in found)
                 for p, found in snap.uses.items() if found},
        "by_entry": {e: sorted((u.passage, u.cited, u.spans, u.ambiguous) for u in found)
                     for e, found in snap.by_entry.items() if found},
        "related": {e: r for e, r in snap.related.items() if r},
        "by_key": {k: sorted(e.id for e, _, _ in rows) for k, rows in snap.by_key.items()},
        "names": dict(snap.names),
    }


@pytest.fixture
def two(tmp_path):
    """A writer and a follower on one store of two reports."""
    settings = make_settings(tmp_path, {MINI_ID: MINI, "city-2025": OTHER})
    build(settings)
    writer, follower = KnowledgeBase.open(settings), KnowledgeBase.open(settings)
    yield writer, follower, settings
    writer.close()
    follower.close()


def fresh(settings) -> Snapshot:
    return Snapshot.from_content(Store(make_engine(settings.database_url)).load())


def agree(writer: KnowledgeBase, follower: KnowledgeBase, settings) -> None:
    store = Store(make_engine(settings.database_url))
    content = store.load()
    now = current_entries(content.corpus, content.edits)
    whole = derive_all(content.passages, now.entries, now.listed)

    def rows(uses: dict) -> dict:
        return {p: sorted((u.entry, u.cited, u.spans, u.ambiguous) for u in found)
                for p, found in uses.items() if found}

    assert rows(content.uses) == rows(whole.uses), "the rows an edit wrote are not what a whole derivation gives"
    assert {e: r for e, r in content.related.items() if r} == {e: r for e, r in whole.related.items() if r}
    expected = state(Snapshot.from_content(content))
    assert state(writer.snapshot) == expected, "the writer's own next snapshot"
    assert state(follower.current()) == expected, "a process that followed the log"


def test_every_kind_of_edit_gives_the_same_kb_in_every_process(two):
    writer, follower, settings = two
    follower.current()
    steps = [
        lambda: writer.update_entry(f"{MINI_ID}:1", {"headword": "千万工程"}, 0, "alice",
                                    allow_shared_labels=True),  # now also names a label the other report uses
        lambda: writer.update_entry(f"{MINI_ID}:2", {"labels": ["产业集群", "上下联动"]}, 0, "alice"),
        lambda: writer.create_entry({"headword": "青禾智链", "definition": "指与“上/下”联动配套的示范项目。"}, "bob"),
        lambda: writer.update_entry(f"{MINI_ID}:3", {"definition": "指以青禾智链为支撑的产业体系，推进百千万工程。"},
                                    0, "alice"),
        lambda: writer.delete_entry(f"{MINI_ID}:2", 1, "alice"),
        lambda: writer.create_entry({"headword": "百县千镇万村", "definition": "指县、镇、村三级。"}, "bob"),
        lambda: writer.revert_entry(f"{MINI_ID}:2", 0, None, "alice"),  # restores the deleted entry as printed
        lambda: writer.revert_entry(f"{MINI_ID}:1", 0, 1, "alice", allow_shared_labels=True),
        lambda: writer.delete_entry("editor:1", 1, "bob"),
    ]
    for step in steps:
        step()
        agree(writer, follower, settings)


def test_a_new_label_that_overlaps_a_longer_one_is_derived_as_a_whole_derivation_would(two):
    """Leftmost-longest across entries: a new shorter label does not take spans a longer label holds, and a
    removed longer label hands its spans to a shorter one."""
    writer, follower, settings = two
    writer.create_entry({"headword": "万工程", "definition": "指一个会被更长的标签盖住的词。"}, "bob")
    agree(writer, follower, settings)
    spans = [u for u in writer.snapshot.uses_of("editor:1") if u.spans]
    assert spans, "万工程 stands alone somewhere (千万工程 in the other report is its own label there)"
    writer.delete_entry("city-2025:1", 0, "alice")
    agree(writer, follower, settings)


def test_an_edit_rewrites_only_the_rows_it_changes(two):
    writer, _, settings = two
    from sqlalchemy import select

    from kb.store import changes

    writer.update_entry(f"{MINI_ID}:3", {"definition": "指以智能家居为主导产业的产业体系。"}, 0, "alice")
    with Store(make_engine(settings.database_url)).engine.connect() as conn:
        last = conn.execute(select(changes).order_by(changes.c.revision.desc())).first()
    assert last.kind == "edit" and last.entry == f"{MINI_ID}:3"
    assert set(last.passages.strip("[]").replace('"', "").split(", ")) <= {p.id for p in writer.passages(MINI_ID)}
    assert len(writer.passages()) > 4 and last.passages.count(":p") < len(writer.passages())


def test_a_store_an_older_kb_derived_is_derived_again_when_it_opens(tmp_path):
    """An older kb kept the corpus's uses in tables of its own and laid edits over them when it loaded: such a
    store loses those tables and gains the uses of the entries as they are now, once, when it opens."""
    from sqlalchemy import delete, inspect, text

    from kb.store import meta, uses

    settings = make_settings(tmp_path, {MINI_ID: MINI})
    build(settings, index=False)
    kb = KnowledgeBase.open(settings)
    kb.update_entry(f"{MINI_ID}:2", {"labels": ["协同推进"]}, 0, "alice")
    expected = state(kb.snapshot)
    kb.close()
    store = Store(make_engine(settings.database_url))
    with store.engine.begin() as conn:  # what an older kb left: its own tables, no marker, no derived rows
        conn.execute(text("DROP TABLE alembic_version"))  # and no schema version: it predates migrations
        conn.execute(text("CREATE TABLE uses (entry TEXT, passage TEXT, cited BOOLEAN, spans TEXT)"))
        conn.execute(delete(uses))
        conn.execute(delete(meta).where(meta.c.key == "derived"))
    reopened = KnowledgeBase.open(settings)
    try:
        assert "uses" not in inspect(store.engine).get_table_names()
        assert {k: v for k, v in state(reopened.snapshot).items() if k != "revision"} == \
            {k: v for k, v in expected.items() if k != "revision"}
        assert store.info()["derived"] and reopened.revision == expected["revision"] + 1
    finally:
        reopened.close()
