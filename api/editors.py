"""The write API: editors add, correct and retire entries (If-Match against lost updates); admins manage tokens."""

from __future__ import annotations

from flask import current_app, g, request
from flask_smorest import Blueprint
from werkzeug.exceptions import Conflict, PreconditionRequired, UnprocessableEntity

from api import schemas as s
from api.auth import SECURITY, requires
from api.http import JSON_BODY
from api.state import get_kb
from kb import tokens
from kb.editing import EDITABLE, StaleEntry
from kb.knowledge import KnowledgeBase
from kb.model import Entry

blp = Blueprint("editors", __name__, description="Editors' writes and admins' tokens (Bearer tokens)")
blp.ARGUMENTS_PARSER = JSON_BODY  # 415 for a body that is not sent as JSON, 400 for one that is not JSON
WRITE_ERRORS = (400, 401, 403, 413, 415, 422)  # every write with a JSON body


def _errors(*statuses: int):
    def wrap(view):
        for status in statuses:
            view = blp.alt_response(status, response=_RESPONSES[status])(view)
        return blp.doc(security=SECURITY)(view)
    return wrap


_RESPONSES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 409: "CONFLICT",
              412: "PRECONDITION_FAILED", 413: "REQUEST_ENTITY_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE",
              422: "UNPROCESSABLE_ENTITY", 428: "PRECONDITION_REQUIRED", 503: "SERVICE_UNAVAILABLE"}


def entry_etag(kb: KnowledgeBase, entry: Entry) -> str:
    """The ETag of an entry: strong, and changed only by the entry's own fields (see KnowledgeBase.entry_tag)."""
    return f'"{kb.entry_tag(entry)}"'


def _expected_version(kb: KnowledgeBase, entry_id: str) -> int:
    """The entry's version if the client's If-Match names its current ETag, compared strongly as RFC 9110
    says (a stale one is /problems/stale-entry, none is 428)."""
    if not request.headers.get("If-Match", "").strip():
        raise PreconditionRequired("send If-Match with the ETag of the entry you read (GET /entries/{id})")
    entry = kb.entry(entry_id)
    if not request.if_match.contains(kb.entry_tag(entry)):
        raise StaleEntry(entry_id)
    return kb.version(entry_id)


IF_MATCH = {"parameters": [{"in": "header", "name": "If-Match", "required": True,
                            "schema": {"type": "string", "minLength": 1},
                            "description": "the ETag of the entry as you read it (GET /entries/{id})"}]}


def _written(kb: KnowledgeBase, entry: Entry, status: int, what: str):
    current_app.logger.info("%s %s by token %r (revision %s)", what, entry.id, g.token.name, kb.revision)
    view = kb.entry_view(entry)
    headers = {"ETag": entry_etag(kb, entry), "Location": f"/entries/{entry.id}"}
    return view, status, headers


@blp.route("/entries", methods=["POST"])
@requires("editor")
@blp.arguments(s.EntryCreateSchema())
@blp.response(201, s.EntrySchema())
@_errors(*WRITE_ERRORS, 409)
def create_entry(body: dict):
    """Add an entry (it has no source document). Its labels resolve, search finds it and linking links it
    at once, on every worker."""
    kb = get_kb()
    note, shared = body.pop("note"), body.pop("allow_shared_labels")
    return _written(kb, kb.create_entry(body, g.token.name, note, shared), 201, "created")


@blp.route("/entries/<string:entry_id>", methods=["PATCH"])
@requires("editor")
@blp.arguments(s.EntryPatchSchema())
@blp.response(200, s.EntrySchema())
@blp.doc(**IF_MATCH)
@_errors(*WRITE_ERRORS, 404, 409, 412, 428)
def update_entry(body: dict, entry_id: str):
    """Change some fields of an entry (corpus entries too). Needs `If-Match` with the entry's current ETag."""
    kb = get_kb()
    if not request.get_data():
        raise UnprocessableEntity(f"send a JSON object with some of {', '.join(EDITABLE)}")
    note, shared = body.pop("note"), body.pop("allow_shared_labels")
    version = _expected_version(kb, entry_id)
    if not body:  # nothing to change: no revision, the entry as it is
        entry = kb.entry(entry_id)
        return kb.entry_view(entry), 200, {"ETag": entry_etag(kb, entry)}
    return _written(kb, kb.update_entry(entry_id, body, version, g.token.name, note, shared), 200, "updated")


@blp.route("/entries/<string:entry_id>", methods=["DELETE"])
@requires("editor")
@blp.response(204)
@blp.doc(**IF_MATCH)
@_errors(401, 403, 404, 412, 428)
def delete_entry(entry_id: str):
    """Retire an entry: a revision like any other (history is kept); its labels stop resolving."""
    kb = get_kb()
    version = _expected_version(kb, entry_id)
    revision = kb.delete_entry(entry_id, version, g.token.name, request.args.get("note"))
    current_app.logger.info("deleted %s by token %r (revision %s)", entry_id, g.token.name, revision)
    return None


def _revert(kb: KnowledgeBase, entry_id: str, revision: int, body: dict, what: str):
    """A revert or restore: a live entry needs If-Match (its current ETag); a deleted one has none to send."""
    live = entry_id in kb.snapshot.entries
    expected = _expected_version(kb, entry_id) if live else None
    entry = kb.revert_entry(entry_id, revision, expected, g.token.name, body["note"], body["allow_shared_labels"])
    return _written(kb, entry, 200, what)


@blp.route("/entries/<string:entry_id>/revert", methods=["POST"])
@requires("editor")
@blp.arguments(s.RevertSchema())
@blp.response(200, s.EntrySchema())
@blp.doc(parameters=[{**IF_MATCH["parameters"][0], "required": False,
                      "description": "the ETag of the entry as you read it (needed unless it is deleted)"}])
@_errors(*WRITE_ERRORS, 404, 409, 412, 428)
def revert_entry(body: dict, entry_id: str):
    """Put the entry back as it was after one of its revisions (0: as printed), as a new revision; a deleted
    entry comes back too. Its history keeps every revision."""
    return _revert(get_kb(), entry_id, body["revision"], body, "reverted")


@blp.route("/entries/<string:entry_id>/restore", methods=["POST"])
@requires("editor")
@blp.arguments(s.RestoreSchema())
@blp.response(200, s.EntrySchema())
@_errors(*WRITE_ERRORS, 404, 409)
def restore_entry(body: dict, entry_id: str):
    """Bring a deleted entry back as it was just before it was deleted (a new revision)."""
    kb = get_kb()
    if entry_id in kb.snapshot.entries:
        raise Conflict(f"entry {entry_id!r} is not deleted; to go back to an earlier revision, POST .../revert")
    return _revert(kb, entry_id, kb.last_live_revision(entry_id), body, "restored")


@blp.route("/entries/<string:entry_id>/history")
@blp.response(200, s.HistorySchema())
@blp.alt_response(404, response="NOT_FOUND")
def entry_history(entry_id: str):
    """Every revision of an entry: number, author (token name), time, note and what changed."""
    return {"id": entry_id, "revisions": get_kb().history(entry_id)}


@blp.route("/tokens", methods=["POST"])
@requires("admin")
@blp.arguments(s.TokenCreateSchema())
@blp.response(201, s.NewTokenSchema())
@_errors(*WRITE_ERRORS, 409)
def create_token(body: dict):
    """Make a token; the secret is in this answer only."""
    kb = get_kb()
    secret = tokens.create(kb.store, body["name"], body["role"])
    made = next(t for t in tokens.listing(kb.store) if t.name == body["name"])
    current_app.logger.info("token %r (%s) created by token %r", made.name, made.role, g.token.name)
    return {"name": made.name, "role": made.role, "created": made.created, "revoked": None, "token": secret}


@blp.route("/tokens", methods=["GET"])
@requires("admin")
@blp.response(200, s.TokenListSchema())
@_errors(401, 403)
def list_tokens():
    """Every token's name, role and dates (never a secret)."""
    return {"tokens": [vars(t) for t in tokens.listing(get_kb().store)]}


@blp.route("/tokens/<string:name>", methods=["DELETE"])
@requires("admin")
@blp.response(204)
@_errors(401, 403, 404, 409)
def revoke_token(name: str):
    """Revoke a token at once."""
    if name == g.token.name:
        raise Conflict("a token cannot revoke itself here (no admin locks themselves out); use `kb token revoke`")
    tokens.revoke(get_kb().store, name)
    current_app.logger.info("token %r revoked by token %r", name, g.token.name)
    return None
