"""The readers' pages: home, a term, a report to read, search."""

from __future__ import annotations

from flask import render_template, request, url_for

from api.pages import bp, render
from api.state import get_kb
from kb.linking import Link

SEARCH_PAGE = 10


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
