"""Every error leaves as application/problem+json (RFC 9457); kb's errors map to statuses and types in one table."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

from flask import Flask, Response, request
from werkzeug.exceptions import BadRequest, HTTPException

from kb.editing import LabelTaken, StaleEntry, UnknownRelated
from kb.errors import (
    IngestError,
    InvalidRequest,
    KBError,
    KBNotBuilt,
    NotFound,
    NotReady,
    TermNotFound,
    TextTooLong,
)
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
    NotReady: 503,
    SearchBusy: 503,
    IngestError: 500,
}

# Problem types: relative URI references (RFC 9457 3.1.1). Every one the API sends is named in this module,
# and the README's table lists exactly these (tests/test_errors.py compares the two).
BLANK = "about:blank"  # RFC 9457 4.2.1: nothing to add to what the status says
VALIDATION_ERROR = "/problems/validation-error"
MALFORMED_JSON = "/problems/malformed-json"

# the type of each of kb's errors (every one in STATUS has one)
TYPES: dict[type[KBError], str] = {
    TermNotFound: "/problems/term-not-found",
    NotFound: "/problems/not-found",
    InvalidRequest: "/problems/invalid-request",
    InvalidRole: VALIDATION_ERROR,
    LabelTaken: "/problems/label-taken",
    UnknownRelated: "/problems/unknown-related",
    TextTooLong: BLANK,
    TokenNameTaken: "/problems/token-taken",
    TokenRevoked: "/problems/token-revoked",
    StaleEntry: "/problems/stale-entry",
    KBNotBuilt: "/problems/not-ready",
    NotReady: "/problems/not-ready",
    SearchBusy: "/problems/busy",
    IngestError: BLANK,
}

# the HTTP layer's own problems (werkzeug's, flask-smorest's and the views'), with the statuses they come with
HTTP_TYPES: dict[str, tuple[int, ...]] = {
    VALIDATION_ERROR: (422,),  # a request that does not validate
    MALFORMED_JSON: (400,),  # MalformedJson below
    BLANK: (400, 401, 403, 404, 405, 409, 413, 415, 428, 500),
}


def problem_types() -> dict[str, set[int]]:
    """Every problem type the API sends, with the statuses each comes with."""
    found: dict[str, set[int]] = {uri: set(statuses) for uri, statuses in HTTP_TYPES.items()}
    for kind, uri in TYPES.items():
        found.setdefault(uri, set()).add(STATUS[kind])
    return found


class MalformedJson(BadRequest):
    """A JSON endpoint's body is not JSON (or not UTF-8): says what is wrong and where."""

    problem_type = MALFORMED_JSON


def problem(status: int, detail: str, type_: str = BLANK, **extra) -> Response:
    body = {"type": type_, "title": HTTPStatus(status).phrase, "status": status, "detail": detail, **extra}
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM)


def status_of(error: KBError) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(error, kind)), 500)


def from_kb_error(error: KBError) -> Response:
    status = status_of(error)
    type_ = next((uri for kind, uri in TYPES.items() if isinstance(error, kind)), BLANK)
    extra: dict = {}
    if isinstance(error, TermNotFound):
        extra["suggestions"] = error.suggestions
    if isinstance(error, InvalidRequest):
        extra["errors"] = {"query": {error.parameter: [error.message]}}
    if isinstance(error, InvalidRole):
        extra["errors"] = {"json": {"role": [str(error)]}}
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
    type_ = getattr(error, "problem_type", VALIDATION_ERROR if status == 422 else BLANK)
    response = problem(status, detail, type_, **extra)
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


def answer_http_exception(error: HTTPException) -> Response:
    """A problem; but a browser that asked for a page at no route (a mistyped address) gets a page."""
    from api import pages

    if request.blueprint is None and error.code == 404 and pages.wants_html():
        return pages.status_page(404, "没有找到", "这个地址没有页面。")
    return from_http_exception(error)


def register(app: Flask) -> None:
    app.register_error_handler(KBError, from_kb_error)
    app.register_error_handler(HTTPException, answer_http_exception)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:  # never a traceback to the client
        log.exception("unhandled error")
        from api import pages

        if request.blueprint == pages.bp.name or (request.blueprint is None and pages.wants_html()):
            return pages.status_page(500, "服务器出错了", "这个页面没能生成；错误已记录。请稍后再试。")
        return problem(500, "the server failed to answer; the error is logged")
