"""Pages for people: for readers (api.pages.readers) the home page, a page per term, a report to read with its
terms linked, and search; for editors (api.pages.editors) sign-in, forms, history and conflicts.

Server-rendered with Jinja2 over the same KnowledgeBase as the JSON views; they work without JavaScript
(static/kb.js only adds autocomplete). Every page sends a strict Content-Security-Policy: no inline script
or style, nothing from another host. Templates escape every string; texts reach them as pieces
(``render.Piece``), never as HTML. Errors are status pages in the same look.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from api import errors
from api.pages import forms, render, session
from kb.config import Settings
from kb.errors import InvalidRequest, KBError, NotFound, TermNotFound

bp = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets")
bp.add_app_template_filter(render.when, "when")

# nothing but this host's own files; no inline script or style; never framed; forms post here only
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


def init(app: Flask, settings: Settings) -> None:
    from api.pages import editors, readers  # noqa: F401 - their routes are on bp

    session.init(app, settings)
    app.register_blueprint(bp)  # not in the OpenAPI document


@bp.after_request
def headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.context_processor
def signed_in() -> dict:
    """Who is signed in, for the header (and a sign-out form with its CSRF token)."""
    try:
        editor = session.editor()
    except KBError:  # no KB yet: nobody can be signed in
        editor = None
    return {"editor": editor, "signout_form": forms.ConfirmForm() if editor else None}


@bp.errorhandler(KBError)
def kb_error(error: KBError):
    if isinstance(error, TermNotFound):
        return status_page(404, "没有这个术语", f"“{error.term}”不在术语库中。", error.suggestions)
    if isinstance(error, NotFound) and error.deleted and error.kind == "entry":
        return status_page(404, "这个词条已删除", f"词条 {error.ident} 已被删除；它的修改历史还在，可以恢复。",
                           links=[("修改历史", url_for("pages.history", entry_id=error.ident))])
    if isinstance(error, NotFound):
        return status_page(404, "没有找到", str(error))
    if isinstance(error, InvalidRequest):
        return status_page(400, "请求有误", str(error))
    status = errors.status_of(error)  # not ready, busy: as the API says
    response = status_page(status, "暂时无法回答", str(error))
    if status == 503:
        response.headers["Retry-After"] = "1"
    return response


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    status = error.code or 500
    if status == 404:
        return status_page(404, "没有找到", "这个地址没有页面。")
    if status == 405:
        return status_page(405, "不能这样打开", "这个地址只接受表单提交；请从页面上的按钮进入。")
    return status_page(status, error.name, error.description or "")


def wants_html() -> bool:
    """Whether the request prefers a page to JSON (a browser's Accept does; curl's */* does not)."""
    return request.accept_mimetypes.best_match(["application/problem+json", "text/html"]) == "text/html"


def status_page(status: int, title: str, detail: str, suggestions: list[str] | None = None,
                links: list[tuple[str, str]] | None = None):
    response = Response(render_template("status.html", status=status, title=title, detail=detail,
                                        suggestions=suggestions or [], links=links or []), status,
                        mimetype="text/html")
    return headers(response)


