"""Tests for kb.normalize: the label key and folding with offsets back into the original text."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.normalize import fold, fold_fast, fold_with_offsets, label_key, strip_quotes


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("３＋２", "3+2"),  # full-width digits and plus fold to ASCII
        ("ＥＳＩ", "esi"),  # full-width Latin letters fold and lower-case
        ("ESI", "esi"),  # case folding
        ("Ｈｅｌｌｏ", "hello"),
        ("“３＋２”", "3+2"),  # curly quotes dropped
        ("\"1310\"", "1310"),  # straight quotes dropped
        ("「四免」", "四免"),  # corner brackets dropped
        ("《政府工作报告》", "政府工作报告"),  # book-title marks dropped
        ("（一）", "一"),  # full-width parentheses dropped
        ("［1］", "1"),  # full-width square brackets dropped
        ("【双千】", "双千"),
        ("科技·创新", "科技创新"),  # middle dot dropped
        ("科技・创新", "科技创新"),  # katakana middle dot dropped
        ("一江、四轨", "一江四轨"),  # enumeration comma dropped
        ("四 免", "四免"),  # ASCII space dropped
        ("四\u3000免", "四免"),  # ideographic space dropped
        ("四\t免\n", "四免"),  # tab and newline dropped
        ("雙百工程", "双百工程"),  # traditional to simplified
        ("兩重兩新", "两重两新"),
        ("“雙千”計劃", "双千计划"),
        ("稳增长21条", "稳增长21条"),  # already a key: unchanged
    ],
)
def test_label_key(text, key):
    assert label_key(text) == key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("“３＋２”", "3+2"),
        ("ＥＳＩ", "esi"),
        ("雙百工程", "“双百工程”"),
        ("一江、四轨", "一江四轨"),
        ("《科技·创新》", "科技创新"),
    ],
)
def test_label_key_makes_variants_equal(a, b):
    assert label_key(a) == label_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("3+2", "13+2"),
        ("两重", "两新"),
        ("1310", "13100"),
    ],
)
def test_label_key_keeps_different_labels_apart(a, b):
    assert label_key(a) != label_key(b)


@pytest.mark.parametrize("text", ["“３＋２”产业体系", "雙百工程", "《科技·创新》 ＥＳＩ"])
def test_label_key_is_idempotent(text):
    assert label_key(label_key(text)) == label_key(text)


@pytest.mark.parametrize("text", ["", "“”", " \u3000\t", "、·《》"])
def test_label_key_of_only_dropped_characters_is_empty(text):
    assert label_key(text) == ""


@pytest.mark.parametrize(
    ("text", "folded", "offsets"),
    [
        ("“３＋２”行动", "3+2行动", [1, 2, 3, 5, 6]),
        ("雙 百", "双百", [0, 2]),
        ("一江、四轨", "一江四轨", [0, 1, 3, 4]),
        ("ESI", "esi", [0, 1, 2]),
        ("", "", []),
    ],
)
def test_fold_with_offsets(text, folded, offsets):
    assert fold_with_offsets(text) == (folded, offsets)
    assert fold(text) == folded  # the folded text alone


@pytest.mark.parametrize("text", ["实施“３＋２”产业体系", "推进雙百工程，打造ＥＳＩ学科", "《科技·创新》、四 免"])
def test_fold_with_offsets_folds_like_label_key(text):
    folded, offsets = fold_with_offsets(text)
    assert folded == label_key(text)
    assert len(offsets) == len(folded)
    assert offsets == sorted(offsets)


def test_fold_with_offsets_maps_a_folded_span_back_to_the_original_text():
    text = "实施“３＋２”产业体系"
    folded, offsets = fold_with_offsets(text)
    a = folded.index("3+2")
    b = a + len("3+2")
    assert text[offsets[a]:offsets[b - 1] + 1] == "３＋２"


def test_fold_with_offsets_a_character_that_folds_to_two_maps_both_to_it():
    # NFKC turns the single character "㎡" into "m2".
    folded, offsets = fold_with_offsets("每㎡")
    assert folded == "每m2"
    assert offsets == [0, 1, 1]


@pytest.mark.parametrize(
    ("text", "stripped"),
    [
        ("省委“1310”具体部署", "省委1310具体部署"),
        ("「四免」政策", "四免政策"),
        ("《报告》", "《报告》"),  # book-title marks are not quotation marks
    ],
)
def test_strip_quotes(text, stripped):
    assert strip_quotes(text) == stripped


def test_new_characters_never_recompile_the_folding_classes():
    """Every character of the BMP is classified once: a text full of characters never seen before folds with
    the same compiled classes (a client cannot make each request slower by sending new characters)."""
    from kb.normalize import _folding_classes, fold_fast

    classes = _folding_classes()
    before = (classes.dropped, classes.changed)
    unseen = "".join(chr(c) for c in [*range(0x4E00, 0x9FA0, 7), *range(0x3400, 0x3500)]) + "｛１２３｝"
    folded, offsets = fold_fast(unseen)
    assert (folded, list(offsets)) == fold_with_offsets(unseen)
    assert (classes.dropped, classes.changed) == before
    # an astral character that folds (𝐀 -> a) is learnt into a small class of its own, once
    assert fold_fast("𝐀𝐁")[0] == "ab"
    assert classes.changed is before[1]
    learnt = classes.changed_astral
    fold_fast("𝐀𝐁😀")
    assert classes.changed_astral is learnt


def test_the_bulk_classification_folds_every_bmp_character_as_label_key_does():
    from kb.normalize import _fold_bmp, _fold_char

    folds = _fold_bmp()
    assert [c for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF
            and folds.get(chr(c), chr(c)) != _fold_char(chr(c))] == []
    assert folds["萬"] == "万" and folds["３"] == "3" and folds["“"] == "" and folds["㎡"] == "m2"


# characters that folding keeps, changes, drops (quotes, 、, spaces) and expands (㎡ -> m2, … -> ..., Ⅱ -> ii),
# astral ones too (𝐀 -> a, 🄁 -> 0,)
_FOLDING_SAMPLES = "发展體系ａＢ3+“”、 《》㎡…Ⅱ，𝐀😀🄁"


@settings(max_examples=500)
@given(st.text(alphabet=_FOLDING_SAMPLES, min_size=1, max_size=30), st.data())
def test_fast_folding_gives_the_offsets_and_drops_of_the_plain_one(text, data):
    folded, offsets = fold_fast(text)
    plain, listed = fold_with_offsets(text)
    assert (folded, list(offsets)) == (plain, listed)
    if folded:
        start = data.draw(st.integers(0, len(folded) - 1))
        end = data.draw(st.integers(start + 1, len(folded)))
        # a character of the text between the span's first and last was dropped
        dropped = any(not label_key(ch) for ch in text[listed[start]:listed[end - 1] + 1])
        assert offsets.dropped_inside(start, end) == dropped
        assert offsets.span(start, end) == (listed[start], listed[end - 1] + 1)
