"""Full-text search: what a query finds (derived from the data), filters, paging, ranking, the CLI, and
the index as a derived, stamped copy of the store that other processes and editors keep current."""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import sys

import pytest

import kb.search as search_module
from api import create_app
from kb.build import build
from kb.cli import main
from kb.config import Settings
from kb.errors import InvalidRequest, NotFound
from kb.knowledge import KnowledgeBase
from kb.normalize import label_key
from kb.search import SearchDoc, SearchIndex, words
from tests.conftest import ROOT, make_settings
from tests.helpers import assert_problem, kb_env, ok, server_env

MINI = """2025年某某市政府工作报告
——2025年1月12日在某某市人民代表大会上
各位代表：
一、2024年工作回顾
过去一年，我们深入实施“百千万工程”［1］，落实“3+2”产业集群［2］部署，清远鸡品牌影响力持续提升。
二、2025年工作安排
继续推进百千万工程，壮大“3+2”产业集群，推动13+2项目落地。
名词解释
1.百千万工程：全称“百县千镇万村高质量发展工程”，“百”指县，“千”指镇，“万”指村。
2.“3+2”产业集群：指以智能家居、汽车零部件、新材料为主导产业的产业体系。
"""

# A term no report uses and jieba splits ("青禾", "智链"): it appears only when a test adds it.
NEW_TERM = "青禾智链"
# MINI with the new term in the passage that already names 百千万工程, and a glossary entry for it.
MINI_WITH_NEW_TERM = MINI.replace(
    "推动13+2项目落地。", f"推动13+2项目落地，打造{NEW_TERM}示范区［3］。"
) + f"3.{NEW_TERM}：指依托数字平台建设的农业产业链协同示范项目。\n"


# -- helpers ------------------------------------------------------------------------------------------
def all_hits(kb: KnowledgeBase, query: str, **filters) -> list[dict]:
    """Every hit of ``query``, page after page of the largest allowed size."""
    hits: list[dict] = []
    cursor = None
    while True:
        page = kb.search(query, limit=100, cursor=cursor, **filters)
        hits += page["hits"]
        cursor = page["next_cursor"]
        if cursor is None:
            return hits


def searchable_fields(kb: KnowledgeBase) -> dict[tuple[str, str], list[str]]:
    """(type, id) -> the folded strings a hit may match in: an entry's headword, definition and labels;
    a passage's text and section headings."""
    fields = {("entry", e.id): [label_key(s) for s in (e.headword, e.definition, *(lb.text for lb in e.labels))]
              for e in kb.entries()}
    fields.update({("passage", p.id): [label_key(s) for s in (p.text, *p.section)] for p in kb.passages()})
    return fields


def own_text(kb: KnowledgeBase, item: tuple[str, str]) -> str:
    """The folded text of an entry (its headword, definition and labels) or of a passage (without its headings)."""
    kind, ident = item
    if kind == "passage":
        return label_key(kb.passage(ident).text)
    entry = kb.entry(ident)
    return "|".join(label_key(s) for s in (entry.headword, entry.definition, *(lb.text for lb in entry.labels)))


def containing(kb: KnowledgeBase, *keys: str) -> set[tuple[str, str]]:
    """Every entry and passage where each key occurs in one of its searchable fields."""
    return {item for item, texts in searchable_fields(kb).items()
            if all(any(key in text for text in texts) for key in keys)}


def passages_containing(kb: KnowledgeBase, key: str) -> set[str]:
    return {p.id for p in kb.passages() if key in label_key(p.text)}


def entries_labelled(kb: KnowledgeBase, key: str) -> set[str]:
    return {e.id for e in kb.entries() if key in {label_key(lb.text) for lb in e.labels if lb.kind != "component"}}


def ids(hits: list[dict]) -> list[tuple[str, str]]:
    return [(h["type"], h["id"]) for h in hits]


def index_view(hits: list[dict]) -> list[dict]:
    """The part of a hit that comes from the index alone (not from a KnowledgeBase's in-memory snapshot)."""
    return [{k: h[k] for k in ("type", "id", "document", "snippet", "offset", "highlights")} for h in hits]


def cursor_for(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def open_index(settings: Settings) -> SearchIndex:
    """The search index of a data dir, opened exactly as KnowledgeBase.open opens it."""
    return SearchIndex(settings.data_dir / "index", settings.data_dir)


def built(tmp_path, text: str = MINI) -> Settings:
    settings = make_settings(tmp_path, {"mini-2025": text})
    build(settings)
    return settings


def set_corpus(settings: Settings, text: str) -> None:
    (settings.corpus_dir / "mini-2025.txt").write_text(text, encoding="utf-8")


# -- 1. acronyms --------------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["3+2", "1+6+N", "“3+1+N”", "１＋６＋Ｎ", "1310"])
def test_acronym_finds_every_passage_containing_it_and_its_entry(kb, query):
    key = label_key(query)
    hits = all_hits(kb, query)
    found = set(ids(hits))
    expected_passages = passages_containing(kb, key)
    defining = entries_labelled(kb, key)
    assert expected_passages and defining  # the acronym is really in the corpus
    assert {("passage", p) for p in expected_passages} <= found
    assert {("entry", e) for e in defining} <= found
    assert found == containing(kb, key)  # and nothing that does not contain it
    for hit in hits:
        for start, end in hit["highlights"]:
            assert label_key(hit["snippet"][start:end]) == key


def test_an_acronym_query_in_any_spelling_gives_the_same_hits(kb):
    assert ids(all_hits(kb, "1+6+N")) == ids(all_hits(kb, "１＋６＋Ｎ")) == ids(all_hits(kb, "“1+6+n”"))


# -- 2. quoted phrases --------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ['"高质量发展"', "“高质量发展”"])
def test_quoted_phrase_hits_contain_it_and_every_passage_with_it_is_found(kb, query):
    key = "高质量发展"
    hits = all_hits(kb, query)
    fields = searchable_fields(kb)
    assert hits
    for hit in hits:
        assert any(key in text for text in fields[(hit["type"], hit["id"])]), hit["id"]
    assert {("passage", p) for p in passages_containing(kb, key)} <= set(ids(hits))


def test_both_quote_styles_agree_and_the_unquoted_phrase_finds_them_first(kb):
    quoted = all_hits(kb, '"高质量发展"')
    assert ids(quoted) == ids(all_hits(kb, "“高质量发展”"))
    # unquoted, jieba's words 高质量 and 发展 are found apart too, below every text that has the phrase
    plain = all_hits(kb, "高质量发展")
    in_text = {item for item in containing(kb, "高质量发展") if "高质量发展" in own_text(kb, item)}
    assert in_text and set(ids(plain[:len(in_text)])) == in_text
    assert set(ids(quoted)) == containing(kb, "高质量发展") < set(ids(plain)) == containing(kb, "高质量", "发展")


# -- 3. traditional characters ------------------------------------------------------------------------
def test_traditional_query_gives_the_same_hits_as_simplified(kb):
    simplified = all_hits(kb, "百千万工程")
    assert simplified
    assert ids(all_hits(kb, "百千萬工程")) == ids(simplified)


# -- 4. substrings that are not words -----------------------------------------------------------------
def cross_word_substring(kb: KnowledgeBase) -> str:
    """The first three-Chinese-character substring of a body paragraph (not a heading or the salutation)
    that spans two jieba words there, is no word of any passage nor one word as a query, and occurs in at
    least two passages."""
    index = kb.search_index
    tokens = {p.id: list(words(p.text, index.words_file, index.cache_dir)) for p in kb.passages()}
    every_word = {w for found in tokens.values() for w, _, _ in found}
    texts = [label_key(p.text) for p in kb.passages()]
    for passage in (p for p in kb.passages() if len(p.text) > 40):
        pairs = zip(tokens[passage.id], tokens[passage.id][1:], strict=False)
        for (_, _, first_end), (_, second_start, second_end) in pairs:
            candidate = passage.text[first_end - 1:first_end + 2]
            if not (first_end == second_start and second_end - second_start >= 2
                    and all("\u4e00" <= ch <= "\u9fff" for ch in candidate)):
                continue
            as_query = [w for w, _, _ in words(candidate, index.words_file, index.cache_dir)]
            if candidate in every_word or as_query == [candidate]:
                continue
            if sum(candidate in text for text in texts) >= 2:
                return candidate
    raise AssertionError("no cross-word substring in the corpus")


def test_substring_across_words_is_found_in_exactly_the_passages_containing_it(kb):
    substring = cross_word_substring(kb)
    hits = all_hits(kb, substring, type="passage")
    expected = {item for item in containing(kb, substring) if item[0] == "passage"}
    assert set(ids(hits)) == expected
    assert {("passage", p) for p in passages_containing(kb, substring)} <= expected


# -- 5. several words in any order --------------------------------------------------------------------
@pytest.mark.parametrize("first,second", [("清远鸡", "品牌"), ("乡村", "振兴"), ("科技", "创新")])
def test_free_text_words_in_any_order(kb, first, second):
    forward = all_hits(kb, f"{first} {second}")
    backward = all_hits(kb, f"{second}　{first}")  # an ideographic space separates words too
    assert set(ids(forward)) == set(ids(backward))
    expected = containing(kb, first, second)
    assert expected
    assert set(ids(forward)) == expected
    both = {p.id for p in kb.passages() if first in label_key(p.text) and second in label_key(p.text)}
    assert {("passage", p) for p in both} <= set(ids(forward))


# (query, the texts that hold it as typed, the texts that hold its words only), read from the texts below
UNSPACED = [
    ("产业集群", {"t:p2", "t:p3"}, {"t:p1", "t:p4"}),  # jieba: 产业 集群
    ("3+2产业集群", {"t:p3"}, set()),
    ("产业，集群", {"t:p1"}, set()),  # punctuation inside: as typed only
    ("集群发展", {"t:p1", "t:p2"}, set()),
    ("产业 集群", {"t:p1", "t:p2", "t:p3", "t:p4"}, set()),  # spaced: each part as typed, anywhere
    ("集聚产业", set(), {"t:p4"}),
    ("清远鸡", {"t:p6"}, set()),  # jieba: 清远 鸡; the lone 鸡 stays with 清远, so not p5
    ("清远鸡 品牌", {"t:p6"}, set()),
    ("品牌清远鸡", set(), {"t:p6"}),
    ("远鸡", {"t:p5", "t:p6"}, set()),
]


@pytest.mark.parametrize("query,typed,apart", UNSPACED)
def test_texts_holding_the_query_as_typed_come_first_then_those_holding_its_words(tmp_path, query, typed, apart):
    texts = {
        "t:p1": "壮大产业，集群发展",  # the words of 产业集群, apart
        "t:p2": "壮大产业集群发展",
        "t:p3": "落实“3+2”产业集群部署",
        "t:p4": "集群与产业集聚",  # every character pair of 产业集群, never in a row
        "t:p5": "清远市远鸡岭",  # 清远 and 远鸡, not 清远鸡
        "t:p6": "打造清远鸡品牌",
    }
    index = SearchIndex(tmp_path / "index")
    try:
        index.sync([SearchDoc("passage", i, "t", text) for i, text in texts.items()], [], revision=1)
        found = [hit.id for hit in index.search(query, limit=None).hits]
        assert set(found[:len(typed)]) == typed and set(found[len(typed):]) == apart
    finally:
        index.close()


def separator_queries(kb: KnowledgeBase) -> list[str]:
    """Strings that span two of a hit's fields: the end of an entry's label and the start of the next
    one, and the end of a passage's text and the start of its section heading, joined by "|"."""
    entry = next(e for e in kb.entries() if len(e.labels) > 1 and all(len(lb.text) > 1 for lb in e.labels[:2]))
    passage = next(p for p in kb.passages() if p.section and p.text not in p.section)
    return [f"{entry.labels[0].text[-2:]}|{entry.labels[1].text[:2]}", f"{passage.text[-2:]}|{passage.section[0][:2]}"]


def test_a_query_never_matches_across_two_fields(kb):
    for query in separator_queries(kb):
        assert set(ids(all_hits(kb, query))) == containing(kb, label_key(query)), query


# -- 6. filters and bad parameters --------------------------------------------------------------------
@pytest.mark.parametrize("document", ["qingcheng-2024", "sichuan-2026", "jiangxi-2026"])
def test_document_filter_keeps_only_that_documents_hits(kb, document):
    hits = all_hits(kb, "高质量发展", document=document)
    assert hits
    assert {h["document"] for h in hits} == {document}
    expected = {item for item in containing(kb, "高质量", "发展")
                if (kb.entry(item[1]).document if item[0] == "entry" else kb.passage(item[1]).document) == document}
    assert set(ids(hits)) == expected


def test_unknown_document_is_not_found(kb):
    with pytest.raises(NotFound):
        kb.search("高质量发展", document="nowhere-2099")


@pytest.mark.parametrize("kind", ["entry", "passage"])
def test_type_filter_keeps_only_that_type(kb, kind):
    hits = all_hits(kb, "百千万工程", type=kind)
    assert hits and {h["type"] for h in hits} == {kind}
    assert set(ids(hits)) == {item for item in containing(kb, "百千万工程") if item[0] == kind}


@pytest.mark.parametrize("arguments,parameter", [
    ({"type": "entries"}, "type"),
    ({"type": ""}, "type"),
    ({"limit": 0}, "limit"),
    ({"limit": 101}, "limit"),
    ({"limit": -5}, "limit"),
])
def test_bad_type_or_limit_is_an_invalid_request(kb, arguments, parameter):
    with pytest.raises(InvalidRequest) as raised:
        kb.search("百千万工程", **arguments)
    assert raised.value.parameter == parameter


# -- 7. paging ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [3, 7, 20])
def test_cursor_pages_concatenate_to_one_big_page(kb, size):
    whole = kb.search("高质量发展", limit=100)
    assert size < whole["total"] <= 100 and whole["next_cursor"] is None
    pages = []
    cursor = None
    while True:
        page = kb.search("高质量发展", limit=size, cursor=cursor)
        assert page["total"] == whole["total"]
        pages.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert all(len(p["hits"]) == size for p in pages[:-1]) and 1 <= len(pages[-1]["hits"]) <= size
    assert [h for p in pages for h in p["hits"]] == whole["hits"]


def test_paging_past_the_largest_page_returns_every_hit_once(kb):
    hits = all_hits(kb, "发展")
    first = kb.search("发展", limit=100)
    assert first["total"] > 100 and first["next_cursor"] is not None
    assert len(hits) == first["total"] == len(set(ids(hits)))
    assert set(ids(hits)) == containing(kb, "发展")


@pytest.mark.parametrize("cursor", ["garbage!", "abc", "%%%", cursor_for("x:10"), cursor_for("o:-1"),
                                    cursor_for("o:ten"), cursor_for("o:")])
def test_a_cursor_kb_did_not_make_is_an_invalid_request(kb, cursor):
    with pytest.raises(InvalidRequest) as raised:
        kb.search("高质量发展", cursor=cursor)
    assert raised.value.parameter == "cursor"


# -- 8. ranking ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["1310", "百千万工程", "3+2", "1+6+N"])
def test_the_entry_a_label_names_ranks_above_every_passage(kb, query):
    hits = all_hits(kb, query)
    types = [h["type"] for h in hits]
    assert "passage" in types
    first_passage = types.index("passage")
    for entry_id in entries_labelled(kb, label_key(query)):
        assert ids(hits).index(("entry", entry_id)) < first_passage


@pytest.mark.parametrize("query", ["高质量发展", "发展", "百千万工程", "清远鸡 品牌"])
def test_hits_are_sorted_by_score(kb, query):
    scores = [h["score"] for h in all_hits(kb, query)]
    assert scores and scores == sorted(scores, reverse=True)


# -- 9. nothing to search for -------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["", "   ", "“”", '""', "、", "，", "。", "：", "|"])
def test_a_query_without_words_finds_nothing(kb, query):
    assert kb.search(query) == {"query": query, "total": 0, "hits": [], "next_cursor": None}


# -- snippets and highlights --------------------------------------------------------------------------
# query -> what a highlight may mark: its parts as typed, and the words of an unspaced part (jieba's)
MARKS = {"高质量发展": ["高质量发展", "高质量", "发展"], "发展": ["发展"], "百千萬工程": ["百千万工程"],
         "1+6+N": ["1+6+n"], "清远鸡 品牌": ["清远鸡", "品牌"],
         "优化营商环境": ["优化营商环境", "优化", "营商", "环境"]}


@pytest.mark.parametrize("query", MARKS)
def test_snippets_are_windows_of_the_text_and_highlights_mark_the_query(kb, query):
    keys = MARKS[query]
    for hit in all_hits(kb, query):
        item = kb.entry(hit["id"]) if hit["type"] == "entry" else kb.passage(hit["id"])
        text = f"{item.headword}：{item.definition}" if hit["type"] == "entry" else item.text
        snippet, offset, spans = hit["snippet"], hit["offset"], hit["highlights"]
        if hit["highlights_in"] == "heading":  # the text holds nothing of the query: the deepest heading that does
            text = next(h for h in reversed(item.section) if any(key in label_key(h) for key in keys))
            assert not any(key in label_key(item.text) for key in keys)
        assert text[offset:offset + len(snippet)] == snippet
        assert spans and all(0 <= start < end <= len(snippet) for start, end in spans)
        assert all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False))  # sorted, apart
        if len(keys) == 1:  # every occurrence inside the window is marked
            assert len(spans) >= label_key(snippet).count(keys[0])
        for start, end in spans:
            marked = label_key(snippet[start:end])
            if start > 0 and end < len(snippet):
                assert any(key in marked for key in keys) and set(marked) <= set("".join(keys))
                if len(keys) == 1:
                    assert marked == keys[0]
            else:  # the window may cut a highlight at its edge
                assert any(key.startswith(marked) or key.endswith(marked) or key in marked for key in keys)


# -- 10. the CLI --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Settings:
    """A small KB of one report, built once for read-only tests."""
    return built(tmp_path_factory.mktemp("mini"))


@pytest.fixture
def cli(mini, monkeypatch, capsys):
    kb_env(monkeypatch, mini)

    def run(*argv: str) -> tuple[int, str, str]:
        status = main(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    return run


@pytest.mark.parametrize("argv,arguments", [
    (["百千万工程"], {}),
    (["3+2", "--limit", "1"], {"limit": 1}),
    (["百千萬工程", "--type", "passage"], {"type": "passage"}),
    (["产业集群", "--document", "mini-2025", "--type", "entry"], {"document": "mini-2025", "type": "entry"}),
    (["“3+2”"], {}),
    (["、"], {}),
])
def test_cli_search_prints_what_the_api_returns(cli, mini, opened, argv, arguments):
    status, out, _ = cli("search", *argv)
    assert status == 0
    assert json.loads(out) == opened(mini).search(argv[0], **arguments)


def test_cli_search_follows_cursors(cli, mini, opened):
    _, out, _ = cli("search", "3+2", "--limit", "1")
    first = json.loads(out)
    assert first["next_cursor"] is not None
    status, out, _ = cli("search", "3+2", "--limit", "1", "--cursor", first["next_cursor"])
    assert status == 0
    second = json.loads(out)
    assert second == opened(mini).search("3+2", limit=1, cursor=first["next_cursor"])
    assert first["hits"][0]["id"] != second["hits"][0]["id"]


def test_cli_search_errors(cli):
    status, out, err = cli("search", "3+2", "--cursor", "garbage!")
    assert status == 2 and out == "" and "cursor" in err and "Traceback" not in err
    status, _, err = cli("search", "3+2", "--document", "nowhere-2099")
    assert status == 2 and "nowhere-2099" in err
    for bad in (["--limit", "0"], ["--limit", "101"], ["--type", "entries"]):
        with pytest.raises(SystemExit) as raised:
            cli("search", "3+2", *bad)
        assert raised.value.code == 2


# -- 11. the index is derived from the store ----------------------------------------------------------
def test_the_index_stamp_is_the_store_revision(kb, settings):
    index = open_index(settings)
    try:
        assert index.revision() == kb.revision == int(kb.store.info()["revision"])
    finally:
        index.close()


def test_a_stale_index_is_repaired_on_the_first_search(tmp_path, opened):
    settings = built(tmp_path)
    old = opened(settings)
    old_docs, old_words, old_revision, store = old.search_docs(), old.user_words(), old.revision, old.store_id
    set_corpus(settings, MINI_WITH_NEW_TERM)
    build(settings)
    # a crash between the store commit and the index update: the index is left as it was before
    stale = open_index(settings)
    try:
        assert stale.stamp() == (store, old_revision + 1)
        rolled_back = stale.sync(old_docs, old_words, revision=old_revision, rebuild=True, store=store)
        assert rolled_back == search_module.SyncReport(len(old_docs), 0, 0, old_revision)
        assert stale.stamp() == (store, old_revision)
        assert stale.search(NEW_TERM).total == 0
    finally:
        stale.close()
    fresh = opened(settings)
    assert (fresh.store_id, fresh.revision) == (store, old_revision + 1)
    found = fresh.search(NEW_TERM)
    assert {(h["type"], h["id"]) for h in found["hits"]} == {("entry", "mini-2025:3"), ("passage", "mini-2025:p5")}
    reopened = open_index(settings)
    try:
        assert reopened.stamp() == (store, fresh.revision)
    finally:
        reopened.close()
    assert fresh.sync_index() == search_module.SyncReport(0, 0, 0, fresh.revision)


def test_reindex_command_rebuilds_the_same_results(tmp_path, monkeypatch, capsys, opened):
    settings = built(tmp_path)
    kb_env(monkeypatch, settings)
    queries = ["百千万工程", "3+2", "产业集群", "清远鸡 品牌"]

    def answers() -> list[dict]:
        found = []
        for query in queries:
            assert main(["search", query, "--limit", "100"]) == 0
            found.append(json.loads(capsys.readouterr().out))
        return found

    before = answers()
    assert main(["reindex"]) == 0
    out = capsys.readouterr().out
    documents = len(opened(settings).search_docs())
    assert out.strip() == f"indexed {documents} entries and passages at revision 1"
    assert answers() == before
    assert all(answer["total"] > 0 for answer in before)


def test_sync_of_an_unchanged_store_is_a_no_op(kb):
    assert kb.sync_index() == search_module.SyncReport(0, 0, 0, kb.revision)


def test_sync_rewrites_only_what_changed(tmp_path, opened):
    settings = built(tmp_path)
    before = opened(settings)
    old_docs, old_words, old_revision = before.search_docs(), before.user_words(), before.revision
    set_corpus(settings, MINI.replace("推动13+2项目落地", "推动13+2项目早日落地"))
    build(settings)
    index = open_index(settings)
    try:  # back to the index before the second build, so the next sync has the change to make
        index.sync(old_docs, old_words, revision=old_revision, rebuild=True, store=before.store_id)
    finally:
        index.close()
    after = opened(settings)
    assert after.sync_index() == search_module.SyncReport(0, 1, 0, old_revision + 1)
    assert ids(after.search("早日落地")["hits"]) == [("passage", "mini-2025:p5")]


def test_update_of_one_document_makes_it_findable(tmp_path, opened):
    settings = built(tmp_path)
    base = opened(settings)
    passage = base.passage("mini-2025:p5")
    changed = SearchDoc("passage", passage.id, passage.document, passage.text + f"打造{NEW_TERM}示范区。",
                        "|".join(passage.section))
    index = open_index(settings)
    try:
        assert index.search(NEW_TERM).total == 0
        index.update([changed], [], base.user_words(), revision=base.revision + 1, store=base.store_id)
        found = index.search(NEW_TERM)
        assert [(h.kind, h.id) for h in found.hits] == [("passage", passage.id)]
        assert found.hits[0].snippet.endswith(f"打造{NEW_TERM}示范区。")
    finally:
        index.close()
    reopened = open_index(settings)
    try:
        assert reopened.stamp() == (base.store_id, base.revision + 1)
    finally:
        reopened.close()


def test_revision_after_a_write_is_the_revision_written(tmp_path):
    settings = built(tmp_path)
    index = open_index(settings)
    try:
        assert index.revision() == 1
        index.update([], [], [], revision=2, store=index.stamp()[0])
        assert index.revision() == 2
        index.sync([], [], revision=3, store=index.stamp()[0])
        assert index.revision() == 3
    finally:
        index.close()


def test_an_old_knowledge_base_never_rolls_the_index_back(tmp_path, opened):
    """A KnowledgeBase opened before another build must not stamp its old revision on the index."""
    settings = built(tmp_path)
    old = opened(settings)
    old_docs, old_words, first, store = old.search_docs(), old.user_words(), old.revision, old.store_id
    set_corpus(settings, MINI_WITH_NEW_TERM)
    build(settings)
    old.search("百千万工程")  # its first search checks the index against the revision it read at open
    index = open_index(settings)
    try:
        assert index.stamp() == (store, first + 1)
        assert index.search(NEW_TERM).total == 2
        # nor does a sync of the older revision of the same store, made directly
        assert index.sync(old_docs, old_words, revision=first, store=store) == search_module.SyncReport(
            0, 0, 0, first + 1)
        assert index.stamp() == (store, first + 1) and index.search(NEW_TERM).total == 2
    finally:
        index.close()


# -- a searcher kept across writes --------------------------------------------------------------------
def test_a_searcher_kept_across_an_update_sees_each_document_once(tmp_path, opened):
    settings = built(tmp_path)
    passage = opened(settings).passage("mini-2025:p5")
    changed = SearchDoc("passage", passage.id, passage.document, passage.text + "再接再厉。", "|".join(passage.section))
    index = open_index(settings)
    try:
        before = index.search("百千万工程")
        assert passage.id in [h.id for h in before.hits]
        index.update([changed], [], [], revision=2)
        after = index.search("百千万工程")
        assert sorted(h.id for h in after.hits) == sorted(h.id for h in before.hits)
        assert after.total == before.total
    finally:
        index.close()


def test_a_knowledge_base_that_searched_before_a_reindex_sees_each_hit_once(tmp_path, opened):
    settings = built(tmp_path)
    serving = opened(settings)
    before = serving.search("百千万工程")
    assert opened(settings).sync_index(rebuild=True).added == len(serving.search_docs())
    after = serving.search("百千万工程")
    assert ids(after["hits"]) == ids(before["hits"])
    assert after["total"] == before["total"]


# -- 12. two processes --------------------------------------------------------------------------------
def kb_process(settings: Settings, *argv: str) -> subprocess.Popen:
    env = server_env(settings.corpus_dir, settings.data_dir, settings.database_url)
    return subprocess.Popen([sys.executable, "-m", "kb.cli", *argv], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")


def finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return out


def test_cli_module_runs_as_a_script():
    assert 'if __name__ == "__main__"' in (ROOT / "kb" / "cli.py").read_text(encoding="utf-8")


def test_two_processes_see_the_same_results_after_one_writes(tmp_path, opened, settings):
    shared, settings = settings, built(tmp_path)
    cache = shared.data_dir / "jieba.cache"
    if cache.exists():  # spare the other processes building jieba's dictionary cache (it is the same)
        shutil.copy2(cache, settings.data_dir / cache.name)
    serving = opened(settings)
    assert serving.search(NEW_TERM)["total"] == 0  # its searcher is now open
    old_label = serving.search("百千万工程")
    set_corpus(settings, MINI_WITH_NEW_TERM)
    finish(kb_process(settings, "build"))
    queries = [NEW_TERM, "百千万工程"]
    others = [kb_process(settings, "search", query, "--limit", "100") for query in queries]
    answers = [json.loads(finish(process)) for process in others]
    for query, other in zip(queries, answers, strict=True):
        here = serving.search(query, limit=100)
        assert index_view(here["hits"]) == index_view(other["hits"]), query
        assert here["total"] == other["total"]
    new_term, label = answers
    assert {(h["type"], h["id"]) for h in new_term["hits"]} == {("entry", "mini-2025:3"), ("passage", "mini-2025:p5")}
    assert all(NEW_TERM in h["snippet"] for h in new_term["hits"])
    assert set(ids(label["hits"])) == set(ids(old_label["hits"]))  # p5 is cited now, so it may rank higher
    assert any(NEW_TERM in h["snippet"] for h in label["hits"])


# -- 13. user words for the tokenizer -----------------------------------------------------------------
def test_an_updated_word_list_reaches_the_tokenizer_without_reloading_jieba(tmp_path):
    settings = built(tmp_path)
    index = open_index(settings)
    text = f"打造{NEW_TERM}示范区"
    try:
        assert NEW_TERM not in [w for w, _, _ in words(text, index.words_file, index.cache_dir)]
        dictionary = search_module.analysis._base
        user_words = search_module.analysis._user_words(index.words_file, index.cache_dir)
        index.update([], [], [NEW_TERM, "百千万工程"], revision=2)
        tokens = list(words(text, index.words_file, index.cache_dir))
        assert (NEW_TERM, 2, 6) in tokens
        assert search_module.analysis._base is dictionary  # jieba's dictionary was not loaded again
        assert search_module.analysis._user_words(index.words_file, index.cache_dir) is user_words
        index.update([], [], ["百千万工程"], revision=3)  # the editor removes the label again
        assert NEW_TERM not in [w for w, _, _ in words(text, index.words_file, index.cache_dir)]
    finally:
        index.close()


def test_many_small_updates_merge_segments_and_still_find_everything(tmp_path):
    """Each update is a segment; Whoosh merges them as they pile up. Bigram postings (no values) inlined
    in the term table must survive a merge (Whoosh read them back as '' and refused to merge)."""
    index = SearchIndex(tmp_path / "index", tmp_path)
    passages = [SearchDoc("passage", f"p{i}", "d", f"第{i}段，推动高质量发展。") for i in range(20)]
    index.sync(passages, [], revision=1)
    for revision in range(2, 32):
        index.update([SearchDoc("entry", f"e{revision}", "", f"词条{revision}：定义第{revision}项")], [], [],
                     revision=revision)
    assert index.revision() == 31
    assert index.search("高质量发展", limit=None).total == 20
    assert {h.id for h in index.search("定义", limit=None).hits} == {f"e{r}" for r in range(2, 32)}
    index.close()


def test_a_whole_index_written_by_several_processes_answers_as_one_written_by_one(kb, tmp_path, monkeypatch):
    """A first build or a reindex of many texts is analysed in several processes, each writing a segment:
    the same hits, scores aside, as one process writing everything."""
    docs, user_words = kb.search_docs(), kb.user_words()
    single = SearchIndex(tmp_path / "single", tmp_path)
    single.sync(docs, user_words, revision=7, store="s")
    monkeypatch.setattr(search_module, "PARALLEL_DOCS", 10)
    monkeypatch.setattr(search_module.os, "cpu_count", lambda: 2)
    several = SearchIndex(tmp_path / "several", tmp_path)
    several.sync(docs, user_words, revision=7, store="s")
    assert len(several._index()._segments()) > 1  # one segment a process: the parallel writer did it
    assert len(single._index()._segments()) == 1
    for query in ("高质量发展", "3+2", "百千萬工程", "清远鸡 品牌", "产业"):
        expected = {hit.id for hit in single.search(query, limit=None).hits}
        assert {hit.id for hit in several.search(query, limit=None).hits} == expected, query
    assert several.stamp() == ("s", 7)
    single.close()
    several.close()


# Common words (hits in most texts), words apart and together, long keys whose bigrams may stand apart, quoted
# phrases, acronyms, punctuation inside, a repeated part, one character (which searches in full)
PAGED_QUERIES = ["发展", "建设", "推进", "产业", "高质量发展", "推动高质量发展", "全面推进乡村振兴", "优化营商环境",
                 "清远鸡 品牌", "乡村的振兴", "“两重”", "“高质量发展”", "百千万工程", "3+2", "1310", "产业，集群",
                 "发展 发展", "振兴乡村", "鸡", "新质生产力"]


def pages(index: SearchIndex, query: str, limit: int, **filters) -> list[tuple]:
    """Three pages of a search, as the index gives them: total, whether more follow, and every field of each hit."""
    found, after = [], None
    for _ in range(3):
        result = index.search(query, limit=limit, after=after, **filters)
        found.append((result.total, result.more, [vars(hit) for hit in result.hits]))
        if not result.more:
            break
        after = result.hits[-1].position
    return found


def assert_pages_are_those_of_the_full_search(index: SearchIndex, monkeypatch, documents: list[str]) -> None:
    monkeypatch.setattr(search_module.topk, "FAST_FROM", 0)  # every query paged from the posting lists, however few
    for query in PAGED_QUERIES:
        for limit in (1, 10, 50):
            for filters in ({}, {"kind": "entry"}, {"kind": "passage"}, {"document": documents[0]}):
                fast = pages(index, query, limit, **filters)
                with monkeypatch.context() as full:
                    full.setattr(search_module.topk, "top", lambda *args: None)  # every hit scored and graded
                    assert pages(index, query, limit, **filters) == fast, (query, limit, filters)


def test_a_page_read_from_the_posting_lists_is_the_page_of_the_full_search(kb, monkeypatch):
    """kb.search.topk scores only the hits that could reach the page: the same hits, scores, snippets, totals
    and pages as scoring and grading every hit."""
    assert_pages_are_those_of_the_full_search(kb.search_index, monkeypatch, [d.id for d in kb.documents()])


def test_pages_are_the_same_whatever_posting_lists_are_kept_decoded(kb, monkeypatch):
    """topk keeps the posting lists it read most lately, decoded, up to KEPT_POSTINGS postings: with room for one
    list only (each query reads its lists again) the pages are those read with room for all, and what is kept
    never passes the bound by more than the one list last read."""
    index = kb.search_index
    roomy = {query: pages(index, query, 10) for query in PAGED_QUERIES}
    cache = index._segments
    assert cache._kept > 0
    monkeypatch.setattr(search_module.topk, "KEPT_POSTINGS", 50)
    cache.keep([])  # everything forgotten
    assert cache._kept == 0 and not cache._lists
    for query in PAGED_QUERIES:
        assert pages(index, query, 10) == roomy[query], query
        largest = max((len(v.docnums) for v in cache._lists.values()), default=0)
        assert cache._kept <= max(50, largest) and cache._kept == sum(len(v.docnums) for v in cache._lists.values())
        assert len(cache._lists) == 1 or cache._kept <= 50
    docnums, _ = cache.lists(index._searcher().leaf_searchers()[0][0].reader(), "grams", "发展")
    with pytest.raises(ValueError):  # shared by every search: read-only
        docnums[0] = 1


def test_pages_bounded_by_the_words_own_weights_are_those_of_the_full_search(kb, monkeypatch):
    """When many hits have been scored, topk bounds a word by its own weights instead of its bigrams' (the words'
    postings read then): at once, here, for every query, and the pages are still those of the full search."""
    monkeypatch.setattr(search_module.topk, "REFINE_AFTER", 0)
    assert_pages_are_those_of_the_full_search(kb.search_index, monkeypatch, [d.id for d in kb.documents()])


def test_every_bound_is_at_least_the_score_whoosh_gives(kb):
    """topk's bounds, from the bigrams' weights and from the words' own, are at least each candidate's score."""
    topk = search_module.topk
    index = kb.search_index
    searcher = index._searcher()
    weighting = searcher.weighting
    tight = 0
    for query in PAGED_QUERIES:
        parts = search_module.parse_query(query, index.words_file, index.cache_dir)
        plans = index._plans(parts)
        if plans is None:
            continue
        long_keys = [p.key.encode() for p in plans if len(p.key) > 2]
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            found = topk._candidates(reader, plans, [], index._segments, weighting, long_keys, {})
            if found is None:
                continue
            live, leaves = found
            exact = [([topk._word_weights(reader, leaf[3], live, index._segments)], leaf[1], leaf[2], "")
                     if leaf[3] else leaf for leaf in leaves]
            scores = topk._score(searcher, index._query(parts), [offset + d for d in live])
            for bounds in (topk._bounds(reader, live, leaves, index._segments, weighting),
                           topk._bounds(reader, live, exact, index._segments, weighting)):
                for docnum, bound in zip(live, bounds, strict=True):
                    score = scores[offset + docnum]
                    assert bound * (1 + topk.SLACK) + topk.SLACK >= score, (query, docnum, bound, score)
            refined = topk._bounds(reader, live, exact, index._segments, weighting)
            tight += sum(abs(refined[i] - scores[offset + d]) < 1e-9 for i, d in enumerate(live))
    assert tight  # the words' own weights make some bounds the score itself


def test_pages_from_the_posting_lists_hold_across_writes(tmp_path, monkeypatch):
    """After updates (documents deleted in one segment and written again in others) the pages are still those
    of the full search."""
    index = SearchIndex(tmp_path / "index", tmp_path)
    passages = [SearchDoc("passage", f"p{i}", f"d{i % 3}", f"第{i}段，推动高质量发展，全面推进乡村振兴。",
                          "发展规划" if i % 4 else "", 1.5 if i % 5 == 0 else 1.0) for i in range(60)]
    index.sync(passages, [], revision=1)
    for revision in range(2, 8):
        rewritten = [SearchDoc("passage", f"p{revision * 7}", "d0", f"改写第{revision}次：发展产业，高质量发展。")]
        index.update(rewritten, [f"p{revision}"], None, revision=revision)
    assert len(index._index()._segments()) > 1
    assert_pages_are_those_of_the_full_search(index, monkeypatch, ["d0"])
    index.close()


def test_pages_among_many_copies_of_one_text_are_those_of_the_full_search(tmp_path, monkeypatch):
    """Copies of a text (the same passage in many reports) share a bound: topk scores those of them whose ids
    come first, and the pages, cursors and totals are still those of the full search."""
    index = SearchIndex(tmp_path / "index", tmp_path)
    texts = ["推动高质量发展，发展产业。", "高质量发展是首要任务。", "全面推进乡村振兴，推动发展。"]
    passages = [SearchDoc("passage", f"r{i % 37}:p{i}", f"r{i % 37}", texts[i % 3], "发展规划" if i % 7 == 0 else "",
                          1.5 if i % 11 == 0 else 1.0) for i in range(300)]
    entries = [SearchDoc("entry", f"r{i}:e", f"r{i}", "高质量发展：发展", "高质量发展", 2.0) for i in range(20)]
    index.sync(passages + entries, ["高质量发展"], revision=1)
    index.update([SearchDoc("passage", "r0:p0", "r0", "改写：发展。")], ["r1:p1"], None, revision=2)
    monkeypatch.setattr(search_module.topk, "FAST_FROM", 0)
    for query, refine in itertools.product(("发展", "高质量发展", "推动发展", "“高质量发展”", "乡村振兴 发展"), (0, 4)):
        monkeypatch.setattr(search_module.topk, "REFINE_AFTER", refine)
        for limit in (1, 3, 10):
            for filters in ({}, {"kind": "passage"}, {"document": "r3"}):
                fast = pages(index, query, limit, **filters)
                with monkeypatch.context() as full:
                    full.setattr(search_module.topk, "top", lambda *args: None)
                    assert pages(index, query, limit, **filters) == fast, (query, limit, filters)
    index.close()


def test_skipping_by_the_heads_of_blocks_stands_where_reading_them_does(kb):
    """A posting list's matcher given its blocks' last ids and positions skips to the same postings, with the
    same weights, as one that reads every head between."""
    from kb.search.codec import _LeafMatcher

    reader = kb.search_index._searcher().leaf_searchers()[0][0].reader()
    for fieldname, text in (("grams", "发展"), ("words", "发展"), ("grams", "建设"), ("words", "建设")):
        term = reader.schema[fieldname].to_bytes(text)
        blocks = search_module.topk._blocks_of(reader, fieldname, term)
        docnums, _ = search_module.topk.listed(reader, fieldname, text)
        assert blocks is not None and len(blocks[0]) > 1, (fieldname, text)  # several blocks: a real skip
        targets = docnums[::37] + [docnums[-1], docnums[-1] + 1]
        plain, jumping = (reader.postings(fieldname, term) for _ in range(2))
        assert isinstance(jumping, _LeafMatcher)
        jumping._blocks = blocks
        for target in targets:
            if not plain.is_active():
                assert not jumping.is_active()
                break
            plain.skip_to(target)
            jumping.skip_to(target)
            assert plain.is_active() == jumping.is_active()
            if plain.is_active():
                assert (plain.id(), plain.weight(), plain.value()) == (jumping.id(), jumping.weight(), jumping.value())


def test_postings_read_from_the_pickles_bytes_are_those_unpickled(kb, monkeypatch):
    """kb.search.codec reads a block's docnums and weights from its pickle's bytes, skipping the positions: for
    every posting list of the index (that is not inlined in the term table) they are those Whoosh unpickles, as
    topk lists them and as a matcher walking the list (values too) stands on them."""
    from kb.search import codec

    topk = search_module.topk
    reader = kb.search_index._searcher().leaf_searchers()[0][0].reader()
    read = codec.block_postings
    fast = [0]

    def counting(data, count):
        found = read(data, count)
        fast[0] += found is not None
        return found

    def walked(fieldname: str, term: bytes) -> list[tuple]:
        matcher = reader.postings(fieldname, term)
        found = []
        while matcher.is_active():
            found.append((matcher.id(), matcher.weight(), matcher.value()))
            matcher.next()
        return found

    lists = 0
    for fieldname in ("grams", "words"):
        for term in reader.lexicon(fieldname):
            if reader.doc_frequency(fieldname, term) <= 32:  # inlined
                continue
            text = term.decode("utf-8")
            monkeypatch.setattr(codec, "block_postings", counting)
            ours = topk.listed(reader, fieldname, text)
            walk = walked(fieldname, term) if lists % 10 == 0 else None
            monkeypatch.setattr(codec, "block_postings", lambda data, count: None)
            assert topk.listed(reader, fieldname, text) == ours, (fieldname, text)
            if walk is not None:
                assert walked(fieldname, term) == walk, (fieldname, text)
            lists += 1
    assert lists > 100 and fast[0] > lists  # most blocks were read from their bytes


def test_block_heads_read_from_the_pickles_bytes_are_those_unpickled(kb):
    """kb.search.codec reads a block's head (six numbers) from its pickle's bytes: for every block of every
    posting list of the index, the numbers and where the block's data starts are those pickle gives."""
    import io
    import pickle

    from kb.search.codec import _info, _LeafMatcher

    reader = kb.search_index._searcher().leaf_searchers()[0][0].reader()
    heads = 0
    for fieldname in ("grams", "words"):
        for term in reader.lexicon(fieldname):
            matcher = reader.postings(fieldname, term)
            if not isinstance(matcher, _LeafMatcher):
                continue
            buf = matcher._postfile._buf
            while not matcher._atend:
                start = matcher._position + 4
                data = bytes(buf[start:start + 128])
                head = io.BytesIO(data)
                expected = (pickle.load(head), head.tell())
                found = _info(data)
                assert found is None or found == expected, (fieldname, term)
                heads += found is not None
                matcher._next_block()
    assert heads > 100


def test_the_texts_holding_keys_in_the_mapping_are_those_holding_them_in_the_column(kb):
    """topk searches the mapped key column for a key of three characters or more in every candidate at once:
    the texts it finds are those whose folded fields, read from the column, hold it."""
    reader = kb.search_index._searcher().leaf_searchers()[0][0].reader()
    keys = search_module.topk.SegmentCache().keys(reader)
    everyone = list(range(reader.doc_count_all()))
    for wanted in (["高质量"], ["百千万工程"], ["3+2"], ["高质量", "发展"], ["乡村振兴", "不在任何文本里"]):
        encoded = [k.encode() for k in wanted]
        assert keys.holding(everyone, encoded) == [d for d in everyone if keys._holds(d, encoded)], wanted
        assert bool(keys.holding(everyone, encoded)) == ("不在任何文本里" not in wanted), wanted
    assert keys._mapping is not None  # the mapped path was the one compared


def test_the_texts_holding_a_key_are_those_its_query_matches(kb, monkeypatch):
    """An editor's write asks which texts hold an entry's names (SearchIndex.containing): read from the posting
    lists, they are the texts that the key's query matches and that hold it, as before."""
    index = kb.search_index
    keys = [label_key(lb.text) for e in kb.entries()[:80] for lb in e.labels] + ["发展", "鸡", "3+2", "高质量发展"]
    documents = [d.id for d in kb.documents()]
    for key in keys:
        for kind, document in (("passage", None), ("entry", None), ("passage", documents[0])):
            fast = index.containing([key], kind, document)
            with monkeypatch.context() as full:
                full.setattr(index, "_plans", lambda parts: None)
                assert index.containing([key], kind, document) == fast, (key, kind, document)


def test_searchers_read_the_index_in_place(kb, settings):
    """A searcher's view of the index is the files' pages, mapped: opening one and searching copies next to
    nothing of it (Whoosh's own storage copied every file it opened into memory)."""
    import tracemalloc

    size = sum(p.stat().st_size for p in (settings.data_dir / "index").glob("*.seg"))
    index = SearchIndex(settings.data_dir / "index", settings.data_dir)
    tracemalloc.start()
    try:
        for query in ("发展", "百千万工程", "清远鸡 品牌"):
            index.search(query)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
        index.close()
    assert held < size / 4, (held, size)


# -- 14. readers, through GET /search -----------------------------------------------------------------
@pytest.fixture(scope="module")
def reader(settings):
    """A test client over the session KB of the three reports (read only)."""
    return create_app({"KB_SETTINGS": settings}).test_client()


def get_all(client, q: str, **args) -> list[dict]:
    """Every hit of GET /search, page after page of the largest size."""
    hits: list[dict] = []
    cursor = None
    while True:
        page = ok(client.get("/search", query_string={"q": q, "limit": 100, **args} | (
            {"cursor": cursor} if cursor else {})))
        hits += page["hits"]
        cursor = page["next_cursor"]
        if cursor is None:
            return hits


def text_holds(kb: KnowledgeBase, hit: dict, key: str) -> bool:
    return key in own_text(kb, (hit["type"], hit["id"]))


def test_an_unspaced_query_finds_its_words_apart_below_the_text_that_has_it_as_typed(reader, kb):
    hits = get_all(reader, "优化营商环境")
    # read in the reports: only sichuan's 二是聚力在深化改革开放… says 持续优化营商环境; three other paragraphs
    # say 优化 and 营商环境 apart (清城 …“四免”优化…营商环境竞争力, 江西 …布局优化…营商环境对标…,
    # 四川 …国有资本布局持续优化…营商环境改革…)
    assert ids(hits)[:1] == [("passage", "sichuan-2026:p29")]
    assert set(ids(hits[1:])) == {("passage", "qingcheng-2024:p35"), ("passage", "jiangxi-2026:p46"),
                                  ("passage", "sichuan-2026:p18")}
    assert set(ids(hits)) == containing(kb, "优化", "营商", "环境")
    assert hits[0]["score"] >= 3 > hits[1]["score"]  # the band says it: 3 as typed, 2 its words apart
    assert label_key(hits[0]["snippet"][slice(*hits[0]["highlights"][0])]) == "优化营商环境"


@pytest.mark.parametrize("unspaced,spaced", [("振兴乡村", "振兴 乡村"), ("农村振兴", "农村 振兴")])
def test_unspaced_words_find_what_the_same_words_spaced_find(reader, kb, unspaced, spaced):
    hits = get_all(reader, unspaced)
    assert not any(text_holds(kb, h, unspaced) for h in hits)  # read: no report says 振兴乡村 or 农村振兴
    assert hits and ids(hits) == ids(get_all(reader, spaced))
    assert set(ids(hits)) == containing(kb, *spaced.split())
    # the passages whose own text lacks one of the words (it is in their heading) come last
    apart = [h for h in hits if not all(text_holds(kb, h, word) for word in spaced.split())]
    assert apart and hits[-len(apart):] == apart


def test_a_passage_found_only_through_its_heading_ranks_below_and_is_highlighted_in_it(reader, kb):
    hits = get_all(reader, "百千万工程", type="passage")
    heading = "（一）聚力落实“百千万工程”，以头号工程力度推动高质量发展"
    # read: these two paragraphs under that heading (增强县域发展活力…, 强化乡镇联城带村…) never name it
    only_heading = [("passage", "qingcheng-2024:p24"), ("passage", "qingcheng-2024:p25")]
    assert sorted(ids(hits[-2:])) == only_heading
    assert {("passage", p) for p in passages_containing(kb, "百千万工程")} == set(ids(hits[:-2]))
    assert max(h["score"] for h in hits[-2:]) < min(h["score"] for h in hits[:-2])
    for hit in hits[-2:]:
        assert hit["highlights_in"] == "heading" and hit["section"][-1] == hit["snippet"] == heading
        assert hit["offset"] == 0 and hit["highlights"] == [[8, 13]] and heading[8:13] == "百千万工程"
    assert all(h["highlights_in"] == "text" for h in hits[:-2])


@pytest.mark.parametrize("query", ["“优化营商环境”", '"振兴乡村"'])
def test_a_quoted_query_finds_only_the_phrase_as_typed(reader, kb, query):
    key = label_key(query)
    hits = get_all(reader, query)
    assert set(ids(hits)) == containing(kb, key)
    assert len(hits) == (1 if key == "优化营商环境" else 0)  # read: 振兴乡村 is in no report


def test_a_function_character_between_two_words_is_not_required(reader, kb):
    hits = get_all(reader, "发展和安全")
    # read: only 清城's first paragraph says 更好统筹发展和安全; it comes first
    assert ids(hits)[0] == ("passage", "qingcheng-2024:p4") and hits[0]["score"] >= 3
    assert set(ids(hits)) == containing(kb, "发展", "安全")
    fields = searchable_fields(kb)
    assert any("和" not in "".join(fields[item]) for item in ids(hits))  # found without a 和 anywhere


def test_a_function_character_at_the_edge_of_a_query_is_part_of_its_word(reader, kb):
    # jieba gives 和 美 乡村: the 和 of 和美 is kept, so a text that says 美丽乡村 and no 和美 is not found
    hits = get_all(reader, "和美乡村")
    typed = containing(kb, "和美乡村")
    assert typed and set(ids(hits[:len(typed)])) == typed
    assert set(ids(hits)) == containing(kb, "和美", "乡村")  # read: 清城 also has …公共绿地和美丽庭院…乡村…
    assert containing(kb, "美丽乡村") - containing(kb, "和美")


@pytest.mark.parametrize("query,key", [("量发展", "量发展"), ("清远鸡品牌", "清远鸡")])
def test_a_one_character_word_is_not_searched_apart_from_its_neighbour(reader, kb, query, key):
    """jieba gives 量 发展 and 清远 鸡 品牌: 量 and 鸡 stay with the word beside them, else every text with
    some 量 (数量, 质量) and some 发展 would be a hit."""
    hits = get_all(reader, query)
    assert hits and all(any(key in text for text in searchable_fields(kb)[item]) for item in ids(hits))
    if query == "量发展":
        assert set(ids(hits)) == containing(kb, "量发展") < containing(kb, "量", "发展")
    else:  # read: 清城 2023: 着力推动清远鸡提质扩量塑品牌
        assert ids(hits) == [("passage", "qingcheng-2024:p7")]


@pytest.mark.parametrize("query", ["3+1+N", "1310", "“1+6+N”"])
def test_acronyms_still_find_exactly_the_texts_holding_them(reader, kb, query):
    hits = get_all(reader, query)
    assert hits and set(ids(hits)) == containing(kb, label_key(query))


def test_an_acronym_inside_an_unspaced_query_stays_whole(reader, kb):
    hits = get_all(reader, "1310部署")
    # read: the glossary's 省委“1310”具体部署 says …的“1310”部署 (folded: 1310部署); 清城's first paragraph
    # says 省委“1310”具体部署, and the 2024 plan's …深化落实省委“1310”具体部署…
    assert ids(hits)[0] == ("entry", "qingcheng-2024:1")
    assert set(ids(hits)) == containing(kb, "1310", "部署")


@pytest.mark.parametrize("query", ["优化营商环境", "振兴乡村", "农村振兴", "发展", "百千万工程", "发展和安全"])
def test_every_hit_has_highlights_in_the_snippet_it_names(reader, kb, query):
    for hit in get_all(reader, query):
        assert hit["highlights"], hit["id"]
        assert hit["highlights_in"] in ("text", "heading") and (hit["highlights_in"] == "heading") == (
            hit["type"] == "passage" and hit["snippet"] in hit["section"] and hit["offset"] == 0
            and not any(label_key(hit["snippet"][s:e]) in own_text(kb, (hit["type"], hit["id"]))
                        for s, e in hit["highlights"]))


def test_an_entry_found_only_by_a_label_is_highlighted_in_that_label(editor):
    client, token = editor
    made = ok(client.post("/entries", headers=token, json={
        "headword": "青禾智链", "definition": "指依托数字平台建设的农业产业链协同示范项目。",
        "labels": ["禾链工程"]}), 201)  # a label that the headword and definition do not print
    [hit] = get_all(client, "禾链工程")
    assert (hit["id"], hit["highlights_in"], hit["snippet"], hit["offset"]) == (made["id"], "label", "禾链工程", 0)
    assert hit["highlights"] == [[0, 4]]


def test_a_write_between_two_pages_neither_repeats_nor_skips_a_hit(editor):
    client, token = editor
    before = get_all(client, "振兴乡村")
    first = ok(client.get("/search", query_string={"q": "振兴乡村", "limit": 5}))
    assert ids(first["hits"]) == ids(before[:5]) and len(before) > 10
    # a new entry that says 振兴乡村 as typed ranks above every hit so far: an offset would show a hit again
    made = ok(client.post("/entries", headers=token, json={
        "headword": "振兴乡村示范带", "definition": "指以振兴乡村为主线连片建设的示范带。"}), 201)
    second = ok(client.get("/search", query_string={"q": "振兴乡村", "limit": 5, "cursor": first["next_cursor"]}))
    assert second["total"] == len(before) + 1
    # the first hit of page one goes: an offset would skip a hit
    gone = before[0]["id"]
    etag = client.get(f"/entries/{gone}").headers["ETag"]
    assert client.delete(f"/entries/{gone}", headers=token | {"If-Match": etag}).status_code == 204
    rest, cursor = [], second["next_cursor"]
    while cursor:
        page = ok(client.get("/search", query_string={"q": "振兴乡村", "limit": 5, "cursor": cursor}))
        rest += page["hits"]
        cursor = page["next_cursor"]
    assert ids(first["hits"] + second["hits"] + rest) == ids(before)
    after = get_all(client, "振兴乡村")
    assert ids(after)[0] == ("entry", made["id"]) and ("entry", gone) not in ids(after)
    assert [h for h in after if h["id"] not in (made["id"], gone)] == [h for h in before if h["id"] != gone]


@pytest.mark.parametrize("cursor", ["garbage!", "o5", "0000271", "00002710ABCD", "00002710abc", "zz" * 8,
                                    cursor_for("x:10"), "00002710" + "ab" * 401])
def test_a_malformed_or_foreign_cursor_is_a_422_problem(reader, cursor):
    body = assert_problem(reader.get("/search", query_string={"q": "振兴乡村", "cursor": cursor}), 422)
    assert "cursor" in json.dumps(body["errors"])


def test_a_cursor_of_another_listing_is_refused(reader):
    terms = ok(reader.get("/terms", query_string={"limit": 1}))
    assert terms["next_cursor"]
    assert_problem(reader.get("/search", query_string={"q": "振兴乡村", "cursor": terms["next_cursor"]}), 422)


def test_any_cursor_of_the_documented_pattern_is_a_place_in_the_ranking(reader):
    whole = get_all(reader, "振兴乡村")
    top = ok(reader.get("/search", query_string={"q": "振兴乡村", "limit": 100, "cursor": "ffffffff00"}))
    assert ids(top["hits"]) == ids(whole) and top["next_cursor"] is None  # above every score: from the first
    bottom = ok(reader.get("/search", query_string={"q": "振兴乡村", "cursor": "00000000ff"}))
    assert bottom["hits"] == [] and bottom["next_cursor"] is None and bottom["total"] == len(whole)
