"""A whole index written at once (kb.search.bulk) holds exactly what Whoosh's own writer would write."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest

import kb.search as search_module
from kb.build import build
from kb.knowledge import KnowledgeBase
from kb.search import SearchDoc, SearchIndex, _fields, _stamp_fields
from kb.search.analysis import (
    _JIEBA_BLOCK,
    _RUNS,
    _cut,
    _fold,
    _KBTokenizer,
    _tokenizer,
    _user_words,
    gram_codes,
    gram_text,
    word_positions,
)
from kb.search.codec import _Codec
from kb.store import Store, make_engine
from tests.conftest import REPORTS, make_settings

TEXTS = [
    "推动高质量发展，实施“百千万工程”。",
    "构建“3+1+N”产业体系|第一部分|（二）产业",
    "１＋６＋Ｎ 与 1310：全角、半角；English words and 3+2.",
    "鸡",
    "乡村的振兴乡村振兴乡村振兴",
    "|标题只有|",
    "百千萬工程（繁體）——破折号……省略号",
    "",
]


@pytest.mark.parametrize("text", TEXTS)
def test_one_pass_counts_are_what_the_analyzers_yield(tmp_path, text):
    words_file = tmp_path / "words.txt"
    words_file.write_text("百千万工程\n产业体系\n", encoding="utf-8")
    words = _KBTokenizer("words", str(words_file), str(tmp_path))
    expected: dict[str, list[int]] = {}
    for token in words(text, positions=True, mode="index"):
        expected.setdefault(token.text, []).append(token.pos)
    assert word_positions(text, str(words_file), str(tmp_path)) == expected
    grams: dict[str, int] = {}
    for token in _KBTokenizer("grams")(text, mode="index"):
        grams[token.text] = grams.get(token.text, 0) + 1
    codes, per_text = gram_codes([_fold(text)[0]])
    assert per_text.tolist() == [len(codes)]
    assert Counter(map(gram_text, codes.tolist())) == grams


def whoosh_written(index: SearchIndex, docs: list[SearchDoc], user_words, revision: int, store: str) -> None:
    """The index written by Whoosh's own writer, one document at a time, as kb wrote it before the bulk writer."""
    index._index()
    index._write_words(user_words, folded=True)
    writer = index._write_index().writer(codec=_Codec())
    for doc in docs:
        writer.add_document(**_fields(doc))
    writer.add_document(**_stamp_fields(revision, store))
    writer.commit()


def contents(index: SearchIndex) -> dict:
    """Everything the index holds, by document id rather than document number: each field's postings
    (weights and encoded values), the field lengths, the stored fields and the key column."""
    searcher = index._index().searcher()
    reader = searcher.reader()
    ids = {n: reader.stored_fields(n)["id"] for n in reader.all_doc_ids()}
    keys = reader.column_reader("key", translate=False)
    found: dict = {"stored": {ids[n]: reader.stored_fields(n) for n in ids},
                   "keys": {ids[n]: keys[n] for n in ids}}
    for fieldname in ("words", "grams", "kind", "id", "document"):
        postings = {}
        for term in reader.lexicon(fieldname):
            matcher = reader.postings(fieldname, term)
            listed = []
            while matcher.is_active():
                # a field without values (kind, id, document) reads b"" or None by how its segment inlined it
                listed.append((ids[matcher.id()], matcher.weight(), matcher.value() or b""))
                matcher.next()
            postings[term] = sorted(listed)
        found[fieldname] = postings
        # (the stamp has no text: a segment of the stamp alone has no lengths, and reads None for 0)
        found[fieldname + " lengths"] = {ids[n]: reader.doc_field_length(n, fieldname) for n in ids
                                         if ids[n] != "~stamp"}
    searcher.close()
    return found


def segment_files(index: SearchIndex) -> dict[str, bytes]:
    """The files of an index of one segment, by kind (postings, terms, lengths, stored fields, columns)."""
    storage = index._index().storage
    [segment] = index._index()._segments()
    inner = segment.open_compound_file(storage)
    found = {name.split(".", 1)[1]: inner.open_file(name).read() for name in inner.list()}
    inner.close()
    return found


@pytest.mark.parametrize("procs,arrays", [(1, False), (2, False), (2, True)])
def test_the_bulk_writer_writes_what_whooshs_writer_writes(kb, tmp_path, monkeypatch, procs, arrays):
    """``arrays``: the words cut by kb.search.dagcut, as they are in a bulk write of much text. With one
    process, the grams are numbered a few texts at a time (as a segment of much text is)."""
    docs, user_words = kb.search_docs(), sorted(kb.user_words())
    plain = SearchIndex(tmp_path / "plain", tmp_path)
    whoosh_written(plain, docs, user_words, 7, "s")
    monkeypatch.setattr(search_module, "PARALLEL_DOCS", 10)
    monkeypatch.setattr(search_module, "BULK_CUT_CHARS", 0 if arrays else 10**12)
    monkeypatch.setattr(search_module.os, "cpu_count", lambda: procs)
    if procs == 1:
        monkeypatch.setattr(search_module.bulk_writing, "_GRAM_RUN_CHARS", 500)
    bulk = SearchIndex(tmp_path / "bulk", tmp_path)
    report = bulk.sync(docs, user_words, revision=7, store="s", folded=True)
    assert report.added == len(docs)
    assert (_user_words(bulk.words_file, bulk.cache_dir).bulk_cut is not None) == arrays
    assert len(bulk._index()._segments()) == procs  # one segment a process
    expected, written = contents(plain), contents(bulk)
    assert len(written["stored"]) == len(docs) + 1  # and the stamp
    for part in expected:
        assert written[part] == expected[part], part
    if procs == 1:  # one segment either way: the same bytes, posting blocks and their statistics included
        plain_files, bulk_files = segment_files(plain), segment_files(bulk)
        assert plain_files.keys() == bulk_files.keys() and len(plain_files) >= 4, plain_files.keys()
        for kind in plain_files:
            assert bulk_files[kind] == plain_files[kind], kind
    for query in ("高质量发展", "3+2", "百千萬工程", "清远鸡 品牌", "产业"):
        assert [vars(h) for h in bulk.search(query, limit=None).hits] == \
            [vars(h) for h in plain.search(query, limit=None).hits], query
    assert bulk.stamp() == ("s", 7)
    plain.close()
    bulk.close()


def test_a_part_that_fails_in_another_process_leaves_the_index_as_it_was(kb, tmp_path, monkeypatch):
    docs, user_words = kb.search_docs(), kb.user_words()
    index = SearchIndex(tmp_path / "index", tmp_path)
    index.sync(docs, user_words, revision=3, store="s", folded=True)
    before = {h.id for h in index.search("高质量发展", limit=None).hits}
    monkeypatch.setattr(search_module, "PARALLEL_DOCS", 10)
    monkeypatch.setattr(search_module.os, "cpu_count", lambda: 2)
    last = docs[-1].id  # in the second half: written by the forked process
    real = search_module._fields

    def failing(doc):
        if doc.id == last:
            raise ValueError("a text the writer cannot take")
        return real(doc)
    monkeypatch.setattr(search_module, "_fields", failing)
    with pytest.raises(RuntimeError, match="a text the writer cannot take"):
        index.sync(docs[1:], user_words, revision=4, store="s", rebuild=True, folded=True)
    index.close()
    again = SearchIndex(tmp_path / "index", tmp_path)
    assert again.stamp() == ("s", 3)
    assert {h.id for h in again.search("高质量发展", limit=None).hits} == before
    # and the lock was let go: the next write goes through
    monkeypatch.setattr(search_module, "_fields", real)
    assert again.sync(docs[1:], user_words, revision=4, store="s", rebuild=True, folded=True).added == len(docs) - 1
    assert again.stamp() == ("s", 4)
    again.close()


def test_a_build_indexes_what_a_reindex_of_the_store_would(tmp_path, monkeypatch):
    """A build indexes the entries and passages it has just stored without reading the store back: the same
    index as ``kb reindex`` makes from the store, editors' changes included (an edited definition, a deleted
    entry, an editor's own entry with a label of its own)."""
    settings = make_settings(tmp_path, {"qingcheng-2024": REPORTS["qingcheng-2024"]})
    build(settings)
    kb = KnowledgeBase.open(settings)
    [first, second] = kb.entries()[:2]
    kb.update_entry(first.id, {"definition": "编辑改过的定义：推动城乡区域协调发展。"}, 0, "alice")
    kb.delete_entry(second.id, 0, "alice")
    own = kb.create_entry({"headword": "编辑词条", "definition": "只在编辑里有的词条，提到百千万工程。",
                           "labels": ["编辑词条", "编辑简称"]}, "alice")
    kb.close()
    # a build writes a missing index whole (else only what changed: an editor's write leaves the texts that only
    # its new or removed user words would cut otherwise as they were, and a build finds their digests the same)
    shutil.rmtree(settings.data_dir / "index")
    monkeypatch.setattr(search_module, "PARALLEL_DOCS", 10)  # and written by two processes
    monkeypatch.setattr(search_module.os, "cpu_count", lambda: 2)
    build(settings)
    index = SearchIndex(settings.data_dir / "index", settings.data_dir)
    built_words = (settings.data_dir / "index" / "words.txt").read_text(encoding="utf-8")
    built = contents(index)
    index.close()
    assert built["stored"][first.id]["text"] == f"{first.headword}：编辑改过的定义：推动城乡区域协调发展。"
    assert built["stored"][own.id]["text"].startswith("编辑词条：")
    assert second.id not in built["stored"]
    assert "编辑简称" in built_words.split("\n")
    kb = KnowledgeBase.open(settings)
    kb.sync_index(rebuild=True)
    kb.close()
    index = SearchIndex(settings.data_dir / "index", settings.data_dir)
    assert (settings.data_dir / "index" / "words.txt").read_text(encoding="utf-8") == built_words
    again = contents(index)
    index.close()
    for part in built:
        assert again[part] == built[part], part


def test_the_direct_dag_cut_is_what_jiebas_cut_gives(tmp_path):
    """Runs of Chinese characters are cut by jieba's DAG straight away where cut() would hand it the run whole;
    the words are those cut() gives, for every run of the three reports and for runs with characters outside
    jieba's block (CJK extension A, compatibility ideographs, the end of the unified block)."""
    tokenizer = _tokenizer("", str(tmp_path))
    texts = [path.read_text(encoding="utf-8") for path in REPORTS.values()]
    texts.append("发展㐀㐁经济，豈更车輛，鿖鿗研究，乡村振兴")
    runs = {run.group(0) for text in texts for run in _RUNS.finditer(_fold(text)[0]) if len(run.group(0)) > 1}
    direct = [run for run in runs if _JIEBA_BLOCK.fullmatch(run)]
    assert len(direct) > 1000 and len(runs) - len(direct) >= 3  # both ways are taken
    for run in runs:
        assert _cut(tokenizer, run) == list(tokenizer.cut(run)), run


def test_an_edit_while_a_build_stores_is_in_the_index_the_build_writes(tmp_path, monkeypatch):
    """A build writes a missing index in other processes while it derives and stores; an editor who writes in
    that time (the build derives again under the store's lock) finds the edit in the index too."""
    settings = make_settings(tmp_path, {"qingcheng-2024": REPORTS["qingcheng-2024"]})
    build(settings, index=False)  # a store and no index: the next build writes it whole, alongside
    monkeypatch.setattr(search_module, "PARALLEL_DOCS", 10)
    original = Store.replace_content
    edited = []

    def an_editor_first(self, *args, **kwargs):
        editor = KnowledgeBase(Store(make_engine(settings.database_url)), None, settings.data_dir)
        entry = editor.entries()[0]
        editor.update_entry(entry.id, {"definition": "构建期间改写的定义，独一无二。"}, 0, "bob")
        editor.close()
        edited.append(entry.id)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Store, "replace_content", an_editor_first)
    build(settings)
    index = SearchIndex(settings.data_dir / "index", settings.data_dir)
    store = Store(make_engine(settings.database_url))
    assert index.stamp() == (store.info()["store"], int(store.info()["revision"]))
    assert [h.id for h in index.search("构建期间改写", limit=None).hits] == edited
    assert index.search("百千万工程", limit=None).total > 5  # and the rest of the corpus
    index.close()
    store.engine.dispose()


def test_a_build_that_fails_to_store_lets_go_of_the_index_it_was_writing(tmp_path, monkeypatch):
    settings = make_settings(tmp_path, {"qingcheng-2024": REPORTS["qingcheng-2024"]})
    monkeypatch.setattr(search_module, "PARALLEL_DOCS", 10)
    original = Store.replace_content

    def failing(self, *args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Store, "replace_content", failing)
    with pytest.raises(RuntimeError, match="went away"):
        build(settings)
    index = SearchIndex(settings.data_dir / "index", settings.data_dir)
    assert index.stamp() is None  # nothing was committed
    index.close()
    monkeypatch.setattr(Store, "replace_content", original)
    build(settings)  # the lock was let go: the next build writes the index
    index = SearchIndex(settings.data_dir / "index", settings.data_dir)
    assert index.stamp() is not None and index.search("百千万工程", limit=None).total > 5
    index.close()
