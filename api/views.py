"""The read API: thin views, schema in, one kb call, schema out."""

from __future__ import annotations

from flask_smorest import Blueprint

from api import schemas as s
from api.state import get_kb
from kb.errors import NotReady

blp = Blueprint("kb", __name__, description="Terms, entries, documents, passages and search")

NOT_FOUND = {"response": "NOT_FOUND"}
MAX_TERM = 200  # characters; percent-encoded, a term this long still fits gunicorn's request line
INVALID = {"response": "UNPROCESSABLE_ENTITY"}


def _cached(view):
    """GETs may answer 304 Not Modified (If-None-Match) and, before the KB is loaded, 503."""
    view = blp.alt_response(304, response="NOT_MODIFIED")(view)
    return blp.alt_response(503, response="SERVICE_UNAVAILABLE")(view)


@blp.route("/terms/<path:term>", parameters=[{"in": "path", "name": "term", "required": True, "schema": {
    "type": "string", "minLength": 1, "maxLength": MAX_TERM}}])
@blp.arguments(s.TermArgs(), location="query")
@blp.response(200, s.TermSchema())
@blp.alt_response(404, **NOT_FOUND, description="No entry (of the document) has this label, `suggestions` "
                  "lists close labels; or no such document")
@_cached
def get_term(args: dict, term: str):
    """Resolve a term by any of its labels, in any width, case or script; `document` scopes it to one report.

    Send `+` and `/` as they are in the path (`/terms/3+2`); a query string would need `%2B`.
    """
    return get_kb().lookup(term, args["document"])


@blp.route("/terms")
@blp.arguments(s.TermListArgs(), location="query")
@blp.response(200, s.TermListSchema())
@blp.alt_response(404, **NOT_FOUND, description="No such document")
@_cached
def list_terms(args: dict):
    """List labels with the entries they name; `prefix` autocompletes: the label typed first, then the labels
    it begins, the most used first, then the shortest (`q` finds labels it is inside, after those). A prefix
    that is only punctuation or spaces (`“`) is a 422."""
    return get_kb().terms(args["prefix"], args["q"], args["document"], args["limit"], args["cursor"])


@blp.route("/entries")
@blp.arguments(s.EntryListArgs(), location="query")
@blp.response(200, s.EntryListSchema())
@blp.alt_response(404, **NOT_FOUND, description="No such document")
@_cached
def list_entries(args: dict):
    """The entries, a page at a time: of a `document`, from a `source`, or `changed_since` a revision (with
    those deleted since), for apps that keep a copy of the glossary."""
    return get_kb().entries_page(args["document"], args["source"], args["changed_since"], args["limit"],
                                 args["cursor"])


@blp.route("/entries/<string:entry_id>/passages")
@blp.arguments(s.EntryPassageArgs(), location="query")
@blp.response(200, s.EntryPassagePageSchema())
@blp.alt_response(404, **NOT_FOUND, description="No such entry or document")
@_cached
def list_entry_passages(args: dict, entry_id: str):
    """The passages that use an entry (of one `document`, if given), in the order of its view, a page at a
    time."""
    return get_kb().entry_passages(entry_id, args["document"], args["limit"], args["cursor"])


@blp.route("/entries/<string:entry_id>")
@blp.arguments(s.EntryAtArgs(), location="query")
@blp.response(200, s.EntryRevisionSchema())
@blp.alt_response(404, **NOT_FOUND)
@_cached
def get_entry(args: dict, entry_id: str):
    """One entry by its stable id, with the passages that use it; `?revision=N` gives it as it was after
    revision N (see its history), without passages."""
    kb = get_kb()
    if args["revision"] is not None:
        return kb.entry_at(entry_id, args["revision"])
    entry = kb.entry(entry_id)
    return kb.entry_view(entry), 200, {"ETag": f'"{kb.entry_tag(entry)}"'}


@blp.route("/documents")
@blp.response(200, s.DocumentListSchema())
@_cached
def list_documents():
    """Every document (report) in the KB, with its glossary entries."""
    kb = get_kb()
    return {"documents": [kb.document_view(d) for d in kb.documents()]}


@blp.route("/documents/<string:document_id>")
@blp.response(200, s.DocumentSchema())
@blp.alt_response(404, **NOT_FOUND)
@_cached
def get_document(document_id: str):
    """One document, with its glossary entries."""
    kb = get_kb()
    return kb.document_view(kb.document(document_id))


@blp.route("/documents/<string:document_id>/passages")
@blp.arguments(s.PageArgs(), location="query")
@blp.response(200, s.PassagePageSchema())
@blp.alt_response(404, **NOT_FOUND)
@_cached
def list_passages(args: dict, document_id: str):
    """A document's passages in document order, a page at a time."""
    return get_kb().passages_page(document_id, args["limit"], args["cursor"])


@blp.route("/passages/<string:passage_id>")
@blp.response(200, s.PassageDetailSchema())
@blp.alt_response(404, **NOT_FOUND)
@_cached
def get_passage(passage_id: str):
    """One passage, with the entries it cites or mentions."""
    kb = get_kb()
    return kb.passage_detail(kb.passage(passage_id))


@blp.route("/search")
@blp.arguments(s.SearchArgs(), location="query")
@blp.response(200, s.SearchResultSchema())
@blp.alt_response(404, **NOT_FOUND, description="No such document")
@_cached
def search(args: dict):
    """Full-text search over entries and passages: every word required, in any order (unspaced words are
    found as typed first, then apart); "quoted phrases" as typed; acronyms (`3%2B1%2BN` in a query string)
    found whole; traditional and full-width spellings too. Pages stay whole across writes between them."""
    return get_kb().search(args["q"], args["document"], args["type"], args["limit"], args["cursor"])


@blp.route("/healthz")
@blp.response(200, s.HealthSchema())
@blp.alt_response(503, response="SERVICE_UNAVAILABLE", description="The KB is not loaded (yet)")
def health():
    """200 once the KB is loaded and searchable."""
    kb = get_kb()
    return {"status": "ok", "revision": kb.revision, "documents": len(kb.documents()),
            "entries": len(kb.entries())}


@blp.route("/readyz")
@blp.response(200, s.ReadySchema())
@blp.alt_response(503, response="SERVICE_UNAVAILABLE", description="Not ready: no KB yet, the store does not "
                  "answer, or the search index is behind it (`detail` says which)")
def ready():
    """200 when this process can answer as the store stands: the store answers a query and the search index
    holds every change to content up to the revision served. For a load balancer; /healthz only says alive."""
    readiness = get_kb().readiness()
    if not readiness.ready:
        raise NotReady(list(readiness.problems))
    return {"status": "ready", "revision": readiness.revision, "store_revision": readiness.store_revision,
            "index_revision": readiness.index_revision}
