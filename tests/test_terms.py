"""What apps read: a term's entries scoped to a report, how each matched, the passages of every report that use
it (own report first, ambiguous senses marked, paged), and the entry listing."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from api import create_app
from kb import tokens
from kb.build import build
from kb.store import Store, make_engine
from tests.conftest import make_settings
from tests.helpers import assert_problem, ok

CITY, COUNTY, PROVINCE = "qinghe-2024", "hekou-2024", "mouzhou-2025"
REPORTS = {
    # defines 百千万工程 and “两新”, cites both
    CITY: """2024年清河市政府工作报告
——2024年1月8日在清河市第十届人民代表大会第三次会议上
各位代表：
一、2023年工作回顾
我们全面实施百千万工程［1］，推动“两新”政策落地［2］。
二、2024年工作安排
深化百千万工程，用好“两新”政策。
名词解释
1.百千万工程：指百县千镇万村高质量发展工程。
2.“两新”：指大规模设备更新和消费品以旧换新。
""",
    # no glossary: every use of a term is a mention of another report's entry
    COUNTY: """2024年河口县政府工作报告
——2024年2月1日在河口县第八届人民代表大会第四次会议上
各位代表：
一、2023年工作回顾
我们落实百千万工程，建设典型镇。
二、2024年工作安排
纵深推进百千万工程，抓好“两新”工作。
百千万工程要见实效。
""",
    # defines “两新”政策, of which 两新 is the quoted core
    PROVINCE: """2025年某州政府工作报告
——2025年1月20日在某州第五届人民代表大会第二次会议上
各位代表：
一、2024年工作回顾
我们用好“两新”政策［1］，实施百千万工程。
名词解释
1.“两新”政策：指推动新一轮大规模设备更新和消费品以旧换新的政策。
""",
}


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("terms"), REPORTS)
    build(settings)
    return settings


@pytest.fixture(scope="module")
def client(three):
    return create_app({"KB_SETTINGS": three}).test_client()


def term(client, text: str, **query) -> dict:
    return ok(client.get("/terms/" + quote(text), query_string=query))


def used(view: dict) -> list[tuple[str, bool, bool]]:
    """(document, cited, ambiguous) of each passage an entry view lists, in order."""
    return [(p["document"], p["cited"], p["ambiguous"]) for p in view["passages"]]


# -- mentions across reports ----------------------------------------------------------------------------
def test_a_report_without_a_glossary_mentions_the_entry_another_report_defines(client):
    [entry] = term(client, "百千万工程")["entries"]
    assert entry["id"] == f"{CITY}:1"
    assert used(entry) == [(CITY, True, False), (CITY, False, False),  # its own report's, cited first
                           (PROVINCE, False, False),  # the newest report first, then the rest
                           (COUNTY, False, False), (COUNTY, False, False), (COUNTY, False, False)]
    for passage in entry["passages"]:
        [(start, end)] = passage["uses"]
        assert passage["text"][start:end] == "百千万工程"


def test_words_two_reports_define_belong_to_the_passages_own_report_else_to_each_marked_ambiguous(client):
    answer = term(client, "两新")
    by_id = {entry["id"]: entry for entry in answer["entries"]}
    assert set(by_id) == {f"{CITY}:2", f"{PROVINCE}:1"}
    # each report's own passages name its own sense only; the county's name both, ambiguous
    assert used(by_id[f"{CITY}:2"]) == [(CITY, True, False), (CITY, False, False), (COUNTY, False, True)]
    assert used(by_id[f"{PROVINCE}:1"]) == [(PROVINCE, True, False), (COUNTY, False, True)]
    county = next(p for p in by_id[f"{CITY}:2"]["passages"] if p["document"] == COUNTY)
    detail = ok(client.get(f"/passages/{county['id']}"))
    assert {(e["id"], e["ambiguous"]) for e in detail["entries"]} == {
        (f"{CITY}:1", False), (f"{CITY}:2", True), (f"{PROVINCE}:1", True)}


# -- /terms/{term}: scoped to a report, a match per entry ---------------------------------------------
def test_each_entry_says_how_the_term_matched_it(client):
    answer = term(client, "两新")
    matches = {entry["id"]: entry["match"] for entry in answer["entries"]}
    assert matches == {f"{CITY}:2": {"label": "两新", "by": "headword"},
                       f"{PROVINCE}:1": {"label": "两新", "by": "core"}}
    assert answer["match"] == answer["entries"][0]["match"]
    assert term(client, "兩新")["entries"][0]["match"]["by"] == "normalized"


def test_document_scopes_a_lookup_to_one_report(client):
    scoped = term(client, "两新", document=PROVINCE)
    assert [entry["id"] for entry in scoped["entries"]] == [f"{PROVINCE}:1"]
    assert scoped["match"] == {"label": "两新", "by": "core"}
    assert [entry["id"] for entry in term(client, "两新", document=CITY)["entries"]] == [f"{CITY}:2"]
    # the county defines nothing: no entry of it has the label, and the labels that do are suggested
    missing = assert_problem(client.get("/terms/" + quote("两新"), query_string={"document": COUNTY}), 404)
    assert missing["type"] == "/problems/term-not-found" and "两新" in missing["suggestions"]
    unknown = assert_problem(client.get("/terms/" + quote("两新"), query_string={"document": "nowhere-1999"}), 404)
    assert "nowhere-1999" in unknown["detail"]


def test_an_editors_entry_belongs_to_every_reports_scope(tmp_path):
    settings = make_settings(tmp_path, REPORTS)
    build(settings)
    store = Store(make_engine(settings.database_url))
    secret = tokens.create(store, "terms-editor", "editor")
    store.engine.dispose()
    app = create_app({"KB_SETTINGS": settings}).test_client()
    created = app.post("/entries", json={"headword": "典型镇", "definition": "指示范带动作用强的镇。"},
                       headers={"Authorization": f"Bearer {secret}"})
    assert created.status_code == 201, created.get_data(as_text=True)
    for document in REPORTS:
        [entry] = term(app, "典型镇", document=document)["entries"]
        assert entry["id"] == created.get_json()["id"]
    # and the county's passage mentions it at once
    assert used(entry) == [(COUNTY, False, False)]
