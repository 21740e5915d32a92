"""Every error leaves as application/problem+json (RFC 9457); kb's errors map to statuses in one table."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from kb.editing import LabelTaken, StaleEntry, UnknownRelated
from kb.errors import IngestError, InvalidRequest, KBError, KBNotBuilt, NotFound, TermNotFound, TextTooLong
from kb.search import SearchBusy
from kb.tokens import InvalidRole, TokenNameTaken, TokenRevoked

PROBLEM = "application/problem+json"
log = logging.getLogger("kb.api")

# kb's domain errors and the HTTP status each becomes: the one place where they meet
STATUS: dict[type[KBError], int] = {
    TermNotFound: 404,
    NotFound: 404,
    InvalidRequest: 422,
    InvalidRole: 422,
    LabelTaken: 409,
    UnknownRelated: 409,
    TextTooLong: 413,
    TokenNameTaken: 409,
    TokenRevoked: 409,
    StaleEntry: 412,
    KBNotBuilt: 503,
    SearchBusy: 503,
    IngestError: 500,
}

# problem types, relative URI references (RFC 9457 3.1.1) documented in the README
TYPES = {
    TermNotFound: "/problems/term-not-found",
    NotFound: "/problems/not-found",
    InvalidRequest: "/problems/invalid-request",
    LabelTaken: "/problems/label-taken",
    UnknownRelated: "/problems/unknown-related",
    StaleEntry: "/problems/stale-entry",
    KBNotBuilt: "/problems/not-ready",
    SearchBusy: "/problems/busy",
    TokenRevoked: "/problems/token-revoked",
}


def problem(status: int, detail: str, type_: str = "about:blank", **extra) -> Response:
    body = {"type": type_, "title": HTTPStatus(status).phrase, "status": status, "detail": detail, **extra}
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM)


def from_kb_error(error: KBError) -> Response:
    status = next((code for kind, code in STATUS.items() if isinstance(error, kind)), 500)
    type_ = next((uri for kind, uri in TYPES.items() if isinstance(error, kind)), "about:blank")
    extra: dict = {}
    if isinstance(error, TermNotFound):
        extra["suggestions"] = error.suggestions
    if isinstance(error, InvalidRequest):
        extra["errors"] = {"query": {error.parameter: [error.message]}}
    if isinstance(error, LabelTaken):
        extra["entries"] = sorted({i for ids in error.taken.values() for i in ids})
    if isinstance(error, UnknownRelated):
        extra["entries"] = error.ids
    response = problem(status, str(error), type_, **extra)
    if status == 503:
        response.headers["Retry-After"] = "1"
    return response


def from_http_exception(error: HTTPException) -> Response:
    """Werkzeug's errors (404 route, 405, 413, ...) and flask-smorest's validation errors (422)."""
    status = error.code or 500
    extra: dict = {}
    data = getattr(error, "data", None) or {}
    messages = data.get("errors") or data.get("messages")
    if messages:
        extra["errors"] = messages
    detail = data.get("message") or error.description or HTTPStatus(status).description
    if status == 422 and messages:
        detail = "the request does not validate: " + _summary(messages)
    response = problem(status, detail, "/problems/validation-error" if status == 422 else "about:blank", **extra)
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="kb"'
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _summary(messages: dict) -> str:
    parts = []
    for location, fields in messages.items():
        if isinstance(fields, dict):
            for name, texts in fields.items():
                text = "; ".join(map(str, texts)) if isinstance(texts, list) else str(texts)
                parts.append(f"{name} ({location}): {text}")
        else:
            parts.append(f"{location}: {fields}")
    return "; ".join(parts)


def register(app: Flask) -> None:
    app.register_error_handler(KBError, from_kb_error)
    app.register_error_handler(HTTPException, from_http_exception)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:  # never a traceback to the client
        log.exception("unhandled error")
        return problem(500, "the server failed to answer; the error is logged")
