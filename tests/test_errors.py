"""Every error is the documented one: a JSON endpoint's body not sent as JSON is 415, not JSON is 400
(/problems/malformed-json, saying where), over 1 MB is 413, chunked or not, through the fast path of POST /link
as through Flask; a 204 has no Content-Type; every problem type the code sends is in the README's table, and
only those; /docs is Swagger UI served by kb itself, under a CSP that runs no inline script."""

from __future__ import annotations

import http.client
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest
from flask import Flask
from swagger_ui_bundle import swagger_ui_path
from werkzeug.test import EnvironBuilder

import kb.search
from api import MAX_BODY_BYTES, create_app
from api.errors import BLANK, MALFORMED_JSON, STATUS, TYPES, VALIDATION_ERROR, problem_types
from api.http import ChunkedBody
from kb.build import build
from kb.config import Settings
from tests.conftest import ROOT, make_settings
from tests.helpers import assert_problem, bearer, ok
from tests.reports import MINI, MINI_ID, NEW_TERM
from tests.test_editors_server import mini_kb, serving

ENTRY = f"{MINI_ID}:2"
# every operation with a JSON body (the OpenAPI document's, pinned below): spec path, method, a path, a body
JSON_ENDPOINTS = [
    ("/link", "POST", "/link", {"text": "推进百千万工程"}),
    ("/entries", "POST", "/entries", {"headword": NEW_TERM, "definition": "指一个示范项目。"}),
    ("/entries/{entry_id}", "PATCH", f"/entries/{ENTRY}", {"definition": "指省、市、县协同的机制。"}),
    ("/entries/{entry_id}/revert", "POST", f"/entries/{ENTRY}/revert", {"revision": 0}),
    ("/entries/{entry_id}/restore", "POST", f"/entries/{ENTRY}/restore", {}),
    ("/tokens", "POST", "/tokens", {"name": "bob", "role": "editor"}),
]
ENDPOINT_IDS = [f"{method} {path}" for path, method, _, _ in JSON_ENDPOINTS]
NOT_JSON = [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
            "application/jsonx", "application/json; charset=latin-1"]
JSON_TYPES = ["application/json; charset=utf-8", "application/json;charset=UTF-8", "Application/JSON",
              "application/merge-patch+json"]
MALFORMED = [  # (body, what the detail must say)
    (b'{"text": ', "line 1, column 10 (character 9)"),
    (b'{"text": "x",}', "line 1, column 14 (character 13)"),
    (b'{"text": "x"} {"text": "y"}', "Extra data"),
    (b'{\n  "text": \'x\'\n}', "line 2, column 11"),
    (b'{"text": "\xe7\x99"}', "not UTF-8"),
    ('{"text": "百千万工程"}'.encode("utf-16"), "not UTF-8"),
    ('\ufeff{"text": "百千万工程"}'.encode(), "BOM"),
    (b"[" * 100_000, "nested too deeply"),
]


class Site(NamedTuple):
    app: Flask
    auth: dict[str, str]  # an admin's Authorization header (an admin may do what an editor may)
    settings: Settings


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    """An app over the MINI report."""
    settings = make_settings(tmp_path_factory.mktemp("errors"), {MINI_ID: MINI})
    build(settings)
    auth = bearer(settings.database_url, "root", "admin")  # before the app, as a token takes a revision
    return Site(create_app({"KB_SETTINGS": settings}), auth, settings)


def send(site: Site, method: str, path: str, data: bytes | None, content_type: str | None, **kwargs):
    return site.app.test_client().open(path, method=method, data=data, content_type=content_type,
                                       headers={**site.auth, **kwargs.pop("headers", {})}, **kwargs)


class Trickle(io.RawIOBase):
    """A body that arrives in chunks, its length unknown until it ends: what a server hands on for a chunked
    request (Transfer-Encoding: chunked, no Content-Length)."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._left:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._left = chunk
        size = min(len(buffer), len(self._left))
        buffer[:size], self._left = self._left[:size], self._left[size:]
        return size


def send_chunked(site, method: str, path: str, chunks, content_type: str = "application/json"):
    """The request as gunicorn hands it on: no CONTENT_LENGTH, and the server ends the stream."""
    return send(site, method, path, None, content_type, headers={"Transfer-Encoding": "chunked"},
                environ_overrides={"wsgi.input": Trickle(chunks), "wsgi.input_terminated": True})


# -- the JSON endpoints -----------------------------------------------------------------------------------
def test_the_list_of_json_endpoints_is_every_operation_with_a_body(site):
    spec = site.app.test_client().get("/openapi.json").get_json()
    with_body = {(path, method.upper()): op["requestBody"]["content"] for path, item in spec["paths"].items()
                 for method, op in item.items() if isinstance(op, dict) and "requestBody" in op}
    json_bodies = {key for key, content in with_body.items() if "application/json" in content}
    assert json_bodies == {(path, method) for path, method, _, _ in JSON_ENDPOINTS}
    assert set(with_body) - json_bodies == {("/import", "POST")}  # a file: tests/test_import.py
    for path, method in with_body:  # each documents what its body can be refused with
        assert {"400", "413", "415", "422"} <= set(spec["paths"][path][method.lower()]["responses"]), path


@pytest.mark.parametrize("content_type", NOT_JSON)
@pytest.mark.parametrize(("spec_path", "method", "path", "body"), JSON_ENDPOINTS, ids=ENDPOINT_IDS)
def test_a_body_not_sent_as_json_is_415_naming_application_json(site, spec_path, method, path, body, content_type):
    response = send(site, method, path, json.dumps(body).encode(), content_type)
    problem = assert_problem(response, 415)
    assert problem["type"] == BLANK
    assert "application/json" in problem["detail"]
    assert (content_type or "no Content-Type") in problem["detail"]


@pytest.mark.parametrize("content_type", JSON_TYPES)
@pytest.mark.parametrize(("spec_path", "method", "path", "body"), JSON_ENDPOINTS, ids=ENDPOINT_IDS)
def test_json_and_json_based_types_are_read_as_json(site, spec_path, method, path, body, content_type):
    """A body the schema refuses: the 422 names a field, so the body was read as JSON."""
    response = send(site, method, path, b'{"nonsense": 1}', content_type)
    problem = assert_problem(response, 422)
    assert problem["type"] == VALIDATION_ERROR and problem["errors"]["json"]


@pytest.mark.parametrize("content_type", JSON_TYPES)
def test_a_link_request_in_any_json_type_gets_the_plain_answer(site, content_type):
    body = json.dumps({"text": "推进百千万工程，落实“3+2”产业集群"}, ensure_ascii=False).encode()
    plain = ok(send(site, "POST", "/link", body, "application/json"))
    assert plain["links"]
    assert ok(send(site, "POST", "/link", body, content_type)) == plain


@pytest.mark.parametrize(("raw", "says"), MALFORMED, ids=[says for _, says in MALFORMED])
@pytest.mark.parametrize(("spec_path", "method", "path", "body"), JSON_ENDPOINTS, ids=ENDPOINT_IDS)
def test_a_body_that_is_not_json_is_400_saying_what_and_where(site, spec_path, method, path, body, raw, says):
    problem = assert_problem(send(site, method, path, raw, "application/json"), 400)
    assert problem["type"] == MALFORMED_JSON
    assert says in problem["detail"]


def test_no_body_at_all_is_no_fields_not_a_media_type_error(site):
    problem = assert_problem(send(site, "POST", "/link", None, None), 422)
    assert problem["type"] == VALIDATION_ERROR and "text" in problem["detail"]
    restored = send(site, "POST", f"/entries/{ENTRY}/restore", None, None)
    assert assert_problem(restored, 409)["type"] == BLANK  # a live entry: nothing to restore, the body was fine


@pytest.mark.parametrize(("spec_path", "method", "path", "body"), JSON_ENDPOINTS, ids=ENDPOINT_IDS)
def test_a_chunked_body_over_1_mb_is_413_not_a_json_error(site, spec_path, method, path, body):
    chunks = [b'{"text": "', *[b"x" * 65536] * (MAX_BODY_BYTES // 65536), b'x"}']
    assert sum(map(len, chunks)) > MAX_BODY_BYTES
    problem = assert_problem(send_chunked(site, method, path, chunks), 413)
    assert problem["type"] == BLANK and str(MAX_BODY_BYTES) in problem["detail"]


def test_a_chunked_body_within_the_limit_is_read_whole(site):
    small = json.dumps({"text": "推进百千万工程，落实“3+2”产业集群"}, ensure_ascii=False).encode()
    whole = ok(send(site, "POST", "/link", small, "application/json"))
    assert ok(send_chunked(site, "POST", "/link", [small[i:i + 7] for i in range(0, len(small), 7)])) == whole
    exact = json.dumps({"text": "x" * (MAX_BODY_BYTES - 12)}).encode()
    assert len(exact) == MAX_BODY_BYTES
    problem = assert_problem(send_chunked(site, "POST", "/link", [exact[:1000], exact[1000:]]), 413)
    assert "characters" in problem["detail"]  # read whole, and linked: a text over 100,000 characters


def past_the_fast_paths(app):
    """Flask (and the body rules every request passes), without POST /link's fast path or the GET cache."""
    inner = app.wsgi_app
    while not isinstance(inner, ChunkedBody):
        inner = inner.wsgi_app
    return inner


FAST_CASES = [  # (Content-Type, body) of POST /link: the fast path takes some, hands the others on
    ("application/json", '{"text": "推进百千万工程"}'.encode()),
    ("application/json; charset=utf-8", '{"text": "落实“3+2”产业集群"}'.encode()),
    ("application/merge-patch+json", b'{"text": "3+2"}'),
    ("application/jsonx", b'{"text": "3+2"}'),
    ("text/plain", b'{"text": "3+2"}'),
    (None, b'{"text": "3+2"}'),
    ("application/json; charset=latin-1", b'{"text": "3+2"}'),
    *[("application/json", raw) for raw, _ in MALFORMED],
    ("application/json", b'{"text": "3+2", "nonsense": 1}'),
    ("application/json", b'["3+2"]'),
    ("application/json", b"x" * (MAX_BODY_BYTES + 1)),
]


@pytest.mark.parametrize(("content_type", "raw"), FAST_CASES, ids=range(len(FAST_CASES)))
def test_the_fast_link_path_answers_every_body_as_the_view_does(site, content_type, raw):
    app = site.app
    fast = app.test_client().post("/link", data=raw, content_type=content_type)
    environ = EnvironBuilder(path="/link", method="POST", data=raw, content_type=content_type).get_environ()
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, dict(headers)

    data = b"".join(past_the_fast_paths(app)(environ, start_response))
    assert fast.status == answer["status"]
    assert fast.get_data() == data
    assert fast.headers["Content-Type"] == answer["headers"]["Content-Type"]


def test_a_chunked_body_over_1_mb_is_413_from_gunicorn(tmp_path):
    """The real server: gunicorn ends the chunked stream; the app reads at most 1 MB and one byte of it."""
    settings, auth = mini_kb(tmp_path / "kb", "chunky")
    logs = tmp_path / "logs"
    logs.mkdir()
    with serving(settings, logs, "chunked") as server:
        def post(path: str, chunks: list[bytes], headers: dict[str, str] | None = None):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            try:
                conn.request("POST", path, body=iter(chunks), encode_chunked=True, headers={
                    "Content-Type": "application/json", "Connection": "close", **(headers or {})})
                answer = conn.getresponse()
                return answer.status, answer.getheader("Content-Type"), json.loads(answer.read())
            finally:
                conn.close()

        over = [b'{"text": "', *[b"x" * 65536] * (MAX_BODY_BYTES // 65536), b'x"}']
        for path, headers in (("/link", None), ("/entries", auth)):
            status, content_type, problem = post(path, over, headers)
            assert (status, content_type, problem["status"]) == (413, "application/problem+json", 413), problem
        status, _, answer = post("/link", [b'{"text": "', "推进百千万工程".encode(), b'"}'])
        assert status == 200 and [link["surface"] for link in answer["links"]] == ["百千万工程"]
        status, _, problem = post("/link", [b'{"text": ', b'"x"'])
        assert (status, problem["type"]) == (400, MALFORMED_JSON)
        server.assert_clean_log()


# -- 204 ------------------------------------------------------------------------------------------------
def test_a_204_has_no_content_type(site):
    client, auth = site.app.test_client(), site.auth
    spec = client.get("/openapi.json").get_json()
    no_content = {(path, method) for path, item in spec["paths"].items() for method, op in item.items()
                  if isinstance(op, dict) and "204" in op["responses"]}
    assert no_content == {("/entries/{entry_id}", "delete"), ("/tokens/{name}", "delete")}

    made = ok(client.post("/entries", json={"headword": "删除用语", "definition": "指一个将被删除的词条。"},
                          headers=auth), 201)
    etag = client.get(f"/entries/{made['id']}").headers["ETag"]
    tokens_made = ok(client.post("/tokens", json={"name": "short-lived", "role": "editor"}, headers=auth), 201)
    for response in (client.delete(f"/entries/{made['id']}", headers={**auth, "If-Match": etag}),
                     client.delete(f"/tokens/{tokens_made['name']}", headers=auth)):
        assert response.status_code == 204 and response.get_data() == b""
        assert "Content-Type" not in response.headers and "Content-Length" not in response.headers
        assert response.headers["Access-Control-Allow-Origin"] == "*"


# -- problem types: the code's and the README's ------------------------------------------------------
def readme_types() -> dict[str, set[int]]:
    """The README's table of problem types: type -> its statuses."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("Every error is `application/problem+json`"):]
    table = table[:table.index("\n\n", table.index("| type |"))]
    found: dict[str, set[int]] = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells and cells[0].startswith("`"):
            found[cells[0].strip("`")] = {int(code) for code in re.findall(r"\b\d{3}\b", cells[1])}
    return found


def test_the_readme_lists_every_problem_type_the_api_sends_with_its_statuses():
    documented = readme_types()
    assert len(documented) >= 12
    assert documented == problem_types()


def test_every_problem_type_in_the_code_is_named_in_api_errors():
    every = problem_types()
    assert set(TYPES) == set(STATUS)  # no kb error falls back to about:blank unsaid
    for source in sorted([*(ROOT / "api").rglob("*.py"), *(ROOT / "kb").rglob("*.py")]):
        for uri in re.findall(r"""["'](/problems/[\w-]+|about:blank)["']""", source.read_text(encoding="utf-8")):
            assert uri in every, f"{source.relative_to(ROOT)} sends {uri}, which api/errors.py does not name"


def test_every_documented_problem_type_is_described_in_the_openapi_document(site):
    responses = site.app.test_client().get("/openapi.json").get_json()["components"]["responses"]
    names = {409: "CONFLICT", 400: "BAD_REQUEST", 503: "SERVICE_UNAVAILABLE", 422: "UNPROCESSABLE_ENTITY"}
    for uri, statuses in problem_types().items():
        for status in statuses & set(names):
            assert uri in responses[names[status]]["description"], (uri, status)
            assert list(responses[names[status]]["content"]) == ["application/problem+json"]


def test_a_taken_token_name_is_token_taken(site):
    client, auth = site.app.test_client(), site.auth
    ok(client.post("/tokens", json={"name": "carol", "role": "editor"}, headers=auth), 201)
    problem = assert_problem(client.post("/tokens", json={"name": "carol", "role": "admin"}, headers=auth), 409)
    assert problem["type"] == "/problems/token-taken" and "carol" in problem["detail"]


def test_a_locked_search_index_is_busy_503_with_retry_after(site, monkeypatch):
    from whoosh import index

    monkeypatch.setattr(kb.search, "WRITE_TIMEOUT_S", 0.2)  # kb's wait for the lock, shortened
    holder = index.open_dir(str(site.settings.data_dir / "index")).writer()  # another writer holds the lock
    try:
        response = site.app.test_client().post("/entries", json={"headword": "锁定用语", "definition": "指一个词条。"},
                                               headers=site.auth)
    finally:
        holder.cancel()
    problem = assert_problem(response, 503)
    assert problem["type"] == "/problems/busy" and response.headers["Retry-After"] == "1"


# -- /docs, offline --------------------------------------------------------------------------------------
class Page(HTMLParser):
    """The URLs a page loads, and anything that would run or style it inline."""

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str]] = []  # (tag, URL)
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in attrs:
            if name.startswith("on") or name == "style":
                self.inline.append(f"<{tag} {name}>")
        url = attrs.get("src") if tag == "script" else attrs.get("href") if tag == "link" else None
        if tag == "script" and not url:
            self.inline.append("<script> without src")
        if tag == "style":
            self.inline.append("<style>")
        if url:
            self.urls.append((tag, url))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline.append(f"script text {data.strip()[:40]!r}")


MIMETYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def test_the_docs_page_loads_only_assets_kb_serves(site):
    client = site.app.test_client()
    response = client.get("/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert not re.search(r"https?://", html), "the page names another host"
    page = Page()
    page.feed(html)
    assert page.inline == []
    tags = {tag for tag, _ in page.urls}
    assert {"script", "link"} <= tags and sum(tag == "script" for tag, _ in page.urls) >= 2
    for _, url in page.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and url.startswith("/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.mimetype == MIMETYPES[Path(parts.path).suffix], url
        assert asset.headers["X-Content-Type-Options"] == "nosniff"
        packaged = Path(swagger_ui_path) / Path(parts.path).name
        if packaged.exists():  # Swagger UI's own files are the package's, byte for byte
            assert asset.get_data() == packaged.read_bytes(), url
        again = client.get(url, headers={"If-None-Match": asset.headers["ETag"]})
        assert again.status_code == 304
    bundle = client.get("/docs/swagger-ui-bundle.js").get_data()
    assert b"SwaggerUIBundle" in bundle and len(bundle) > 500_000
    spec_url = re.search(r'data-spec="([^"]+)"', html).group(1)
    assert client.get(spec_url).get_json()["openapi"].startswith("3.")
    starts = [client.get(url).get_data(as_text=True) for tag, url in page.urls if url.endswith("kb-docs.js")]
    assert starts and "SwaggerUIBundle(" in starts[0] and "dataset.spec" in starts[0]
    assert "validatorUrl: null" in starts[0]  # no badge fetched from the validator's host
    assert client.get("/docs/index.html").status_code == 404  # only what the page loads
    assert client.get("/docs/..%2Fswagger-initializer.js").status_code == 404


def test_the_docs_page_needs_no_inline_script_under_its_csp(site):
    response = site.app.test_client().get("/docs")
    policy = {}
    for directive in response.headers["Content-Security-Policy"].split(";"):
        name, *sources = directive.split()
        policy[name] = sources
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no other host
    assert policy["connect-src"] == ["'self'"]  # the OpenAPI document and "Try it out"
    assert policy["frame-ancestors"] == ["'none'"]
    for name, sources in policy.items():
        for source in sources:
            assert source in ("'self'", "'none'", "data:") or (name, source) == ("style-src", "'unsafe-inline'"), \
                (name, source)
