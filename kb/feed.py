"""The change feed: the entries created, modified and deleted after a revision, oldest change first, read from
one snapshot, so that an app keeping a copy of the glossary can follow the KB (GET /changes, `kb changes`).

An item's ``change`` says what happened after ``since``: ``created``, the entry was not live then (new, restored,
or printed again by a build); ``modified``, it was live then and changed since (an editor's write, or a build
that printed it otherwise); ``deleted``, it is not live now (an editor deleted it, or a build no longer found
it), whether or not it was live then: a client that fetched it on an earlier page may hold it. ``revision`` is
the revision of its last change. Keyset pages by (revision, id): a change made between two pages moves its
entry to the end, where a later page lists it again, so following the pages to the end and keeping the last
page's ``revision`` misses nothing.
"""

from __future__ import annotations

from typing import Any

from kb.errors import InvalidRequest
from kb.model import Entry
from kb.paging import check_limit, decode_keyset, encode_keyset
from kb.snapshot import Snapshot
from kb.views import source_of

CHANGES = ("created", "modified", "deleted")


def changes_page(snap: Snapshot, since: int = 0, limit: int = 50, cursor: str | None = None) -> dict[str, Any]:
    """The entries changed after revision ``since`` (0: every live entry, and those deleted), a page at a time;
    ``revision``: the revision the page is complete up to, which the client passes as ``since`` next time. A
    ``since`` past the KB's revision (a node behind the one the client asked before) lists nothing."""
    check_limit(limit)
    if since < 0:
        raise InvalidRequest("since", "must be a revision: 0 or more")
    after = decode_keyset(cursor)
    presence = snap.presence
    rows: list[tuple[int, str, str, Entry | None]] = []
    for entry_id, entry in snap.entries.items():
        changed = max(snap.changed.get(entry_id, 0), presence.last(entry_id))
        if changed > since:
            rows.append((changed, entry_id, "modified" if presence.live_at(entry_id, since) else "created", entry))
    for entry_id in presence.gone:
        went = presence.last(entry_id)
        if went > since:
            rows.append((went, entry_id, "deleted", None))
    rows.sort(key=lambda row: (row[0], row[1]))
    total = len(rows)
    if after is not None:
        rows = [row for row in rows if (row[0], row[1]) > after]
    shown = rows[:limit]
    return {"since": since, "revision": snap.revision, "total": total,
            "changes": [_item(snap, *row) for row in shown],
            "next_cursor": encode_keyset(shown[-1][0], shown[-1][1]) if len(rows) > limit else None}


def _item(snap: Snapshot, revision: int, entry_id: str, change: str, entry: Entry | None) -> dict[str, Any]:
    headword, document = (entry.headword, entry.document) if entry is not None else snap.presence.gone[entry_id]
    return {"id": entry_id, "change": change, "revision": revision, "headword": headword, "document": document,
            "source": source_of(entry_id), "version": snap.versions.get(entry_id, 0),
            "href": None if entry is None else f"/entries/{entry_id}"}
