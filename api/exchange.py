"""Exports of the entries (SKOS, TBX-Basic, CSV, JSON Lines), streamed as they are made; imports of CSV, JSON
Lines and TBX files by editors, a dry run unless ``apply=true``. Neither goes through the cache of answers."""

from __future__ import annotations

from urllib.parse import quote

from flask import current_app, g, request
from flask_smorest import Blueprint
from werkzeug.exceptions import UnsupportedMediaType

from api import schemas as s
from api.auth import SECURITY, requires
from api.state import get_kb, public_url
from kb import exchange
from kb.rules import Errors

blp = Blueprint("exchange", __name__, description="Exports of the entries and imports of files of them")

JSON_LD = {"type": "object", "required": ["@context", "@graph"], "properties": {
    "@context": {"type": "object"}, "@graph": {"type": "array", "items": {"type": "object"}}}}
EXPORT_RESPONSE = {"200": {
    "description": "The file, streamed, with a Content-Disposition naming it",
    "content": {f.media_type.split(";")[0]: {"schema": JSON_LD if f.name == "skos-jsonld" else {"type": "string"}}
                for f in exchange.FORMATS.values()}}}
IMPORT_TYPES = ("text/csv", "application/x-ndjson", "application/x-tbx+xml", "application/xml",
                "application/octet-stream")
IMPORT_BODY = {"required": True, "description": "the file (at most 1 MB); its format is `format`, else its "
               "Content-Type's", "content": {t: {"schema": {"type": "string", "format": "binary"}}
                                             for t in IMPORT_TYPES}}


def _attachment(name: str) -> str:
    """Content-Disposition for a file name that may hold Chinese (RFC 6266: an ASCII fallback, then UTF-8)."""
    fallback = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


@blp.route("/export")
@blp.arguments(s.ExportArgs(), location="query")
@blp.doc(responses=EXPORT_RESPONSE)
@blp.alt_response(404, response="NOT_FOUND", description="No such document")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY", description="An unknown format (the problem names those kb "
                  "writes)")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def export(args: dict):
    """Every entry (of one `document`) as a file: SKOS in Turtle or JSON-LD, TBX-Basic, CSV or JSON Lines. It is
    streamed as it is made, from the KB as it stands when asked; URIs start with KB_PUBLIC_URL, else this
    request's host."""
    kb = get_kb()
    chosen = exchange.FORMATS[args["format"]]
    pieces = kb.export(chosen.name, args["document"], public_url(request.environ))
    response = current_app.response_class(pieces, content_type=chosen.media_type)
    name = f"kb-{args['document'] or 'entries'}-r{kb.revision}.{chosen.extension}"
    response.headers["Content-Disposition"] = _attachment(name)
    return response


def _validate(fields: dict) -> Errors:
    """A row's fields, checked by the schema of POST /entries (what an editor's write must be)."""
    return s.EntryCreateSchema().validate(fields)


@blp.route("/import", methods=["POST"])
@requires("editor")
@blp.arguments(s.ImportArgs(), location="query")
@blp.response(200, s.ImportReportSchema())
@blp.doc(requestBody=IMPORT_BODY, security=SECURITY)
@blp.alt_response(400, response="BAD_REQUEST", description="The file cannot be read (not UTF-8, not CSV with kb's "
                  "columns, not XML, not TBX): /problems/unreadable-import, with its line where known")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.alt_response(409, response="CONFLICT", description="Applying: labels of the file name other entries "
                  "(/problems/label-taken: send allow_shared_labels), or a write failed part way "
                  "(/problems/import-interrupted)")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE", description="A file over 1 MB")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE", description="No `format`, and a Content-Type that names "
                  "none")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY", description="Applying a file with rows in error "
                  "(/problems/invalid-import: nothing written), or a parameter that does not validate")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def import_entries(args: dict):
    """Import a file of entries (CSV, JSON Lines or TBX, as exports write them). A dry run unless `apply=true`:
    the report says which rows are new, changed (and how) or unchanged, which labels they add that name other
    entries, and which rows are in error (line and what is wrong). A row names an entry by its id, else by its
    headword within its document. Applying writes each new or changed entry as one revision by the token's
    name (history, search and linking follow at once), and nothing at all while a row is in error."""
    kb = get_kb()
    chosen = args["format"] or exchange.format_of_media_type(request.content_type)
    if chosen is None:
        sent = f"this one is {request.content_type}" if request.content_type else "this one has no Content-Type"
        raise UnsupportedMediaType(f"name the file's format (?format={'|'.join(exchange.IMPORT_FORMATS)}) or "
                                   f"send it as text/csv, application/x-ndjson or application/x-tbx+xml; {sent}")
    note = args["note"] or f"imported from a {chosen} file"
    report = kb.import_entries(request.get_data(), chosen, g.token.name, args["apply"], args["allow_shared_labels"],
                               note, _validate)
    if report["applied"]:
        current_app.logger.info("imported %d entries by token %r (revision %s)", len(report["written"]),
                                g.token.name, report["revision"])
    return report
