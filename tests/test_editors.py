"""The editors' API through the Flask test client: Bearer tokens (401/403, stored as digests), POST/PATCH/DELETE
/entries with ETag and If-Match (412/428), history and ?revision=N, validation at the edge (422 naming the field),
label conflicts (409), writes that survive a rebuild, show at once in lookups and search (in this app and in
another on the same data dir within a second), 413 for big bodies, and a log line naming the token."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import kb.tokens
from api import MAX_BODY_BYTES, create_app
from kb.build import build
from kb.cli import main
from kb.config import Settings
from kb.store import Store, make_engine
from kb.store import tokens as token_rows
from tests.conftest import make_settings
from tests.helpers import assert_problem, kb_env, ok

DOC = "county-2025"
# A county report of three entries: one with a full name and components, two with a quoted core ("2+4", "双百").
REPORT = """2025年某某县政府工作报告
——2025年2月8日在某某县人民代表大会上
各位代表：
一、2024年工作回顾
过去一年，我们扎实推进“强县富民工程”［1］，落实“2+4”产业体系［2］，开展“双百”行动［3］。
二、2025年工作安排
继续实施强县富民工程，做强“2+4”产业体系，深化“双百”行动。
名词解释
1.强县富民工程：全称“强县富民高质量发展三年行动工程”，“强”指县域经济，“富”指群众增收。
2.“2+4”产业体系：指以食品加工、装备制造为主导，以文旅、物流、电商、康养为支撑的产业体系。
3.“双百”行动：指百名干部联系百家企业的帮扶行动。
"""
STRONG, SYSTEM, DOUBLE = f"{DOC}:1", f"{DOC}:2", f"{DOC}:3"
# The same report a year on: entry 1 and 2 reworded, entry 4 new.
REPORT_CHANGED = REPORT.replace("“富”指群众增收", "“富”指农民增收").replace(
    "康养为支撑", "康养、会展为支撑").replace(
    "深化“双百”行动。", "深化“双百”行动，建设青山数谷［4］。") + "4.青山数谷：指县城北部的数字经济产业园。\n"

NEW_TERM = "青禾智链"
NEW_DEFINITION = "指依托潮汐储能走廊建设的农业产业链协同示范项目。"
NEW_PHRASE = "潮汐储能走廊"  # in no report: only an editor's definition has it


@dataclass
class Site:
    """One small KB with an app over it, and a token of each role (names: alice the editor, root the admin)."""

    settings: Settings
    app: Flask
    client: FlaskClient
    store: Store
    editor: str
    admin: str


@pytest.fixture
def site(tmp_path) -> Site:
    settings = make_settings(tmp_path, {DOC: REPORT})
    build(settings)
    store = Store(make_engine(settings.database_url))
    editor = kb.tokens.create(store, "alice", "editor")
    admin = kb.tokens.create(store, "root", "admin")
    app = create_app({"KB_SETTINGS": settings})
    yield Site(settings, app, app.test_client(), store, editor, admin)
    store.engine.dispose()


@pytest.fixture
def cli(site, monkeypatch, capsys):
    """Run `kb ...` in-process on the site's corpus and data dir; returns (status, stdout, stderr)."""
    kb_env(monkeypatch, site.settings)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    return run


# -- helpers ------------------------------------------------------------------------------------------
def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def term_path(term: str) -> str:
    return "/terms/" + quote(term, safe="/+")


def invalid_fields(response) -> dict:
    """The fields a 422 names, from its `errors`."""
    body = assert_problem(response, 422)
    return body["errors"]["json"]


def etag_of(client, entry_id: str) -> str:
    response = client.get(f"/entries/{entry_id}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.headers["ETag"]


def create(client, secret: str, **body):
    body.setdefault("headword", NEW_TERM)
    body.setdefault("definition", NEW_DEFINITION)
    return client.post("/entries", json=body, headers=bearer(secret))


def created(client, secret: str, **body) -> tuple[str, str]:
    """POST an entry that must be made: its id and ETag."""
    response = create(client, secret, **body)
    view = ok(response, 201)
    return view["id"], response.headers["ETag"]


def patch(client, secret: str, entry_id: str, body: dict, if_match: str | None = None):
    headers = bearer(secret) | ({} if if_match is None else {"If-Match": if_match})
    return client.patch(f"/entries/{entry_id}", json=body, headers=headers)


def delete(client, secret: str, entry_id: str, if_match: str | None = None, note: str | None = None):
    headers = bearer(secret) | ({} if if_match is None else {"If-Match": if_match})
    return client.delete(f"/entries/{entry_id}", headers=headers, query_string={"note": note} if note else None)


def named(client, term: str) -> list[str]:
    """The ids of the entries GET /terms/{term} names ([] if it 404s)."""
    response = client.get(term_path(term))
    if response.status_code == 404:
        return []
    return [e["id"] for e in ok(response)["entries"]]


def found(client, query: str) -> list[str]:
    return [h["id"] for h in ok(client.get("/search", query_string={"q": query}))["hits"]]


def within(seconds: float, check) -> float:
    """Poll ``check`` until it holds; how long that took (the test fails if it takes longer than ``seconds``)."""
    start = time.monotonic()
    while not check():
        elapsed = time.monotonic() - start
        assert elapsed < seconds, f"not seen within {seconds} s"
        time.sleep(0.02)
    return time.monotonic() - start


# -- tokens -------------------------------------------------------------------------------------------
def test_kb_token_create_prints_the_token_alone_on_its_last_line_and_it_works(site, cli):
    status, out, _ = cli("token", "create", "--role", "editor", "--name", "carol")
    assert status == 0
    secret = out.rstrip("\n").splitlines()[-1]
    assert secret == secret.strip() and " " not in secret and len(secret) >= 32
    response = create(site.client, secret)
    assert ok(response, 201)["id"].startswith("editor:")
    history = ok(site.client.get(f"/entries/{response.get_json()['id']}/history"))
    assert history["revisions"][-1]["author"] == "carol"


def test_kb_token_list_shows_names_roles_and_dates_never_a_secret(site, cli):
    status, out, _ = cli("token", "create", "--role", "admin", "--name", "dora")
    secret = out.splitlines()[-1]
    status, out, _ = cli("token", "list")
    assert status == 0
    listed = json.loads(out)
    assert {(t["name"], t["role"], t["revoked"]) for t in listed} == \
        {("alice", "editor", None), ("root", "admin", None), ("dora", "admin", None)}
    assert all(t["created"] for t in listed)
    for leaked in (secret, site.editor, site.admin, hashlib.sha256(secret.encode()).hexdigest()):
        assert leaked not in out


def test_kb_token_revoke_locks_the_token_out_at_once(site, cli):
    assert create(site.client, site.editor).status_code == 201
    status, out, _ = cli("token", "revoke", "alice")
    assert status == 0 and "alice" in out
    body = assert_problem(create(site.client, site.editor, headword="另一个词"), 401)
    assert "revoked" in body["detail"] or "unknown" in body["detail"]
    listed = {t["name"]: t for t in json.loads(cli("token", "list")[1])}
    assert listed["alice"]["revoked"]
    status, _, err = cli("token", "revoke", "alice")  # revoked already
    assert status == 2 and "alice" in err


def test_kb_token_create_refuses_a_taken_name_and_an_unknown_role(site, cli):
    status, _, err = cli("token", "create", "--role", "editor", "--name", "alice")
    assert status == 2 and "alice" in err
    with pytest.raises(SystemExit):
        main(["token", "create", "--role", "owner", "--name", "eve"])


def test_tokens_are_stored_as_digests_only(site, cli):
    secret = cli("token", "create", "--role", "editor", "--name", "carol")[1].splitlines()[-1]
    with site.store.engine.connect() as conn:
        rows = {r.name: r for r in conn.execute(select(token_rows))}
    assert set(rows) == {"alice", "root", "carol"}
    for name, plain in (("alice", site.editor), ("root", site.admin), ("carol", secret)):
        row = rows[name]
        assert row.digest == hashlib.sha256(plain.encode()).hexdigest()
        assert all(plain not in str(value) for value in row)
    site.store.engine.dispose()
    for path in Path(site.settings.data_dir).rglob("*"):  # the database file, its WAL, the index
        if path.is_file():
            data = path.read_bytes()
            assert all(plain.encode() not in data for plain in (site.editor, site.admin, secret)), path


def test_tokens_are_compared_in_constant_time(site, monkeypatch):
    compared = []
    real = kb.tokens.hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(kb.tokens.hmac, "compare_digest", spy)
    assert create(site.client, site.editor).status_code == 201
    assert compared and all(a == hashlib.sha256(site.editor.encode()).hexdigest() for a, _ in compared)


def test_reads_are_public(site):
    entry_id, _ = created(site.client, site.editor)
    for url in (f"/entries/{entry_id}", f"/entries/{entry_id}/history", f"/entries/{entry_id}?revision=1",
                term_path(NEW_TERM), "/search?q=" + quote(NEW_PHRASE), f"/entries/{STRONG}"):
        assert site.client.get(url).status_code == 200, url


WRITES = [("POST", "/entries", {"headword": NEW_TERM, "definition": NEW_DEFINITION}),
          ("PATCH", f"/entries/{STRONG}", {"definition": "改过的定义。"}),
          ("DELETE", f"/entries/{STRONG}", None),
          ("POST", "/tokens", {"name": "bob", "role": "editor"}),
          ("GET", "/tokens", None),
          ("DELETE", "/tokens/alice", None)]


@pytest.mark.parametrize("method,url,body", WRITES, ids=[f"{m}-{u}" for m, u, _ in WRITES])
@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer kb_not-a-token", "Basic YWxpY2U6c2VjcmV0",
                                          "Token {editor}"])
def test_a_missing_or_bad_token_is_401(site, method, url, body, authorization):
    headers = {"If-Match": etag_of(site.client, STRONG)}
    if authorization is not None:
        headers["Authorization"] = authorization.format(editor=site.editor)
    response = site.client.open(url, method=method, json=body, headers=headers)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert ok(site.client.get(f"/entries/{STRONG}"))["definition"].startswith("全称")  # nothing was written
    assert named(site.client, NEW_TERM) == []


def test_a_missing_token_is_401_even_when_the_body_is_invalid(site):
    response = site.client.post("/entries", json={"bogus": 1})
    assert_problem(response, 401)


@pytest.mark.parametrize("method,url,body", [w for w in WRITES if "tokens" in w[1]],
                         ids=[f"{m}-{u}" for m, u, _ in WRITES if "tokens" in u])
def test_an_editor_token_on_tokens_is_403(site, method, url, body):
    response = site.client.open(url, method=method, json=body, headers=bearer(site.editor))
    assert "alice" in assert_problem(response, 403)["detail"]
    assert kb.tokens.verify(site.store, site.editor) is not None  # not revoked
    assert {t.name for t in kb.tokens.listing(site.store)} == {"alice", "root"}  # none made


def test_an_admin_may_do_what_an_editor_may(site):
    entry_id, etag = created(site.client, site.admin)
    assert ok(patch(site.client, site.admin, entry_id, {"note": None, "labels": ["智链"]}, etag))["labels"]
    assert site.client.get(term_path("智链")).status_code == 200


def test_admins_manage_tokens_over_http(site):
    made = ok(site.client.post("/tokens", json={"name": "bob", "role": "editor"}, headers=bearer(site.admin)), 201)
    assert made["name"] == "bob" and made["role"] == "editor" and made["revoked"] is None and made["created"]
    secret = made["token"]
    assert ok(create(site.client, secret), 201)["id"].startswith("editor:")

    listed = site.client.get("/tokens", headers=bearer(site.admin))
    assert {(t["name"], t["role"]) for t in ok(listed)["tokens"]} == \
        {("alice", "editor"), ("root", "admin"), ("bob", "editor")}
    text = listed.get_data(as_text=True)
    assert secret not in text and site.editor not in text and site.admin not in text
    assert hashlib.sha256(secret.encode()).hexdigest() not in text

    taken = site.client.post("/tokens", json={"name": "bob", "role": "admin"}, headers=bearer(site.admin))
    assert_problem(taken, 409)
    bad_role = site.client.post("/tokens", json={"name": "eve", "role": "owner"}, headers=bearer(site.admin))
    assert "role" in invalid_fields(bad_role)

    revoked = site.client.delete("/tokens/bob", headers=bearer(site.admin))
    assert revoked.status_code == 204
    assert_problem(create(site.client, secret, headword="又一个词"), 401)
    assert next(t for t in ok(site.client.get("/tokens", headers=bearer(site.admin)))["tokens"]
                if t["name"] == "bob")["revoked"]
    again = site.client.delete("/tokens/bob", headers=bearer(site.admin))
    assert assert_problem(again, 409)["type"] == "/problems/token-revoked"
    assert "revoked already" in again.get_json()["detail"]
    unknown = site.client.delete("/tokens/nobody", headers=bearer(site.admin))
    assert "nobody" in assert_problem(unknown, 404)["detail"]


def test_a_revoked_tokens_name_can_be_given_again(site):
    first = ok(site.client.post("/tokens", json={"name": "carol", "role": "editor"}, headers=bearer(site.admin)), 201)
    assert site.client.delete("/tokens/carol", headers=bearer(site.admin)).status_code == 204
    second = ok(site.client.post("/tokens", json={"name": "carol", "role": "admin"}, headers=bearer(site.admin)), 201)
    assert second["role"] == "admin" and second["revoked"] is None and second["token"] != first["token"]
    assert_problem(create(site.client, first["token"]), 401)
    assert ok(create(site.client, second["token"]), 201)["id"].startswith("editor:")
    assert_problem(site.client.post("/tokens", json={"name": "carol", "role": "editor"},
                                    headers=bearer(site.admin)), 409)  # a live token's name stays taken


# -- POST /entries ------------------------------------------------------------------------------------
def test_post_makes_an_entry_201_with_location_and_the_etag_get_gives(site):
    response = create(site.client, site.editor, labels=["禾链"], full_name="青禾农业智慧产业链",
                      note="from the county's 2025 plan")
    view = ok(response, 201)
    assert response.headers["Location"] == f"/entries/{view['id']}"
    got = site.client.get(response.headers["Location"])
    assert ok(got) == view
    assert got.headers["ETag"] == response.headers["ETag"]
    assert view["headword"] == NEW_TERM and view["definition"] == NEW_DEFINITION
    assert view["document"] is None and view["number"] is None  # an editor's entry has no source document
    assert set(view["labels"]) == {NEW_TERM, "禾链", "青禾农业智慧产业链"}
    assert view["full_name"] == "青禾农业智慧产业链"


def test_post_with_components_and_related(site):
    view = ok(create(site.client, site.editor, components=[{"label": "青", "meaning": "绿色"}],
                     related=[SYSTEM]), 201)
    assert view["components"] == [{"label": "青", "meaning": "绿色"}]
    assert view["related"] == [{"id": SYSTEM, "headword": "“2+4”产业体系"}]
    assert_problem(create(site.client, site.editor, headword="别的词", related=[f"{DOC}:99"]), 409)


def test_each_new_entry_gets_its_own_id(site):
    first, _ = created(site.client, site.editor)
    second, _ = created(site.client, site.editor, headword="第二个词")
    assert first != second
    assert named(site.client, NEW_TERM) == [first] and named(site.client, "第二个词") == [second]


def test_a_new_entry_resolves_and_is_found_at_once_in_the_same_app(site):
    assert named(site.client, NEW_TERM) == [] and found(site.client, NEW_PHRASE) == []  # cached as absent
    entry_id, _ = created(site.client, site.editor, labels=["禾链"])
    assert named(site.client, NEW_TERM) == [entry_id]
    assert named(site.client, "禾链") == [entry_id]
    assert entry_id in found(site.client, NEW_PHRASE)
    listed = ok(site.client.get("/terms", query_string={"prefix": "青禾"}))["terms"]
    assert [e["id"] for t in listed for e in t["entries"]] == [entry_id]


# -- PATCH /entries/{id} ------------------------------------------------------------------------------
def test_patch_with_the_etag_is_200_with_a_new_etag(site):
    entry_id, etag = created(site.client, site.editor)
    response = patch(site.client, site.editor, entry_id, {"definition": "指依托山海通道建设的示范项目。"}, etag)
    view = ok(response)
    assert view["definition"] == "指依托山海通道建设的示范项目。"
    assert view["headword"] == NEW_TERM  # a partial update: the rest stays
    assert response.headers["ETag"] != etag
    assert response.headers["ETag"] == etag_of(site.client, entry_id)
    assert ok(site.client.get(f"/entries/{entry_id}")) == view


def test_patch_with_a_stale_etag_is_412_and_changes_nothing(site):
    entry_id, stale = created(site.client, site.editor)
    fresh = patch(site.client, site.editor, entry_id, {"labels": ["禾链"]}, stale).headers["ETag"]
    response = patch(site.client, site.editor, entry_id, {"definition": "迟到的改动。"}, stale)
    assert_problem(response, 412)
    assert ok(site.client.get(f"/entries/{entry_id}"))["definition"] == NEW_DEFINITION
    assert etag_of(site.client, entry_id) == fresh
    for garbage in ('"nope"', "not-even-quoted", 'W/"nope"'):
        assert_problem(patch(site.client, site.editor, entry_id, {"definition": "x。"}, garbage), 412)


def test_patch_without_if_match_is_428(site):
    entry_id, etag = created(site.client, site.editor)
    for if_match in (None, "", "  "):
        assert_problem(patch(site.client, site.editor, entry_id, {"definition": "没有条件的改动。"}, if_match), 428)
    assert etag_of(site.client, entry_id) == etag


def test_patch_of_an_unknown_entry_is_404(site):
    assert_problem(patch(site.client, site.editor, "editor:99", {"definition": "x。"}, '"abc"'), 404)


def test_a_corpus_entry_can_be_edited(site):
    before = ok(site.client.get(f"/entries/{STRONG}"))
    etag = etag_of(site.client, STRONG)
    response = patch(site.client, site.editor, STRONG,
                     {"definition": "全称“强县富民高质量发展三年行动工程”，“强”指县域经济，“富”指农民增收。",
                      "labels": ["强富工程"]}, etag)
    view = ok(response)
    assert view["definition"].endswith("“富”指农民增收。")
    assert view["document"] == before["document"] and view["number"] == 1  # still the report's entry 1
    assert named(site.client, "强富工程") == [STRONG]
    assert named(site.client, "强县富民工程") == [STRONG]
    assert response.headers["ETag"] == etag_of(site.client, STRONG) != etag
    assert [p["id"] for p in view["passages"]] == [p["id"] for p in before["passages"]]  # still cited there


@pytest.mark.parametrize("entry_id", [STRONG, SYSTEM, DOUBLE])
def test_an_alias_added_to_a_corpus_entry_keeps_every_label_it_had(site, entry_id):
    before = ok(site.client.get(f"/entries/{entry_id}"))
    view = ok(patch(site.client, site.editor, entry_id, {"labels": ["新别名"]}, etag_of(site.client, entry_id)))
    assert view["labels"] == before["labels"] + ["新别名"]
    for label in before["labels"]:
        assert named(site.client, label) == [entry_id], label


def test_a_renamed_corpus_entry_keeps_its_printed_headword_as_a_label(site):
    """The report still says 强县富民工程: renamed, the entry is still named by it (and links there)."""
    view = ok(patch(site.client, site.editor, STRONG, {"headword": "强县工程"}, etag_of(site.client, STRONG)))
    assert view["headword"] == "强县工程" and "强县富民工程" in view["labels"]
    assert named(site.client, "强县富民工程") == [STRONG] and named(site.client, "强县工程") == [STRONG]
    cited = [p for p in view["passages"] if p["cited"]]
    assert cited and "强县富民工程" in cited[0]["text"]


def test_a_rename_that_sets_the_labels_frees_the_old_headword(site):
    labels = [x for x in ok(site.client.get(f"/entries/{STRONG}"))["labels"] if "强县富民工程" not in x]
    view = ok(patch(site.client, site.editor, STRONG, {"headword": "强县工程", "labels": []},
                    etag_of(site.client, STRONG)))
    assert "强县富民工程" not in view["labels"] and set(labels) - {"强县富民工程"} <= set(view["labels"]) | set(labels)
    assert named(site.client, "强县富民工程") == [] and named(site.client, "强县工程") == [STRONG]
    entry_id, _ = created(site.client, site.editor, headword="强县富民工程", definition="指另一个意思。")
    assert named(site.client, "强县富民工程") == [entry_id]


def test_an_editors_entry_renamed_frees_its_old_headword(site):
    entry_id, etag = created(site.client, site.editor)
    ok(patch(site.client, site.editor, entry_id, {"headword": "青禾新链"}, etag))
    assert named(site.client, NEW_TERM) == [] and named(site.client, "青禾新链") == [entry_id]


def test_patch_with_nothing_to_change_makes_no_revision(site):
    entry_id, etag = created(site.client, site.editor)
    response = patch(site.client, site.editor, entry_id, {}, etag)
    assert ok(response)["definition"] == NEW_DEFINITION and response.headers["ETag"] == etag
    assert [r["revision"] for r in ok(site.client.get(f"/entries/{entry_id}/history"))["revisions"]] == [1]


# -- DELETE /entries/{id} -----------------------------------------------------------------------------
def test_delete_needs_the_current_etag(site):
    entry_id, stale = created(site.client, site.editor)
    fresh = patch(site.client, site.editor, entry_id, {"labels": ["禾链"]}, stale).headers["ETag"]
    assert_problem(delete(site.client, site.editor, entry_id), 428)
    assert_problem(delete(site.client, site.editor, entry_id, stale), 412)
    assert named(site.client, NEW_TERM) == [entry_id]
    response = delete(site.client, site.editor, entry_id, fresh, note="a duplicate")
    assert response.status_code == 204 and response.get_data() == b""


def test_a_deleted_entrys_labels_stop_resolving_and_its_history_shows_the_deletion(site):
    entry_id, etag = created(site.client, site.editor, labels=["禾链"])
    assert delete(site.client, site.editor, entry_id, etag, note="a duplicate").status_code == 204
    assert named(site.client, NEW_TERM) == [] and named(site.client, "禾链") == []
    assert_problem(site.client.get(term_path(NEW_TERM)), 404)
    assert ok(site.client.get("/terms", query_string={"prefix": "青禾"}))["terms"] == []
    assert "deleted" in assert_problem(site.client.get(f"/entries/{entry_id}"), 404)["detail"]
    assert entry_id not in found(site.client, NEW_PHRASE)
    revisions = ok(site.client.get(f"/entries/{entry_id}/history"))["revisions"]
    assert [(r["revision"], r["action"], r["author"]) for r in revisions] == \
        [(1, "create", "alice"), (2, "delete", "alice")]
    assert revisions[-1]["note"] == "a duplicate"
    assert ok(site.client.get(f"/entries/{entry_id}?revision=2"))["deleted"] is True
    assert ok(site.client.get(f"/entries/{entry_id}?revision=1"))["definition"] == NEW_DEFINITION
    assert_problem(delete(site.client, site.editor, entry_id, etag), 404)  # gone already
    assert_problem(patch(site.client, site.editor, entry_id, {"definition": "x。"}, etag), 404)


def test_a_deleted_corpus_entry_stops_resolving_and_frees_its_labels(site):
    etag = etag_of(site.client, DOUBLE)
    assert delete(site.client, site.editor, DOUBLE, etag).status_code == 204
    for label in ("双百", "“双百”行动", "双百行动"):
        assert named(site.client, label) == [], label
    assert DOUBLE not in [e["id"] for e in ok(site.client.get(f"/documents/{DOC}"))["entries"]]
    revisions = ok(site.client.get(f"/entries/{DOUBLE}/history"))["revisions"]
    assert [(r["revision"], r["action"]) for r in revisions] == [(0, "import"), (1, "delete")]
    entry_id, _ = created(site.client, site.editor, headword="“双百”行动", definition="指新的双百行动。")
    assert named(site.client, "双百") == [entry_id]


# -- history and ?revision=N --------------------------------------------------------------------------
def test_history_lists_every_revision_with_author_time_note_and_changes(site):
    made = ok(site.client.post("/tokens", json={"name": "bob", "role": "editor"}, headers=bearer(site.admin)), 201)
    entry_id, etag = created(site.client, site.editor, note="new in 2025")
    etag = patch(site.client, made["token"], entry_id, {"definition": "指第二版定义。", "note": "reworded"},
                 etag).headers["ETag"]
    patch(site.client, site.editor, entry_id, {"labels": ["禾链"]}, etag)
    revisions = ok(site.client.get(f"/entries/{entry_id}/history"))["revisions"]
    assert [(r["revision"], r["action"], r["author"], r["note"]) for r in revisions] == [
        (1, "create", "alice", "new in 2025"), (2, "update", "bob", "reworded"), (3, "update", "alice", None)]
    assert revisions[0]["changes"]["headword"] == {"from": None, "to": NEW_TERM}
    assert revisions[0]["changes"]["definition"] == {"from": None, "to": NEW_DEFINITION}
    assert revisions[1]["changes"] == {"definition": {"from": NEW_DEFINITION, "to": "指第二版定义。"}}
    assert revisions[2]["changes"] == {"labels": {"from": [], "to": ["禾链"]}}
    times = [datetime.fromisoformat(r["time"]) for r in revisions]
    assert times == sorted(times)
    assert all(r["kb_revision"] for r in revisions)
    assert_problem(site.client.get("/entries/editor:99/history"), 404)


def without_passages(view: dict) -> dict:
    """An entry's view without what only the current entry has: its passages (a revision lists none)."""
    return {k: v for k, v in view.items() if k not in ("passages", "passages_total", "passages_next_cursor")}


def test_revision_n_gives_the_entry_as_it_was(site):
    entry_id, etag = created(site.client, site.editor)
    etag = patch(site.client, site.editor, entry_id, {"definition": "指第二版定义。"}, etag).headers["ETag"]
    patch(site.client, site.editor, entry_id, {"headword": "青禾智链工程", "labels": ["禾链"]}, etag)
    first = ok(site.client.get(f"/entries/{entry_id}?revision=1"))
    second = ok(site.client.get(f"/entries/{entry_id}?revision=2"))
    third = ok(site.client.get(f"/entries/{entry_id}?revision=3"))
    assert (first["revision"], first["headword"], first["definition"], first["labels"]) == \
        (1, NEW_TERM, NEW_DEFINITION, [NEW_TERM])
    assert (second["revision"], second["headword"], second["definition"]) == (2, NEW_TERM, "指第二版定义。")
    assert (third["headword"], set(third["labels"])) == ("青禾智链工程", {"青禾智链工程", "禾链"})
    assert not first["deleted"] and not third["deleted"]
    current = ok(site.client.get(f"/entries/{entry_id}"))
    current = without_passages(current)
    assert third == current | {"revision": 3, "deleted": False}
    assert_problem(site.client.get(f"/entries/{entry_id}?revision=4"), 404)
    assert_problem(site.client.get(f"/entries/{entry_id}?revision=0"), 404)  # an editor's entry starts at 1


@pytest.mark.parametrize("entry_id", [STRONG, SYSTEM, DOUBLE])
def test_revision_0_of_every_corpus_entry_is_as_printed(site, entry_id):
    printed = ok(site.client.get(f"/entries/{entry_id}"))
    printed = without_passages(printed)
    assert ok(site.client.get(f"/entries/{entry_id}?revision=0")) == printed | {"revision": 0, "deleted": False}


def test_revision_0_of_a_corpus_entry_is_as_printed_after_edits(site):
    printed = ok(site.client.get(f"/entries/{STRONG}"))
    printed = without_passages(printed)
    etag = etag_of(site.client, STRONG)
    patch(site.client, site.editor, STRONG, {"definition": "全称“强县富民高质量发展三年行动工程”。",
                                             "labels": ["强富工程"]}, etag)
    assert ok(site.client.get(f"/entries/{STRONG}?revision=0")) == printed | {"revision": 0, "deleted": False}
    assert ok(site.client.get(f"/entries/{STRONG}?revision=1"))["labels"] == \
        ["强县富民工程", "强县富民高质量发展三年行动工程", "强富工程"]


def test_revision_0_keeps_the_related_entries_as_printed(site):
    """An edit that makes a definition name another entry changes the entry's related entries now, not as
    printed: revision 0 must still show none."""
    printed = ok(site.client.get(f"/entries/{STRONG}"))
    assert printed["related"] == []
    etag = etag_of(site.client, STRONG)
    view = ok(patch(site.client, site.editor, STRONG,
                    {"definition": "全称“强县富民高质量发展三年行动工程”，依托“2+4”产业体系推进。"}, etag))
    assert [r["id"] for r in view["related"]] == [SYSTEM]
    assert ok(site.client.get(f"/entries/{STRONG}?revision=0"))["related"] == []


def test_an_earlier_revision_keeps_the_related_entries_it_had(site):
    entry_id, etag = created(site.client, site.editor, related=[SYSTEM])
    assert ok(patch(site.client, site.editor, entry_id, {"related": [DOUBLE]}, etag))["related"] == \
        [{"id": DOUBLE, "headword": "“双百”行动"}]
    assert ok(site.client.get(f"/entries/{entry_id}?revision=1"))["related"] == \
        [{"id": SYSTEM, "headword": "“2+4”产业体系"}]


# -- validation: 422 naming the field -----------------------------------------------------------------
INSIDE = [("headword", "强" * 100), ("definition", "指" * 10_000), ("labels", [f"标签{i:03d}" for i in range(50)]),
          ("labels", ["长" * 100]), ("full_name", "全" * 100), ("note", "因" * 1000)]


@pytest.mark.parametrize("field,value", INSIDE, ids=[f"{f}-{len(v)}" for f, v in INSIDE])
def test_values_just_inside_the_limits_are_accepted(site, field, value):
    view = ok(create(site.client, site.editor, **{field: value}), 201)
    if field in ("headword", "definition", "full_name"):
        assert view[field] == value
        assert ok(site.client.get(f"/entries/{view['id']}"))[field] == value
    if field == "labels":
        assert set(value) <= set(view["labels"])
        assert named(site.client, value[-1]) == [view["id"]]


OUTSIDE = [("headword", "强" * 101), ("headword", ""), ("definition", "指" * 10_001), ("definition", ""),
           ("labels", [f"标签{i:03d}" for i in range(51)]), ("labels", ["长" * 101]), ("labels", [""]),
           ("labels", "一个标签"), ("full_name", "全" * 101), ("note", "因" * 1001),
           ("components", [{"label": "青"}]), ("related", "county-2025:2"),
           ("allow_shared_labels", "yes"), ("allow_shared_labels", 1), ("headword", 12), ("definition", None)]


@pytest.mark.parametrize("field,value", OUTSIDE,
                         ids=[f"{f}-{len(v) if isinstance(v, str | list) else repr(v)}" for f, v in OUTSIDE])
def test_values_just_outside_the_limits_are_422_naming_the_field(site, field, value):
    response = create(site.client, site.editor, **{field: value})
    assert list(invalid_fields(response)) == [field]
    assert named(site.client, NEW_TERM) == []


@pytest.mark.parametrize("field", ["headword", "definition"])
def test_a_required_field_missing_is_422_naming_it(site, field):
    body = {"headword": NEW_TERM, "definition": NEW_DEFINITION}
    del body[field]
    response = site.client.post("/entries", json=body, headers=bearer(site.editor))
    assert list(invalid_fields(response)) == [field]


CONTROL = {  # id -> (field, value)
    "headword-NUL": ("headword", "青禾\x00智链"), "headword-DEL": ("headword", "青禾\x7f智链"),
    "definition-BEL": ("definition", "指依托\x07数字平台。"),
    "definition-ESC": ("definition", "指依托\x1b[31m数字平台。"),
    "definition-NEL": ("definition", "指依托\x85数字平台。"), "definition-LF": ("definition", "第一段。\n第二段。"),
    "definition-TAB": ("definition", "指依托\t数字平台。"), "labels-VT": ("labels", ["禾\x0b链"]),
    "full_name-APC": ("full_name", "青禾\x9f智链"), "note-NUL": ("note", "why\x00"),
    # a control character at the very end is a control character too
    "headword-trailing-LF": ("headword", "青禾智链\n"), "labels-trailing-LF": ("labels", ["禾链\n"]),
    "definition-trailing-LF": ("definition", "指依托数字平台。\n"),
}


@pytest.mark.parametrize("field,value", CONTROL.values(), ids=CONTROL.keys())
def test_a_control_character_is_422_naming_the_field(site, field, value):
    response = create(site.client, site.editor, **{field: value})
    assert list(invalid_fields(response)) == [field]
    assert named(site.client, NEW_TERM) == [] and named(site.client, "禾链") == []


def test_an_unknown_field_is_422_naming_it(site):
    response = create(site.client, site.editor, source="county-2025", definiton="typo")
    assert set(invalid_fields(response)) == {"source", "definiton"}
    assert named(site.client, NEW_TERM) == []


def test_patch_is_validated_the_same_way(site):
    entry_id, etag = created(site.client, site.editor)
    for body, field in (({"headword": "强" * 101}, "headword"), ({"definition": "指" * 10_001}, "definition"),
                        ({"labels": [f"标签{i}" for i in range(51)]}, "labels"), ({"headword": "青禾\x00"}, "headword"),
                        ({"document": "county-2025"}, "document"), ({"id": "editor:7"}, "id"),
                        ({"headword": ""}, "headword")):
        assert list(invalid_fields(patch(site.client, site.editor, entry_id, body, etag))) == [field], body
    assert etag_of(site.client, entry_id) == etag
    view = ok(patch(site.client, site.editor, entry_id, {"headword": "强" * 100, "labels": [
        f"标签{i}" for i in range(50)]}, etag))
    assert view["headword"] == "强" * 100


def test_a_body_that_is_not_a_json_object_is_422_and_one_that_is_not_json_400(site):
    for data, status in (("[1, 2]", 422), ('"text"', 422), ("{not json", 400)):
        response = site.client.post("/entries", data=data, content_type="application/json",
                                    headers=bearer(site.editor))
        assert_problem(response, status)
    assert named(site.client, NEW_TERM) == []


# -- label conflicts: 409 naming the other entry ------------------------------------------------------
@pytest.mark.parametrize("body,other", [
    ({"headword": "强县富民工程"}, STRONG),
    ({"labels": ["强县富民高质量发展三年行动工程"]}, STRONG),  # another entry's full name
    ({"labels": ["２＋４"]}, SYSTEM),  # its core, in another width
    ({"full_name": "双百"}, DOUBLE),
])
def test_a_label_that_names_another_entry_is_409_naming_it(site, body, other):
    response = create(site.client, site.editor, **body)
    problem = assert_problem(response, 409)
    assert problem["entries"] == [other]
    assert other in problem["detail"] and "allow_shared_labels" in problem["detail"]
    assert named(site.client, NEW_TERM) == []


def test_a_label_an_editors_entry_has_is_taken_too(site):
    first, _ = created(site.client, site.editor, labels=["禾链"])
    problem = assert_problem(create(site.client, site.editor, headword="禾链"), 409)
    assert problem["entries"] == [first]


def test_allow_shared_labels_gives_a_label_several_senses(site):
    entry_id, _ = created(site.client, site.editor, labels=["双百"], allow_shared_labels=True)
    assert set(named(site.client, "双百")) == {DOUBLE, entry_id}
    listed = ok(site.client.get("/terms", query_string={"prefix": "双百"}))["terms"]
    assert {e["id"] for t in listed if t["label"] == "双百" for e in t["entries"]} == {DOUBLE, entry_id}
    other, _ = created(site.client, site.editor, headword="强县富民工程", definition="指另一个意思。",
                       allow_shared_labels=True)
    assert set(named(site.client, "强县富民工程")) == {STRONG, other}


def test_patch_to_a_taken_label_is_409_unless_shared(site):
    entry_id, etag = created(site.client, site.editor)
    problem = assert_problem(patch(site.client, site.editor, entry_id, {"labels": ["2+4"]}, etag), 409)
    assert problem["entries"] == [SYSTEM]
    assert etag_of(site.client, entry_id) == etag
    ok(patch(site.client, site.editor, entry_id, {"labels": ["2+4"], "allow_shared_labels": True}, etag))
    assert set(named(site.client, "2+4")) == {SYSTEM, entry_id}


# -- a rebuild keeps every editor's change --------------------------------------------------------------
def test_a_rebuild_keeps_editors_entries_and_edits_of_corpus_entries(site, cli):
    client = site.client
    edited = "全称“强县富民高质量发展三年行动工程”，由县委统筹、乡镇落实。"
    strong_etag = patch(client, site.editor, STRONG, {"definition": edited, "labels": ["强富工程"]},
                        etag_of(client, STRONG)).headers["ETag"]
    entry_id, _ = created(client, site.editor, labels=["禾链"])
    assert delete(client, site.editor, DOUBLE, etag_of(client, DOUBLE)).status_code == 204

    def check(client) -> None:
        strong = ok(client.get(f"/entries/{STRONG}"))
        assert strong["definition"] == edited
        assert "强富工程" in strong["labels"]
        assert named(client, "强富工程") == [STRONG] and named(client, "强县富民工程") == [STRONG]
        assert named(client, NEW_TERM) == [entry_id] and named(client, "禾链") == [entry_id]
        assert ok(client.get(f"/entries/{entry_id}"))["definition"] == NEW_DEFINITION
        assert named(client, "双百") == []
        assert STRONG in found(client, "县委统筹") and entry_id in found(client, NEW_PHRASE)
        assert [r["author"] for r in ok(client.get(f"/entries/{STRONG}/history"))["revisions"]] == \
            ["corpus", "alice"]

    build(site.settings)  # the same corpus
    check(client)
    assert etag_of(client, STRONG) == strong_etag

    (site.settings.corpus_dir / f"{DOC}.txt").write_text(REPORT_CHANGED, encoding="utf-8")
    status, _, err = cli("build")  # `kb build` with a changed corpus
    assert status == 0, err
    check(client)
    check(create_app({"KB_SETTINGS": site.settings}).test_client())  # and a worker started afresh
    assert "会展" in ok(client.get(f"/entries/{SYSTEM}"))["definition"]  # unedited entries follow the corpus
    assert named(client, "青山数谷") == [f"{DOC}:4"]
    # editing goes on where it left off
    view = ok(patch(client, site.editor, STRONG, {"labels": ["强富工程", "强富"]}, etag_of(client, STRONG)))
    assert view["definition"] == edited
    assert [r["revision"] for r in ok(client.get(f"/entries/{STRONG}/history"))["revisions"]] == [0, 1, 2]
    second, _ = created(client, site.editor, headword="第二个词")
    assert second != entry_id


def test_an_edited_entry_the_corpus_no_longer_has_survives_a_rebuild(site):
    patch(site.client, site.editor, DOUBLE, {"labels": ["双百活动"]}, etag_of(site.client, DOUBLE))
    dropped = REPORT.replace("，开展“双百”行动［3］", "").replace("，深化“双百”行动", "").replace(
        "3.“双百”行动：指百名干部联系百家企业的帮扶行动。\n", "")
    (site.settings.corpus_dir / f"{DOC}.txt").write_text(dropped, encoding="utf-8")
    build(site.settings)
    view = ok(site.client.get(f"/entries/{DOUBLE}"))
    assert view["definition"] == "指百名干部联系百家企业的帮扶行动。" and "双百活动" in view["labels"]
    assert named(site.client, "双百活动") == [DOUBLE] and named(site.client, "双百") == [DOUBLE]
    assert [r["author"] for r in ok(site.client.get(f"/entries/{DOUBLE}/history"))["revisions"]][-1] == "alice"


# -- another worker on the same data dir ----------------------------------------------------------------
def test_another_app_on_the_same_data_dir_sees_writes_within_a_second(site):
    one, two = site.client, create_app({"KB_SETTINGS": site.settings}).test_client()
    assert named(two, NEW_TERM) == [] and found(two, NEW_PHRASE) == []  # cached as absent there

    response = create(one, site.editor)
    entry_id = ok(response, 201)["id"]
    within(1.0, lambda: named(two, NEW_TERM) == [entry_id])
    within(1.0, lambda: entry_id in found(two, NEW_PHRASE))
    assert two.get(f"/entries/{entry_id}").headers["ETag"] == response.headers["ETag"]  # the workers agree

    # a change made through the second worker with the ETag the first gave
    changed = patch(two, site.editor, entry_id, {"definition": "指依托山海通道建设的示范项目。"},
                    response.headers["ETag"])
    assert ok(changed)["definition"] == "指依托山海通道建设的示范项目。"
    within(1.0, lambda: ok(one.get(f"/entries/{entry_id}"))["definition"] == "指依托山海通道建设的示范项目。")
    within(1.0, lambda: entry_id in found(one, "山海通道") and entry_id not in found(one, NEW_PHRASE))
    # the first worker's ETag is stale now: no lost update
    assert_problem(patch(one, site.editor, entry_id, {"definition": "迟到的改动。"}, response.headers["ETag"]), 412)

    assert delete(one, site.editor, entry_id, changed.headers["ETag"]).status_code == 204
    within(1.0, lambda: named(two, NEW_TERM) == [])
    within(1.0, lambda: entry_id not in found(two, "山海通道"))


def test_another_app_sees_an_edit_of_a_corpus_entry_within_a_second(site):
    one, two = site.client, create_app({"KB_SETTINGS": site.settings}).test_client()
    assert named(two, "强富工程") == []
    patch(one, site.editor, STRONG, {"labels": ["强富工程"]}, etag_of(one, STRONG))
    within(1.0, lambda: named(two, "强富工程") == [STRONG])
    assert etag_of(two, STRONG) == etag_of(one, STRONG)


# -- 413 ----------------------------------------------------------------------------------------------
def test_a_body_over_1_mb_is_413(site):
    big = json.dumps({"headword": NEW_TERM, "definition": "指" * MAX_BODY_BYTES}).encode()
    assert len(big) > MAX_BODY_BYTES
    response = site.client.post("/entries", data=big, content_type="application/json", headers=bearer(site.editor))
    assert_problem(response, 413)
    raw = site.client.post("/entries", data=b"x" * (MAX_BODY_BYTES + 1), content_type="application/json",
                           headers=bearer(site.editor))
    assert_problem(raw, 413)
    etag = etag_of(site.client, STRONG)
    assert_problem(site.client.patch(f"/entries/{STRONG}", data=big, content_type="application/json",
                                     headers=bearer(site.editor) | {"If-Match": etag}), 413)
    assert named(site.client, NEW_TERM) == [] and etag_of(site.client, STRONG) == etag


# -- logging ------------------------------------------------------------------------------------------
def test_every_write_is_logged_with_the_token_name(site, caplog):
    caplog.set_level(logging.INFO)

    def logged_since(mark: int) -> str:
        """What the app's logger said since ``mark``."""
        return "\n".join(r.getMessage() for r in caplog.records[mark:] if r.name == site.app.logger.name)

    mark = len(caplog.records)
    entry_id, etag = created(site.client, site.editor)
    assert entry_id in logged_since(mark) and "alice" in logged_since(mark)

    mark = len(caplog.records)
    made = ok(site.client.post("/tokens", json={"name": "bob", "role": "editor"}, headers=bearer(site.admin)), 201)
    assert "bob" in logged_since(mark) and "root" in logged_since(mark)
    assert made["token"] not in caplog.text

    mark = len(caplog.records)
    etag = patch(site.client, made["token"], entry_id, {"definition": "指第二版定义。"}, etag).headers["ETag"]
    assert entry_id in logged_since(mark) and "bob" in logged_since(mark)

    mark = len(caplog.records)
    assert delete(site.client, site.editor, entry_id, etag).status_code == 204
    assert entry_id in logged_since(mark) and "alice" in logged_since(mark)

    mark = len(caplog.records)
    assert site.client.delete("/tokens/bob", headers=bearer(site.admin)).status_code == 204
    assert "bob" in logged_since(mark) and "root" in logged_since(mark)
    for secret in (site.editor, site.admin):
        assert secret not in caplog.text


# -- conflicts that mean something (issue 11) -----------------------------------------------------------
def test_an_entry_keeps_its_etag_when_only_another_entry_changes(site):
    """The false 412: entry B's view shows entry A (related), but B's ETag is B's own; A's rename leaves it."""
    etag = etag_of(site.client, SYSTEM)
    ok(patch(site.client, site.editor, SYSTEM, {"definition": "指服务强县富民工程的产业体系。"}, etag))
    related_view = ok(site.client.get(f"/entries/{SYSTEM}"))
    assert [r["id"] for r in related_view["related"]] == [STRONG]
    system_etag = etag_of(site.client, SYSTEM)
    ok(patch(site.client, site.editor, STRONG, {"headword": "强县工程"}, etag_of(site.client, STRONG)))
    assert ok(site.client.get(f"/entries/{SYSTEM}"))["related"] == [{"id": STRONG, "headword": "强县工程"}]
    assert etag_of(site.client, SYSTEM) == system_etag
    ok(patch(site.client, site.editor, SYSTEM, {"definition": "指以食品加工为主导的产业体系。"}, system_etag))


def test_a_shared_label_is_checked_only_when_a_write_adds_it(site):
    """The shared-label 409: once an entry shares a label, a write that does not add one needs no flag."""
    body = {"headword": "双百行动计划", "definition": "指另一个县的同名行动。", "labels": ["双百"]}
    assert_problem(create(site.client, site.editor, **body), 409)
    entry_id, etag = created(site.client, site.editor, **body, allow_shared_labels=True)
    response = patch(site.client, site.editor, entry_id, {"definition": "指邻县的同名帮扶行动。"}, etag)
    etag = ok(response)["id"] and response.headers["ETag"]
    response = patch(site.client, site.editor, entry_id, {"labels": ["双百", "2+4"]}, etag)  # adds one taken label
    assert assert_problem(response, 409)["type"] == "/problems/label-taken"
    assert "2+4" in response.get_json()["detail"] and "'双百'" not in response.get_json()["detail"]


def test_if_none_match_compares_weakly_and_if_match_strongly(site):
    etag = etag_of(site.client, STRONG)
    assert etag.startswith('"') and not etag.startswith("W/")
    for wanted in (etag, f"W/{etag}"):
        assert site.client.get(f"/entries/{STRONG}", headers={"If-None-Match": wanted}).status_code == 304
    weak = patch(site.client, site.editor, STRONG, {"definition": "指……"}, f"W/{etag}")
    assert assert_problem(weak, 412)["type"] == "/problems/stale-entry"
    assert ok(site.client.get(f"/entries/{STRONG}"))["definition"].startswith("全称")


def test_a_stale_if_match_is_the_stale_entry_problem_and_changes_nothing(site):
    etag = etag_of(site.client, STRONG)
    ok(patch(site.client, site.editor, STRONG, {"definition": "指第一稿。"}, etag))
    stale = patch(site.client, site.editor, STRONG, {"definition": "指第二稿。"}, etag)
    assert assert_problem(stale, 412)["type"] == "/problems/stale-entry"
    assert ok(site.client.get(f"/entries/{STRONG}"))["definition"] == "指第一稿。"


@pytest.mark.parametrize("headword", [" ", "　\t", "   "])
def test_a_blank_headword_is_422(site, headword):
    assert "headword" in invalid_fields(create(site.client, site.editor, headword=headword))
    assert "headword" in invalid_fields(patch(site.client, site.editor, STRONG, {"headword": headword},
                                              etag_of(site.client, STRONG)))


def revert(client, secret: str, entry_id: str, body: dict, if_match: str | None = None):
    headers = bearer(secret) | ({} if if_match is None else {"If-Match": if_match})
    return client.post(f"/entries/{entry_id}/revert", json=body, headers=headers)


def test_an_entry_reverts_to_an_earlier_revision_as_a_new_one(site):
    entry_id, etag = created(site.client, site.editor)
    etag = patch(site.client, site.editor, entry_id, {"definition": "指第二稿。"}, etag).headers["ETag"]
    etag = patch(site.client, site.editor, entry_id, {"definition": "指第三稿。"}, etag).headers["ETag"]
    assert_problem(revert(site.client, site.editor, entry_id, {"revision": 1}), 428)
    back = revert(site.client, site.editor, entry_id, {"revision": 1, "note": "第一稿更好"}, etag)
    assert ok(back)["definition"] == NEW_DEFINITION and back.headers["ETag"] != etag
    revisions = ok(site.client.get(f"/entries/{entry_id}/history"))["revisions"]
    assert [(r["revision"], r["action"]) for r in revisions] == [(1, "create"), (2, "update"), (3, "update"),
                                                                 (4, "revert")]
    assert revisions[-1]["note"] == "第一稿更好"
    assert_problem(revert(site.client, site.editor, entry_id, {"revision": 9}, back.headers["ETag"]), 404)


def test_a_corpus_entry_reverts_to_as_printed(site):
    printed = ok(site.client.get(f"/entries/{STRONG}"))
    etag = patch(site.client, site.editor, STRONG, {"headword": "强县工程", "definition": "指改过的。"},
                 etag_of(site.client, STRONG)).headers["ETag"]
    back = ok(revert(site.client, site.editor, STRONG, {"revision": 0}, etag))
    assert (back["headword"], back["definition"]) == (printed["headword"], printed["definition"])
    assert named(site.client, "强县富民工程") == [STRONG]


def test_a_deleted_entry_is_restored(site):
    etag = etag_of(site.client, DOUBLE)
    assert delete(site.client, site.editor, DOUBLE, etag).status_code == 204
    assert named(site.client, "双百") == [] and site.client.get(f"/entries/{DOUBLE}").status_code == 404
    restore = site.client.post(f"/entries/{DOUBLE}/restore", json={"note": "删错了"}, headers=bearer(site.editor))
    view = ok(restore)
    assert view["headword"] == "“双百”行动" and restore.headers["ETag"]
    assert named(site.client, "双百") == [DOUBLE] and DOUBLE in found(site.client, "百名干部")
    assert any(p["cited"] for p in view["passages"])  # its marker in the report cites it again
    assert [r["action"] for r in ok(site.client.get(f"/entries/{DOUBLE}/history"))["revisions"]] == \
        ["import", "delete", "restore"]
    again = site.client.post(f"/entries/{DOUBLE}/restore", json={}, headers=bearer(site.editor))
    assert_problem(again, 409)
