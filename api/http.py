"""HTTP conventions for every request: CORS, Cache-Control, ETag and 304, the once-a-request freshness check,
and filling the cache of rendered answers (api.answers serves them)."""

from __future__ import annotations

import hashlib

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

from api.answers import AnswerCache, CachedAnswers, raw_target
from api.state import loaded_kb

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
    return kb.store_id, kb.revision, *raw_target(request.environ)


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
