"""Linking for chat tools: POST a text (or a batch), get every term in it linked."""

from __future__ import annotations

import json

from flask import current_app, request
from flask_smorest import Blueprint

from api import schemas as s
from api.http import JSON_BODY
from api.state import get_kb, public_url

blp = Blueprint("links", __name__, description="Link every term and acronym in a text")
blp.ARGUMENTS_PARSER = JSON_BODY  # 415 for a body that is not sent as JSON, 400 for one that is not JSON


@blp.route("/link", methods=["POST"])
@blp.arguments(s.LinkRequestSchema())
@blp.response(200, s.LinkAnswerSchema())
@blp.alt_response(400, response="BAD_REQUEST", description="The body is not JSON (or not UTF-8)")
@blp.alt_response(404, response="NOT_FOUND", description="A document in `documents` does not exist")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE", description="A body over 1 MB, a text over 100,000 "
                  "characters")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE", description="The body is not sent as application/json")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def link(body: dict):
    """Every label of every entry in the text (editors' labels as soon as they are written), under the
    same normaliser as lookups (３＋２, 雙百工程 and ＥＳＩ link), leftmost-longest, never inside a longer
    run of letters and digits; components never. Offsets are code points and UTF-16 units of the text as sent."""
    kb = get_kb()
    options = {"format": body["format"], "first_only": body["first_only"], "documents": body["documents"],
               "prefer": body["prefer"], "base_url": public_url(request.environ)}
    if "texts" in body:
        answer = {"results": [kb.link(text, **options) for text in body["texts"]]}
    else:
        answer = kb.link(body["text"], **options)
    # kb's answer has exactly the documented fields: sent as it is, without a marshmallow dump per link
    return current_app.response_class(json.dumps(answer, ensure_ascii=False), mimetype="application/json")
