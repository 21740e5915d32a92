"""Search over a snapshot: what the index holds for each entry and passage, and hits rendered for readers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from kb.derive import cited_entries
from kb.errors import InvalidRequest
from kb.lookup import spelled_best
from kb.model import Entry, Passage
from kb.normalize import label_key
from kb.paging import check_limit, decode_keyset, encode_keyset
from kb.search import TITLE_SEPARATOR, SearchDoc, SearchIndex
from kb.snapshot import Snapshot

SEARCH_TYPES = ("entry", "passage")
ENTRY_BOOST = 2.0
CITED_BOOST = 1.5


def entry_doc(entry: Entry) -> SearchDoc:
    return SearchDoc("entry", entry.id, entry.document or "", f"{entry.headword}：{entry.definition}",
                     TITLE_SEPARATOR.join(lb.text for lb in entry.labels), ENTRY_BOOST)


def passage_doc(snap: Snapshot, passage: Passage) -> SearchDoc:
    return _passage_doc(passage, any(u.cited for u in snap.uses.get(passage.id, ())))


def _passage_doc(passage: Passage, cited: bool) -> SearchDoc:
    return SearchDoc("passage", passage.id, passage.document, passage.text, TITLE_SEPARATOR.join(passage.section),
                     CITED_BOOST if cited else 1.0)


def search_docs(snap: Snapshot) -> list[SearchDoc]:
    """Every entry and passage as the search index holds it."""
    return [entry_doc(e) for e in snap.entries.values()] + [passage_doc(snap, p) for p in snap.passages.values()]


def docs_of(entries: Mapping[str, Entry], passages: Iterable[Passage]) -> list[SearchDoc]:
    """What ``search_docs`` gives for a snapshot of these live entries (by id) and passages, before their uses
    are derived (whether a passage cites an entry needs only its markers): a build indexes what it stores while
    it derives and stores it."""
    return [entry_doc(e) for e in entries.values()] + [_passage_doc(p, bool(cited_entries(p, entries)))
                                                       for p in passages]


def user_words(snap: Snapshot) -> list[str]:
    """Every label key of every entry: user words of the search tokenizer (folded already)."""
    return list(snap.by_key)


def label_keys(entries: Iterable[Entry]) -> list[str]:
    """``user_words`` of a snapshot of these live entries."""
    return list(dict.fromkeys(label_key(label.text) for entry in entries for label in entry.labels))


_PARTS = re.compile(r'"[^"]+"|“[^”]+”|\S+')  # as kb.search.query reads a query: quoted phrases, words


def spelled_query(snap: Snapshot, text: str) -> str | None:
    """``text`` with each unquoted part that spells a label in pinyin (bqwgc, baiqianwan) as that label's key
    (百千万工程: the best it spells, see kb.lookup.spelled_best), or all of it as one label where its parts are
    the syllables of one (bai qian wan); None if no part spells one."""
    parts = _PARTS.findall(text)
    if len(parts) > 1 and not any(part[0] in "\"“" for part in parts):
        whole = spelled_best(snap, "".join(parts))
        if whole is not None:
            return whole
    read = [part if part[0] in "\"“" else spelled_best(snap, part) or part for part in parts]
    return " ".join(read) if read != parts else None


def search(snap: Snapshot, index: SearchIndex, text: str, document: str | None = None, type: str | None = None,
           limit: int = 10, cursor: str | None = None) -> dict[str, Any]:
    """Entries and passages containing every part of ``text``, best first, with snippets and highlights; pages
    by keyset (``next_cursor`` holds the score and id of the page's last hit). A query that finds nothing as
    typed is read as pinyin where it spells labels (``searched`` says how it was read)."""
    answer = _search(snap, index, text, document, type, limit, cursor)
    if answer["total"] == 0 and (spelled := spelled_query(snap, text)) is not None:
        answer = _search(snap, index, spelled, document, type, limit, cursor) | {"query": text, "searched": spelled}
    return answer


def _search(snap: Snapshot, index: SearchIndex, text: str, document: str | None, type: str | None,
            limit: int, cursor: str | None) -> dict[str, Any]:
    check_limit(limit)
    if type is not None and type not in SEARCH_TYPES:
        raise InvalidRequest("type", f"must be one of {', '.join(SEARCH_TYPES)}")
    found = index.search(text, document, type, limit, after=decode_keyset(cursor))
    hits = []
    for hit in found.hits:
        view: dict[str, Any] = {"type": hit.kind, "id": hit.id, "document": hit.document or None, "score": hit.score}
        if hit.kind == "entry" and hit.id in snap.entries:
            view["headword"] = snap.entries[hit.id].headword
        elif hit.id in snap.passages:
            view["section"] = list(snap.passages[hit.id].section)
        view.update(snippet=hit.snippet, offset=hit.offset, highlights=[list(s) for s in hit.highlights],
                    highlights_in=hit.highlights_in)
        hits.append(view)
    following = encode_keyset(*found.hits[-1].position) if found.more and found.hits else None
    return {"query": text, "total": found.total, "hits": hits, "next_cursor": following}
