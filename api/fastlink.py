"""POST /link's hot path: a plain, valid request is answered before Flask (chat tools send many small ones).

Anything else (a batch, a bad field, a missing document, an oversized body, any error) goes on to the Flask
view, which validates with marshmallow and answers errors as problem+json; both paths give the same bytes
for the same valid request (tests pin this).
"""

from __future__ import annotations

import io
import json
import re

from api.http import CORS_HEADERS
from api.schemas import LINK_FORMATS
from kb.knowledge import MAX_LINK_CHARS

_FIELDS = {"text", "format", "first_only", "documents"}
_SURROGATE = re.compile("[\ud800-\udfff]")
_HEADERS = [("Content-Type", "application/json"), *CORS_HEADERS.items()]


def _plain(body) -> bool:
    """Whether the request is one the view would accept as it is (otherwise the view decides)."""
    if not isinstance(body, dict) or not body.keys() <= _FIELDS or not isinstance(body.get("text"), str):
        return False
    if _SURROGATE.search(body["text"]):
        return False
    if len(body["text"]) > MAX_LINK_CHARS or body.get("format", "json") not in LINK_FORMATS:
        return False
    if not isinstance(body.get("first_only", False), bool):
        return False
    documents = body.get("documents")
    return documents is None or (isinstance(documents, list) and len(documents) <= 50
                                 and all(isinstance(d, str) and 0 < len(d) <= 200 for d in documents))


class FastLink:
    def __init__(self, app, wsgi_app, limit: int):
        self.app = app
        self.wsgi_app = wsgi_app
        self.limit = limit

    def __call__(self, environ: dict, start_response):
        holder = self.app.extensions.get("kb")
        if (environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != "/link" or holder is None
                or holder.kb is None or not environ.get("CONTENT_TYPE", "").startswith("application/json")):
            return self.wsgi_app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return self.wsgi_app(environ, start_response)
        if not 0 < length <= self.limit:
            return self.wsgi_app(environ, start_response)
        raw = environ["wsgi.input"].read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if _plain(body):
            kb = holder.kb
            kb.current()
            try:
                answer = kb.link(body["text"], body.get("format", "json"), body.get("first_only", False),
                                 body.get("documents"))
            except Exception:  # a KBError or a bug: the view answers it, as problem+json
                answer = None
            if answer is not None:
                data = json.dumps(answer, ensure_ascii=False).encode()
                start_response("200 OK", [*_HEADERS, ("Content-Length", str(len(data)))])
                return [data]
        environ["wsgi.input"] = io.BytesIO(raw)  # the body was read: hand it on to Flask as it came
        environ["CONTENT_LENGTH"] = str(len(raw))
        return self.wsgi_app(environ, start_response)
