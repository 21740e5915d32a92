"""Pages for people: the home page, a page per term, a report to read with its terms linked, and search.

Server-rendered with Jinja2 over the same KnowledgeBase as the JSON views; they work without JavaScript
(static/kb.js only adds autocomplete). Every page sends a strict Content-Security-Policy: no inline script
or style, nothing from another host. Templates escape every string; texts reach them as pieces
(``render.Piece``), never as HTML.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for
from werkzeug.exceptions import NotFound as RouteNotFound

from api import errors
from api.pages import render
from api.state import get_kb
from kb.errors import InvalidRequest, KBError, NotFound, TermNotFound
from kb.linking import Link

bp = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets")

# nothing but this host's own files; no inline script or style; never framed; forms post here only
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SEARCH_PAGE = 10


@bp.after_request
def headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(KBError)
def kb_error(error: KBError):
    if isinstance(error, TermNotFound):
        return status_page(404, "没有这个术语", f"“{error.term}”不在术语库中。", error.suggestions)
    if isinstance(error, NotFound):
        return status_page(404, "没有找到", str(error))
    if isinstance(error, InvalidRequest):
        return status_page(400, "请求有误", str(error))
    status = errors.status_of(error)  # not ready, busy: as the API says
    response = status_page(status, "暂时无法回答", str(error))
    if status == 503:
        response.headers["Retry-After"] = "1"
    return response


@bp.errorhandler(RouteNotFound)
def route_not_found(error: RouteNotFound):
    return status_page(404, "没有找到", "这个地址没有页面。")


def wants_html() -> bool:
    """Whether the request prefers a page to JSON (a browser's Accept does; curl's */* does not)."""
    return request.accept_mimetypes.best_match(["application/problem+json", "text/html"]) == "text/html"


def status_page(status: int, title: str, detail: str, suggestions: list[str] | None = None):
    response = Response(render_template("status.html", status=status, title=title, detail=detail,
                                        suggestions=suggestions or []), status, mimetype="text/html")
    return headers(response)


@bp.get("/")
def home():
    kb = get_kb()
    documents = [(doc, render.by_initial(kb.entries(doc.id))) for doc in kb.documents()]
    editors = render.by_initial(e for e in kb.entries() if e.document is None)
    return render_template("home.html", documents=documents, editors=editors)


@bp.get("/term/<path:term>")
def term(term: str):
    kb = get_kb()
    document = request.args.get("document") or None
    view = kb.lookup(term, document)
    senses = []
    for entry in view["entries"]:
        passages = [(p, render.marked(p["text"], p.get("uses") or [])) for p in entry["passages"]]
        senses.append((entry, passages))
    return render_template("term.html", term=term, view=view, senses=senses)


@bp.get("/read/<document_id>")
def read(document_id: str):
    kb = get_kb()
    doc = kb.document(document_id)
    cited = {e.number: e for e in kb.entries(doc.id) if e.number is not None}
    linker = kb.linker
    sections: list[tuple[str, str, int]] = []  # (anchor, heading, depth) for the table of contents
    blocks = []
    last: tuple[str, ...] = ()
    for passage in kb.passages(doc.id):
        for depth, heading in enumerate(passage.section):
            if last[:depth + 1] != passage.section[:depth + 1]:
                anchor = f"s{len(sections) + 1}"
                sections.append((anchor, heading, depth))
                blocks.append(("heading", (anchor, heading, depth)))
        last = passage.section
        links = linker.link(passage.text, prefer=doc.id)
        blocks.append(("passage", (passage, render.linked(passage, links, _term_href, cited))))
    notes = sorted(cited.values(), key=lambda e: e.number or 0)
    return render_template("read.html", doc=doc, sections=sections, blocks=blocks, notes=notes)


def _term_href(link: Link) -> str:
    return url_for("pages.term", term=link.headword) + f"#entry-{link.id}"


@bp.get("/find")
def find():
    kb = get_kb()
    q = (request.args.get("q") or "").strip()
    kind = request.args.get("type") or None
    document = request.args.get("document") or None
    cursor = request.args.get("cursor") or None
    found, suggestions = None, []
    if q:
        found = kb.search(q, document, kind, SEARCH_PAGE, cursor)
        for hit in found["hits"]:
            hit["pieces"] = render.marked(hit["snippet"], hit["highlights"])
        if not found["hits"] and not cursor:
            suggestions = kb.suggest(q, 5)
    return render_template("find.html", q=q, kind=kind, document=document, found=found,
                           suggestions=suggestions, documents=kb.documents(), cursor=cursor)
