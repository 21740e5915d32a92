"""One small report per rule of how county and city reports print their glossary, markers and web page."""

from __future__ import annotations

import pytest

from kb.ingest import parse_text
from kb.model import Label

HEADER = ["某某县2024年政府工作报告", "——2024年1月10日在某某县第十七届人民代表大会第三次会议上"]
BODY = [
    "各位代表：",
    "一、2023年工作回顾",
    "过去一年，我们深入实施“五大行动”［1］，推行林长制［2］，落实“六稳”“六保”［3］要求。",
    "二、2024年工作安排",
    "今年，我们继续推进五大行动，全面落实林长制。",
    "各位代表！让我们团结奋斗，再创佳绩！",
]
ENTRIES = [
    "1.五大行动：指产业、城建、乡村、民生、改革五大行动。",
    "2.林长制：即由各级党政主要负责人担任林长，负责森林资源保护发展。",
    "3.“六稳”“六保”：稳就业、稳金融等六个方面和保居民就业等六个方面。",
]
EXPECTED = [
    (1, "五大行动", "指产业、城建、乡村、民生、改革五大行动。"),
    (2, "林长制", "即由各级党政主要负责人担任林长，负责森林资源保护发展。"),
    (3, "“六稳”“六保”", "稳就业、稳金融等六个方面和保居民就业等六个方面。"),
]


def report(*glossary: str, heading: str | None = "名词解释", body: list[str] = BODY,
           header: list[str] = HEADER) -> str:
    return "\n".join([*header, *body, *([heading] if heading is not None else []), *glossary]) + "\n"


def parsed_entries(text: str) -> list[tuple[int, str, str]]:
    return [(e.number, e.headword, e.definition) for e in parse_text(text, "county-2024").entries]


def warnings(text: str) -> list[str]:
    return [w.message for w in parse_text(text, "county-2024").document.warnings]


# --- glossary headings -----------------------------------------------------------------------------


@pytest.mark.parametrize("heading", [
    "名词解释", "名词注释", "注释", "名词解释：", "※名词解释※", "※注释※", "【名词解释】", "[名词解释]", "*名词解释",
    "《政府工作报告》名词解释", "附：名词解释", "附件一：名词解释", "附件2 名词解释", "名 词 解 释", "四、名词解释",
    "本报告名词解释", "政府工作报告有关名词解释", "名词解释（按在报告中出现的先后排序）",
])
def test_glossary_headings_in_any_dress(heading):
    text = report(*ENTRIES, heading=heading)
    assert parsed_entries(text) == EXPECTED
    assert warnings(text) == []


@pytest.mark.parametrize("glued", ["附：名词解释", "名词解释", "【名词解释】"])
def test_a_heading_glued_to_its_first_entry(glued):
    text = report(glued + ENTRIES[0], *ENTRIES[1:], heading=None)
    assert parsed_entries(text) == EXPECTED


def test_a_glossary_under_a_heading_kb_does_not_know_is_found_by_its_shape():
    text = report(*ENTRIES, heading="附录一 报告中的新提法")
    assert parsed_entries(text) == EXPECTED
    [found] = warnings(text)
    assert "no glossary heading kb knows" in found and "附录一报告中的新提法" in found
    passages = [p.text for p in parse_text(text, "county-2024").passages]
    assert passages[-1] == BODY[-1]


@pytest.mark.parametrize("heading", [["附件1", "有关术语"], ["附件1：报告中的新提法"]])
def test_an_appendix_that_explains_terms_is_a_glossary(heading):
    body = [line.replace("［1］", "").replace("［2］", "").replace("［3］", "") for line in BODY]
    text = report(*heading, *ENTRIES, heading=None, body=body)
    assert parsed_entries(text) == EXPECTED


def test_unnumbered_entries_under_a_glossary_heading_are_numbered_in_order():
    text = report(*(entry.split(".", 1)[1] for entry in ENTRIES))
    assert parsed_entries(text) == EXPECTED
    [numbered] = warnings(text)
    assert "carry no numbers" in numbered


def test_a_glossary_with_no_heading_after_the_closing_words_is_found():
    assert parsed_entries(report(*ENTRIES, heading=None)) == EXPECTED


def test_a_numbered_list_of_projects_is_not_a_glossary():
    projects = ["1.教育提质：新建学校3所，新增学位2000个。", "2.养老服务：新增养老床位200张。"]
    body = [line.replace("［1］", "").replace("［2］", "").replace("［3］", "") for line in BODY]
    for text in (report("附件1", "2024年十件民生实事", *projects, heading=None, body=body),
                 report(*projects, heading=None, body=body[:-1])):
        parsed = parse_text(text, "county-2024")
        assert parsed.entries == []
        assert any("2.养老服务：新增养老床位200张。" in p.text for p in parsed.passages)


# --- entry numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("style", [
    "{}.", "{}．", "{}、", "[{}]", "［{}］", "【{}】", "〔{}〕", "({})", "（{}）", "{}. ", "[{}] ", "【{}】 ",
    "circled",
])
def test_entry_numbers_in_every_style(style):
    def numbered(n, text):
        return ("①②③"[n - 1] if style == "circled" else style.format(n)) + text.split("：", 1)[0].split(".", 1)[1] \
            + "：" + text.split("：", 1)[1]
    assert parsed_entries(report(*(numbered(n, e) for n, e in enumerate(ENTRIES, start=1)))) == EXPECTED


def test_the_sequence_decides_what_starts_an_entry():
    glossary = [
        "1.甲项工作：指第一项工作。", "2.乙项工作：指第二项工作。", "3.丙项工作：指第三项工作。",
        "4.丁项工作：全县存款余额增长",
        "9.6%，贷款余额增长8.1%。",
        "5.5个“在全市领先”：指五项指标在全市领先。",
    ]
    found = parsed_entries(report(*glossary))
    assert [number for number, _, _ in found] == [1, 2, 3, 4, 5]
    assert found[3][2] == "全县存款余额增长9.6%，贷款余额增长8.1%。"
    assert found[4][1:] == ("5个“在全市领先”", "指五项指标在全市领先。")


def test_a_list_inside_a_definition_in_another_style_is_part_of_it():
    glossary = ["1.甲项工作：包括两项：", "（1）建设新城区；", "（2）改造老城区。", "2.乙项工作：指第二项工作。"]
    found = parsed_entries(report(*glossary))
    assert found == [(1, "甲项工作", "包括两项：（1）建设新城区；（2）改造老城区。"), (2, "乙项工作", "指第二项工作。")]


def test_a_numbered_list_inside_a_definition_in_the_same_style_is_part_of_it():
    glossary = ["1.甲项工作：指第一项工作。", "2.乙项工作：包括三项：", "1.新城区：建设新城区；",
                "2.老城区：改造老城区。", "3.丙项工作：指第三项工作。"]
    found = parsed_entries(report(*glossary))
    assert [n for n, _, _ in found] == [1, 2, 3]
    assert found[1][2] == "包括三项：1.新城区：建设新城区；2.老城区：改造老城区。"


def test_entries_glued_on_one_line_are_split_by_their_numbers():
    assert parsed_entries(report("".join(ENTRIES))) == EXPECTED


# --- headwords -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "headword", "definition"), [
    ("1.林长制：即由各级党政主要负责人担任林长。", "林长制", "即由各级党政主要负责人担任林长。"),
    ("1.林长制:即由各级党政主要负责人担任林长。", "林长制", "即由各级党政主要负责人担任林长。"),
    ("1.[林长制]即由各级党政主要负责人担任林长。", "林长制", "即由各级党政主要负责人担任林长。"),
    ("[1]：“六稳”“六保”：稳就业、保就业。", "“六稳”“六保”", "稳就业、保就业。"),
    ("1.“湾长制”。是指由各级党政负责人担任湾长。", "“湾长制”", "是指由各级党政负责人担任湾长。"),
    ("1.“绿水青山，金山银山”：指生态保护与经济发展统一。", "“绿水青山，金山银山”", "指生态保护与经济发展统一。"),
    ("1.垕（hòu）：指古陶瓷产地神垕镇的“垕”字。", "垕（hòu）", "指古陶瓷产地神垕镇的“垕”字。"),
    ("[1]“四方责任：属地、部门、单位、个人的四方责任。", "“四方责任", "属地、部门、单位、个人的四方责任。"),
    ("1.“1+9”工作部署：即落实九个攻坚：分别是…", "“1+9”工作部署", "即落实九个攻坚：分别是…"),
])
def test_headwords(line, headword, definition):
    assert parsed_entries(report(line)) == [(1, headword, definition)]


@pytest.mark.parametrize("line", ["加强法规注释", "三是推进注释工作"])
def test_a_short_body_line_ending_in_a_glossary_word_is_not_a_heading(line):
    body = [*BODY[:4], line, *BODY[4:]]
    parsed = parse_text(report(*ENTRIES, body=body), "county-2024")
    assert [(e.number, e.headword, e.definition) for e in parsed.entries] == EXPECTED
    assert any(p.text == line for p in parsed.passages)


def test_a_dash_may_end_a_headword():
    assert parsed_entries(report("1.五大行动——指产业、城建五大行动。")) == [(1, "五大行动", "指产业、城建五大行动。")]


def test_a_pronunciation_gloss_is_not_part_of_the_label():
    [entry] = parse_text(report("1.垕（hòu）：指古陶瓷产地神垕镇的“垕”字。"), "county-2024").entries
    assert Label("垕", "headword") in entry.labels


# --- definitions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("note", "page"), [("(见第2页)", 2), ("（见第13页）", 13), ("（见第 4 页）", 4),
                                            ("(见第2-3页)", 2)])
def test_a_page_note_is_the_entry_page_not_its_definition(note, page):
    [entry] = parse_text(report("〔1〕两免一补：是指免教科书费、免杂费、补助寄宿生生活费。" + note), "c").entries
    assert (entry.definition, entry.page) == ("是指免教科书费、免杂费、补助寄宿生生活费。", page)


@pytest.mark.parametrize("footer", [
    ["分享到：", "QQ空间", "新浪微博", "人人网"],
    ["免责声明：本文仅代表作者观点，不代表本站立场。", "本站为非营利性网站。", "标签：", "工作报告"],
    ["（责任编辑：王五）"],
    ["标签：", "政府工作报告"],
    ["上一篇：", "某某县2023年政府工作报告", "下一篇：", "某某县2025年政府工作报告"],
])
def test_nothing_of_the_web_page_after_the_glossary_belongs_to_the_last_definition(footer):
    assert parsed_entries(report(*ENTRIES, *footer)) == EXPECTED
    glued = ENTRIES[-1] + "".join(footer)
    assert parsed_entries(report(*ENTRIES[:-1], glued)) == EXPECTED


# --- body markers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("marker", ["［{}］", "[{}]", "【{}】", "〔{}〕", "^[{}]", "［ {} ］"])
def test_body_markers_in_every_style_cite_their_entry_and_leave_the_text(marker):
    body = [line.replace(f"［{n}］", marker.format(n)) for line in BODY for n in (1, 2, 3)
            if f"［{n}］" in line or n == 1]
    body = [BODY[0], BODY[1], "过去一年，我们深入实施“五大行动”{}，推行林长制{}，落实“六稳”“六保”{}要求。".format(
        *(marker.format(n) for n in (1, 2, 3))), *BODY[3:]]
    parsed = parse_text(report(*ENTRIES, body=body), "county-2024")
    [cited] = [p for p in parsed.passages if p.citations]
    assert cited.text == "过去一年，我们深入实施“五大行动”，推行林长制，落实“六稳”“六保”要求。"
    assert [(c.number, cited.text[:c.offset][-3:]) for c in cited.citations] == [
        (1, "行动”"), (2, "林长制"), (3, "六保”")]


def test_circled_markers_cite_a_glossary_numbered_with_circled_numbers():
    body = [*BODY[:2], "过去一年，我们深入实施“五大行动”①，推行林长制②。", *BODY[3:]]
    glossary = ["①五大行动：指五大行动。", "②林长制：即林长负责制。"]
    parsed = parse_text(report(*glossary, body=body), "county-2024")
    [cited] = [p for p in parsed.passages if p.citations]
    assert [c.number for c in cited.citations] == [1, 2] and "①" not in cited.text


# --- web copies and titles -------------------------------------------------------------------------

SITE = [
    "工作报告",
    "某某县2024年政府工作报告",
    "时间：2024-04-02????\t\t\t作者：中国县域????\t\t\t来源：某某县政府网????\t\t\t阅读：",
    "125",
    "评论：",
    "0",
    "内容摘要：",
    "政 府 工 作 报 告——2024年1月10日在某某县第十七届人民代表大会第三次会议上各位代表：现在，我代表……",
    "政 府 工 作 报 告",
    "——2024年1月10日在某某县第十七届人民代表大会第三次会议上",
    "某某县人民政府县长 张?? 三",
]


def test_a_site_header_gives_the_title_and_is_no_passage():
    parsed = parse_text(report(*ENTRIES, header=SITE), "county-2024")
    assert (parsed.document.title, parsed.document.date) == ("某某县2024年政府工作报告", "2024-01-10")
    assert parsed.passages[0].text == "各位代表："
    assert parsed.document.warnings == ()  # the site's lost characters are in its header, not the report


@pytest.mark.parametrize("salutation", ["各位代表：", "各位代表、同志们：", "各位代表，同志们：", "各位委员："])
def test_the_body_starts_at_the_salutation(salutation):
    parsed = parse_text(report(*ENTRIES, body=[salutation, *BODY[1:]]), "county-2024")
    assert parsed.passages[0].text == salutation and parsed.document.title == HEADER[0]


def test_a_long_navigation_line_above_the_header_is_not_the_body():
    nav = ("您当前的位置：首页 > 政务公开 > 政府信息公开目录 > 规划计划 > 政府工作报告 > "
           "某某县人民政府2024年政府工作报告全文")
    parsed = parse_text(report(*ENTRIES, header=[nav, *HEADER]), "county-2024")
    assert parsed.document.title == HEADER[0] and parsed.passages[0].text == "各位代表："


def test_a_title_with_a_note_after_it():
    header = ["某某县2024年政府工作报告（全文）", HEADER[1]]
    assert parse_text(report(*ENTRIES, header=header), "c").document.title == "某某县2024年政府工作报告（全文）"


def test_a_bare_title_gains_the_place_the_header_names():
    header = ["政 府 工 作 报 告", "——2024年2月3日在清远市清城区", "第九届人民代表大会第四次会议上"]
    assert parse_text(report(*ENTRIES, header=header), "c").document.title == "清远市清城区2024年政府工作报告"


@pytest.mark.parametrize("toolbar", [["分享：", "微信", "微博"], ["【字体：大 中 小】"], ["打印本页", "关闭窗口"]])
def test_toolbars_are_neither_passages_nor_section_headings(toolbar):
    body = [*BODY[:3], *toolbar, *BODY[3:]]
    parsed = parse_text(report(*ENTRIES, body=body), "county-2024")
    assert [p.text for p in parsed.passages] == [p.text for p in parse_text(report(*ENTRIES), "c").passages]
    assert all(len(p.section) <= 1 for p in parsed.passages)


def test_escaped_line_breaks_read_as_line_breaks():
    text = report(*ENTRIES).replace("\n", "\\r\\n")
    assert "\n" not in text
    parsed = parse_text(text, "county-2024")
    assert [(e.number, e.headword, e.definition) for e in parsed.entries] == EXPECTED
    assert [p.text for p in parsed.passages] == [p.text for p in parse_text(report(*ENTRIES), "c").passages]
    assert any("\\r\\n" in w.message for w in parsed.document.warnings)


def test_lost_characters_in_the_body_are_a_warning():
    body = [*BODY[:4], "今年，我们继续推进??五大行动，全面落实林长制。", BODY[5]]
    parsed = parse_text(report(*ENTRIES, body=body), "county-2024")
    assert any(p.text == "今年，我们继续推进五大行动，全面落实林长制。" for p in parsed.passages)
    [lost] = parsed.document.warnings
    assert lost.line == 7 and "??" in lost.message


# --- never silent, never all-or-nothing --------------------------------------------------------------


def test_a_marker_citing_no_entry_is_a_warning_naming_its_line():
    body = [*BODY[:4], "今年，我们继续推进五大行动［7］，全面落实林长制。", BODY[5]]
    parsed = parse_text(report(*ENTRIES, body=body), "county-2024")
    [missing] = parsed.document.warnings
    assert missing.line == 7 and "entry 7" in missing.message
    assert all("［7］" not in p.text for p in parsed.passages)


def test_a_glossary_heading_with_no_entries_is_a_warning_and_its_text_is_kept():
    parsed = parse_text(report("本报告中的名词解释另行印发。"), "county-2024")
    assert parsed.entries == []
    messages = [w.message for w in parsed.document.warnings]
    assert any("followed by no numbered entries" in m for m in messages)
    assert any("found no glossary entries" in m for m in messages)  # the body's markers now cite nothing
    assert any(p.text == "本报告中的名词解释另行印发。" for p in parsed.passages)


@pytest.mark.parametrize("number", ["2.", "[2]"])
def test_an_entry_kb_cannot_split_is_kept_with_a_warning(number):
    glossary = [e.replace("1.", "[1]").replace("3.", "[3]") if number == "[2]" else e for e in ENTRIES]
    glossary[1] = f"{number}林长制即由各级党政主要负责人担任林长"
    parsed = parse_text(report(*glossary), "county-2024")
    assert [(e.number, e.headword) for e in parsed.entries] == [(1, "五大行动"), (2, "林长制"), (3, "“六稳”“六保”")]
    assert parsed.entries[1].definition == "即由各级党政主要负责人担任林长"
    [unsplit] = parsed.document.warnings
    assert unsplit.line == len(HEADER) + len(BODY) + 3 and "no '：'" in unsplit.message


def test_a_document_with_no_passages_is_a_warning():
    parsed = parse_text("\n".join([*HEADER, "名词解释", *ENTRIES]) + "\n", "county-2024")
    assert parsed.passages == [] and len(parsed.entries) == 3
    assert any("no passages" in w.message for w in parsed.document.warnings)
