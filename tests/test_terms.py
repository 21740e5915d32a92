"""What apps read: a term's entries scoped to a report, how each matched, the passages of every report that use
it (own report first, ambiguous senses marked, paged), and the entry listing."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from api import create_app
from kb.build import build
from tests.conftest import make_settings
from tests.helpers import assert_problem, bearer, ok

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


@pytest.fixture
def editable(tmp_path):
    settings = make_settings(tmp_path, REPORTS)
    build(settings)
    return settings, bearer(settings.database_url, "entries-editor")


def test_an_editors_entry_belongs_to_every_reports_scope(editable):
    settings, token = editable
    app = create_app({"KB_SETTINGS": settings}).test_client()
    created = app.post("/entries", json={"headword": "典型镇", "definition": "指示范带动作用强的镇。"},
                       headers=token)
    assert created.status_code == 201, created.get_data(as_text=True)
    for document in REPORTS:
        [entry] = term(app, "典型镇", document=document)["entries"]
        assert entry["id"] == created.get_json()["id"]
    # and the county's passage mentions it at once
    assert used(entry) == [(COUNTY, False, False)]


# -- an entry's passages, a page at a time ----------------------------------------------------------------
def test_an_entrys_passages_page_by_page_and_by_report(client):
    [entry] = term(client, "百千万工程")["entries"]
    url = f"/entries/{entry['id']}/passages"
    pages, cursor = [], None
    while True:
        answer = ok(client.get(url, query_string={"limit": 2, **({"cursor": cursor} if cursor else {})}))
        pages += answer["passages"]
        assert answer["total"] == entry["passages_total"] == len(entry["passages"])
        if (cursor := answer["next_cursor"]) is None:
            break
    assert pages == entry["passages"] and entry["passages_next_cursor"] is None
    county = ok(client.get(url, query_string={"document": COUNTY}))
    assert county["passages"] == [p for p in entry["passages"] if p["document"] == COUNTY] and county["total"] == 3
    assert "nowhere-1999" in assert_problem(client.get(url, query_string={"document": "nowhere-1999"}), 404)["detail"]
    assert_problem(client.get("/entries/nowhere-1999:1/passages"), 404)


def test_a_view_lists_the_first_fifty_passages_and_the_rest_page(tmp_path):
    """A term a report uses in sixty paragraphs: the view lists fifty, its cursor pages on to the rest."""
    paragraphs = [f"第{i}项工作：推进清溪计划第{i}个项目，完善流域治理、生态修复、产业配套和群众参与的长效机制，"
                  "确保项目按期建成见效。" for i in range(1, 61)]  # a line a paragraph, as web pages give them
    body = "\n".join(paragraphs)
    report = (f"2024年清溪区政府工作报告\n——2024年1月5日在清溪区人民代表大会上\n各位代表：\n一、工作安排\n{body}\n"
              "名词解释\n1.清溪计划：指清溪流域综合治理计划。\n")
    settings = make_settings(tmp_path, {"qingxi-2024": report})
    build(settings)
    app = create_app({"KB_SETTINGS": settings}).test_client()
    [entry] = term(app, "清溪计划")["entries"]
    assert len(entry["passages"]) == 50 and entry["passages_total"] == 60
    rest = ok(app.get(f"/entries/{entry['id']}/passages",
                      query_string={"cursor": entry["passages_next_cursor"], "limit": 100}))
    assert [p["text"] for p in entry["passages"] + rest["passages"]] == paragraphs and rest["next_cursor"] is None


# -- GET /entries -------------------------------------------------------------------------------------------
def listing(client, **query) -> list[dict]:
    """Every page of GET /entries, concatenated (checking each page's total)."""
    found, cursor, total = [], None, None
    while True:
        answer = ok(client.get("/entries", query_string={**query, **({"cursor": cursor} if cursor else {})}))
        assert total in (None, answer["total"])
        total = answer["total"]
        found += answer["entries"]
        if (cursor := answer["next_cursor"]) is None:
            break
    assert len(found) == total
    return found


def test_entries_list_every_entry_once_filtered_by_document_and_source(client):
    every = listing(client, limit=1)
    assert [e["id"] for e in every] == [e["id"] for e in listing(client, limit=100)]
    expected = {f"{CITY}:1": "百千万工程", f"{CITY}:2": "“两新”", f"{PROVINCE}:1": "“两新”政策"}
    assert {e["id"]: e["headword"] for e in every} == expected
    assert all(e["source"] == "corpus" and e["version"] == 0 and not e["deleted"] for e in every)
    assert [e["id"] for e in listing(client, document=CITY)] == [f"{CITY}:1", f"{CITY}:2"]
    assert listing(client, document=COUNTY) == [] and listing(client, source="editor") == []
    assert listing(client, source="corpus") == every
    assert "nowhere-1999" in assert_problem(client.get("/entries?document=nowhere-1999"), 404)["detail"]
    for query in ("source=book", "changed_since=-1", "limit=0", "cursor=zz"):
        assert_problem(client.get(f"/entries?{query}"), 422)


def test_changed_since_lists_what_editors_changed_and_deleted_oldest_first(editable):
    settings, bearer = editable
    app = create_app({"KB_SETTINGS": settings}).test_client()
    start = ok(app.get("/entries"))["revision"]
    assert listing(app, changed_since=start) == []
    tag = app.get(f"/entries/{CITY}:1").headers["ETag"]
    assert app.patch(f"/entries/{CITY}:1", json={"definition": "指县镇村三级联动的发展工程。"},
                     headers={**bearer, "If-Match": tag}).status_code == 200
    created = app.post("/entries", json={"headword": "典型镇", "definition": "指示范镇。"}, headers=bearer)
    assert created.status_code == 201
    tag = app.get(f"/entries/{PROVINCE}:1").headers["ETag"]
    assert app.delete(f"/entries/{PROVINCE}:1", headers={**bearer, "If-Match": tag}).status_code == 204
    changes = listing(app, changed_since=start)
    assert [(e["id"], e["deleted"], e["source"], e["version"]) for e in changes] == [
        (f"{CITY}:1", False, "corpus", 1), (created.get_json()["id"], False, "editor", 1),
        (f"{PROVINCE}:1", True, "corpus", 1)]
    revisions = [e["revision"] for e in changes]
    assert revisions == sorted(revisions) and revisions[0] > start
    assert listing(app, changed_since=revisions[0]) == changes[1:]
    now = ok(app.get("/entries"))["revision"]
    assert now == revisions[-1] and listing(app, changed_since=now) == []
    assert [e["id"] for e in listing(app, source="editor")] == [created.get_json()["id"]]
    # a deleted entry is not listed, except as a change
    assert f"{PROVINCE}:1" not in [e["id"] for e in listing(app)]


def test_changed_since_lists_what_a_rebuild_printed_otherwise_or_no_longer_has(editable):
    settings, _ = editable
    app = create_app({"KB_SETTINGS": settings}).test_client()
    start = ok(app.get("/entries"))["revision"]
    build(settings)  # the same reports again: nothing changed
    assert listing(app, changed_since=start) == []
    city = settings.corpus_dir / f"{CITY}.txt"
    city.write_text(REPORTS[CITY].replace("高质量发展工程。", "高质量发展工程，2024年起实施。")
                    .replace("2.“两新”：指大规模设备更新和消费品以旧换新。\n", ""), encoding="utf-8")
    build(settings)
    changes = listing(app, changed_since=start)
    assert [(e["id"], e["deleted"]) for e in changes] == [(f"{CITY}:1", False), (f"{CITY}:2", True)]
    assert ok(app.get(f"/entries/{CITY}:1"))["definition"].endswith("2024年起实施。")


def test_a_write_between_two_pages_neither_repeats_nor_skips_an_entry(editable):
    settings, bearer = editable
    app = create_app({"KB_SETTINGS": settings}).test_client()
    first = ok(app.get("/entries", query_string={"limit": 2}))
    gone = first["entries"][0]["id"]
    tag = app.get(f"/entries/{gone}").headers["ETag"]
    assert app.delete(f"/entries/{gone}", headers={**bearer, "If-Match": tag}).status_code == 204
    rest = ok(app.get("/entries", query_string={"limit": 2, "cursor": first["next_cursor"]}))
    every = [e["id"] for e in first["entries"] + rest["entries"]]
    assert every == [gone] + [e["id"] for e in listing(app)] and len(set(every)) == len(every)


# -- autocomplete ---------------------------------------------------------------------------------------------
def labels_for(client, **query) -> list[tuple[str, int]]:
    return [(t["label"], t["used"]) for t in ok(client.get("/terms", query_string=query))["terms"]]


def test_autocomplete_puts_the_label_typed_first_then_the_most_used_then_the_shortest(editable):
    settings, bearer = editable
    app = create_app({"KB_SETTINGS": settings}).test_client()
    for headword in ("百千", "百千万工程示范镇建设"):  # used nowhere
        made = app.post("/entries", json={"headword": headword, "definition": "指一项工作。"}, headers=bearer)
        assert made.status_code == 201, made.get_data(as_text=True)
    # 百千万工程 is used by six passages: before the shorter 百千, which none uses
    assert labels_for(app, prefix="百") == [("百千万工程", 6), ("百千", 0), ("百千万工程示范镇建设", 0)]
    # the label typed comes first, used or not
    assert labels_for(app, prefix="百千") == [("百千", 0), ("百千万工程", 6), ("百千万工程示范镇建设", 0)]
    assert labels_for(app, prefix="百千萬工程") == [("百千万工程", 6), ("百千万工程示范镇建设", 0)]
    # inside: the label itself, then labels it begins, then labels it is inside
    assert [label for label, _ in labels_for(app, q="两新")] == ["两新", "“两新”政策"]
    assert labels_for(app, q="工程") == [("百千万工程", 6), ("百千万工程示范镇建设", 0)]


@pytest.mark.parametrize("query", [{"prefix": "“"}, {"prefix": "  "}, {"q": "、"}, {"prefix": "》", "q": "两新"}])
def test_a_prefix_with_nothing_a_label_could_hold_is_a_422(client, query):
    body = assert_problem(client.get("/terms", query_string=query), 422)
    assert ("prefix" if "prefix" in query else "q") in body["detail"]
