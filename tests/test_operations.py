"""Operations: /readyz says whether the store answers and the search index is current (/healthz only that the
process is alive); /metrics counts every answer by route and status, the fast paths' too, and sums every
gunicorn worker; every response and every log line carries the request id; KB_LOG_FORMAT=json gives one JSON
object a line; SIGTERM lets the request in flight finish."""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import shutil
import signal
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from api import create_app
from api.logs import REQUEST_ID, AccessJsonLines, JsonLines, RequestIdFilter, gunicorn_logging
from kb import tokens
from kb.build import build
from kb.config import Settings
from kb.knowledge import KnowledgeBase
from kb.store import Store, make_engine
from tests.conftest import ROOT, make_settings
from tests.helpers import assert_problem, ok, served
from tests.reports import MINI, MINI_ID, NEW_TERM

TERM = "/terms/%E7%99%BE%E5%8D%83%E4%B8%87%E5%B7%A5%E7%A8%8B"  # 百千万工程
TERM_TRADITIONAL = "/terms/%E7%99%BE%E5%8D%83%E8%90%AC%E5%B7%A5%E7%A8%8B"  # 百千萬工程
NEW_ID = re.compile(r"[0-9a-f]{32}")
DEADLINE_S = 30


# -- fixtures and helpers ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def app(settings):
    return create_app({"KB_SETTINGS": settings})


@pytest.fixture
def client(app):
    return app.test_client()


def copy_of(settings: Settings, base: Path) -> Settings:
    """A copy of a built KB that a test may change."""
    shutil.copytree(settings.data_dir, base / "var")
    return Settings.from_env({}, corpus_dir=settings.corpus_dir, data_dir=base / "var")


@contextmanager
def store_of(settings: Settings) -> Iterator[Store]:
    store = Store(make_engine(settings.database_url))
    try:
        yield store
    finally:
        store.engine.dispose()


def metrics(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of a Prometheus exposition: (name, labels) -> value."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(found: dict, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def scrape(client) -> dict:
    response = client.get("/metrics")
    assert response.status_code == 200, response.get_data(as_text=True)
    return metrics(response.get_data(as_text=True))


def until(check, what: str, deadline_s: float = DEADLINE_S):
    """Poll ``check`` until it gives something true (never a fixed sleep), or fail saying ``what``."""
    deadline = time.monotonic() + deadline_s
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {deadline_s} s: {what}")
        time.sleep(0.05)


# -- /readyz ----------------------------------------------------------------------------------------
def test_readyz_is_200_when_the_store_answers_and_the_index_is_current(client, kb):
    response = client.get("/readyz", headers={"If-None-Match": "*"})
    assert ok(response) == {"status": "ready", "revision": kb.revision, "store_revision": kb.revision,
                            "index_revision": kb.revision}
    assert response.headers["Cache-Control"] == "no-store" and "ETag" not in response.headers
    assert client.get("/readyz", headers={"If-None-Match": "*"}).status_code == 200  # never a 304, never cached


def test_readyz_is_503_while_the_index_is_behind_the_store_until_a_reindex(settings, tmp_path):
    copy = copy_of(settings, tmp_path)
    client = create_app({"KB_SETTINGS": copy}).test_client()
    assert ok(client.get("/readyz"))["index_revision"] == ok(client.get("/healthz"))["revision"]
    build(copy, index=False)  # a bulk load: the store moves on, the index stays where it was
    response = client.get("/readyz")
    body = assert_problem(response, 503)
    assert body["type"] == "/problems/not-ready" and response.headers["Retry-After"]
    revision = ok(client.get("/healthz"))["revision"]
    assert body["detail"] == (f"the search index is behind the store: it holds revision {revision - 1}, the KB is "
                              f"at {revision} (run `kb reindex`)")
    assert ok(client.get("/healthz"))["status"] == "ok"  # alive all the same
    found = scrape(client)
    assert value(found, "kb_index_lag") == 1 and value(found, "kb_ready") == 0
    kb = KnowledgeBase.open(copy)
    try:
        kb.sync_index()  # what `kb reindex` does
        assert ok(client.get("/readyz"))["index_revision"] == kb.revision
    finally:
        kb.close()
    assert value(scrape(client), "kb_index_lag") == 0


def test_a_token_change_leaves_the_index_current(settings, tmp_path):
    """A token's change takes a revision but no text the index holds: the index is no less current for it."""
    copy = copy_of(settings, tmp_path)
    client = create_app({"KB_SETTINGS": copy}).test_client()
    before = ok(client.get("/readyz"))
    with store_of(copy) as store:
        tokens.create(store, "carol", "editor")
    answer = until(lambda: (a := ok(client.get("/readyz")))["revision"] > before["revision"] and a,
                   "the process catches up with the token's revision")  # within Live.CHECK_S
    assert answer["index_revision"] == before["index_revision"] < answer["revision"] == answer["store_revision"]
    assert value(scrape(client), "kb_index_lag") == 0


def test_readyz_is_503_when_the_store_cannot_be_reached(settings, tmp_path):
    copy = copy_of(settings, tmp_path)
    client = create_app({"KB_SETTINGS": copy}).test_client()  # it holds no connection once made (a fork may follow)
    database = copy.data_dir / "kb.sqlite"
    database.rename(copy.data_dir / "elsewhere.sqlite")
    database.mkdir()  # SQLite cannot open a directory: what a lost volume or a database down looks like
    response = client.get("/readyz")
    body = assert_problem(response, 503)
    assert body["type"] == "/problems/not-ready" and response.headers["Retry-After"]
    assert body["detail"].startswith("the store cannot be reached: OperationalError: unable to open database file")
    assert value(scrape(client), "kb_ready") == 0
    database.rmdir()
    (copy.data_dir / "elsewhere.sqlite").rename(database)
    assert ok(client.get("/readyz"))["status"] == "ready"


# -- /metrics ---------------------------------------------------------------------------------------
def test_metrics_count_every_answer_by_route_and_status_the_fast_paths_too(settings):
    app = create_app({"KB_SETTINGS": settings})
    through_flask: list[str] = []
    app.before_request(lambda: through_flask.append(app.name))  # sees what Flask answers, changes nothing
    client = app.test_client()
    for url in (TERM, TERM, TERM_TRADITIONAL, "/terms/百千万", "/nowhere", "/documents"):
        client.get(url).get_data()
    for _ in range(2):
        ok(client.post("/link", json={"text": "推进百千万工程"}))
    assert client.post("/link", json={"text": "x", "prefer": "nowhere-2099"}).status_code == 404  # fast path
    flask_saw = len(through_flask)
    found = scrape(client)
    requests = {labels: count for (name, labels), count in found.items() if name == "kb_http_requests_total"}

    def count(method: str, route: str, status: str) -> float | None:
        return requests.get(frozenset({"method": method, "route": route, "status": status}.items()))

    assert count("GET", "/terms/<path:term>", "200") == 3  # one series for the rule, whatever the path
    assert count("GET", "/terms/<path:term>", "404") == 1
    assert count("GET", "(unmatched)", "404") == 1
    assert count("GET", "/documents", "200") == 1
    assert count("POST", "/link", "200") == 2 and count("POST", "/link", "404") == 1
    assert sum(requests.values()) == 9 and not any("百" in repr(labels) for labels in requests)
    assert flask_saw == 5  # the cached GET and the three fast POSTs never reached Flask, yet they count
    latency = value(found, "kb_http_request_duration_seconds_count", method="POST", route="/link", status="200")
    assert latency == 2 and value(found, "kb_http_request_duration_seconds_sum", method="POST", route="/link",
                                  status="200") > 0


def test_metrics_gauges_read_the_store(client, settings, kb):
    found = scrape(client)
    with store_of(settings) as store:
        info = store.info()
    assert value(found, "kb_store_revision") == int(info["revision"]) == kb.revision
    assert value(found, "kb_index_lag") == 0 and value(found, "kb_ready") == 1
    assert value(found, "kb_last_build_seconds") == float(info["build_seconds"]) > 0  # the CLI's build, noted


def test_metrics_is_plain_prometheus_never_cached_and_not_in_the_openapi_document(client):
    response = client.get("/metrics", headers={"If-None-Match": "*"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert "version=0.0.4" in response.headers["Content-Type"]
    assert response.headers["Cache-Control"] == "no-store" and "ETag" not in response.headers
    assert "/metrics" not in ok(client.get("/openapi.json"))["paths"]


# -- the request id ---------------------------------------------------------------------------------
# (what answers it, method, url, request keywords, status); each is sent twice, so a GET that the first answer
# put in the cache is answered from there the second time
ANSWERS = [
    ("flask then the answer cache", "GET", "/documents/qingcheng-2024", {}, 200),
    ("flask then the answer cache", "GET", "/terms/百千万", {}, 404),
    ("flask then the answer cache", "GET", "/documents", {"headers": {"If-None-Match": "*"}}, 304),
    ("the fast link", "POST", "/link", {"json": {"text": "推进百千万工程"}}, 200),
    ("the fast link's error", "POST", "/link", {"json": {"text": "x", "prefer": "nowhere-2099"}}, 404),
    ("flask's error", "GET", "/nowhere", {}, 404),
    ("flask's error", "DELETE", "/documents", {}, 405),
    ("flask's error", "POST", "/link", {"data": "x", "content_type": "text/plain"}, 415),
    ("the docs", "GET", "/openapi.json", {}, 200),
    ("a probe", "GET", "/readyz", {}, 200),
    ("a probe", "GET", "/healthz", {}, 200),
    ("the metrics", "GET", "/metrics", {}, 200),
    ("a preflight", "OPTIONS", "/link", {"headers": {"Origin": "https://chat.example",
                                                      "Access-Control-Request-Method": "POST"}}, 200),
]


@pytest.mark.parametrize("who,method,url,keywords,status", ANSWERS,
                         ids=[f"{who}-{method}-{status}" for who, method, _, _, status in ANSWERS])
def test_every_response_carries_a_request_id(client, who, method, url, keywords, status):
    keywords = dict(keywords)
    headers = keywords.pop("headers", {})
    given = client.open(url, method=method, headers={**headers, "X-Request-Id": "chat-7.a_B"}, **keywords)
    made = client.open(url, method=method, headers=headers, **keywords)
    for response in (given, made):
        response.get_data()
        assert response.status_code == status, response.get_data(as_text=True)
        assert response.headers.getlist("X-Request-Id") == [response.headers["X-Request-Id"]]  # one, once
        assert "X-Request-Id" in response.headers["Access-Control-Expose-Headers"]
    assert given.headers["X-Request-Id"] == "chat-7.a_B"
    assert NEW_ID.fullmatch(made.headers["X-Request-Id"])


@pytest.mark.parametrize("sent", ["", "a" * 65, "two words", "a/b", "id;drop", "标识", "%0d%0a"])
def test_an_insane_request_id_is_replaced(client, sent):
    response = client.get("/healthz", headers={"X-Request-Id": sent})
    assert NEW_ID.fullmatch(response.headers["X-Request-Id"])


def test_each_request_gets_its_own_id_and_a_browser_may_send_one(client):
    ids = {client.get("/healthz").headers["X-Request-Id"] for _ in range(5)}
    assert len(ids) == 5
    preflight = client.options("/link", headers={"Origin": "https://chat.example",
                                                 "Access-Control-Request-Method": "POST",
                                                 "Access-Control-Request-Headers": "X-Request-Id"})
    assert "x-request-id" in preflight.headers["Access-Control-Allow-Headers"].lower()
    assert client.get("/healthz", headers={"X-Request-Id": "a" * 64}).headers["X-Request-Id"] == "a" * 64


@contextmanager
def captured(formatter: logging.Formatter) -> Iterator[list[str]]:
    """The lines the root logger's records make, through the request-id filter (as gunicorn's handlers do)."""
    lines: list[str] = []

    class Lines(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Lines()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(formatter)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)  # as under gunicorn (api/logs.py)
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_log_records_made_while_handling_a_request_carry_its_id(editor):
    client, auth = editor
    with captured(logging.Formatter("%(request_id)s|%(name)s|%(message)s")) as lines:
        response = client.post("/entries", headers={**auth, "X-Request-Id": "write-42"},
                               json={"headword": NEW_TERM, "definition": "指一个示范项目。"})
        assert response.status_code == 201, response.get_data(as_text=True)
        response.close()  # as a server does once the body is sent: the id is let go
        logging.getLogger("kb.api").warning("after the request")
    written = [line for line in lines if "by token 'alice'" in line]
    assert written and all(line.startswith("write-42|") for line in written)
    assert lines[-1] == "None|kb.api|after the request"


def test_json_log_lines_have_time_level_logger_message_and_request_id():
    token = REQUEST_ID.set("req-1")
    try:
        with captured(JsonLines()) as lines:
            logging.getLogger("kb.api").info("linked %d terms", 3)
            try:
                raise ValueError("boom")
            except ValueError:
                logging.getLogger("kb.api").exception("failed")
    finally:
        REQUEST_ID.reset(token)
    first, second = map(json.loads, lines)
    assert {k: first[k] for k in ("level", "logger", "message", "request_id")} == {
        "level": "INFO", "logger": "kb.api", "message": "linked 3 terms", "request_id": "req-1"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00", first["time"]) and list(first)[0] == "time"
    assert second["level"] == "ERROR" and "ValueError: boom" in second["exc_info"]


def test_json_access_lines_take_their_fields_from_gunicorns_atoms():
    atoms = {"m": "GET", "U": "/terms/百千万工程".encode().decode("latin-1"), "q": "", "s": "200", "D": 1234,
             "B": 99, "h": "127.0.0.1", "{x-request-id}o": "abc"}
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(m)s %(U)s", (atoms,), None)
    line = json.loads(AccessJsonLines().format(record))
    assert {k: line[k] for k in ("method", "path", "status", "duration_ms", "request_id", "query")} == {
        "method": "GET", "path": "/terms/百千万工程", "status": 200, "duration_ms": 1.234, "request_id": "abc",
        "query": None}


def test_an_unknown_log_format_is_refused_at_start():
    with pytest.raises(ValueError, match="KB_LOG_FORMAT is 'xml'; it may be text or json"):
        gunicorn_logging("xml")


# -- gunicorn: two workers, their metrics summed, logs, a graceful stop ------------------------------
@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Settings:
    """A small KB with an editor's token (whose secret is in ``AUTH``), copied by each server below."""
    settings = make_settings(tmp_path_factory.mktemp("ops-mini"), {MINI_ID: MINI})
    build(settings)
    with store_of(settings) as store:
        AUTH["Authorization"] = f"Bearer {tokens.create(store, 'ops', 'editor')}"
    return settings


AUTH: dict[str, str] = {}


@contextmanager
def server(mini: Settings, base: Path, **env: str):
    copy = copy_of(mini, base)
    with served(copy.corpus_dir, copy.data_dir, base / "gunicorn.log", workers=2, env=env) as running:
        yield running


def call(base: str, method: str, path: str, body: dict | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=DEADLINE_S)
    try:
        sent = {"Connection": "close", **(headers or {})}
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        if data is not None:
            sent["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


class SlowLink:
    """A POST /link whose body is still on its way: the worker that took it has read its headers (it answered
    100 Continue) and waits for the rest, busy, until ``finish`` sends it and reads the answer."""

    def __init__(self, base: str, request_id: str, chars: int = 60_000):
        host, port = base.removeprefix("http://").split(":")
        self.body = json.dumps({"text": "推进百千万工程，" * (chars // 8)}, ensure_ascii=False).encode()
        self.sock = socket.create_connection((host, int(port)), timeout=DEADLINE_S)
        self.sock.sendall((f"POST /link HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                           f"Content-Length: {len(self.body)}\r\nExpect: 100-continue\r\n"
                           f"X-Request-Id: {request_id}\r\nConnection: close\r\n\r\n").encode())
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            chunk = self.sock.recv(1)
            assert chunk, "the server closed the connection"
            head += chunk
        assert head.startswith(b"HTTP/1.1 100 Continue"), head
        self.sock.sendall(self.body[:len(self.body) // 2])

    def finish(self) -> tuple[int, dict[str, str], dict]:
        self.sock.sendall(self.body[len(self.body) // 2:])
        response = http.client.HTTPResponse(self.sock)
        try:
            response.begin()
            data = response.read()  # all of it: Content-Length bytes, or IncompleteRead
            headers = {k.lower(): v for k, v in response.getheaders()}
            assert len(data) == int(headers["content-length"])
            return response.status, headers, json.loads(data)
        finally:
            response.close()
            self.sock.close()


def served_metrics(base: str) -> dict:
    status, _, body = call(base, "GET", "/metrics")
    assert status == 200
    return metrics(body.decode())


def test_metrics_sum_every_gunicorn_worker(mini, tmp_path):
    with server(mini, tmp_path) as running:
        first = SlowLink(running.base, "slow-1")  # one worker busy: the other answers everything below
        for _ in range(5):
            assert call(running.base, "GET", "/documents")[0] == 200  # the first through Flask, then the cache
        assert first.finish()[0] == 200
        second = SlowLink(running.base, "slow-2")  # one worker busy again, either: the other answers /metrics
        found = served_metrics(running.base)  # ...and it did not answer both the GETs and the first POST
        assert value(found, "kb_http_requests_total", method="GET", route="/documents", status="200") == 5
        assert value(found, "kb_http_requests_total", method="POST", route="/link", status="200") == 1
        assert second.finish()[0] == 200
        found = served_metrics(running.base)
        assert value(found, "kb_http_requests_total", method="POST", route="/link", status="200") == 2
        assert value(found, "kb_http_request_duration_seconds_count", method="POST", route="/link",
                     status="200") == 2
        with store_of(mini) as store:
            info = store.info()
        assert value(found, "kb_store_revision") == int(info["revision"])
        assert value(found, "kb_last_build_seconds") == float(info["build_seconds"]) > 0
        assert value(found, "kb_index_lag") == 0 and value(found, "kb_ready") == 1


def logged(log: Path, pattern: str) -> re.Match:
    """The line of the server's log that matches ``pattern``, once it is there (a worker logs after it answers)."""
    return until(lambda: re.search(pattern, log.read_text(encoding="utf-8"), re.M), f"{pattern!r} in {log}")


def test_the_access_log_and_the_app_log_show_the_request_id(mini, tmp_path):
    with server(mini, tmp_path) as running:
        assert call(running.base, "GET", "/healthz", headers={"X-Request-Id": "probe-1"})[0] == 200
        made = call(running.base, "GET", "/documents")[1]["x-request-id"]
        assert call(running.base, "POST", "/entries", {"headword": NEW_TERM, "definition": "指一个项目。"},
                    {**AUTH, "X-Request-Id": "write-9"})[0] == 201
        logged(running.log, r'"GET /healthz HTTP/1\.1" 200 \d+ \d+ms probe-1$')
        logged(running.log, rf'"GET /documents HTTP/1\.1" 200 \d+ \d+ms {made}$')
        logged(running.log, r'"POST /entries HTTP/1\.1" 201 \d+ \d+ms write-9$')
        logged(running.log, r"\[INFO\] \[write-9\] api: created editor:1 by token 'ops' \(revision \d+\)$")
        logged(running.log, r"\[INFO\] \[-\] gunicorn\.error: Booting worker")  # outside any request


def test_json_logs_one_object_a_line(mini, tmp_path):
    with server(mini, tmp_path, KB_LOG_FORMAT="json") as running:
        assert call(running.base, "GET", TERM, headers={"X-Request-Id": "json-1"})[0] == 200
        assert call(running.base, "POST", "/entries", {"headword": NEW_TERM, "definition": "指一个项目。"},
                    {**AUTH, "X-Request-Id": "json-2"})[0] == 201
        log = running.log
        until(lambda: log.read_text().count('"gunicorn.access"') >= 2, "two access lines")
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]  # every one is JSON
    for line in lines:
        assert {"time", "level", "logger", "message", "request_id"} <= set(line), line
    [access] = [line for line in lines if line["logger"] == "gunicorn.access" and line["request_id"] == "json-1"]
    assert access["method"] == "GET" and access["path"] == "/terms/百千万工程" and access["status"] == 200
    assert isinstance(access["duration_ms"], float) and access["duration_ms"] > 0
    [write] = [line for line in lines if line["logger"] == "api"]
    assert write["request_id"] == "json-2" and write["level"] == "INFO" and "by token 'ops'" in write["message"]
    assert any(line["logger"] == "gunicorn.error" and line["request_id"] is None for line in lines)


def test_sigterm_lets_the_request_in_flight_finish(mini, tmp_path):
    with server(mini, tmp_path) as running:
        slow = SlowLink(running.base, "in-flight")
        os.kill(running.process.pid, signal.SIGTERM)  # the master only, as an orchestrator stops it
        until(lambda: "Worker exiting" in running.log.read_text(), "the idle worker exits")  # SIGTERM is seen
        assert running.process.poll() is None  # the master waits for the busy worker
        status, headers, answer = slow.finish()
        assert status == 200 and headers["x-request-id"] == "in-flight"
        assert len(answer["links"]) == 60_000 // 8 and answer["links"][0]["id"] == f"{MINI_ID}:1"
        until(lambda: running.process.poll() is not None, "the master exits once the request is answered")
        assert running.process.returncode == 0
        text = running.log.read_text()
    assert text.count("Worker exiting") == 2 and "SIGKILL" not in text and "Traceback" not in text
    assert re.search(r'"POST /link HTTP/1\.1" 200 \d+ \d+ms in-flight$', text, re.M)


# -- the docs -------------------------------------------------------------------------------------------
def test_every_setting_read_from_the_environment_is_in_the_readme():
    code = "\n".join(path.read_text(encoding="utf-8") for folder in ("kb", "api")
                     for path in (ROOT / folder).rglob("*.py"))
    read = set(re.findall(r"""(?:os\.environ|\benv)\.get\(\s*["']([A-Z][A-Z_]+)["']""", code))  # not WSGI's environ
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Configuration"):readme.index("## Operations")]
    documented = {name for row in re.findall(r"^\| ([^|]+) \|", table, re.M) for name in re.findall(r"`(\w+)`", row)}
    assert {"KB_LOG_FORMAT", "KB_GRACEFUL_TIMEOUT", "KB_DATA_DIR", "KB_PUBLIC_URL"} <= read
    assert read - documented == set()
