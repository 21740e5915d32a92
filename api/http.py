"""HTTP conventions for every request: CORS, Cache-Control, ETag and 304, the once-a-request freshness check,
filling the cache of rendered answers (api.answers serves them), and what a JSON body must be (the body limit,
a chunked body included; JSON, in UTF-8)."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

from flask import Flask, request
from marshmallow import missing
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType
from werkzeug.http import parse_options_header

from api.answers import ROUTE, AnswerCache, CachedAnswers, raw_target
from api.errors import MalformedJson
from api.state import loaded_kb

CACHED_STATUSES = (200, 404)
CACHE_CONTROL = "public, no-cache"  # clients may keep answers but must revalidate (edits show at once)
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Location, Retry-After, X-Request-Id",
}
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS, POST, PATCH, DELETE",
    "Access-Control-Allow-Headers": "Content-Type, Authorization, If-None-Match, If-Match, X-Request-Id",
    "Access-Control-Max-Age": "86400",
}
CACHED_BLUEPRINT = "kb."  # the read API's endpoints; never the docs, and never an unknown path
# never cached, never a 304: a health check always gets a fresh 200 or 503
_HEALTH = frozenset({"kb.health", "kb.ready"})
_READY = "kb.ready"  # catches up itself: a store that does not answer is its 503, not a 500 from here


def _current() -> None:
    """Once a request, for every route: catch up with the store (unless the middleware did)."""
    kb = loaded_kb()
    if kb is not None and not request.environ.get("kb.caught_up") and request.endpoint != _READY:
        kb.current()
        request.environ["kb.caught_up"] = True


def _cache_key() -> tuple | None:
    if not (request.endpoint or "").startswith(CACHED_BLUEPRINT):
        return None
    kb = loaded_kb()
    if kb is None or request.method not in ("GET", "HEAD") or request.endpoint in _HEALTH:
        return None
    return kb.store_id, kb.revision, *raw_target(request.environ)


def body_etag(body: bytes) -> str:
    return hashlib.sha1(body).hexdigest()[:24]


# -- JSON bodies ------------------------------------------------------------------------------------
def is_json(content_type: str | None) -> bool:
    """Whether a Content-Type names JSON: application/json or an application/*+json type, UTF-8 if it names
    a charset at all (RFC 8259 8.1: JSON between systems is UTF-8)."""
    mimetype, options = parse_options_header(content_type or "")
    mimetype = mimetype.lower()
    json_type = mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))
    return json_type and options.get("charset", "utf-8").lower() in ("utf-8", "utf8")


def require_json(content_type: str | None) -> None:
    """415 unless ``content_type`` names JSON (see ``is_json``)."""
    if not is_json(content_type):
        sent = f"this one is {content_type}" if content_type else "this one has no Content-Type"
        raise UnsupportedMediaType(f"send the body as application/json (in UTF-8); {sent}")


def parse_json(raw: bytes) -> Any:
    """A JSON body's value; if it is not UTF-8 or not JSON, MalformedJson (400) says what is wrong and where."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedJson(f"the body is not UTF-8: {error.reason} at byte {error.start}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise MalformedJson(f"the body is not JSON: {error.msg} at line {error.lineno}, column {error.colno} "
                            f"(character {error.pos})") from None
    except RecursionError:  # "[[[[...": Python's parser gives up on deep nesting
        raise MalformedJson("the body is not JSON that can be read: it is nested too deeply") from None


def has_body(environ: dict) -> bool:
    return environ.get("CONTENT_LENGTH", "") not in ("", "0") or _chunked(environ)


def _chunked(environ: dict) -> bool:
    return "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()


class JsonBodyParser(FlaskParser):
    """webargs' parser, strict about a JSON body: 415 unless it is sent as JSON, 400 (malformed-json) where it
    is not JSON; no body at all (or an empty one) is no fields, and the schema says what is missing."""

    def load_json(self, req, schema) -> Any:
        content_type = req.headers.get("Content-Type")
        if not content_type and not has_body(req.environ):
            return missing
        require_json(content_type)
        raw = req.get_data(cache=True)
        return parse_json(raw) if raw else missing


JSON_BODY = JsonBodyParser()  # the parser of every blueprint with a JSON body (blp.ARGUMENTS_PARSER)


class ChunkedBody:
    """WSGI middleware: a chunked body (Transfer-Encoding: chunked, no Content-Length) is read here and handed
    on as if it had come with a Content-Length: all of it if it is within the limit, else its first limit + 1
    bytes, which the app refuses (413) as it does any body over the limit. (werkzeug alone cuts such a body at
    the limit without a word: a JSON endpoint then answered 400 for a body that was too big.)"""

    def __init__(self, wsgi_app, limit: int):
        self.wsgi_app = wsgi_app
        self.limit = limit

    def __call__(self, environ: dict, start_response):
        # only a server that ends the stream itself (gunicorn, werkzeug's) says where a chunked body ends
        if _chunked(environ) and not environ.get("CONTENT_LENGTH") and environ.get("wsgi.input_terminated"):
            body = _read_at_most(environ["wsgi.input"], self.limit + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            del environ["HTTP_TRANSFER_ENCODING"]  # no longer chunked (werkzeug ignores a length beside it)
        return self.wsgi_app(environ, start_response)


def _read_at_most(stream, size: int) -> bytes:
    chunks, read = [], 0
    while read < size:
        chunk = stream.read(min(64 * 1024, size - read))
        if not chunk:
            break
        chunks.append(chunk)
        read += len(chunk)
    return b"".join(chunks)


# -- every request --------------------------------------------------------------------------------------
def init(app: Flask) -> None:
    cache = AnswerCache()
    limit = app.config.get("MAX_CONTENT_LENGTH")
    if limit:
        app.wsgi_app = ChunkedBody(app.wsgi_app, limit)
    app.wsgi_app = CachedAnswers(app, cache)

    @app.before_request
    def before():
        # werkzeug enforces MAX_CONTENT_LENGTH only when a view reads the body; refuse before any work
        if limit and (request.content_length or 0) > limit:
            raise RequestEntityTooLarge(f"the request body is over {limit} bytes")
        _current()
        request.environ["kb.cache_key"] = _cache_key()

    @app.after_request
    def conventions(response):
        route = request.environ[ROUTE] = request.url_rule.rule if request.url_rule else None
        if response.status_code == 204:  # no content, so no type of it (flask-smorest sets one)
            response.headers.pop("Content-Type", None)
        if request.method == "OPTIONS":
            response.headers.update(PREFLIGHT_HEADERS)
        response.headers.update(CORS_HEADERS)
        if request.method not in ("GET", "HEAD"):
            return response
        if request.endpoint in _HEALTH or not (request.endpoint or "").startswith(CACHED_BLUEPRINT):
            response.headers.setdefault("Cache-Control", "no-store")  # health, tokens, history: always fresh
            return response
        response.headers.setdefault("Cache-Control", CACHE_CONTROL)
        if response.status_code not in CACHED_STATUSES or response.direct_passthrough:
            return response
        if not response.get_etag()[0]:
            response.set_etag(body_etag(response.get_data()))
        etag = response.get_etag()[0]
        key = request.environ.get("kb.cache_key")
        if key is not None and request.method == "GET":
            stored = [(k, v) for k, v in response.headers.items() if k not in ("Content-Length", "Date")]
            cache.put(key, (response.get_data(), response.status_code, stored, etag, route))
        if response.status_code == 200 and request.headers.get("If-None-Match"):
            response.make_conditional(request)
        return response
