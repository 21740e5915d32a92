"""The baseline for bench/http.py: a bare Flask app whose one route answers a constant JSON body."""

from __future__ import annotations

import json

from flask import Flask, Response

ROUTE = "/constant"
FILLER = "百县千镇万村高质量发展工程"  # Chinese text, 3 bytes a character in UTF-8, like our answers


def constant_body(size: int) -> bytes:
    """A JSON object of exactly ``size`` bytes (UTF-8, Chinese as is), or its smallest form if ``size`` is
    smaller than that."""
    base = {"query": "百千万工程", "padding": ""}
    room = max(0, size - len(json.dumps(base, ensure_ascii=False).encode()))
    chars, spare = divmod(room, 3)
    filler = (FILLER * (chars // len(FILLER) + 1))[:chars] + "x" * spare
    return json.dumps({**base, "padding": filler}, ensure_ascii=False).encode()


def create_app(body_bytes: int = 5000) -> Flask:
    """The app: ``GET /constant`` answers the same pre-rendered ``body_bytes`` of JSON every time, as our app
    answers a cached term (bytes rendered once, a new Response per request)."""
    app = Flask(__name__)
    body = constant_body(body_bytes)

    @app.get(ROUTE)
    def constant() -> Response:
        return Response(body, mimetype="application/json")

    return app
