"""The change feed (GET /changes, `kb changes`): what an app keeping a copy of the glossary follows, across
editors' creates, edits, deletes and restores and rebuilds from the corpus; paged, with ETags; its since."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect, text

from api import create_app
from kb import live, tokens
from kb.build import build
from kb.cli import main
from kb.knowledge import KnowledgeBase
from kb.store import Store, make_engine, migrate
from tests.conftest import make_settings
from tests.helpers import assert_problem, bearer, kb_env, ok

CITY, COUNTY = "qinghe-2024", "hekou-2024"
CITY_REPORT = """2024年清河市政府工作报告
——2024年1月8日在清河市第十届人民代表大会第三次会议上
各位代表：
一、2023年工作回顾
我们全面实施百千万工程［1］，推动“两新”政策落地［2］，建设典型镇［3］。
二、2024年工作安排
深化百千万工程，用好“两新”政策。
名词解释
1.百千万工程：指百县千镇万村高质量发展工程。
2.“两新”：指大规模设备更新和消费品以旧换新。
3.典型镇：指示范带动作用强的镇。
"""
COUNTY_REPORT = """2024年河口县政府工作报告
——2024年2月1日在河口县第八届人民代表大会第四次会议上
各位代表：
一、2023年工作回顾
我们落实林长制［1］，建设美丽河湖。
名词解释
1.林长制：指由各级党政负责同志担任林长，负责森林资源保护发展的制度。
"""
CORPUS = {CITY: CITY_REPORT, COUNTY: COUNTY_REPORT}


@pytest.fixture
def site(tmp_path):
    """A client over a KB of two small reports that a test may write to, an editor's token, and the settings."""
    settings = make_settings(tmp_path, CORPUS)
    build(settings)
    auth = bearer(settings.database_url, "feed-editor")  # before the app: the token takes a revision
    return create_app({"KB_SETTINGS": settings}).test_client(), auth, settings


def feed(client, since: int = 0, limit: int = 2) -> tuple[list[dict], int]:
    """Every page of GET /changes from ``since``: the changes, and the last page's revision."""
    found, cursor, revision = [], None, None
    while True:
        answer = ok(client.get("/changes", query_string={"since": since, "limit": limit,
                                                         **({"cursor": cursor} if cursor else {})}))
        assert answer["since"] == since
        found += answer["changes"]
        revision = answer["revision"]
        if (cursor := answer["next_cursor"]) is None:
            break
    return found, revision


def summary(changes: list[dict]) -> list[tuple[str, str]]:
    return [(c["id"], c["change"]) for c in changes]


def revision_of(client) -> int:
    return ok(client.get("/changes", query_string={"since": 0, "limit": 1}))["revision"]


def write(client, method: str, url: str, bearer: dict, **body):
    tag = client.get(url).headers.get("ETag")
    response = client.open(url, method=method, json=body,
                           headers={**bearer, **({"If-Match": tag} if tag and method != "POST" else {})})
    assert response.status_code in (200, 201, 204), response.get_data(as_text=True)
    return response.get_json() if response.status_code != 204 else None


# -- a first copy, then nothing -----------------------------------------------------------------------------
def test_a_first_sync_lists_every_entry_as_created_and_then_nothing(site):
    client, _, _ = site
    changes, revision = feed(client, 0, limit=100)
    assert sorted(summary(changes)) == [(f"{COUNTY}:1", "created"), (f"{CITY}:1", "created"),
                                        (f"{CITY}:2", "created"), (f"{CITY}:3", "created")]
    first = next(c for c in changes if c["id"] == f"{CITY}:1")
    assert first == {"id": f"{CITY}:1", "change": "created", "revision": 1, "headword": "百千万工程",
                     "document": CITY, "source": "corpus", "version": 0, "href": f"/entries/{CITY}:1"}
    assert ok(client.get(first["href"]))["headword"] == "百千万工程"
    assert [(c["revision"], c["id"]) for c in changes] == sorted((c["revision"], c["id"]) for c in changes)
    assert feed(client, revision) == ([], revision)


# -- editors -------------------------------------------------------------------------------------------------
def test_creates_edits_deletes_and_restores_each_as_a_change_since_the_revision_asked(site):
    client, bearer, _ = site
    start = revision_of(client)
    write(client, "PATCH", f"/entries/{CITY}:1", bearer, definition="指县镇村三级联动的发展工程。")
    made = write(client, "POST", "/entries", bearer, headword="新质生产力", definition="指先进生产力质态。")
    write(client, "DELETE", f"/entries/{CITY}:2", bearer)
    after_delete = revision_of(client)
    changes, revision = feed(client, start)
    assert summary(changes) == [(f"{CITY}:1", "modified"), (made["id"], "created"), (f"{CITY}:2", "deleted")]
    assert [c["revision"] for c in changes] == [start + 1, start + 2, start + 3] and revision == start + 3
    gone = changes[-1]
    # a deleted entry keeps its headword and document (as it was last live), and has no link
    assert (gone["headword"], gone["document"], gone["href"], gone["version"]) == ("“两新”", CITY, None, 1)
    assert changes[1]["source"] == "editor" and changes[1]["document"] is None and changes[1]["version"] == 1

    # a restore: created for a client that had it deleted, modified for one that still had it
    restored = client.post(f"/entries/{CITY}:2/restore", json={}, headers=bearer)
    assert restored.status_code == 200, restored.get_data(as_text=True)
    assert summary(feed(client, after_delete)[0]) == [(f"{CITY}:2", "created")]
    assert summary(feed(client, start)[0])[-1] == (f"{CITY}:2", "modified")

    # an entry made and deleted after the revision asked: listed as deleted (a client may hold it from a
    # page it read meanwhile); from a revision after its delete, nothing
    before_temp = revision_of(client)
    temp = write(client, "POST", "/entries", bearer, headword="临时词条", definition="指一会儿就删的词条。")
    write(client, "DELETE", f"/entries/{temp['id']}", bearer)
    changes, revision = feed(client, before_temp)
    assert summary(changes) == [(temp["id"], "deleted")] and changes[0]["headword"] == "临时词条"
    assert feed(client, revision) == ([], revision)


def test_a_token_change_moves_the_revision_and_lists_nothing(site, monkeypatch):
    client, _, settings = site
    monkeypatch.setattr(live, "CHECK_S", 0)  # a token's change signals no file: the store is asked each time
    start = revision_of(client)
    store = Store(make_engine(settings.database_url))
    tokens.create(store, "someone-else", "editor")
    store.engine.dispose()
    assert feed(client, start) == ([], start + 1)


# -- rebuilds --------------------------------------------------------------------------------------------------
def test_a_rebuild_that_changes_adds_and_removes_corpus_entries(site):
    client, bearer, settings = site
    start = revision_of(client)
    build(settings)  # the same reports: nothing changed, but the revision moved
    assert feed(client, start) == ([], start + 1)
    # an editor's overlay on an entry that the next build removes: it stays (a build never drops an edit)
    write(client, "PATCH", f"/entries/{CITY}:3", bearer, definition="指编辑改过的示范镇。")
    edited = revision_of(client)
    city = settings.corpus_dir / f"{CITY}.txt"
    city.write_text(CITY_REPORT.replace("高质量发展工程。", "高质量发展工程，2024年起实施。")
                    .replace("2.“两新”：指大规模设备更新和消费品以旧换新。\n", "")
                    .replace("3.典型镇：指示范带动作用强的镇。\n", "")
                    + "4.强县富民：指壮大县域经济、增加群众收入。\n", encoding="utf-8")
    build(settings)
    rebuilt = revision_of(client)
    changes, revision = feed(client, edited)
    assert summary(changes) == [(f"{CITY}:1", "modified"), (f"{CITY}:2", "deleted"), (f"{CITY}:4", "created")]
    assert {c["revision"] for c in changes} == {rebuilt} == {revision}
    assert changes[1]["headword"] == "“两新”" and changes[1]["document"] == CITY and changes[1]["href"] is None
    assert ok(client.get(f"/entries/{CITY}:3"))["definition"] == "指编辑改过的示范镇。"
    assert_problem(client.get(f"/entries/{CITY}:2"), 404)
    # printed again by a later build: created for a client that had it removed, modified for one before
    city.write_text(CITY_REPORT, encoding="utf-8")
    build(settings)
    again = summary(feed(client, rebuilt)[0])
    # (the edited entry's printed version, revision 0 of its history, is back too: modified)
    assert again == [(f"{CITY}:1", "modified"), (f"{CITY}:2", "created"), (f"{CITY}:3", "modified"),
                     (f"{CITY}:4", "deleted")]
    assert summary(feed(client, edited)[0]) == [(f"{CITY}:1", "modified"), (f"{CITY}:2", "modified"),
                                                (f"{CITY}:3", "modified"), (f"{CITY}:4", "deleted")]
    # the first copy, now: the live entries created, and the entries gone since as deleted
    first = dict(summary(feed(client, 0)[0]))
    assert first == {f"{CITY}:1": "created", f"{CITY}:2": "created", f"{CITY}:3": "created",
                     f"{COUNTY}:1": "created", f"{CITY}:4": "deleted"}


def test_every_process_tells_the_same_changes_whether_it_followed_the_log_or_loaded_the_store(site):
    """A process that applied each edit from the log (kb.live) and one that loads the store whole (kb.presence
    replays the log) answer the same feed from every revision."""
    client, bearer, settings = site
    follower = KnowledgeBase.open(settings)
    try:
        follower.current()
        write(client, "PATCH", f"/entries/{COUNTY}:1", bearer, definition="指林长负责的制度。")
        made = write(client, "POST", "/entries", bearer, headword="美丽河湖", definition="指水清岸绿的河湖。")
        write(client, "DELETE", f"/entries/{CITY}:2", bearer)
        write(client, "DELETE", f"/entries/{made['id']}", bearer)
        assert client.post(f"/entries/{CITY}:2/restore", json={}, headers=bearer).status_code == 200
        followed = follower.current()
        loaded = KnowledgeBase.open(settings)
        try:
            assert loaded.current().revision == followed.revision
            for since in range(followed.revision + 1):
                assert follower.changes(since, 100) == loaded.changes(since, 100)
            assert dict(followed.presence.toggles) == dict(loaded.current().presence.toggles)
        finally:
            loaded.close()
    finally:
        follower.close()


def test_a_store_whose_builds_kept_no_summary_is_migrated_and_read_as_well_as_it_can_be(site):
    """A store of schema 0001, whose builds kept no summary: opening it adds the column (migration 0002); the
    entries the first build printed read as created then, an entry a later build removed as deleted."""
    client, _, settings = site
    city = settings.corpus_dir / f"{CITY}.txt"
    city.write_text(CITY_REPORT.replace("3.典型镇：指示范带动作用强的镇。\n", ""), encoding="utf-8")
    build(settings)
    engine = make_engine(settings.database_url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE changes DROP COLUMN summary"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    engine.dispose()
    kb = KnowledgeBase.open(settings)
    try:
        assert migrate.current(kb.store.engine) == migrate.head()
        assert "summary" in {c["name"] for c in inspect(kb.store.engine).get_columns("changes")}
        snap = kb.current()
        assert all(snap.presence.live_at(i, snap.revision) for i in snap.entries)
        assert dict(summary(kb.changes(0, 100)["changes"])) == {
            f"{CITY}:1": "created", f"{CITY}:2": "created", f"{COUNTY}:1": "created", f"{CITY}:3": "deleted"}
        assert summary(kb.changes(1, 100)["changes"]) == [(f"{CITY}:3", "deleted")]
        assert kb.changes(1, 100)["changes"][0]["headword"] is None  # the old log did not say
    finally:
        kb.close()


# -- pages, ETags, since ---------------------------------------------------------------------------------------
def test_pages_concatenate_and_a_write_between_two_pages_skips_nothing(site):
    client, bearer, _ = site
    whole = ok(client.get("/changes", query_string={"limit": 100}))
    paged, _ = feed(client, 0, limit=1)
    assert paged == whole["changes"] and whole["total"] == 4 and whole["next_cursor"] is None
    first = ok(client.get("/changes", query_string={"limit": 2}))
    assert first["total"] == 4 and first["next_cursor"]
    shown = first["changes"][0]["id"]
    write(client, "PATCH", f"/entries/{shown}", bearer, definition="指改过了。")
    rest, cursor = [], first["next_cursor"]
    while cursor:
        answer = ok(client.get("/changes", query_string={"limit": 2, "cursor": cursor}))
        rest += answer["changes"]
        cursor = answer["next_cursor"]
    ids = [c["id"] for c in first["changes"] + rest]
    # every entry once, and the one changed between the pages again at the end, at its new revision
    assert sorted(set(ids)) == sorted(c["id"] for c in whole["changes"]) and ids[-1] == shown
    assert len(ids) == 5 and rest[-1]["revision"] == answer["revision"]


def test_the_feed_has_an_etag_and_answers_304_until_something_changes(site):
    client, bearer, _ = site
    first = client.get("/changes?since=0")
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag and first.headers["Cache-Control"] == "public, no-cache"
    again = client.get("/changes?since=0", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert client.get("/changes?since=0", headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    write(client, "PATCH", f"/entries/{CITY}:1", bearer, definition="指又改了。")
    changed = client.get("/changes?since=0", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_a_since_past_the_kbs_revision_lists_nothing_and_gives_the_revision(site):
    client, _, _ = site
    now = revision_of(client)
    answer = ok(client.get("/changes", query_string={"since": now + 10}))
    assert answer == {"since": now + 10, "revision": now, "total": 0, "changes": [], "next_cursor": None}


@pytest.mark.parametrize("query, name", [("since=-1", "since"), ("since=abc", "since"), ("since=1.5", "since"),
                                         ("limit=0", "limit"), ("limit=101", "limit"), ("cursor=zz", "cursor")])
def test_a_since_limit_or_cursor_that_is_not_one_is_a_422(site, query, name):
    client, _, _ = site
    body = assert_problem(client.get(f"/changes?{query}"), 422)
    assert body["type"] == "/problems/validation-error" and name in body["errors"]["query"]


def test_the_feed_is_in_the_openapi_document(site):
    client, _, _ = site
    spec = ok(client.get("/openapi.json"))
    operation = spec["paths"]["/changes"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"since", "limit", "cursor"}
    assert {"200", "304", "422"} <= set(operation["responses"])
    item = spec["components"]["schemas"]["Change"]["properties"]
    assert item["change"]["enum"] == ["created", "modified", "deleted"]


# -- the command line ----------------------------------------------------------------------------------------------
def test_kb_changes_prints_what_the_api_answers(site, monkeypatch, capsys):
    client, bearer, settings = site
    start = revision_of(client)
    write(client, "DELETE", f"/entries/{COUNTY}:1", bearer)
    kb_env(monkeypatch, settings)
    assert main(["changes", "--since", str(start)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == ok(client.get("/changes", query_string={"since": start}))
    assert summary(printed["changes"]) == [(f"{COUNTY}:1", "deleted")]
    assert main(["changes", "--limit", "1"]) == 0
    assert len(json.loads(capsys.readouterr().out)["changes"]) == 1
    with pytest.raises(SystemExit):
        main(["changes", "--since", "-1"])
