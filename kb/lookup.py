"""Looking terms up in a snapshot: resolve a label, suggest close ones ("did you mean"), list labels."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from kb.errors import InvalidRequest, TermNotFound
from kb.model import Entry
from kb.normalize import label_key, strip_quotes
from kb.paging import check_limit, page
from kb.pinyin import Fit, PinyinIndex, is_spelling
from kb.ranking import KIND_RANK, newest_first
from kb.snapshot import Snapshot


@dataclass(frozen=True)
class _Hit:
    entry: Entry
    label: str
    kind: str


@dataclass(frozen=True)
class Resolved:
    """An entry a term names, with the label of it that matched and how: the label's kind when the term is
    that label as printed (quotes aside), else "normalized" (another width, case or script)."""

    entry: Entry
    label: str
    by: str


def resolve(snap: Snapshot, term: str, document: str | None = None) -> list[Resolved]:
    """The entries that ``term`` names, best first (of ``document`` and editors' only, if given), each with
    how it matched: one entry may match as a headword, another as a quoted core."""
    hits = [_Hit(e, text, kind) for e, text, kind in snap.by_key.get(label_key(term), ())
            if document is None or e.document in (None, document)]
    if not hits:
        raise TermNotFound(term, suggest(snap, term))
    query = term.strip()

    def exact(hit: _Hit) -> bool:
        return query in (hit.label, strip_quotes(hit.label))

    def rank(hit: _Hit) -> tuple:
        doc = snap.documents.get(hit.entry.document or "")
        return (KIND_RANK.get(hit.kind, 9), not exact(hit), hit.label != query,  # 两新 before “两新” for 两新
                "" if doc is None else newest_first(doc.date), hit.entry.id)

    best: dict[str, _Hit] = {}
    for hit in sorted(hits, key=rank):
        best.setdefault(hit.entry.id, hit)
    return [Resolved(h.entry, h.label, h.kind if exact(h) else "normalized") for h in best.values()]


def suggest(snap: Snapshot, term: str, limit: int = 10) -> list[str]:
    """Labels that start with the term, contain it, or are a few edits away: for "did you mean"."""
    key = label_key(term)
    if not key:
        return []
    names = snap.names
    starts = [names[k] for k in names if k.startswith(key)]
    contains = [names[k] for k in names if key in k and not k.startswith(key)]
    close = [names[k] for k in difflib.get_close_matches(key, list(names), n=limit, cutoff=0.6)]
    result: list[str] = []
    for text in starts + contains + close:
        if text not in result:
            result.append(text)
    return result[:limit]


def terms(snap: Snapshot, prefix: str | None = None, contains: str | None = None, document: str | None = None,
          limit: int = 20, cursor: str | None = None) -> dict[str, Any]:
    """Labels (never components) with the entries they name, for autocomplete: those that match what was
    typed best first (the label itself or one a prefix spells whole in pinyin, then labels it begins or whose
    pinyin it begins, the more of the label it spells the better, then labels it is inside), then the most used
    (passages that use the entries they name), then the shortest. ``match`` says how: label, pinyin, initials."""
    check_limit(limit)
    for name, given in (("prefix", prefix), ("q", contains)):
        if given is not None and not label_key(given):
            raise InvalidRequest(name, "has nothing a label could hold (only punctuation or spaces)")
    start, part = label_key(prefix or ""), label_key(contains or "")
    typed = part or start
    spelled = pinyin_index(snap).fits(start) if contains is None and is_spelling(start) else {}
    found = []
    for key, rows in snap.by_key.items():
        matched = key.startswith(start) and part in key
        if not matched and key not in spelled:
            continue
        named = [(e, kind) for e, _, kind in rows
                 if kind != "component" and (document is None or e.document == document)]
        if named:
            tier, spelled_part, how = _fit(key, typed, matched, spelled.get(key))
            used = len({u.passage for e in {e.id for e, _ in named} for u in snap.uses_of(e)})
            found.append(((tier, spelled_part, -used, len(key), key), key, named, used, how))
    found.sort(key=lambda item: item[0])
    shown, following = page(found, limit, cursor)
    return {"terms": [{"label": snap.names[key], "used": used, "match": how, "entries": [
                {"id": e.id, "headword": e.headword, "kind": kind} for e, kind in _unique(named)]}
                      for _, key, named, used, how in shown],
            "total": len(found), "next_cursor": following}


def _fit(key: str, typed: str, matched: bool, sound: Fit | None) -> tuple[int, float, str]:
    """How a label fits what was typed, the better way: (0 the label typed or spelled whole, 1 one it begins,
    2 one it is inside; minus the share of the label spelled, -1 for its own text; label, pinyin or initials)."""
    own = (0 if key == typed else 1 if key.startswith(typed) else 2, -1.0, "label") if matched else None
    if sound is not None and (own is None or sound.rank < own[:2]):
        return (*sound.rank, sound.style)
    assert own is not None  # the label matched one way or the other
    return own


# (a snapshot's by_key, the pinyin of its keys): the last two, so that the next snapshot's is made from them
_indexes: list[tuple[dict, PinyinIndex]] = []


def pinyin_index(snap: Snapshot) -> PinyinIndex:
    """The pinyin of a snapshot's label keys, made at its first pinyin query and kept while it is current
    (a token's change keeps the same keys: the same index; an edit's from the last one, as it changed)."""
    known = list(_indexes)
    for by_key, index in known:
        if by_key is snap.by_key:
            return index
    index = known[0][1].with_keys(snap.by_key) if known else PinyinIndex(snap.by_key)
    _indexes[:] = [(snap.by_key, index), *known[:1]]
    return index


def spelled_best(snap: Snapshot, part: str) -> str | None:
    """The label key that a query part spells best in pinyin (whole before begun, the more of the label the
    better, then the most used, the shortest), among labels that name entries; None if it spells none."""
    fits: dict[str, Fit] = pinyin_index(snap).fits(label_key(part)) if is_spelling(label_key(part)) else {}

    def rank(key: str) -> tuple:
        used = len({u.passage for e, _, _ in snap.by_key[key] for u in snap.uses_of(e.id)})
        return (*fits[key].rank, -used, len(key), key)

    named = [k for k in fits if any(kind != "component" for _, _, kind in snap.by_key.get(k, ()))]
    return min(named, key=rank) if named else None


def _unique(named: list[tuple[Entry, str]]) -> list[tuple[Entry, str]]:
    seen: dict[str, tuple[Entry, str]] = {}
    for entry, kind in sorted(named, key=lambda ek: KIND_RANK.get(ek[1], 9)):
        seen.setdefault(entry.id, (entry, kind))
    return list(seen.values())
