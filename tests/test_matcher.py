"""Tests for kb.matcher.LabelMatcher: leftmost-longest, non-overlapping label matches with original offsets."""

import pytest

from kb.matcher import LabelMatcher, Match

LABELS = [
    ("1310", "e-1310"),
    ("3+2", "e-3+2"),
    ("ESI", "e-esi"),
    ("雙百工程", "e-shuangbai"),
    ("科技创新", "e-innovation"),
    ("科技创新券", "e-voucher"),
    ("两重", "e-liangzhong"),
    ("两重两新", "e-liangzhong-liangxin"),
]


@pytest.fixture(scope="module")
def matcher():
    return LabelMatcher(LABELS)


def spans(matcher, text):
    """What each match covers in the text, with the key it matched."""
    return [(text[m.start:m.end], m.key) for m in matcher.find(text)]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("深入实施1310具体部署", [("1310", "1310")]),
        ("深入实施“1310”具体部署", [("1310", "1310")]),
        ("1310、3+2", [("1310", "1310"), ("3+2", "3+2")]),
        ("构建3+2产业体系", [("3+2", "3+2")]),
        ("进入ESI全球前1%", [("ESI", "esi")]),
        ("ESI 学科", [("ESI", "esi")]),
    ],
)
def test_latin_and_digit_labels_match_next_to_chinese_or_punctuation(matcher, text, found):
    assert spans(matcher, text) == found


@pytest.mark.parametrize(
    "text",
    [
        "编号13100的项目",  # 1310 is the start of a longer number
        "编号21310的项目",  # 1310 is the end of a longer number
        "A1310型",
        "构建13+2产业体系",  # 3+2 inside 13+2
        "构建3+2+1体系",
        "ESIX数据库",  # ESI inside a longer word
        "xESI",
        "13101310",
        "编号1310\u200b0的项目",  # an invisible zero-width space does not end a run
        "编号2\u200b1310的项目",
        "第1、3、10条",  # separate numbers are not one run, though 、 folds away
    ],
)
def test_latin_and_digit_labels_do_not_match_inside_a_longer_run(matcher, text):
    assert matcher.find(text) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("推进双百工程建设", "双百工程"),  # simplified text, traditional label
        ("推進雙百工程建設", "雙百工程"),  # traditional text
        ("全面实施科技创新战略", "科技创新"),
        ("ABC科技创新123", "科技创新"),  # Chinese labels need no boundary
    ],
)
def test_chinese_labels_match_anywhere(matcher, text, found):
    assert [covered for covered, _ in spans(matcher, text)] == [found]


@pytest.mark.parametrize(
    ("text", "covered"),
    [
        ("构建３＋２产业体系", "３＋２"),
        ("ＥＳＩ学科", "ＥＳＩ"),
        ("ｅｓｉ学科", "ｅｓｉ"),
        ("推进雙百工程", "雙百工程"),
    ],
)
def test_full_width_and_traditional_text_matches_with_offsets_into_the_original(matcher, text, covered):
    (match,) = matcher.find(text)
    assert text[match.start:match.end] == covered
    assert text.index(covered) == match.start


def test_full_width_digits_count_as_part_of_a_run(matcher):
    assert matcher.find("编号１３１００") == []


def test_longest_label_wins_at_the_same_start(matcher):
    assert spans(matcher, "发放科技创新券") == [("科技创新券", "科技创新券")]
    assert spans(matcher, "统筹两重两新") == [("两重两新", "两重两新")]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("科技创新工作", ("科技创新", "科技创新")),  # 科技创新券 is not complete
        ("科技创新", ("科技创新", "科技创新")),  # text ends inside the longer label
        ("两重两", ("两重", "两重")),
        ("两重两个方面", ("两重", "两重")),
    ],
)
def test_prefix_label_is_found_when_the_longer_label_is_incomplete(matcher, text, found):
    assert spans(matcher, text) == [found]


def test_matches_do_not_overlap_and_the_leftmost_wins():
    matcher = LabelMatcher([("科技创新", "a"), ("创新券", "b")])
    assert spans(matcher, "科技创新券") == [("科技创新", "科技创新")]
    assert spans(matcher, "发放创新券和科技创新") == [("创新券", "创新券"), ("科技创新", "科技创新")]


def test_matches_come_in_text_order_with_offsets(matcher):
    text = "实施1310具体部署，推进雙百工程，构建3+2体系"
    assert matcher.find(text) == [
        Match(2, 6, "1310", ("e-1310",)),
        Match(13, 17, "双百工程", ("e-shuangbai",)),
        Match(20, 23, "3+2", ("e-3+2",)),
    ]


def test_a_label_spans_dropped_characters_in_the_text():
    matcher = LabelMatcher([("科技创新", "a"), ("3+2产业", "b")])
    assert spans(matcher, "科技 创新") == [("科技 创新", "科技创新")]
    assert spans(matcher, "“3+2”产业") == [("“3+2”产业", "3+2产业")]


def test_a_quoted_label_widens_to_its_opening_quote():
    matcher = LabelMatcher([("“亮诺亮绩亮牌”行动", "e")])
    assert spans(matcher, "开展“亮诺亮绩亮牌”行动") == [("“亮诺亮绩亮牌”行动", "亮诺亮绩亮牌行动")]


def test_labels_with_the_same_key_share_one_match_with_every_target():
    matcher = LabelMatcher([("3+2", "a"), ("“３＋２”", "b"), ("3+2", "a")])
    (match,) = matcher.find("构建3+2体系")
    assert match.key == "3+2"
    assert match.targets == ("a", "b")


@pytest.mark.parametrize(
    ("labels", "text"),
    [
        ([], "深入实施1310具体部署"),
        ([("“”", "e")], "深入实施“”具体部署"),  # a label that folds to nothing is ignored
        (LABELS, ""),
        (LABELS, "没有任何名词的句子。"),
    ],
)
def test_nothing_to_find(labels, text):
    assert LabelMatcher(labels).find(text) == []
