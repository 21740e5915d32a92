"""The outermost WSGI layer: every request gets an id and is measured, whoever answers it (Flask, or a fast path
before Flask: api.answers, api.fastlink).

The id is the client's ``X-Request-Id`` if it is sane (1 to 64 of ``A-Z a-z 0-9 . _ -``), else a new one (a
uuid4's hex); it goes back as ``X-Request-Id`` on every response, errors included, and onto every log record
made while the request is handled (api.logs.REQUEST_ID, read by api.logs.RequestIdFilter). Once the answer
is ready (every layer here starts it before it hands it on), the request is counted and timed by method,
route and status (api.metrics): the time to make the answer, as the exporter's own defaults measure it.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Callable

from api.answers import ROUTE
from api.errors import problem
from api.http import CORS_HEADERS
from api.logs import REQUEST_ID
from api.metrics import Metrics

HEADER = "X-Request-Id"
SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # nothing a log line or a header could be forged with
ENVIRON_KEY = "kb.request_id"
log = logging.getLogger("kb.api")


def request_id(environ: dict) -> str:
    """The client's id if it is sane, else a new one."""
    given = environ.get("HTTP_X_REQUEST_ID", "")
    return given if SANE_ID.fullmatch(given) else uuid.uuid4().hex


class Observed:
    def __init__(self, wsgi_app, metrics: Metrics):
        self.wsgi_app = wsgi_app
        self.metrics = metrics

    def __call__(self, environ: dict, start_response):
        started = time.perf_counter()
        ident = environ[ENVIRON_KEY] = request_id(environ)
        REQUEST_ID.set(ident)
        answered: list[str] = []

        def start(status: str, headers: list, exc_info=None):
            answered[:] = [status]
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append((HEADER, ident))
            return start_response(status, headers, exc_info)

        def finish() -> None:
            status = int(answered[0].split(" ", 1)[0]) if answered else 500
            self.metrics.observe(environ.get("REQUEST_METHOD", ""), environ.get(ROUTE), status,
                                 time.perf_counter() - started)

        try:
            body = self.wsgi_app(environ, start)
        except Exception:  # a middleware's bug (Flask answers its own): problem+json, as every error leaves
            log.exception("unhandled error")
            body = _failed(environ, start)
        then: Callable[[], None] | None = finish
        if answered:  # every layer here starts its answer before it returns it: the time to answer is known
            finish()
            then = None  # else an answer that starts as it is sent: recorded once it is sent
        file_wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(file_wrapper, type) and isinstance(body, file_wrapper):
            return _on_close(body, then)  # gunicorn sends such a file with sendfile: leave it as it is
        return Measured(body, then)


class Measured:
    """The app's body, passed on as it is; the request id is let go once the server closes it. ``finish``, if
    any, records the request once the body has been sent (or when it is closed, sent or not)."""

    def __init__(self, body, finish):
        self.body = body
        self._finish = finish

    def __iter__(self):
        yield from self.body
        self.finish()

    def finish(self) -> None:
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish()

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.finish()
            REQUEST_ID.set(None)


def _on_close(body, finish: Callable[[], None] | None):
    close = getattr(body, "close", None)

    def closed() -> None:
        try:
            if close is not None:
                close()
        finally:
            if finish is not None:
                finish()
            REQUEST_ID.set(None)

    body.close = closed
    return body


def _failed(environ: dict, start):
    response = problem(500, "the server failed to answer; the error is logged")
    response.headers.update(CORS_HEADERS)
    body, status, headers = response.get_wsgi_response(environ)
    start(status, headers.to_wsgi_list(), sys.exc_info())
    return body
