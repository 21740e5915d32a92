"""The store's revision log: every change (a build, an edit, a token change) takes its revision inside its own
transaction, so no two changes share a number, even when they run at the same time."""

from __future__ import annotations

import threading

from sqlalchemy import select

from kb import tokens
from kb.build import build
from kb.knowledge import KnowledgeBase
from kb.store import Store, changes, make_engine
from tests.conftest import make_settings
from tests.reports import MINI, MINI_CHANGED, MINI_ID


def logged(store: Store) -> list[tuple[int, str, str | None]]:
    with store.engine.connect() as conn:
        return [(r.revision, r.kind, r.entry) for r in conn.execute(select(changes).order_by(changes.c.revision))]


def test_each_change_is_logged_with_its_own_revision(tmp_path):
    settings = make_settings(tmp_path, {MINI_ID: MINI})
    build(settings, index=False)
    kb = KnowledgeBase.open(settings)
    try:
        kb.update_entry(f"{MINI_ID}:1", {"definition": "全称“百县千镇万村高质量发展工程”。"}, 0, "alice")
        tokens.create(kb.store, "bob", "editor")
        tokens.revoke(kb.store, "bob")
        (settings.corpus_dir / f"{MINI_ID}.txt").write_text(MINI_CHANGED, encoding="utf-8")
        build(settings, index=False)
        assert logged(kb.store) == [(1, "build", None), (2, "edit", f"{MINI_ID}:1"), (3, "token", None),
                                    (4, "token", None), (5, "build", None)]
        assert kb.store.info()["revision"] == "5"
    finally:
        kb.close()


def test_a_build_and_edits_at_the_same_time_never_share_a_revision(tmp_path):
    settings = make_settings(tmp_path, {MINI_ID: MINI})
    build(settings, index=False)
    (settings.corpus_dir / f"{MINI_ID}.txt").write_text(MINI_CHANGED, encoding="utf-8")
    kb = KnowledgeBase.open(settings)
    errors: list[BaseException] = []

    def edit() -> None:
        try:
            for version in range(12):
                kb.update_entry(f"{MINI_ID}:2", {"definition": f"第{version}稿：指省、市、县上下协同的机制。"},
                                version, "alice")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    writer = threading.Thread(target=edit)
    writer.start()
    for _ in range(3):
        build(settings, index=False)
    writer.join()
    kb.close()
    assert errors == []
    revisions = [revision for revision, _, _ in logged(Store(make_engine(settings.database_url)))]
    assert revisions == list(range(1, len(revisions) + 1)) and len(revisions) == 1 + 12 + 3
    assert Store(make_engine(settings.database_url)).info()["revision"] == str(len(revisions))
