"""The REST API: every route answers what the KnowledgeBase says (expected values come from kb, never copied),
every error is one problem+json shape, GETs are cacheable (ETag, 304, CORS) and stay correct across a rebuild,
the OpenAPI document validates and covers every route and status, and the CLI prints what the API sends."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import quote

import opencc
import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_spec

from api import MAX_BODY_BYTES, create_app
from api.state import get_kb
from kb.build import build
from kb.cli import main
from kb.config import Settings
from kb.errors import TermNotFound
from kb.knowledge import MAX_LIMIT, KnowledgeBase
from kb.normalize import label_key
from tests.conftest import REPORTS, make_settings
from tests.helpers import PROBLEM, assert_problem, kb_env, ok
from tests.reports import MINI, MINI_CHANGED, MINI_ID, NEW_TERM


# -- fixtures -----------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def app(settings):
    """The app over the three real reports; read-only, so one for the session (its answer cache too)."""
    return create_app({"KB_SETTINGS": settings})


@pytest.fixture
def client(app):
    return app.test_client()


def built(base, text: str = MINI) -> Settings:
    settings = make_settings(base, {MINI_ID: text})
    build(settings)
    return settings


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Settings:
    return built(tmp_path_factory.mktemp("mini"))


@pytest.fixture(scope="module")
def mini_client(mini):
    return create_app({"KB_SETTINGS": mini}).test_client()


@pytest.fixture(scope="module")
def unbuilt_client(tmp_path_factory):
    """An app whose data dir holds no KB (yet)."""
    settings = make_settings(tmp_path_factory.mktemp("unbuilt"), {MINI_ID: MINI})
    return create_app({"KB_SETTINGS": settings}).test_client()


@pytest.fixture(scope="module")
def broken_client(settings):
    """An app whose KB fails unexpectedly on lookups: what a bug in kb would look like from outside."""
    app = create_app({"KB_SETTINGS": settings})

    def boom(term):
        raise RuntimeError(f"secret internal state for {term}")

    with app.app_context():
        get_kb().lookup = boom  # this app's own KnowledgeBase instance, no other's
    return app.test_client()


# -- helpers ------------------------------------------------------------------------------------------
def path(term: str) -> str:
    """``/terms/{term}`` with the term percent-encoded, except "/" and "+" which go as they are."""
    return "/terms/" + quote(term, safe="/+")


def pages(client, url: str, key: str, limit: int, **query) -> tuple[list, int]:
    """Every item of a paged listing, following next_cursor, and the total the pages announce."""
    items: list = []
    cursor = None
    while True:
        arguments = {**query, "limit": limit} if cursor is None else {**query, "limit": limit, "cursor": cursor}
        page = ok(client.get(url, query_string=arguments))
        assert len(page[key]) <= limit
        items += page[key]
        cursor = page["next_cursor"]
        if cursor is None:
            return items, page["total"]


def wide(text: str) -> str:
    """The full-width spelling of the ASCII in ``text``: "3+2" -> "３＋２"."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


# -- GET /terms/{term} --------------------------------------------------------------------------------
@pytest.mark.parametrize("term", ["百千万工程", "百千萬工程", "３＋２", "3+2", "“3+2”产业集群", "3+2产业集群",
                                  "百县千镇万村高质量发展工程", " 百千万工程 "])
def test_a_term_in_any_spelling_answers_what_lookup_says(client, kb, term):
    answer = ok(client.get(path(term)))
    assert answer == kb.lookup(term)
    assert answer["query"] == term
    assert set(answer["match"]) == {"label", "by"}
    for entry in answer["entries"]:
        assert set(entry) == {"id", "number", "headword", "definition", "full_name", "page", "labels", "components",
                              "related", "document", "passages", "passages_total", "passages_next_cursor", "match"}
        assert set(entry["match"]) == {"label", "by"}
        assert set(entry["document"]) == {"id", "title", "date"}
        for passage in entry["passages"]:
            assert set(passage) == {"id", "document", "text", "section", "cited", "ambiguous", "uses"}


def test_every_label_in_every_width_and_script_names_its_entry(client, kb):
    to_traditional = opencc.OpenCC("s2t")
    for entry in kb.entries():
        for label in entry.names:
            for spelling in {label, wide(label), to_traditional.convert(label)}:
                answer = ok(client.get(path(spelling)))
                assert entry.id in [e["id"] for e in answer["entries"]], (label, spelling)
                assert answer == kb.lookup(spelling)


def test_the_exact_label_is_matched_by_its_kind_and_another_spelling_is_normalized(client, kb):
    entry = next(e for e in kb.entries() if e.headword == "百千万工程")
    assert ok(client.get(path("百千万工程")))["match"] == {"label": "百千万工程", "by": "headword"}
    assert ok(client.get(path(entry.full_name)))["match"] == {"label": entry.full_name, "by": "full_name"}
    assert ok(client.get(path("百千萬工程")))["match"] == {"label": "百千万工程", "by": "normalized"}


def test_entries_come_best_first_and_their_passages_own_report_first_cited_first_then_in_order(client, kb):
    newest = sorted(kb.documents(), key=lambda document: document.date, reverse=True)
    assert len({document.date for document in newest}) == len(newest)  # so the order is the date's alone
    ranks = {document.id: i for i, document in enumerate(newest)}
    for entry in kb.entries():
        answer = ok(client.get(path(entry.headword)))
        assert [e["id"] for e in answer["entries"]] == [r.entry.id for r in kb.resolve(entry.headword)]
        for view in answer["entries"]:
            order = [(p["document"] != view["document"]["id"], not p["cited"], ranks[p["document"]],
                      kb.passage(p["id"]).order) for p in view["passages"]]
            assert order == sorted(order) and len(set(order)) == len(order), view["id"]
            assert all(p["document"] == kb.passage(p["id"]).document for p in view["passages"])


def test_passages_of_an_entry_are_exactly_those_whose_detail_names_it_with_the_same_spans(client, kb):
    using: dict[str, dict[str, dict]] = {}
    for passage in kb.passages():
        for named in ok(client.get(f"/passages/{passage.id}"))["entries"]:
            using.setdefault(named["id"], {})[passage.id] = {"cited": named["cited"], "uses": named["uses"]}
    for entry in kb.entries():
        view = ok(client.get(f"/entries/{entry.id}"))
        assert {p["id"]: {"cited": p["cited"], "uses": p["uses"]} for p in view["passages"]} == using.get(entry.id, {})
        keys = {label_key(label) for label in view["labels"]}
        for passage in view["passages"]:
            for start, end in passage["uses"]:
                assert label_key(passage["text"][start:end]) in keys, (entry.id, passage["id"])


def test_a_part_of_a_label_is_not_found_and_the_label_is_suggested(client, kb):
    body = assert_problem(client.get(path("百千万")), 404)
    assert "百千万工程" in body["suggestions"]
    assert body["suggestions"] == kb.suggest("百千万")
    assert "百千万" in body["detail"]


@pytest.mark.parametrize("term", ["上/下联动", "“上/下”联动", "上/下", "上／下联动", "上%2F下联动"])
def test_a_label_with_a_slash_goes_in_the_path_as_it_is(mini_client, mini, opened, term):
    answer = ok(mini_client.get("/terms/" + term))
    assert [e["headword"] for e in answer["entries"]] == ["“上/下”联动"]
    assert answer == opened(mini).lookup(term.replace("%2F", "/"))


@pytest.mark.parametrize("url,term", [("/terms/3+2", "3+2"), ("/terms/3%2B2", "3+2"),
                                      ("/terms/%EF%BC%93%EF%BC%8B%EF%BC%92", "３＋２"),
                                      ("/terms/“3+2”产业集群", "“3+2”产业集群")])
def test_a_label_with_a_plus_goes_in_the_path_as_it_is_or_encoded(mini_client, mini, opened, url, term):
    answer = ok(mini_client.get(url))
    assert answer == opened(mini).lookup(term)
    assert [e["headword"] for e in answer["entries"]] == ["“3+2”产业集群"]


def test_another_acronym_sharing_a_part_is_not_the_label(mini_client):
    assert_problem(mini_client.get("/terms/13+2"), 404)  # 13+2 is used in the text, but names no entry


# -- GET /terms ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("query", [{}, {"prefix": "百"}, {"prefix": "３＋"}, {"q": "产业"}, {"q": "產業"},
                                   {"prefix": "一", "document": "jiangxi-2026"}, {"prefix": "zz-none"}])
def test_term_listing_answers_what_kb_says(client, kb, query):
    listing = ok(client.get("/terms", query_string=query))
    assert listing == kb.terms(query.get("prefix"), query.get("q"), query.get("document"))
    for term in listing["terms"]:
        key = label_key(term["label"])
        assert key.startswith(label_key(query.get("prefix", "")))
        assert label_key(query.get("q", "")) in key
        for named in term["entries"]:
            entry = kb.entry(named["id"])
            assert key in {label_key(name) for name in entry.names}
            if "document" in query:
                assert entry.document == query["document"]
    # for autocomplete: the label typed, then those it begins (then those it is inside); the most used (the
    # passages using the entries it names, counted here from each entry's view), then the shortest
    typed = label_key(query.get("q") or query.get("prefix") or "")
    ranks = []
    for term in listing["terms"]:
        key = label_key(term["label"])
        used = {p.id for named in term["entries"] for p, _ in kb.passages_using(kb.entry(named["id"]))}
        assert term["used"] == len(used)
        ranks.append((0 if key == typed else 1 if key.startswith(typed) else 2, -len(used), len(key), key))
    assert ranks == sorted(ranks)


def test_term_listing_pages_concatenate_to_every_label(client, kb):
    small, total = pages(client, "/terms", "terms", 7)
    large, _ = pages(client, "/terms", "terms", MAX_LIMIT)
    assert small == large and len(small) == total > MAX_LIMIT
    names = {label_key(name) for e in kb.entries() for name in e.names}
    assert {label_key(t["label"]) for t in small} == names


# -- entries, documents, passages -----------------------------------------------------------------------
def test_every_entry_by_its_id(client, kb):
    for entry in kb.entries():
        assert ok(client.get(f"/entries/{entry.id}")) == kb.entry_view(entry)


def test_an_entrys_labels_never_repeat(client, kb):
    for entry in kb.entries():
        labels = ok(client.get(f"/entries/{entry.id}"))["labels"]
        assert len(labels) == len(set(labels)) and set(labels) == set(entry.names), entry.id
    # 双向揭榜挂帅 is both the unquoted headword and the quoted core of “双向揭榜挂帅”
    labels = ok(client.get("/entries/sichuan-2026:7"))["labels"]
    assert labels[:2] == ["“双向揭榜挂帅”", "双向揭榜挂帅"] and labels.count("双向揭榜挂帅") == 1


def test_ids_are_stable_when_the_same_corpus_is_built_again(client, kb, tmp_path):
    again = make_settings(tmp_path, dict(REPORTS))
    build(again)
    other = create_app({"KB_SETTINGS": again}).test_client()
    assert ok(other.get("/documents")) == ok(client.get("/documents"))
    for entry in kb.entries():
        assert ok(other.get(f"/entries/{entry.id}")) == ok(client.get(f"/entries/{entry.id}"))
    for document in kb.documents():
        assert pages(other, f"/documents/{document.id}/passages", "passages", MAX_LIMIT) == \
            pages(client, f"/documents/{document.id}/passages", "passages", MAX_LIMIT)


def test_documents_list_every_document_with_its_entries(client, kb):
    listing = ok(client.get("/documents"))
    assert listing == {"documents": [kb.document_view(d) for d in kb.documents()]}
    assert {d["id"] for d in listing["documents"]} == set(REPORTS)
    for document in listing["documents"]:
        assert ok(client.get(f"/documents/{document['id']}")) == document
        assert document["passages"] == len(kb.passages(document["id"]))
        assert [e["id"] for e in document["entries"]] == [e.id for e in kb.entries(document["id"])]


def test_a_document_carries_its_warnings_and_an_entry_its_page(tmp_path):
    odd = MINI.replace("3.“3+2”产业集群", "4.“3+2”产业集群").replace("的产业体系。", "的产业体系。(见第2页)")
    odd = odd.replace("2.“上/下”联动", "3.“上/下”联动")
    client = create_app({"KB_SETTINGS": built(tmp_path, odd)}).test_client()
    document = ok(client.get(f"/documents/{MINI_ID}"))
    line = odd.splitlines().index(next(x for x in odd.splitlines() if x.startswith("3.“上/下”"))) + 1
    assert [w["line"] for w in document["warnings"]] == [5, line]  # the marker [2] cites no entry now
    cites, gap = (w["message"] for w in document["warnings"])
    assert "cites entry 2" in cites and "entry 2 is missing" in gap
    assert ok(client.get("/documents"))["documents"] == [document]
    assert ok(client.get(f"/entries/{MINI_ID}:4"))["page"] == 2
    assert ok(client.get(f"/entries/{MINI_ID}:1"))["page"] is None
    assert ok(client.get(f"/terms/{quote('3+2')}"))["entries"][0]["definition"].endswith("的产业体系。")


@pytest.mark.parametrize("limit", [1, 13, MAX_LIMIT])
def test_a_documents_passages_page_by_page_in_document_order(client, kb, limit):
    for document in kb.documents():
        passages, total = pages(client, f"/documents/{document.id}/passages", "passages", limit)
        assert passages == [kb.passage_view(p) for p in kb.passages(document.id)]
        assert total == len(passages)
        orders = [p["order"] for p in passages]
        assert orders == sorted(orders) and len(set(orders)) == len(orders)


def test_every_passage_by_its_id(client, kb):
    for passage in kb.passages():
        detail = ok(client.get(f"/passages/{passage.id}"))
        assert detail == kb.passage_detail(passage)
        for named in detail["entries"]:
            for start, end in named["uses"]:
                assert 0 <= start < end <= len(detail["text"])


# -- GET /search --------------------------------------------------------------------------------------
@pytest.mark.parametrize("query", [
    {"q": "百千万工程"}, {"q": "3+2"}, {"q": "３＋２", "type": "entry"}, {"q": "清远鸡 品牌"},
    {"q": "产业", "document": "qingcheng-2024", "limit": 5}, {"q": "“3+1+N”"}, {"q": "百千萬工程", "type": "passage"},
    {"q": "、"},
])
def test_search_answers_what_kb_says(client, kb, query):
    result = ok(client.get("/search", query_string=query))
    assert result == kb.search(query["q"], query.get("document"), query.get("type"), query.get("limit", 10))
    for hit in result["hits"]:
        assert {"type", "id", "document", "score", "snippet", "offset", "highlights"} <= set(hit)
        assert hit["type"] == query.get("type", hit["type"])
        assert hit["document"] == query.get("document", hit["document"])
        for start, end in hit["highlights"]:
            assert 0 <= start < end <= len(hit["snippet"])


def test_search_pages_concatenate_to_one_big_page(client):
    small, total = pages(client, "/search", "hits", 3, q="产业")
    large, _ = pages(client, "/search", "hits", MAX_LIMIT, q="产业")
    assert [(h["type"], h["id"]) for h in small] == [(h["type"], h["id"]) for h in large]
    assert len(small) == total > 3


def test_a_plus_in_a_query_string_must_be_encoded(client, kb):
    assert ok(client.get("/search?q=3%2B2")) == kb.search("3+2")
    assert ok(client.get("/search?q=3+2"))["query"] == "3 2"  # a bare + is a space in a query string


# -- healthz ------------------------------------------------------------------------------------------
def test_healthz_is_ok_once_the_kb_is_loaded(client, kb):
    assert ok(client.get("/healthz")) == {"status": "ok", "revision": kb.revision,
                                          "documents": len(kb.documents()), "entries": len(kb.entries())}


def test_an_app_without_a_kb_is_not_ready_until_one_is_built(tmp_path, opened):
    settings = make_settings(tmp_path, {MINI_ID: MINI})
    client = create_app({"KB_SETTINGS": settings}).test_client()
    for url in ("/healthz", "/readyz", path("百千万工程"), "/documents", "/search?q=x"):
        response = client.get(url)
        assert_problem(response, 503)
        assert response.headers["Retry-After"]
    assert_problem(client.get("/nowhere"), 404)
    assert ok(client.get("/openapi.json"))["paths"]
    build(settings)
    kb = opened(settings)
    assert ok(client.get("/healthz"))["revision"] == kb.revision
    assert ok(client.get("/readyz"))["revision"] == kb.revision
    assert ok(client.get(path("百千万工程"))) == kb.lookup("百千万工程")


# -- one error shape ----------------------------------------------------------------------------------
ERRORS = [
    # (app, method, url, request keywords, status, parameter named in `errors`)
    ("kb", "GET", "/nowhere", {}, 404, None),
    ("kb", "GET", "/terms/", {}, 404, None),
    ("kb", "POST", "/terms/百千万工程", {}, 405, None),
    ("kb", "DELETE", "/documents", {}, 405, None),
    ("kb", "GET", "/terms", {"data": b"x" * (MAX_BODY_BYTES + 1)}, 413, None),
    ("kb", "GET", "/terms?limit=0", {}, 422, "limit"),
    ("kb", "GET", f"/terms?limit={MAX_LIMIT + 1}", {}, 422, "limit"),
    ("kb", "GET", "/documents/qingcheng-2024/passages?limit=many", {}, 422, "limit"),
    ("kb", "GET", "/terms?cursor=garbage!", {}, 422, "cursor"),
    ("kb", "GET", "/search?q=3%2B2&cursor=garbage!", {}, 422, "cursor"),
    ("kb", "GET", "/search", {}, 422, "q"),
    ("kb", "GET", "/search?q=", {}, 422, "q"),
    ("kb", "GET", "/search?q=x&type=entries", {}, 422, "type"),
    ("kb", "GET", "/entries/qingcheng-2024:999", {}, 404, None),
    ("kb", "GET", "/terms/百千万", {}, 404, None),
    ("kb", "GET", "/documents/nowhere-2099", {}, 404, None),
    ("kb", "GET", "/documents/nowhere-2099/passages", {}, 404, None),
    ("kb", "GET", "/passages/qingcheng-2024:p99999", {}, 404, None),
    ("kb", "GET", "/terms?document=nowhere-2099", {}, 404, None),
    ("kb", "GET", "/search?q=3%2B2&document=nowhere-2099", {}, 404, None),
    ("unbuilt", "GET", "/healthz", {}, 503, None),
    ("unbuilt", "GET", "/terms/百千万工程", {}, 503, None),
    ("broken", "GET", "/terms/百千万工程", {}, 500, None),
]


@pytest.mark.parametrize("which,method,url,keywords,status,parameter", ERRORS,
                         ids=[f"{status}-{method}-{url[:40]}" for _, method, url, _, status, _ in ERRORS])
def test_every_error_is_problem_json(request, which, method, url, keywords, status, parameter):
    client = {"kb": "client", "unbuilt": "unbuilt_client", "broken": "broken_client"}[which]
    response = request.getfixturevalue(client).open(url, method=method, **keywords)
    body = assert_problem(response, status)
    if status == 422:
        assert parameter in body["errors"]["query"]
        assert all(isinstance(m, str) for m in body["errors"]["query"][parameter])
    if status == 405:
        assert "GET" in response.headers["Allow"]
    if url.startswith("/terms/百千万") and status == 404:
        assert "百千万工程" in body["suggestions"]
    if status == 500:
        assert "secret" not in body["detail"] and "RuntimeError" not in body["detail"]


def test_a_body_of_exactly_the_limit_is_accepted(client):
    assert ok(client.get("/documents", data=b"x" * MAX_BODY_BYTES))["documents"]


def test_unknown_query_parameters_are_ignored(client, kb):
    assert ok(client.get("/terms?prefix=%E7%99%BE&_=12345")) == kb.terms("百")


# -- JSON and HTTP conventions ------------------------------------------------------------------------
def test_json_is_utf8_with_chinese_as_is(client):
    for url in (path("百千万工程"), "/documents", "/search?q=%E7%99%BE%E5%8D%83%E4%B8%87%E5%B7%A5%E7%A8%8B"):
        raw = client.get(url).get_data()
        assert "百千万工程".encode() in raw and b"\\u" not in raw
    raw = client.get(path("百千万")).get_data()
    assert "百千万工程".encode() in raw and b"\\u" not in raw


GETS = [path("百千万工程"), path("百千万"), "/terms?prefix=%E7%99%BE", "/entries/qingcheng-2024:1", "/documents",
        "/documents/qingcheng-2024", "/documents/qingcheng-2024/passages?limit=3", "/passages/qingcheng-2024:p5",
        "/search?q=3%2B2"]


@pytest.mark.parametrize("url", GETS)
def test_gets_carry_an_etag_and_answer_304_when_it_matches(client, url):
    first = client.get(url)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"]
    again = client.get(url)  # from the answer cache now: the same bytes and ETag
    assert (again.status_code, again.get_data(), again.headers["ETag"]) == \
        (first.status_code, first.get_data(), etag)
    if first.status_code != 200:
        return
    for header in (etag, f'"elsewhere", {etag}', "*"):
        response = client.get(url, headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.get_data() == b""
        assert response.headers["ETag"] == etag
        assert response.headers["Cache-Control"] and response.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get(url, headers={"If-None-Match": '"elsewhere"'}).status_code == 200


def test_two_apps_on_the_same_kb_give_the_same_etags(client, settings):
    """Two server workers must agree, or a client revalidating with the other's ETag always gets 200."""
    other = create_app({"KB_SETTINGS": settings}).test_client()
    for url in GETS:
        assert other.get(url).headers["ETag"] == client.get(url).headers["ETag"], url


def test_head_answers_the_get_headers_without_a_body(client):
    for url in (path("产业集群在头"), "/documents/jiangxi-2026"):  # HEAD first: the cache must hold the body
        head = client.head(url)
        get = client.get(url)
        assert head.get_data() == b"" and get.get_data()
        assert head.status_code == get.status_code and head.headers["ETag"] == get.headers["ETag"]


def test_cors_lets_a_browser_app_get_and_preflight(client):
    origin = {"Origin": "https://reader.example"}
    for url in (path("百千万工程"), "/search?q=3%2B2", path("百千万")):
        assert client.get(url, headers=origin).headers["Access-Control-Allow-Origin"] in ("*", origin["Origin"])
    preflight = client.options(path("百千万工程"), headers={
        **origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "If-None-Match"})
    assert preflight.status_code in (200, 204)
    assert preflight.headers["Access-Control-Allow-Origin"] in ("*", origin["Origin"])
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "if-none-match" in preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "ETag" in client.get("/documents", headers=origin).headers["Access-Control-Expose-Headers"]


# -- the answer cache across a rebuild ----------------------------------------------------------------
def expected_views(kb: KnowledgeBase) -> dict[str, object]:
    """URL -> what the app must answer, from a KnowledgeBase opened on the store as it is now."""
    def lookup(term):
        try:
            return kb.lookup(term)
        except TermNotFound:  # the app answers 404
            return "TermNotFound"
    return {
        path("百千万工程"): kb.lookup("百千万工程"),
        path(NEW_TERM): lookup(NEW_TERM),
        "/terms?q=%E5%B7%A5%E7%A8%8B": kb.terms(contains="工程"),
        f"/entries/{MINI_ID}:1": kb.entry_view(kb.entry(f"{MINI_ID}:1")),
        "/documents": {"documents": [kb.document_view(d) for d in kb.documents()]},
        f"/documents/{MINI_ID}": kb.document_view(kb.document(MINI_ID)),
        f"/documents/{MINI_ID}/passages": kb.passages_page(MINI_ID),
        f"/passages/{MINI_ID}:p5": kb.passage_detail(kb.passage(f"{MINI_ID}:p5")),
        "/search?q=" + quote(NEW_TERM): kb.search(NEW_TERM),
        "/search?q=" + quote("区县"): kb.search("区县"),
    }


def answers(client, urls) -> dict[str, object]:
    result = {}
    for url in urls:
        response = client.get(url)
        result[url] = response.get_json() if response.status_code == 200 else "TermNotFound"
        assert response.status_code in (200, 404), url
    return result


def test_after_a_rebuild_the_same_app_answers_the_new_content(tmp_path, opened):
    settings = built(tmp_path)
    client = create_app({"KB_SETTINGS": settings}).test_client()
    old = expected_views(opened(settings))
    assert answers(client, old) == old
    etags = {url: client.get(url).headers["ETag"] for url in old}  # now from the answer cache
    assert answers(client, old) == old

    (settings.corpus_dir / f"{MINI_ID}.txt").write_text(MINI_CHANGED, encoding="utf-8")
    build(settings)
    new = expected_views(opened(settings))
    assert new[path(NEW_TERM)] != old[path(NEW_TERM)]  # the change shows in these answers
    assert new[path("百千万工程")] != old[path("百千万工程")]
    assert answers(client, new) == new
    for url, etag in etags.items():
        revalidated = client.get(url, headers={"If-None-Match": etag})
        if new[url] == old[url]:
            assert revalidated.status_code == 304, url
        else:
            assert revalidated.status_code == 200 and revalidated.headers["ETag"] != etag, url


def test_healthz_reports_the_revision_a_rebuild_wrote(tmp_path, opened):
    settings = built(tmp_path)
    client = create_app({"KB_SETTINGS": settings}).test_client()
    assert ok(client.get("/healthz"))["revision"] == opened(settings).revision
    (settings.corpus_dir / f"{MINI_ID}.txt").write_text(MINI_CHANGED, encoding="utf-8")
    build(settings)
    kb = opened(settings)
    assert ok(client.get("/healthz")) == {"status": "ok", "revision": kb.revision,
                                          "documents": len(kb.documents()), "entries": len(kb.entries())}


def test_a_store_only_build_shows_within_a_second_in_lookups(tmp_path, opened):
    """`kb build --no-index` writes the store, the truth, and leaves the index's stamp alone: readers
    still see it within a second (they ask the store itself every STORE_CHECK_S)."""
    settings = built(tmp_path)
    client = create_app({"KB_SETTINGS": settings}).test_client()
    assert_problem(client.get(path(NEW_TERM)), 404)
    (settings.corpus_dir / f"{MINI_ID}.txt").write_text(MINI_CHANGED, encoding="utf-8")
    build(settings, index=False)
    kb = opened(settings)  # lookups come from the store, whatever the index says
    deadline = time.monotonic() + 1.0
    while client.get(path(NEW_TERM)).status_code == 404 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ok(client.get(path(NEW_TERM))) == kb.lookup(NEW_TERM)
    assert ok(client.get(path("百千万工程"))) == kb.lookup("百千万工程")


# -- OpenAPI ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spec(app) -> dict:
    return ok(app.test_client().get("/openapi.json"))


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?(\w+)>", r"{\1}", rule)


def operation(app, spec: dict, url: str) -> dict:
    rule, _ = app.url_map.bind("localhost").match(url.split("?")[0], return_rule=True)
    return spec["paths"][openapi_path(rule.rule)]["get"]


def response_spec(spec: dict, op: dict, status: int) -> dict:
    found = op["responses"][str(status)]
    if "$ref" in found:
        found = spec["components"]["responses"][found["$ref"].rsplit("/", 1)[1]]
    return found


def test_openapi_document_validates(spec):
    validate_spec(spec)
    assert spec["openapi"].startswith("3.")


def test_passages_passed_through_are_what_their_schema_dumps_and_documents(client, spec):
    """An entry's passages go out as kb.views made them (api.schemas.Dumped): each is what EntryPassageSchema
    would dump of it, key for key, and the OpenAPI document describes them by that schema."""
    from api.schemas import EntryPassageSchema

    schema = EntryPassageSchema()
    listed = ok(client.get(path("百千万工程")))["entries"][0]["passages"]
    paged = ok(client.get("/entries/qingcheng-2024:2/passages?limit=5"))["passages"]
    assert listed and paged
    for passage in listed + paged:
        assert schema.dump(passage) == passage and set(passage) == set(schema.fields), passage
    components = spec["components"]["schemas"]
    for name in ("TermEntry", "EntryPassagePage"):
        items = components[name]["properties"]["passages"]["items"]
        assert items == {"$ref": "#/components/schemas/EntryPassage"}, (name, items)
    assert set(components["EntryPassage"]["properties"]) == set(schema.fields)


# Requests that give each status of each route, on the app with a KB (and without one, for 503).
SAMPLES = {
    "/terms/{term}": [path("百千万工程"), path("百千万"), path("百千万工程") + "?document=qingcheng-2024",
                      path("百千万工程") + "?document="],
    "/terms": ["/terms?prefix=%E7%99%BE", "/terms?document=nowhere", "/terms?limit=0"],
    "/entries/{entry_id}": ["/entries/qingcheng-2024:1", "/entries/nowhere:1", "/entries/qingcheng-2024:1?revision=x"],
    "/entries": ["/entries", "/entries?document=nowhere", "/entries?source=book"],
    "/entries/{entry_id}/passages": ["/entries/qingcheng-2024:2/passages", "/entries/nowhere:1/passages",
                                     "/entries/qingcheng-2024:2/passages?limit=0"],
    "/documents": ["/documents"],
    "/documents/{document_id}": ["/documents/qingcheng-2024", "/documents/nowhere"],
    "/documents/{document_id}/passages": ["/documents/qingcheng-2024/passages", "/documents/nowhere/passages",
                                          "/documents/qingcheng-2024/passages?cursor=garbage!"],
    "/passages/{passage_id}": ["/passages/qingcheng-2024:p5", "/passages/nowhere:p1"],
    "/search": ["/search?q=3%2B2", "/search?q=3%2B2&document=nowhere", "/search?q=3%2B2&limit=x"],
    "/changes": ["/changes", "/changes?since=1&limit=5", "/changes?since=-1"],
    "/healthz": ["/healthz"],
    "/readyz": ["/readyz"],
}
HEALTH_CHECKS = ("/healthz", "/readyz")  # never conditional: always a fresh 200 or 503


def test_every_route_is_documented(app, spec):
    rules = {openapi_path(r.rule) for r in app.url_map.iter_rules() if r.endpoint.startswith("kb.")}
    assert rules == set(SAMPLES)  # the samples below cover every route
    for rule in rules:
        assert "get" in spec["paths"][rule], rule


@pytest.mark.parametrize("route", list(SAMPLES))
def test_every_operation_lists_the_statuses_it_can_return(spec, route):
    item = spec["paths"][route]
    op = item["get"]
    parameters = op.get("parameters", []) + item.get("parameters", [])
    query = {p["name"] for p in parameters if p["in"] == "query"}
    statuses = set(op["responses"])
    if route in HEALTH_CHECKS:
        assert {"200", "503"} <= statuses and "304" not in statuses
    else:
        assert {"200", "304", "503"} <= statuses  # every GET has an ETag; none answers before the KB loads
    if any(p["in"] == "path" for p in parameters) or "document" in query:
        assert "404" in statuses
    if query:
        assert "422" in statuses
    assert op.get("summary") or op.get("description")
    assert list(spec["components"]["responses"]["DEFAULT_ERROR"]["content"]) == [PROBLEM]  # 405, 413, 500


@pytest.mark.parametrize("route", list(SAMPLES))
def test_what_each_route_answers_is_documented_with_its_schema(app, client, unbuilt_client, spec, route):
    seen = set()
    for url in SAMPLES[route]:
        op = operation(app, spec, url)
        assert op is spec["paths"][route]["get"]
        answered = [client.get(url), unbuilt_client.get(url)]
        if answered[0].status_code == 200 and route not in HEALTH_CHECKS:
            answered.append(client.get(url, headers={"If-None-Match": answered[0].headers["ETag"]}))
        for response in answered:
            status = response.status_code
            seen.add(status)
            assert str(status) in op["responses"], (url, status)
            documented = response_spec(spec, op, status)
            if status == 304:
                assert response.get_data() == b""
                continue
            assert list(documented["content"]) == [response.mimetype], (url, status)
            schema = documented["content"][response.mimetype]["schema"]
            OAS30Validator({**schema, "components": spec["components"]}).validate(response.get_json())
    assert {str(status) for status in seen} == set(spec["paths"][route]["get"]["responses"]) - {"default"}


def test_the_docs_page_is_served(client):
    response = client.get("/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "openapi.json" in response.get_data(as_text=True)


# -- the CLI prints what the API sends ------------------------------------------------------------------
@pytest.fixture
def cli(settings, monkeypatch, capsys):
    kb_env(monkeypatch, settings)

    def run(*argv: str) -> tuple[int, dict]:
        status = main(list(argv))
        return status, json.loads(capsys.readouterr().out)

    return run


@pytest.mark.parametrize("term", ["百千万工程", "３＋２", "百千萬工程", "“3+1+N”"])
def test_kb_lookup_prints_what_get_terms_sends(cli, client, term):
    status, printed = cli("lookup", term)
    assert status == 0
    assert printed == ok(client.get(path(term)))


def test_kb_lookup_of_one_document_prints_what_get_terms_sends_for_it(cli, client):
    status, printed = cli("lookup", "两重", "--document", "sichuan-2026")
    assert status == 0
    assert printed == ok(client.get(path("两重") + "?document=sichuan-2026"))
    assert [entry["id"] for entry in printed["entries"]] == ["sichuan-2026:1"]


def test_kb_lookup_of_an_unknown_term_suggests_what_the_api_suggests(cli, client):
    status, printed = cli("lookup", "百千万")
    assert status == 1
    assert printed["suggestions"] == assert_problem(client.get(path("百千万")), 404)["suggestions"]


@pytest.mark.parametrize("argv,query", [
    (["3+2"], {"q": "3+2"}),
    (["产业", "--document", "qingcheng-2024", "--type", "passage", "--limit", "4"],
     {"q": "产业", "document": "qingcheng-2024", "type": "passage", "limit": 4}),
    (["百千萬工程", "--type", "entry"], {"q": "百千萬工程", "type": "entry"}),
])
def test_kb_search_prints_what_get_search_sends(cli, client, argv, query):
    status, printed = cli("search", *argv)
    assert status == 0
    assert printed == ok(client.get("/search", query_string=query))
    if printed["next_cursor"]:
        _, following = cli("search", *argv, "--cursor", printed["next_cursor"])
        assert following == ok(client.get("/search", query_string={**query, "cursor": printed["next_cursor"]}))
