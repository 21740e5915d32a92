"""The JSON shapes of documents, passages and entries, read from one snapshot (front ends render these)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from kb.model import Document, Entry, Passage, Use
from kb.ranking import newest_first
from kb.snapshot import Snapshot


def entry_tag(snap: Snapshot, entry: Entry) -> str:
    """A tag that changes when the entry's own fields change (an edit, or a rebuild that reprints it) and only
    then: not when another entry, a passage or the related entries the definition names change."""
    own = [entry.headword, entry.definition, entry.full_name, [(lb.text, lb.kind) for lb in entry.labels],
           [(c.label, c.meaning) for c in entry.components], entry.document, entry.number, entry.page,
           snap.listed.get(entry.id)]
    digest = hashlib.sha1(json.dumps(own, ensure_ascii=False).encode()).hexdigest()[:12]
    return f"{entry.id}:{snap.versions.get(entry.id, 0)}:{digest}"


def related(snap: Snapshot, entry: Entry) -> list[Entry]:
    return [snap.entries[i] for i in snap.related.get(entry.id, ()) if i in snap.entries]


def passages_using(snap: Snapshot, entry: Entry, document: str | None = None) -> list[tuple[Passage, Use]]:
    """The passages that use the entry (of ``document`` only, if given): its own report's first, those that
    cite it before those that mention it; then the other reports' mentions, the newest report first; each
    report's in document order."""
    found = [(p, u) for u in snap.uses_of(entry.id)
             if (p := snap.passages.get(u.passage)) is not None and document in (None, p.document)]
    newest = {d.id: (newest_first(d.date), d.id) for d in snap.documents.values()}
    return sorted(found, key=lambda pu: (pu[0].document != entry.document, not pu[1].cited,
                                         newest.get(pu[0].document, ("", "")), pu[0].order))


def passage_use_view(passage: Passage, use: Use) -> dict[str, Any]:
    """A passage as an entry's view lists it: where it uses the entry, and how."""
    return {"id": passage.id, "document": passage.document, "text": passage.text, "section": list(passage.section),
            "cited": use.cited, "ambiguous": use.ambiguous, "uses": [list(span) for span in use.spans]}


def document_view(snap: Snapshot, doc: Document) -> dict[str, Any]:
    return {"id": doc.id, "title": doc.title, "date": doc.date, "passages": len(snap.passages_of(doc.id)),
            "warnings": [{"line": w.line, "message": w.message} for w in doc.warnings],
            "entries": [{"id": e.id, "number": e.number, "headword": e.headword} for e in snap.entries_of(doc.id)]}


def passage_view(passage: Passage) -> dict[str, Any]:
    return {"id": passage.id, "document": passage.document, "order": passage.order,
            "section": list(passage.section), "text": passage.text}


def passage_detail(snap: Snapshot, passage: Passage) -> dict[str, Any]:
    """A passage with the entries it cites or mentions, and where."""
    view = passage_view(passage)
    view["entries"] = [
        {"id": u.entry, "headword": snap.entries[u.entry].headword, "cited": u.cited, "ambiguous": u.ambiguous,
         "uses": [list(span) for span in u.spans]}
        for u in snap.uses.get(passage.id, ()) if u.entry in snap.entries]
    return view


def entry_view(snap: Snapshot, entry: Entry, with_passages: bool = True) -> dict[str, Any]:
    doc = snap.documents.get(entry.document or "")
    view: dict[str, Any] = {
        "id": entry.id, "number": entry.number, "headword": entry.headword,
        "definition": entry.definition, "full_name": entry.full_name, "page": entry.page,
        "labels": list(dict.fromkeys(entry.names)),  # once each, though a store built before kept kinds apart
        "components": [{"label": c.label, "meaning": c.meaning} for c in entry.components],
        "related": [{"id": r.id, "headword": r.headword} for r in related(snap, entry)],
        "document": None if doc is None else {"id": doc.id, "title": doc.title, "date": doc.date},
    }
    if with_passages:
        view["passages"] = [passage_use_view(p, u) for p, u in passages_using(snap, entry)]
    return view
