"""HTTP conventions for every GET: ETag and 304, Cache-Control, CORS, and rendered answers cached per KB revision."""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from flask import Flask, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

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
_UNCACHED = ("kb.health",)


class AnswerCache:
    """Bytes of rendered GET answers by (store, revision, path and query): an edit changes the revision."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._items: OrderedDict[tuple, tuple[bytes, int, str, str]] = OrderedDict()

    def get(self, key: tuple) -> tuple[bytes, int, str, str] | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: tuple, item: tuple[bytes, int, str, str]) -> None:
        self._items[key] = item
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


def _cache_key() -> tuple | None:
    if not (request.endpoint or "").startswith(CACHED_BLUEPRINT):
        return None
    kb = loaded_kb()
    if kb is None:
        return None
    kb.catch_up()  # another process wrote: answer from the new revision
    if request.method not in ("GET", "HEAD") or request.endpoint in _UNCACHED:
        return None
    return kb.store_id, kb.revision, request.full_path


def body_etag(body: bytes) -> str:
    return hashlib.sha1(body).hexdigest()[:24]


def init(app: Flask) -> None:
    cache = AnswerCache()

    @app.before_request
    def refuse_large_bodies():
        # werkzeug enforces MAX_CONTENT_LENGTH only when a view reads the body; refuse before any work
        limit = app.config.get("MAX_CONTENT_LENGTH")
        if limit and (request.content_length or 0) > limit:
            raise RequestEntityTooLarge(f"the request body is over {limit} bytes")

    @app.before_request
    def answer_from_cache():
        key = _cache_key()
        request.environ["kb.cache_key"] = key
        item = None if key is None else cache.get(key)
        if item is None:
            return None
        body, status, mimetype, etag = item
        response = Response(body, status=status, mimetype=mimetype)
        response.set_etag(etag)
        request.environ["kb.cached"] = True
        return response

    @app.after_request
    def conventions(response: Response) -> Response:
        if request.method == "OPTIONS":
            response.headers.update(PREFLIGHT_HEADERS)
        response.headers.update(CORS_HEADERS)
        if request.method not in ("GET", "HEAD"):
            return response
        response.headers.setdefault("Cache-Control", CACHE_CONTROL)
        if response.status_code not in CACHED_STATUSES or response.direct_passthrough:
            return response
        if not response.get_etag()[0]:
            response.set_etag(body_etag(response.get_data()))
        key = request.environ.get("kb.cache_key")
        if key is not None and not request.environ.get("kb.cached"):
            cache.put(key, (response.get_data(), response.status_code, response.mimetype, response.get_etag()[0]))
        if response.status_code == 200:
            response.make_conditional(request)
        return response
