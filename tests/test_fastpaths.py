"""The two WSGI fast paths (cached GET answers, plain POST /link) answer exactly as the Flask views do."""

from __future__ import annotations

import json

import pytest
from werkzeug.test import EnvironBuilder

from api import create_app


@pytest.fixture(scope="module")
def app(settings):
    return create_app({"KB_SETTINGS": settings})


def through_flask(app, method: str, path: str, body: bytes | None = None):
    """The same request, straight to Flask (past both middlewares)."""
    flask_only = app.wsgi_app.wsgi_app.wsgi_app  # FastLink -> CachedAnswers -> Flask
    environ = EnvironBuilder(path=path, method=method, data=body,
                             content_type="application/json" if body is not None else None).get_environ()
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, dict(headers)

    data = b"".join(flask_only(environ, start_response))
    return answer["status"], answer["headers"], data


@pytest.mark.parametrize("body", [
    {"text": "推进百千万工程，落实“3+2”和１＋６＋Ｎ，雙百工程🎉"},
    {"text": "推进百千万工程和百千万工程", "format": "html", "first_only": True},
    {"text": "<b>百千万工程</b> *3+2*", "format": "markdown"},
    {"text": "落实1310部署", "documents": ["qingcheng-2024"]},
    {"text": ""},
])
def test_a_plain_link_request_gets_the_bytes_the_view_gives(app, body):
    raw = json.dumps(body, ensure_ascii=False).encode()
    fast = app.test_client().post("/link", data=raw, content_type="application/json")
    status, headers, data = through_flask(app, "POST", "/link", raw)
    assert fast.status_code == 200 and status.startswith("200")
    assert fast.get_data() == data
    assert fast.mimetype == headers["Content-Type"].split(";")[0] == "application/json"
    assert fast.headers["Access-Control-Allow-Origin"] == headers["Access-Control-Allow-Origin"]


@pytest.mark.parametrize("path", ["/terms/百千万工程", "/terms/%E7%99%BE%E5%8D%83%E8%90%AC%E5%B7%A5%E7%A8%8B",
                                  "/terms/3+2", "/search?q=%E4%BA%A7%E4%B8%9A&limit=3", "/terms/nowhere"])
def test_a_cached_answer_is_the_answer_flask_gave(app, path):
    client = app.test_client()
    first = client.get(path)  # rendered by Flask, then kept
    second = client.get(path)  # from the cache, before Flask
    assert second.status_code == first.status_code
    assert second.get_data() == first.get_data()
    for header in ("Content-Type", "ETag", "Cache-Control", "Access-Control-Allow-Origin"):
        assert second.headers.get(header) == first.headers.get(header), header
    if first.status_code == 200:
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.get_data() == b""


def test_the_fast_link_path_answers_an_unknown_document_as_the_view_does(app):
    """Taken by the fast path, a request is answered there, errors too: the same problem+json as the view."""
    raw = json.dumps({"text": "推进百千万工程", "documents": ["no-such-report"]}).encode()
    fast = app.test_client().post("/link", data=raw, content_type="application/json")
    status, headers, data = through_flask(app, "POST", "/link", raw)
    assert (fast.status_code, fast.mimetype) == (404, "application/problem+json") and status.startswith("404")
    assert fast.get_json() == json.loads(data) and fast.get_json()["type"] == "/problems/not-found"
    assert fast.headers["Access-Control-Allow-Origin"] == headers["Access-Control-Allow-Origin"] == "*"
