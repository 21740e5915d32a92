"""The JSON shapes of documents, passages and entries, read from one snapshot (front ends render these)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from kb.model import EDITOR_PREFIX, Document, Entry, Passage, Use
from kb.paging import check_limit, decode_keyset, encode_cursor, encode_keyset, page
from kb.snapshot import Snapshot

PASSAGES_SHOWN = 50  # passages an entry's view lists; the rest page through /entries/{id}/passages


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
    newest = snap.newest
    return sorted(found, key=lambda pu: (pu[0].document != entry.document, not pu[1].cited,
                                         newest.get(pu[0].document, ("", "")), pu[0].order))


def passage_use_view(passage: Passage, use: Use) -> dict[str, Any]:
    """A passage as an entry's view lists it: where it uses the entry, and how."""
    return {"id": passage.id, "document": passage.document, "text": passage.text, "section": list(passage.section),
            "cited": use.cited, "ambiguous": use.ambiguous, "uses": [list(span) for span in use.spans]}


SOURCES = ("corpus", "editor")  # where an entry comes from: a report's glossary, or an editor who made it


def source_of(entry_id: str) -> str:
    return "editor" if entry_id.startswith(EDITOR_PREFIX) else "corpus"


def entries_page(snap: Snapshot, document: str | None = None, source: str | None = None,
                 changed_since: int | None = None, limit: int = 20, cursor: str | None = None) -> dict[str, Any]:
    """The entries, a page at a time: of ``document``, from ``source``, or changed after revision
    ``changed_since`` (then oldest change first, with the entries deleted or retired since as ``deleted``, so
    that a client can follow the KB). Keyset paging: a write between two pages neither repeats nor skips one."""
    check_limit(limit)
    after = decode_keyset(cursor)
    rows: list[tuple[int, str, Entry | None]] = []  # (sort key, id, the entry or None: gone)
    for entry in snap.entries.values():
        if document in (None, entry.document) and source in (None, source_of(entry.id)):
            changed = _revision(snap, entry.id)
            if changed_since is None or changed > changed_since:
                rows.append((changed if changed_since is not None else snap.order[entry.id], entry.id, entry))
    if changed_since is not None:
        gone = {*snap.deleted, *snap.retired}
        for entry_id in gone:
            changed = _revision(snap, entry_id)
            if (changed > changed_since and source in (None, source_of(entry_id))
                    and (document is None or entry_id.startswith(f"{document}:"))):
                rows.append((changed, entry_id, None))
    rows.sort(key=lambda row: (row[0], row[1]))
    total = len(rows)
    if after is not None:
        rows = [row for row in rows if (row[0], row[1]) > after]
    shown = rows[:limit]
    return {"revision": snap.revision, "total": total,
            "entries": [_listed(snap, entry_id, entry) for _, entry_id, entry in shown],
            "next_cursor": encode_keyset(shown[-1][0], shown[-1][1]) if len(rows) > limit else None}


def _listed(snap: Snapshot, entry_id: str, entry: Entry | None) -> dict[str, Any]:
    return {"id": entry_id, "deleted": entry is None, "source": source_of(entry_id),
            "document": None if entry is None else entry.document,
            "number": None if entry is None else entry.number,
            "headword": None if entry is None else entry.headword,
            "version": snap.versions.get(entry_id, 0), "revision": _revision(snap, entry_id)}


def _revision(snap: Snapshot, entry_id: str) -> int:
    """The revision that last changed an entry: an edit, a build that printed it otherwise, or retired it."""
    return max(snap.changed.get(entry_id, 0), snap.retired.get(entry_id, 0))


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
        using = passages_using(snap, entry)
        view["passages"] = [passage_use_view(p, u) for p, u in using[:PASSAGES_SHOWN]]
        view["passages_total"] = len(using)
        view["passages_next_cursor"] = encode_cursor(PASSAGES_SHOWN) if len(using) > PASSAGES_SHOWN else None
    return view


def entry_passages(snap: Snapshot, entry: Entry, document: str | None = None, limit: int = 20,
                   cursor: str | None = None) -> dict[str, Any]:
    """The passages that use an entry (of ``document`` only, if given), a page at a time, in the order of
    the entry's view (whose ``passages_next_cursor`` goes on here)."""
    check_limit(limit)
    using = passages_using(snap, entry, document)
    shown, following = page(using, limit, cursor)
    return {"passages": [passage_use_view(p, u) for p, u in shown], "total": len(using), "next_cursor": following}
