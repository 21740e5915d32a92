"""HTTP conventions for every GET: ETag and 304, Cache-Control, CORS, and rendered answers cached per KB revision."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from http import HTTPStatus

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_etags

from api.state import loaded_kb

CACHE_SIZE = 4096  # rendered answers kept per worker process
CACHED_STATUSES = (200, 404)
CACHE_CONTROL = "public, no-cache"  # clients may keep answers but must revalidate (edits show at once)
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Location, Retry-After",
}
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS, POST, PATCH, DELETE",
    "Access-Control-Allow-Headers": "Content-Type, Authorization, If-None-Match, If-Match",
    "Access-Control-Max-Age": "86400",
}
CACHED_BLUEPRINT = "kb."  # the read API's endpoints; never the docs, and never an unknown path
_HEALTH = "kb.health"  # never cached, never a 304: a health check always gets a fresh 200 or 503


class AnswerCache:
    """Rendered GET answers (body, status, headers, ETag) by (store, revision, raw path and query): an edit
    or a build changes the revision, so an answer is never served for a KB it was not made from."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._items: OrderedDict[tuple, tuple[bytes, int, list, str]] = OrderedDict()

    def get(self, key: tuple) -> tuple[bytes, int, list, str] | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: tuple, item: tuple[bytes, int, list, str]) -> None:
        self._items[key] = item
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


def _raw_target(environ: dict) -> tuple[str, str]:
    return environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")


class CachedAnswers:
    """WSGI middleware: a GET whose answer is cached for the current revision leaves from here, without
    Flask's routing, hooks and serialisation (the hot path of apps resolving the same terms again)."""

    def __init__(self, app: Flask, cache: AnswerCache):
        self.app = app
        self.wsgi_app = app.wsgi_app
        self.cache = cache

    def __call__(self, environ: dict, start_response):
        method = environ.get("REQUEST_METHOD")
        holder = self.app.extensions.get("kb")
        if method in ("GET", "HEAD") and not environ.get("CONTENT_LENGTH") and holder and holder.kb is not None:
            kb = holder.kb
            kb.current()
            environ["kb.caught_up"] = True
            item = self.cache.get((kb.store_id, kb.revision, *_raw_target(environ)))
            if item is not None:
                body, status, headers, etag = item
                wanted = environ.get("HTTP_IF_NONE_MATCH")
                if status == 200 and wanted and parse_etags(wanted).contains_weak(etag):  # weak, as RFC 9110 says
                    start_response("304 Not Modified", headers)
                    return [b""]
                start_response(f"{status} {HTTPStatus(status).phrase}",
                               [*headers, ("Content-Length", str(len(body)))])
                return [b""] if method == "HEAD" else [body]
        return self.wsgi_app(environ, start_response)


def _current() -> None:
    """Once a request, for every route: catch up with the store (unless the middleware did)."""
    kb = loaded_kb()
    if kb is not None and not request.environ.get("kb.caught_up"):
        kb.current()
        request.environ["kb.caught_up"] = True


def _cache_key() -> tuple | None:
    if not (request.endpoint or "").startswith(CACHED_BLUEPRINT):
        return None
    kb = loaded_kb()
    if kb is None or request.method not in ("GET", "HEAD") or request.endpoint == _HEALTH:
        return None
    return kb.store_id, kb.revision, *_raw_target(request.environ)


def body_etag(body: bytes) -> str:
    return hashlib.sha1(body).hexdigest()[:24]


def init(app: Flask) -> None:
    cache = AnswerCache()
    limit = app.config.get("MAX_CONTENT_LENGTH")
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
        if request.method == "OPTIONS":
            response.headers.update(PREFLIGHT_HEADERS)
        response.headers.update(CORS_HEADERS)
        if request.method not in ("GET", "HEAD"):
            return response
        if request.endpoint == _HEALTH or not (request.endpoint or "").startswith(CACHED_BLUEPRINT):
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
            cache.put(key, (response.get_data(), response.status_code, stored, etag))
        if response.status_code == 200 and request.headers.get("If-None-Match"):
            response.make_conditional(request)
        return response
