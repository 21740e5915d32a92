"""POST /link's hot path: a request for one text is answered before Flask (chat tools send many small ones).

The request is validated by the same marshmallow schema as the view, its body read by the same rules
(api.http: a JSON Content-Type, UTF-8 JSON); what it does not take (a batch, a bad field, a body too big or
chunked, not sent as JSON, not JSON) goes on to the Flask view untouched, which answers it (422, 413, 415, 400)
as problem+json. Once taken, the request is answered here, errors included (as the view would: problem+json),
never run a second time; tests pin that both paths give the same bytes.
"""

from __future__ import annotations

import io
import json
import logging

from marshmallow import ValidationError
from werkzeug.wsgi import get_current_url

from api.errors import MalformedJson, from_kb_error, problem
from api.http import CORS_HEADERS, ROUTE, is_json, parse_json
from api.schemas import LinkRequestSchema
from kb.errors import KBError
from kb.knowledge import MAX_LINK_CHARS

_SCHEMA = LinkRequestSchema()
_HEADERS = [("Content-Type", "application/json"), *CORS_HEADERS.items()]
log = logging.getLogger("kb.api")


class FastLink:
    def __init__(self, app, wsgi_app, limit: int):
        self.app = app
        self.wsgi_app = wsgi_app
        self.limit = limit

    def __call__(self, environ: dict, start_response):
        holder = self.app.extensions.get("kb")
        if (environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != "/link" or holder is None
                or holder.kb is None or not is_json(environ.get("CONTENT_TYPE"))):
            return self.wsgi_app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return self.wsgi_app(environ, start_response)
        if not 0 < length <= self.limit:
            return self.wsgi_app(environ, start_response)
        raw = environ["wsgi.input"].read(length)
        args = _one_text(raw)
        if args is None:
            environ["wsgi.input"] = io.BytesIO(raw)  # the body was read: hand it on to Flask as it came
            environ["CONTENT_LENGTH"] = str(len(raw))
            return self.wsgi_app(environ, start_response)
        kb = holder.kb
        holder.follow()
        environ[ROUTE] = "/link"  # for the metrics (api.observe): the view's URL rule
        kb.current()
        base = holder.settings.public_url or get_current_url(environ, root_only=True).rstrip("/")
        try:
            answer = kb.link(args["text"], args["format"], args["first_only"], args["documents"], args["prefer"], base)
        except KBError as error:  # a document that does not exist: what the view answers
            return _answer(from_kb_error(error), environ, start_response)
        except Exception:  # a bug: logged, and problem+json as the app's own handler gives it
            log.exception("POST /link failed")
            return _answer(problem(500, "the server failed to answer; the error is logged"), environ, start_response)
        data = json.dumps(answer, ensure_ascii=False).encode()
        start_response("200 OK", [*_HEADERS, ("Content-Length", str(len(data)))])
        return [data]


def _one_text(raw: bytes) -> dict | None:
    """The request's fields, if the schema takes it and it asks for one text within the limit."""
    try:
        body = parse_json(raw)
        args = _SCHEMA.load(body) if isinstance(body, dict) else None
    except (MalformedJson, ValidationError):
        return None
    if args is None or "text" not in args or len(args["text"]) > MAX_LINK_CHARS:
        return None
    return args


def _answer(response, environ: dict, start_response):
    response.headers.update(CORS_HEADERS)
    return response(environ, start_response)
