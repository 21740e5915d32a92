"""The dictionary's arrays (kb.search.dagcut) cut runs, many at once, into jieba's words: every run of the reports,
with user words added and deleted, and runs made up over frequent characters."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.search.analysis import (
    _JIEBA_BLOCK,
    _RUNS,
    ACRONYM,
    USER_WORD_FREQ,
    _base_dictionary,
    _fold,
    _tokenizer,
    _user_words,
    cut_runs,
    prepare_bulk_cut,
    word_positions,
)
from kb.search.dagcut import DictionaryCut
from tests.conftest import DATA, REPORTS, ROOT

# labels that are dictionary words (高质, 百千万, 区县), prefixes of one (count 0: 经济社, 改革开), extend one, or
# are new altogether, overlapping each other
LABELS = ["高质量发展", "高质", "质量发", "百千万工程", "百千万", "乡村振", "振兴乡村", "新质生产力", "发展新质",
          "营商环境优化", "产业集群", "集群发展", "清远鸡", "区县", "县域经济高质量", "经济社", "改革开"]
DELETED = ["高质", "百千万", "振兴乡村", "新质生产力", "区县", "经济社"]  # some were dictionary words, some were new
FREQUENT = "发展推动高质量建设经济社会工作全面体系产业新城乡村振兴百千万工程区县域集群营商环境改革开放的和是在了一"


def report_runs() -> list[str]:
    """Every run jieba cuts in the reports of corpus/ and tests/data/ (counties included), once each."""
    paths = {*REPORTS.values(), *(ROOT / "corpus").glob("*.txt"), *DATA.glob("*.txt"), *DATA.glob("*/*.txt")}
    runs = {run.group(0) for path in paths for run in _RUNS.finditer(_fold(path.read_text(encoding="utf-8"))[0])}
    return sorted(run for run in runs if len(run) > 1 and not ACRONYM.fullmatch(run))


# runs with characters outside jieba's block (CJK extension A, compatibility ideographs, the end of the unified
# block), which cut() splits before its DAG: they are cut by cut() with the arrays prepared too
OUTSIDE_THE_BLOCK = ["发展㐀㐁经济", "豈更车輛", "鿖鿗研究", "㐀乡村振兴"]


@pytest.fixture(scope="module")
def runs() -> list[str]:
    found = report_runs()
    assert sum(1 for run in found if _JIEBA_BLOCK.fullmatch(run)) > 10_000  # the arrays', nearly all
    return found + OUTSIDE_THE_BLOCK


def assert_cuts_like_jieba(words_file: str, cache_dir: str, runs: list[str]) -> None:
    """The cut ``word_positions_many`` uses once a bulk write prepared it gives ``tokenizer.cut``'s words, run by
    run: all the runs cut at once, and a few thousand at a time (runs of other lengths side by side)."""
    prepare_bulk_cut(words_file, cache_dir)
    tokenizer = _tokenizer(words_file, cache_dir)
    assert _user_words(words_file, cache_dir).bulk_cut is not None
    expected = [list(tokenizer.cut(run)) for run in runs]
    for size in (len(runs), 3000):
        found = [words for at in range(0, len(runs), size) for words in cut_runs(runs[at:at + size], words_file,
                                                                                 cache_dir)]
        for run, words, jiebas in zip(runs, found, expected, strict=True):
            assert words == jiebas, run


def test_every_run_of_the_reports_is_cut_as_jieba_cuts_it(tmp_path, runs):
    assert_cuts_like_jieba("", str(tmp_path), runs)


def test_user_words_added_then_deleted_are_cut_as_jieba_cuts_them(tmp_path, runs):
    words_file = tmp_path / "words.txt"
    words_file.write_text("\n".join(LABELS) + "\n", encoding="utf-8")
    base, _ = _base_dictionary(str(tmp_path))
    assert {base.get(w) and "word" or "prefix" if w in base else "new" for w in LABELS} == {"word", "prefix", "new"}
    with_labels = [*runs, *LABELS, *(a + b for a in LABELS for b in LABELS)]
    assert_cuts_like_jieba(str(words_file), str(tmp_path), with_labels)
    made = _user_words(str(words_file), str(tmp_path)).bulk_cut
    words_file.write_text("\n".join(w for w in LABELS if w not in DELETED) + "\n", encoding="utf-8")
    _tokenizer(str(words_file), str(tmp_path))
    assert _user_words(str(words_file), str(tmp_path)).bulk_cut is None  # made for the words as they were
    assert_cuts_like_jieba(str(words_file), str(tmp_path), with_labels)
    assert _user_words(str(words_file), str(tmp_path)).bulk_cut is not made


def test_word_positions_are_the_same_with_the_arrays(tmp_path):
    words_file = tmp_path / "words.txt"
    words_file.write_text("\n".join(LABELS) + "\n", encoding="utf-8")
    texts = [path.read_text(encoding="utf-8") for path in REPORTS.values()]
    by_jieba = [word_positions(text, str(words_file), str(tmp_path)) for text in texts]
    prepare_bulk_cut(str(words_file), str(tmp_path))
    assert [word_positions(text, str(words_file), str(tmp_path)) for text in texts] == by_jieba


def test_every_word_of_the_dictionary_has_its_prefixes_in_it(tmp_path):
    """jieba's scan from a start stops at the first piece not in ``FREQ``, so a word whose prefixes were not all in
    it would not be in the DAG (the arrays' trie leaves such a word out too): its dictionary has them all."""
    freq, _ = _base_dictionary(str(tmp_path))
    assert all(word[:i] in freq for word, count in freq.items() if count for i in range(1, len(word)))


@pytest.fixture(scope="module")
def made_up(tmp_path_factory):
    """A tokenizer with user words over ``FREQUENT``'s characters, and the arrays made from it."""
    where = tmp_path_factory.mktemp("made-up")
    tokenizer = _tokenizer("", str(where))
    plain = DictionaryCut(tokenizer.FREQ, tokenizer.total)
    words_file = where / "words.txt"
    words_file.write_text("\n".join(LABELS) + "\n", encoding="utf-8")
    labelled = _tokenizer(str(words_file), str(where))
    assert labelled.FREQ["百千万"] == USER_WORD_FREQ
    return (tokenizer, plain), (labelled, DictionaryCut(labelled.FREQ, labelled.total))


@settings(max_examples=600, deadline=None)
@given(st.lists(st.text(alphabet=FREQUENT, min_size=1, max_size=40), min_size=1, max_size=6))
def test_made_up_runs_are_cut_as_jieba_cuts_them(made_up, runs):
    for tokenizer, cut in made_up:
        assert cut.cut_many(runs) == [list(tokenizer.cut(run)) for run in runs]
        assert cut(runs[0]) == list(tokenizer.cut(runs[0]))


def test_no_runs_are_no_words(made_up):
    (_, cut), _ = made_up
    assert cut.cut_many([]) == []
