"""Rendered answers to GETs, by store revision: the bytes a GET was answered with, served again before Flask
(its routing, hooks and serialisation) while the revision holds. Nothing else: api.http fills the cache."""

from __future__ import annotations

from collections import OrderedDict
from http import HTTPStatus

from flask import Flask
from werkzeug.http import parse_etags

CACHE_SIZE = 4096  # rendered answers kept per worker process
Answer = tuple[bytes, int, list, str, str]  # body, status, headers, ETag, URL rule (for the metrics)
ROUTE = "kb.route"  # environ: the URL rule that answered (/terms/<path:term>), for the metrics (api.observe)


class AnswerCache:
    """Rendered GET answers (body, status, headers, ETag, the URL rule that made it) by (store, revision, raw
    path and query): an edit or a build changes the revision, so an answer is never served for a KB it was not
    made from."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._items: OrderedDict[tuple, Answer] = OrderedDict()

    def get(self, key: tuple) -> Answer | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: tuple, item: Answer) -> None:
        self._items[key] = item
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


def raw_target(environ: dict) -> tuple[str, str]:
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
            holder.follow()
            try:
                kb.current()
            except Exception:  # the store does not answer: Flask says so (a logged 500; /readyz a 503)
                return self.wsgi_app(environ, start_response)
            environ["kb.caught_up"] = True
            item = self.cache.get((kb.store_id, kb.revision, *raw_target(environ)))
            if item is not None:
                body, status, headers, etag, environ[ROUTE] = item
                wanted = environ.get("HTTP_IF_NONE_MATCH")
                if status == 200 and wanted and parse_etags(wanted).contains_weak(etag):  # weak, as RFC 9110 says
                    start_response("304 Not Modified", headers)
                    return [b""]
                start_response(f"{status} {HTTPStatus(status).phrase}",
                               [*headers, ("Content-Length", str(len(body)))])
                return [b""] if method == "HEAD" else [body]
        return self.wsgi_app(environ, start_response)
