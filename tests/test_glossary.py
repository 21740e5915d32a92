"""Tests for kb.glossary: numbered entries, headwords, definitions, labels, full names and components."""

import pytest

from kb.ingest import parse_text
from kb.ingest.glossary import parse_glossary
from kb.ingest.lines import Line
from kb.labels import components, full_name, labels
from kb.model import Component, Label


def numbered(*texts):
    """Glossary lines numbered from 1, as split_layout hands them over."""
    return [Line(number, text) for number, text in enumerate(texts, start=1)]


def entries(*texts):
    return [(e.number, e.headword, e.definition) for e in parse_glossary(numbered(*texts)).entries]


# --- numbering, headword and definition ---------------------------------------------------------


@pytest.mark.parametrize("number", ["1.", "1．", "1、", "［1］", "[1]", "1 .", "［ 1 ］"])
@pytest.mark.parametrize("colon", ["：", ":"])
def test_entry_numbering_styles(number, colon):
    line = f"{number}“四免”政策{colon}指免收城乡居民基本医疗保险个人缴费。"
    assert entries(line) == [(1, "“四免”政策", "指免收城乡居民基本医疗保险个人缴费。")]


def test_headword_ends_at_the_first_colon():
    assert entries("1.ESI：全称“基本科学指标数据库”，即：衡量科研水平的指标。") == [
        (1, "ESI", "全称“基本科学指标数据库”，即：衡量科研水平的指标。"),
    ]


def test_definition_continues_on_following_lines_until_the_next_entry():
    assert entries(
        "1.“四免”政策：指免收城乡居民基本医疗保险个人缴",
        "",
        "费等四项费用，惠及群众 12 万人。",
        "2.“1310”具体部署：省委提出的工作部署。",
    ) == [
        (1, "“四免”政策", "指免收城乡居民基本医疗保险个人缴费等四项费用，惠及群众12万人。"),
        (2, "“1310”具体部署", "省委提出的工作部署。"),
    ]


@pytest.mark.parametrize(
    "split",
    [
        ["1.省委“1310”具体", "部署：省委提出的工作部署。"],  # a wrap inside the headword
        ["1.省委“1310”具体部署", "：省委提出的工作部署。"],  # a web page's hyperlink before the colon
    ],
)
def test_a_headword_split_before_its_colon_is_rejoined(split):
    assert entries(*split, "2.“四免”政策：指免收相关费用。") == [
        (1, "省委“1310”具体部署", "省委提出的工作部署。"),
        (2, "“四免”政策", "指免收相关费用。"),
    ]


def test_entry_remembers_its_line():
    lines = [Line(40, "1.“四免”政策：指免收相关费用。"), Line(42, "2.“双千”计划：指引进千名人才。")]
    assert [e.line for e in parse_glossary(lines).entries] == [40, 42]


@pytest.mark.parametrize(
    "continuation",
    [
        "8.7%、贷款余额增长 10.2%，存款余额增长 9.1%。",
        "8.7%、贷款余额增长 10.2%等两项指标：均居全市前列。",
        "2.5%、贷款余额增长 10.2%等两项指标：均居全市前列。",  # 2 is the next entry's number
        "3、5 年内完成改造，其中：新建 2 所。",
    ],
)
def test_a_line_starting_with_a_number_inside_a_definition_is_not_an_entry(continuation):
    found = entries("1.“四免”政策：指免收相关费用，全年各项存款增长", continuation, "2.“双千”计划：指引进千名人才。")
    assert [number for number, _, _ in found] == [1, 2]
    assert found[0][2].endswith(continuation.replace(" ", ""))


@pytest.mark.parametrize(
    ("texts", "line", "words", "numbers"),
    [
        (("1.甲项工作：定义。", "3.丙项工作：定义。"), 2, "entry 2 is missing", [1, 3]),
        (("2.乙项工作：定义。",), 1, "entry 1 is missing", [2]),
        (("1.甲项工作：定义。", "5.戊项工作：定义。"), 2, "entries 2-4 are missing", [1, 5]),
        (("1.甲项工作：定义。", "2.乙项工作：定义。", "2.丙项工作：定义。"), 3, "read as entry 3", [1, 2, 3]),
        (("1.甲项工作：定义。", "1.甲项工作：定义。"), 2, "printed 2 times", [1]),
        (("1.甲项工作：定义。", "2.乙项工作：定义。", "2.乙项工作：定义。"), 3, "printed again", [1, 2]),
    ],
)
def test_a_missing_or_repeated_number_is_a_warning_naming_the_line(texts, line, words, numbers):
    glossary = parse_glossary(numbered(*texts))
    assert [e.number for e in glossary.entries] == numbers
    assert [(w.line, words in w.message) for w in glossary.warnings] == [(line, True)]


def test_lines_before_the_first_entry_are_ignored():
    found = entries("以下为报告中有关名词的解释", "1.“四免”政策：指免收相关费用。")
    assert found == [(1, "“四免”政策", "指免收相关费用。")]


# --- labels ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headword", "definition", "expected"),
    [
        (
            "“1310”具体部署",
            "省委提出的工作部署。",
            [("“1310”具体部署", "headword"), ("1310具体部署", "headword"), ("1310", "core")],
        ),
        ("“3+2”产业体系", "指3个主导产业和2个特色产业。", [("3+2", "core")]),
        ("“四免”政策", "指免收四项费用。", [("四免政策", "headword"), ("四免", "core")]),
        ("ESI", "全称“基本科学指标数据库”，是衡量科研水平的指标。", [("基本科学指标数据库", "full_name")]),
        ("“揭榜挂帅”", "是“双向揭榜挂帅”的简称，指以任务为导向的科研组织方式。", [("双向揭榜挂帅", "full_name")]),
        ("“双千”计划", "又称“双千工程”，指引进千名人才。", [("双千工程", "alias")]),
        ("“亮诺亮绩亮牌”行动", "简称“三亮”行动，指党员亮承诺。", [("三亮", "alias")]),
        (
            "“两重”“两新”",
            "“两重”指国家重大战略实施和重点领域安全能力建设；“两新”指大规模设备更新和消费品以旧换新。",
            [("两重", "headword"), ("两新", "headword")],
        ),
        ("一江四轨、六纵四横", "全区交通建设的总体布局。", [("一江四轨", "headword"), ("六纵四横", "headword")]),
        (
            "“一园三区”",
            "“一园”指高新技术产业园，“三区”分别是东区、西区和南区。",
            [("一园", "component"), ("三区", "component")],
        ),
    ],
)
def test_labels_include(headword, definition, expected):
    found = labels(headword, definition)
    for text, kind in expected:
        assert Label(text, kind) in found


def test_headword_always_comes_first():
    assert labels("“四免”政策", "指免收四项费用。")[0] == Label("“四免”政策", "headword")


def test_unquoted_headword_has_just_one_headword_label():
    assert labels("两重", "指国家重大战略实施和重点领域安全能力建设。") == [Label("两重", "headword")]


def test_one_or_two_digit_quoted_numbers_are_not_cores():
    found = labels("稳增长“21”条", "指出台的稳增长21条政策措施。")
    assert [label.kind for label in found] == ["headword", "headword"]
    assert Label("21", "core") not in found


def test_labels_are_unique_by_text_as_their_most_specific_kind():
    found = labels("“亮诺亮绩亮牌”行动", "简称“三亮”行动，全区也称“三亮”。")
    assert found.count(Label("三亮", "alias")) == 1
    texts = [label.text for label in found]
    assert len(texts) == len(set(texts))
    # 两重 is a headword of “两重”“两新” and its quoted core: listed once, as the headword
    both = labels("“两重”“两新”", "国家重大战略实施和重点领域安全能力建设，大规模设备更新和消费品以旧换新。")
    assert [label.text for label in both].count("两重") == 1 and Label("两重", "headword") in both


@pytest.mark.parametrize(
    ("headword", "definition", "expected"),
    [
        ("“两重”", "指国家重大战略实施。", [("“两重”", "headword"), ("两重", "headword")]),
        # joined by 和, but the definition names neither part: one term
        ("科技创新和人才培养", "指加强科研投入。", [("科技创新和人才培养", "headword")]),
        (
            "科技英才领航工程和“双千”计划",
            "科技英才领航工程指引进领军人才；“双千”计划指引进千名博士和千名硕士。",
            [
                ("科技英才领航工程和“双千”计划", "headword"),
                ("科技英才领航工程和双千计划", "headword"),
                ("科技英才领航工程", "headword"),
                ("双千计划", "headword"),
                ("双千", "core"),
            ],
        ),
    ],
)
def test_a_headword_is_split_only_when_it_names_two_terms(headword, definition, expected):
    assert labels(headword, definition) == [Label(text, kind) for text, kind in expected]


# --- full name ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("definition", "name"),
    [
        ("全称“基本科学指标数据库”，是衡量科研水平的指标。", "基本科学指标数据库"),
        ("全称为“基本科学指标数据库”。", "基本科学指标数据库"),
        ("全称是“基本科学指标数据库”。", "基本科学指标数据库"),
        ("全称：“基本科学指标数据库”。", "基本科学指标数据库"),
        ("是“双向揭榜挂帅”的简称，指以任务为导向的科研组织方式。", "双向揭榜挂帅"),
        ("为“专业化、精细化、特色化、新颖化”的简称。", "专业化、精细化、特色化、新颖化"),
        ("指锚定“走在前列”总目标。", None),
    ],
)
def test_full_name(definition, name):
    assert full_name(definition) == name


# --- components -----------------------------------------------------------------------------------


def test_numbered_components_and_a_quoted_word_inside_a_meaning():
    definition = "省委提出的工作部署，“1”指锚定“走在前列”总目标，“3”指聚焦三大战略任务，“10”指实施十大行动。"
    assert components("“1310”具体部署", definition) == [
        Component("1", "锚定“走在前列”总目标"),
        Component("3", "聚焦三大战略任务"),
        Component("10", "实施十大行动"),
    ]


@pytest.mark.parametrize("verb", ["指", "即", "为", "是指"])
def test_named_components(verb):
    definition = f"“一园”{verb}高新技术产业园；“三区”分别是东区、西区和南区。"
    assert components("“一园三区”", definition) == [
        Component("一园", "高新技术产业园"),
        Component("三区", "东区、西区和南区"),
    ]


@pytest.mark.parametrize(
    ("headword", "definition"),
    [
        ("“揭榜挂帅”", "指以“走在前列”为目标的科研组织方式。"),
        ("“1310”具体部署", "指锚定“走在前列”总目标。"),
        ("“一园三区”", "指“高新区”建设的总体布局。"),
    ],
)
def test_quoted_words_that_are_not_parts_of_the_headword_are_not_components(headword, definition):
    assert components(headword, definition) == []


def test_component_labels_are_marked_as_components_not_names():
    found = labels("“一园三区”", "“一园”指高新技术产业园，“三区”分别是东区、西区和南区。")
    assert [label.text for label in found if label.kind == "component"] == ["一园", "三区"]


# --- glossaries in whole reports ------------------------------------------------------------------

WEB_REPORT = """青城区2024年政府工作报告
各位代表：
我们深入实施“1310”具体部署，推动“双向揭榜挂帅”机制落地见效，全面落实“四免”政策，城乡居民收入稳步提高，民生福祉不断增进。
名词解释
1.“1310”具体部署：省委提出的工作部署，“1”指锚定“走在前列”总目标，“3”指聚焦三大战略任务，“10”指实施十大行动。
2.“揭榜挂帅”：是“双向
揭榜
挂帅”的简称，指以任务为导向、由企业出题科研单位答题的科研组织方式。
3.“四免”政策：指免收城乡居民基本医疗保险个人缴费等四项费用。
责任编辑：李四
"""


def test_entries_of_a_web_report():
    parsed = parse_text(WEB_REPORT, "qingcheng-2024")
    assert [(e.id, e.number, e.headword) for e in parsed.entries] == [
        ("qingcheng-2024:1", 1, "“1310”具体部署"),
        ("qingcheng-2024:2", 2, "“揭榜挂帅”"),
        ("qingcheng-2024:3", 3, "“四免”政策"),
    ]


def test_a_hyperlink_split_definition_is_joined_and_gives_the_full_name():
    entry = parse_text(WEB_REPORT, "qingcheng-2024").entries[1]
    assert entry.definition.startswith("是“双向揭榜挂帅”的简称，指以任务为导向")
    assert entry.full_name == "双向揭榜挂帅"
    assert Label("双向揭榜挂帅", "full_name") in entry.labels


def test_entry_names_exclude_components():
    entry = parse_text(WEB_REPORT, "qingcheng-2024").entries[0]
    assert [c.label for c in entry.components] == ["1", "3", "10"]
    assert entry.names == ("“1310”具体部署", "1310具体部署", "1310")


def test_the_last_definition_stops_at_the_end_of_the_page():
    entry = parse_text(WEB_REPORT, "qingcheng-2024").entries[-1]
    assert entry.definition == "指免收城乡居民基本医疗保险个人缴费等四项费用。"


def test_a_glossary_numbering_gap_is_a_warning_naming_the_report_line():
    broken = WEB_REPORT.replace("3.“四免”政策", "4.“四免”政策")
    parsed = parse_text(broken, "qingcheng-2024", "corpus/qingcheng-2024.txt")
    assert [e.number for e in parsed.entries] == [1, 2, 4]
    assert [(w.line, "entry 3 is missing" in w.message) for w in parsed.document.warnings] == [(9, True)]
