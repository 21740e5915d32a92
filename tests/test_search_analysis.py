"""The search analysis (groundwork of the search issue): words, acronyms, bigrams, offsets, pickling."""

from __future__ import annotations

import pickle

import pytest

from kb.search import bigrams, parse_query, schema, words


@pytest.mark.parametrize("text,acronym", [
    ("加快完善“1+6+N”基层社会治理体系", "1+6+n"),
    ("落实“３＋２”产业集群", "3+2"),
    ("锚定省委1310部署", "1310"),
    ("开展GEP核算", "gep"),
])
def test_acronyms_stay_single_words_with_offsets_into_the_text(text, acronym):
    found = {word: (start, end) for word, start, end in words(text)}
    assert acronym in found
    start, end = found[acronym]
    assert len(text[start:end]) == len(acronym)


def test_traditional_text_is_folded_before_splitting():
    assert [w for w, _, _ in words("百千萬工程")] == [w for w, _, _ in words("百千万工程")]


def test_word_positions_are_sequential_and_offsets_cover_the_text():
    text = "推动高质量发展"
    pieces = list(words(text))
    assert "".join(text[s:e] for _, s, e in pieces) == text


def test_bigrams_cover_every_pair_of_characters_then_the_last_alone():
    assert [g for g, _, _ in bigrams("清远鸡品牌")] == ["清远", "远鸡", "鸡品", "品牌", "牌"]


def test_query_parts_and_quoted_phrases():
    assert [t.key for t in parse_query('清远鸡 品牌 "高质量发展" “3+1+N”')] == ["清远鸡", "品牌", "高质量发展", "3+1+n"]


def test_schema_pickles_without_a_tokenizer_inside():
    restored = pickle.loads(pickle.dumps(schema("words.txt", "cache")))
    assert restored["words"].analyzer.words_file == "words.txt"


# An unspaced part's pieces (jieba's words as the base dictionary reads them, in the comment): what a text
# that lacks the part as typed must hold instead, each anywhere.
@pytest.mark.parametrize("part,expected", [
    ("优化营商环境", ["优化", "营商", "环境"]),  # 优化 营商 环境
    ("振兴乡村", ["振兴", "乡村"]),
    ("3+2产业集群", ["3+2", "产业", "集群"]),  # an acronym stays whole
    ("1310部署", ["1310", "部署"]),
    ("清远鸡品牌", ["清远鸡", "品牌"]),  # 清远 鸡 品牌: one character joins the word before it
    ("量发展", ["量发展"]),  # 量 发展: ... or the one after it
    ("2024年", ["2024年"]),
    ("乡村的振兴", ["乡村", "振兴"]),  # a function character between two words separates them
    ("发展和安全", ["发展", "安全"]),
    ("清远鸡的品牌", ["清远鸡", "品牌"]),
    ("和美乡村", ["和美", "乡村"]),  # 和 美 乡村: not between two words, 和 is a character like any other
    ("乡村的鸡", ["乡村的鸡"]),  # nor before a word of one character
    ("水与电", ["水与电"]),
    ("乡村振兴的", ["乡村", "振兴的"]),
    ("的和", ["的和"]),  # nothing but function characters: as typed
    ("产业，集群", ["产业,集群"]),  # punctuation inside: as typed
])
def test_an_unspaced_part_is_searched_as_its_words(part, expected):
    [parsed] = parse_query(part)
    assert list(parsed.pieces) == expected


def test_a_quoted_part_is_searched_as_typed_only():
    assert [p.pieces for p in parse_query('"优化营商环境" “振兴乡村”')] == [("优化营商环境",), ("振兴乡村",)]
