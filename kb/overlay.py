"""Editors' changes laid over the corpus when the KB loads: edited and new entries, their uses and related entries."""

from __future__ import annotations

from kb.editing import entry_from_state
from kb.matcher import names_matcher
from kb.model import Entry, Use
from kb.store import Snapshot


def apply_edits(snap: Snapshot) -> tuple[Snapshot, dict[str, int], set[str]]:
    """The snapshot as readers see it, each entry's version (0 if never edited), and the deleted entries.

    An edited or new entry's mentions are found again with every entry's current names (leftmost-longest
    among all of them): in its own document for a corpus entry, in every document for an editor's entry.
    Its citations (markers in the report) stay as the build found them.
    """
    if not snap.edits:
        return snap, {}, set()
    by_id = {e.id: e for e in snap.entries}
    versions: dict[str, int] = {}
    deleted: set[str] = set()
    changed: dict[str, Entry] = {}
    for edit in snap.edits:
        versions[edit.entry] = edit.version
        if edit.deleted:
            deleted.add(edit.entry)
            by_id.pop(edit.entry, None)
        else:
            changed[edit.entry] = by_id[edit.entry] = entry_from_state(edit.entry, edit.state)
    entries = list(by_id.values())
    matcher = names_matcher(entries)
    mentions: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for passage in snap.passages:
        for match in matcher.find(passage.text):
            for target in match.targets:
                entry = changed.get(target)
                if entry is not None and entry.document in (None, passage.document):
                    mentions.setdefault((target, passage.id), []).append((match.start, match.end))
    cited = {(u.entry, u.passage) for u in snap.uses if u.cited and u.entry in changed}
    uses = [u for u in snap.uses if u.entry not in changed and u.entry not in deleted]
    order = {p.id: i for i, p in enumerate(snap.passages)}
    for key in sorted(cited | set(mentions), key=lambda k: (k[0], order.get(k[1], 0))):
        uses.append(Use(key[0], key[1], key in cited, tuple(mentions.get(key, ()))))
    related = {k: v for k, v in snap.related.items() if k not in changed and k not in deleted}
    states = {e.entry: e.state for e in snap.edits}
    for entry_id, entry in changed.items():
        others = [o for o in states[entry_id].get("related") or () if o in by_id and o != entry_id]
        if not others:
            for match in matcher.find(entry.definition):
                others += [t for t in match.targets if t != entry_id and t not in others]
        if others:
            related[entry_id] = others
    merged = Snapshot(snap.documents, snap.passages, entries, related, uses, snap.edits)
    return merged, versions, deleted
