"""The JSON shapes of documents, passages and entries, read from one snapshot (front ends render these)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from kb.model import Document, Entry, Passage, Use
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


def passages_using(snap: Snapshot, entry: Entry) -> list[tuple[Passage, Use]]:
    """Passages that cite the entry first, then those that mention it, each group in document order."""
    found = [(snap.passages[u.passage], u) for u in snap.uses_of(entry.id) if u.passage in snap.passages]
    return sorted(found, key=lambda pu: (not pu[1].cited, pu[0].document, pu[0].order))


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
        {"id": u.entry, "headword": snap.entries[u.entry].headword, "cited": u.cited,
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
        view["passages"] = [
            {"id": p.id, "text": p.text, "section": list(p.section), "cited": u.cited,
             "uses": [list(span) for span in u.spans]}
            for p, u in passages_using(snap, entry)]
    return view
