"""Tests for kb.layout and kb.parser: header, body, glossary, clutter, debris, paragraphs, sections, citations."""

import pytest

from kb.ingest import parse_text
from kb.ingest.layout import split_layout
from kb.ingest.lines import Line
from kb.ingest.paragraphs import is_wrapped, paragraphs
from kb.model import Citation


def pdf(*lines):
    """Text as PDF extraction gives it: every visual line followed by a blank line."""
    return "\n\n".join(lines) + "\n"


def as_lines(*texts):
    return [Line(number, text) for number, text in enumerate(texts, start=1)]


def pdf_paragraphs(*visual_lines):
    return [p.text for p in paragraphs(as_lines(*pdf(*visual_lines).split("\n")))]


def body_texts(layout):
    return [line.text for line in layout.body if line.text.strip()]


HEADER = [
    "政府工作报告",
    "——2024年 1月 10日在青城区第九届人民代表大会第四次会议上",
    "区长 张三",
]

# Full lines are about 27 characters wide (a digit is half a character); a paragraph's first line is
# indented, so about 25 wide.
OPENING = [
    "各位代表：",
    "现在，我代表区人民政府向大会报告工作，请予审议，并",
    "请区政协委员和其他列席人员提出意见。",
]
REVIEW = [
    "2023年工作回顾",
    "过去一年，全区上下坚持稳中求进工作总基调，完整准确",
    "全面贯彻新发展理念，地区生产总值达到 745.34 亿元，增长",
    "6.5%，规上工业增加值增长 8.7%，固定资产投资稳步回升，",
    "社会消费品零售总额持续增长，经济运行持续回升向好，高质",
    "量发展迈出坚实步伐。",
    "一、坚持创新驱动，科技实力持续增强",
    "（一）加快建设创新平台。深入实施“1310”具体部署，坚定",
    "不移推动科技创新和产业升级，全面落实“四免”政策",
    "［1］",
    "，城乡居",
    "民收入稳步提高，教育、医疗、养老等公共服务水平持续提升，",
    "民生福祉不断增进，高新技术企业达到 120 家[2]，比上年增",
    "加 18 家。",
    "——以产业升级为抓手，推动经济提质增效。规上工业增",
    "加值增长 8.7%，战略性新兴产业产值占比提高到 35%，数字经",
    "济核心产业增加值增长 12.3%，产业结构不断优化，发展后劲",
    "持续增强。",
]
PLAN = [
    "二、2024年工作安排",
    "今年经济社会发展的主要预期目标是：地区生产总值增长",
    "6%左右，城镇新增就业 5000 人以上，居民人均可支配收入",
    "与经济增长同步。我们将巩固 2023年 6月以来经济回升向好",
    "的态势，持续扩大有效需求，推动经济实现质的有效提升和量",
    "的合理增长。",
]
GLOSSARY = [
    "1.“1310”具体部署：省委提出的工作部署，“1”指锚定“走",
    "在前列”总目标。",
    "2.“四免”政策：指免收城乡居民基本医疗保险个人缴费等四",
    "项费用。",
]
BODY = OPENING + REVIEW + PLAN

PARAGRAPHS = [
    "各位代表：",
    "现在，我代表区人民政府向大会报告工作，请予审议，并请区政协委员和其他列席人员提出意见。",
    "2023年工作回顾",
    "过去一年，全区上下坚持稳中求进工作总基调，完整准确全面贯彻新发展理念，地区生产总值达到745.34亿元，"
    "增长6.5%，规上工业增加值增长8.7%，固定资产投资稳步回升，社会消费品零售总额持续增长，经济运行持续回升向好，"
    "高质量发展迈出坚实步伐。",
    "一、坚持创新驱动，科技实力持续增强",
    "（一）加快建设创新平台。深入实施“1310”具体部署，坚定不移推动科技创新和产业升级，全面落实“四免”政策［1］，"
    "城乡居民收入稳步提高，教育、医疗、养老等公共服务水平持续提升，民生福祉不断增进，高新技术企业达到120家[2]，"
    "比上年增加18家。",
    "——以产业升级为抓手，推动经济提质增效。规上工业增加值增长8.7%，战略性新兴产业产值占比提高到35%，"
    "数字经济核心产业增加值增长12.3%，产业结构不断优化，发展后劲持续增强。",
    "二、2024年工作安排",
    "今年经济社会发展的主要预期目标是：地区生产总值增长6%左右，城镇新增就业5000人以上，居民人均可支配收入"
    "与经济增长同步。我们将巩固2023年6月以来经济回升向好的态势，持续扩大有效需求，推动经济实现质的有效提升和量"
    "的合理增长。",
]


# --- header and body ------------------------------------------------------------------------------


def test_header_is_everything_before_the_salutation():
    layout = split_layout(pdf(*HEADER, *BODY))
    assert [line.text for line in layout.header] == HEADER


def test_body_starts_at_the_salutation():
    layout = split_layout(pdf(*HEADER, *BODY))
    assert body_texts(layout) == BODY
    assert layout.body[0].number == 2 * len(HEADER) + 1


@pytest.mark.parametrize("salutation", ["各位代表：", "各位代表:", "各 位 代 表："])
def test_salutation_variants(salutation):
    layout = split_layout(pdf(*HEADER, salutation, *BODY[1:]))
    assert len(layout.header) == len(HEADER)


def test_pdf_body_is_wrapped():
    assert is_wrapped(split_layout(pdf(*HEADER, *BODY)).body)


# --- wrapped (PDF) paragraphs ---------------------------------------------------------------------


def test_wrapped_lines_join_into_paragraphs():
    assert pdf_paragraphs(*BODY) == PARAGRAPHS


def test_paragraph_remembers_its_first_line():
    found = paragraphs(split_layout(pdf(*HEADER, *BODY)).body)
    first_line = 2 * len(HEADER) + 1
    assert [p.line for p in found[:3]] == [first_line, first_line + 2, first_line + 6]


@pytest.mark.parametrize(
    ("spaced", "joined"),
    [("745.34 亿元", "745.34亿元"), ("2023年 6月", "2023年6月"), ("5000 人", "5000人"), ("120 家", "120家")],
)
def test_spaces_between_chinese_and_digits_are_removed(spaced, joined):
    text = " ".join(pdf_paragraphs(*BODY))
    assert joined in text
    assert spaced not in text


def test_an_indented_first_line_after_a_full_line_ending_a_sentence_starts_a_paragraph():
    found = pdf_paragraphs(
        "过去一年，全区上下坚持稳中求进工作总基调，完整准确",
        "全面贯彻新发展理念，地区生产总值达到 745.34 亿元，增长",
        "6.5%，规上工业增加值增长 8.7%，固定资产投资稳步回升，",
        "社会消费品零售总额持续增长，经济运行持续回升向好。",
        "一年来，我们深入实施“1310”具体部署，坚定不移推动",
        "科技创新和产业升级，加快建设现代化产业体系，城乡居民收",
        "入稳步提高，教育、医疗、养老等公共服务水平持续提升，民",
        "生福祉不断增进，社会大局和谐稳定，各项事业取得新进展。",
        "我们坚持把发展经济的着力点放在实体经济上，新引进亿",
        "元以上项目 42 个，新增规上工业企业 31 家，战略性新兴产",
        "业产值占比提高到 35%，数字经济核心产业增加值增长 12.3%，",
        "产业结构不断优化。",
    )
    assert [p[:6] for p in found] == ["过去一年，全", "一年来，我们", "我们坚持把发"]


def test_a_footnote_marker_on_its_own_line_rejoins_the_sentence():
    found = pdf_paragraphs(
        "一年来，我们深入实施“1310”具体部署",
        "［1］",
        "，坚定不移推动",
        "科技创新和产业升级，加快建设现代化产业体系，城乡居民收",
        "入稳步提高，教育、医疗、养老等公共服务水平持续提升，民",
        "生福祉不断增进，社会大局和谐稳定，各项事业取得新进展。",
    )
    assert len(found) == 1
    assert found[0].startswith("一年来，我们深入实施“1310”具体部署［1］，坚定不移推动科技创新")


def test_a_footnote_marker_before_a_chinese_character_rejoins_the_sentence():
    found = pdf_paragraphs(
        "过去一年，全区上下坚持稳中求进工作总基调，完整准确",
        "全面贯彻新发展理念，深入实施“1310”具体部署",
        "［2］",
        "，全面落",
        "实“四免”政策",
        "［3］",
        "城乡居民收入稳步提高，教育、医疗、养",
        "老等公共服务水平持续提升，民生福祉不断增进，社会大局和",
        "谐稳定。",
    )
    assert found == [
        "过去一年，全区上下坚持稳中求进工作总基调，完整准确全面贯彻新发展理念，深入实施“1310”具体部署［2］，"
        "全面落实“四免”政策［3］城乡居民收入稳步提高，教育、医疗、养老等公共服务水平持续提升，民生福祉不断增进，"
        "社会大局和谐稳定。"
    ]


@pytest.mark.parametrize(
    "after_page_break",
    [
        " 经济运行持续回升向好，高质量发展迈出坚实步伐，各项事业取得",  # a full line
        " 经济运行持续回升向好。",  # the short last line of the paragraph
        # Not " 经济持续向好。": after a full line that ends a sentence, a short clause of a few characters
        # may as well be a one-line paragraph ("重点做好八方面工作。"), and kb reads it as one.
    ],
)
def test_a_line_starting_with_a_space_continues_across_a_page_break(after_page_break):
    lines = [
        "过去一年，全区上下坚持稳中求进工作总基调，完整准确",
        "全面贯彻新发展理念，地区生产总值达到 745.34 亿元，增长",
        "6.5%，规上工业增加值增长 8.7%，固定资产投资稳步回升。",
        after_page_break,
    ]
    if not after_page_break.endswith("。"):
        lines.append("新进展。")
    lines += [
        "一年来，我们深入实施“1310”具体部署，坚定不移推动",
        "科技创新和产业升级，加快建设现代化产业体系，城乡居民收",
        "入稳步提高，教育、医疗、养老等公共服务水平持续提升，民",
        "生福祉不断增进，社会大局和谐稳定，各项事业取得新进展。",
    ]
    found = pdf_paragraphs(*lines)
    assert len(found) == 2
    assert found[0].startswith("过去一年")
    assert "稳步回升。经济" in found[0]
    assert found[1].startswith("一年来")


@pytest.mark.parametrize("wrapped", [True, False])
def test_a_short_heading_line_is_a_paragraph_of_its_own(wrapped):
    found = [p.text for p in paragraphs(as_lines(*pdf(*BODY).split("\n")), wrapped=wrapped)]
    assert "2023年工作回顾" in found
    assert "一、坚持创新驱动，科技实力持续增强" in found


# --- web-page text --------------------------------------------------------------------------------

WEB_HEADER = [
    "青城区2024年政府工作报告",
    "——2024年1月10日在青城区第九届人民代表大会第四次会议上",
]
WEB_BODY = [
    "各位代表：",
    "现在，我代表区人民政府向大会报告工作，请予审议，并请区政协委员和其他列席人员提出意见。",
    "一、2023年工作回顾",
    "过去一年，全区上下坚持稳中求进工作总基调，完整准确全面贯彻新发展理念，地区生产总值达到745.34亿元，增长6.5%，"
    "经济运行持续回升向好，高质量发展迈出坚实步伐。",
    "（一）坚持创新驱动，科技实力持续增强。深入实施",
    "“双向",
    "揭榜",
    "挂帅”",
    "［1］",
    "机制，新增高新技术企业42家，全社会研发投入强度达到2.8%，科技创新券兑付资金1200万元，创新生态持续优化。",
    "——以产业升级为抓手，推动经济提质增效。规上工业增加值增长8.7%，战略性新兴产业产值占比提高到35%，"
    "数字经济核心产业增加值增长12.3%。",
]
WEB_PARAGRAPHS = [
    "各位代表：",
    "现在，我代表区人民政府向大会报告工作，请予审议，并请区政协委员和其他列席人员提出意见。",
    "一、2023年工作回顾",
    WEB_BODY[3],
    "（一）坚持创新驱动，科技实力持续增强。深入实施“双向揭榜挂帅”［1］机制，新增高新技术企业42家，"
    "全社会研发投入强度达到2.8%，科技创新券兑付资金1200万元，创新生态持续优化。",
    WEB_BODY[-1],
]
TOOLBAR = ["【字体：", "大", "中", "小", "】"]


def web(*lines):
    return "\n".join(lines) + "\n"


def test_web_paragraphs_one_a_line_with_hyperlink_splits_joined():
    layout = split_layout(web(*WEB_HEADER, *WEB_BODY))
    assert not is_wrapped(layout.body)
    assert [p.text for p in paragraphs(layout.body)] == WEB_PARAGRAPHS


def test_web_header_and_date_line():
    layout = split_layout(web(*WEB_HEADER, *WEB_BODY))
    assert [line.text for line in layout.header] == WEB_HEADER


@pytest.mark.parametrize(
    "clutter",
    [
        TOOLBAR,
        ["【字体：大 中 小】"],
        ["分享："],
        ["分享"],
        ["打印本页"],
        ["关闭窗口"],
        ["3f2a9c0d4b5e6f708192a3b4c5d6e7f8"],
        ["打印本页", "关闭窗口", "分享："],
    ],
)
def test_web_clutter_lines_are_dropped(clutter):
    for where in (2, 4):  # in the header and between two body paragraphs
        lines = [*WEB_HEADER, *WEB_BODY]
        lines[where:where] = clutter
        layout = split_layout(web(*lines))
        assert [line.text for line in layout.header] == WEB_HEADER
        assert [p.text for p in paragraphs(layout.body)] == WEB_PARAGRAPHS


@pytest.mark.parametrize(
    "footer",
    [
        ["责任编辑：李四"],
        ["打印本页", "关闭窗口", "责任编辑：李四", "相关链接", "各位代表：这是另一篇报告的开头，不属于本报告。"],
    ],
)
def test_web_text_ends_at_the_editor_line(footer):
    layout = split_layout(web(*WEB_HEADER, *WEB_BODY, *footer))
    assert body_texts(layout) == WEB_BODY


def test_paragraphs_can_be_told_the_text_is_not_wrapped():
    # Short web paragraphs look like wrapped lines; the caller can say which format the text is in.
    short = [
        "各位代表：",
        "过去一年，全区上下坚持稳中求进工作总基调，经济运行持续回升向好。",
        "一年来，我们深入实施“1310”具体部署，社会大局和谐稳定。",
    ]
    assert [p.text for p in paragraphs(as_lines(*short), wrapped=False)] == short


# --- the end of the text: colophons and debris ----------------------------------------------------


@pytest.mark.parametrize(
    "colophon", ["区九届人大四次会议秘书处 2024年 1月 30日印", "青城区人民政府办公室 2024年1月30日印发"]
)
def test_a_colophon_ends_the_text(colophon):
    layout = split_layout(pdf(*HEADER, *BODY, colophon, "（共印 300 份）", "过去一年，全区上下坚持稳中求进"))
    assert body_texts(layout) == BODY


def test_a_colophon_after_the_glossary_ends_the_last_definition():
    text = pdf(*HEADER, *BODY, "名词解释", *GLOSSARY, "区九届人大四次会议秘书处 2024年 1月 30日印", "（共印 300 份）")
    last = parse_text(text, "qingcheng-2024").entries[-1]
    assert last.definition == "指免收城乡居民基本医疗保险个人缴费等四项费用。"


@pytest.mark.parametrize(
    "debris",
    [
        ["\t过去一年，全区上下坚持稳中求进工作总基调，完整准确"],
        ["\t全面贯彻新发展理念，地区生产总值达到 745.34 亿元", "\t6.5%，规上工业增加值增长 8.7%"],
    ],
)
def test_tab_indented_lines_repeating_the_body_are_dropped(debris):
    layout = split_layout(pdf(*HEADER, *BODY, *debris))
    assert body_texts(layout) == BODY
    after_glossary = parse_text(pdf(*HEADER, *BODY, "名词解释", *GLOSSARY, *debris), "q")
    assert after_glossary.entries[-1].definition == "指免收城乡居民基本医疗保险个人缴费等四项费用。"


def test_a_tab_indented_line_with_new_text_is_kept():
    layout = split_layout(pdf(*HEADER, *BODY, "\t三、切实加强政府自身建设"))
    assert body_texts(layout)[-1] == "\t三、切实加强政府自身建设"


# --- glossary and appendices ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "heading",
    [
        ["名词解释"],
        ["名 词 解 释"],
        ["名词注释"],
        ["注释"],
        ["《政府工作报告》有关内容名词注释"],
        ["附件", "名词解释"],
        ["附件", "《政府工作报告》有关内容名词注释"],
        ["附件：名词解释"],
    ],
)
def test_glossary_headings(heading):
    layout = split_layout(pdf(*HEADER, *BODY, *heading, *GLOSSARY))
    assert layout.glossary is not None
    assert layout.glossary.heading.text == heading[-1]
    assert [line.text for line in layout.glossary.lines if line.text] == GLOSSARY
    assert layout.appendices == []
    assert body_texts(layout) == BODY


@pytest.mark.parametrize("heading", [["名词解释"], ["附件", "名 词 解 释"], ["注释"]])
def test_glossary_entries_of_a_pdf_report(heading):
    parsed = parse_text(pdf(*HEADER, *BODY, *heading, *GLOSSARY), "qingcheng-2024")
    assert [(e.number, e.headword, e.definition) for e in parsed.entries] == [
        (1, "“1310”具体部署", "省委提出的工作部署，“1”指锚定“走在前列”总目标。"),
        (2, "“四免”政策", "指免收城乡居民基本医疗保险个人缴费等四项费用。"),
    ]
    assert all("名词" not in p.text and "注释" not in p.text for p in parsed.passages)


def test_a_report_without_a_glossary_has_no_entries():
    parsed = parse_text(pdf(*HEADER, *BODY), "q")
    assert split_layout(pdf(*HEADER, *BODY)).glossary is None
    assert parsed.entries == []


APPENDIX = [
    "附件1",
    "2024年区政府十件民生实事",
    "1.新建改扩建中小学校 3 所，新增学位 2000 个，缓解城区学",
    "位紧张问题。",
    "2.新增城镇就业 5000 人以上，城镇调查失业率控制在 5.5%",
    "以内。",
]


def test_a_numbered_appendix_without_headwords_is_not_a_glossary():
    layout = split_layout(pdf(*HEADER, *BODY, *APPENDIX))
    assert layout.glossary is None
    assert [appendix.heading.text for appendix in layout.appendices] == ["附件1"]
    assert parse_text(pdf(*HEADER, *BODY, *APPENDIX), "q").entries == []


def test_appendix_passages_are_under_the_appendix_heading():
    parsed = parse_text(pdf(*HEADER, *BODY, *APPENDIX), "q")
    appendix = [p for p in parsed.passages if p.section[:1] == ("附件1",)]
    assert appendix
    assert "新建改扩建中小学校3所" in "".join(p.text for p in appendix)
    assert all(p.section[:1] != ("附件1",) for p in parsed.passages if "各位代表" in p.text)


# --- parse_text: document, passages, sections and citations ---------------------------------------


@pytest.fixture(scope="module")
def parsed():
    return parse_text(pdf(*HEADER, *BODY, "名词解释", *GLOSSARY), "qingcheng-2024", "corpus/qingcheng-2024.txt")


def test_document_title_date_and_source(parsed):
    document = parsed.document
    assert (document.id, document.title, document.date) == ("qingcheng-2024", "青城区2024年政府工作报告", "2024-01-10")
    assert document.source == "corpus/qingcheng-2024.txt"


@pytest.mark.parametrize(
    ("header", "date"),
    [
        (["2024年政府工作报告", "（2024年1月5日区人民政府第30次常务会议讨论通过）",
          "——2024年1月10日在青城区第九届人民代表大会第四次会议上"], "2024-01-10"),
        (["政府工作报告", "2024年1月5日"], "2024-01-05"),
        (["政府工作报告"], None),
    ],
)
def test_document_date_prefers_the_day_the_report_was_given(header, date):
    assert parse_text(pdf(*header, *BODY), "q").document.date == date


def test_passages_in_order_with_ids(parsed):
    assert [p.text for p in parsed.passages] == [
        p.replace("［1］", "").replace("[2]", "") for p in PARAGRAPHS
    ]
    assert [p.order for p in parsed.passages] == list(range(1, len(PARAGRAPHS) + 1))
    assert [p.id for p in parsed.passages][:2] == ["qingcheng-2024:p1", "qingcheng-2024:p2"]
    assert {p.document for p in parsed.passages} == {"qingcheng-2024"}


def test_passages_remember_their_source_lines(parsed):
    first_body_line = 2 * len(HEADER) + 1
    assert parsed.passages[0].line == first_body_line
    assert parsed.passages[3].line == first_body_line + 2 * len(OPENING) + 2


@pytest.mark.parametrize(
    ("starts", "section"),
    [
        ("各位代表", ()),
        ("现在，我代表", ()),
        ("2023年工作回顾", ("2023年工作回顾",)),
        ("过去一年", ("2023年工作回顾",)),
        ("一、坚持创新驱动", ("一、坚持创新驱动，科技实力持续增强",)),
        ("（一）加快建设", ("一、坚持创新驱动，科技实力持续增强", "（一）加快建设创新平台。")),
        ("——以产业升级", ("一、坚持创新驱动，科技实力持续增强", "——以产业升级为抓手，推动经济提质增效。")),
        ("二、2024年工作安排", ("二、2024年工作安排",)),
        ("今年经济社会发展", ("二、2024年工作安排",)),
    ],
)
def test_section_trails(parsed, starts, section):
    (passage,) = [p for p in parsed.passages if p.text.startswith(starts)]
    assert passage.section == section


def test_web_section_trail_with_a_lead_sentence_heading():
    passages = parse_text(web(*WEB_HEADER, *WEB_BODY), "q").passages
    assert passages[-2].section == ("一、2023年工作回顾", "（一）坚持创新驱动，科技实力持续增强。")
    assert passages[-1].section == ("一、2023年工作回顾", "——以产业升级为抓手，推动经济提质增效。")


def test_citations_are_removed_from_the_text_and_recorded_with_offsets(parsed):
    (passage,) = [p for p in parsed.passages if p.text.startswith("（一）")]
    assert "［1］" not in passage.text and "[2]" not in passage.text
    assert [c.number for c in passage.citations] == [1, 2]
    first, second = passage.citations
    assert passage.text[:first.offset].endswith("全面落实“四免”政策")
    assert passage.text[:second.offset].endswith("高新技术企业达到120家")


def test_web_citation_after_a_hyperlinked_term():
    passages = parse_text(web(*WEB_HEADER, *WEB_BODY), "q").passages
    (passage,) = [p for p in passages if p.citations]
    assert passage.citations == (Citation(1, passage.text.index("机制，新增")),)
    assert "“双向揭榜挂帅”机制" in passage.text


def test_passages_without_markers_have_no_citations(parsed):
    assert all(p.citations == () for p in parsed.passages if not p.text.startswith("（一）"))
