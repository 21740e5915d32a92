"""End to end on the three real reports: every entry exact, every marker on its passage, every use found."""

from __future__ import annotations

import re

import pytest

from kb.ingest.glossary import GLOSSARY_HEADING
from kb.ingest.text import compact, ends_sentence, is_heading
from kb.normalize import label_key
from tests.helpers import crosses_a_quoted_name

EXPECTED_ENTRIES = {"qingcheng-2024": 19, "sichuan-2026": 20, "jiangxi-2026": 26}


def glossary_source(text: str) -> str:
    """The glossary as printed, whitespace removed, up to the colophon or the web page's footer."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if GLOSSARY_HEADING.match(compact(line)))
    kept = []
    for line in lines[start + 1:]:
        if re.search(r"日印$|^(责任编辑|相关报道)", compact(line)):
            break
        kept.append(compact(line))
    return "".join(kept)


@pytest.mark.parametrize("doc_id,count", EXPECTED_ENTRIES.items())
def test_every_entry_is_found_in_order(kb, doc_id, count):
    entries = kb.entries(doc_id)
    assert [e.number for e in entries] == list(range(1, count + 1))


@pytest.mark.parametrize("doc_id", EXPECTED_ENTRIES)
def test_headwords_and_definitions_are_the_glossary_exactly(kb, raw, doc_id):
    """Put back together, the entries are the printed glossary, character for character."""
    rebuilt = "".join(f"{e.number}.{compact(e.headword)}:{compact(e.definition)}" for e in kb.entries(doc_id))
    printed = re.sub(r"(^|(?<=[。”）]))(\d+)[.、]", r"\2.", glossary_source(raw[doc_id])).replace("：", ":")
    assert rebuilt == printed


@pytest.mark.parametrize("doc_id,number,headword", [
    ("qingcheng-2024", 1, "省委“1310”具体部署"),
    ("qingcheng-2024", 2, "百千万工程"),
    ("qingcheng-2024", 11, "一江四轨、六纵四横"),
    ("qingcheng-2024", 19, "双百工程"),
    ("sichuan-2026", 7, "“双向揭榜挂帅”"),
    ("sichuan-2026", 17, "科技英才领航工程和“双千”计划"),
    ("jiangxi-2026", 8, "“两重”“两新”"),
    ("jiangxi-2026", 20, "2026年10件民生实事"),
    ("jiangxi-2026", 26, "治安“三张图”"),
])
def test_headwords_as_printed(kb, doc_id, number, headword):
    assert kb.entry(f"{doc_id}:{number}").headword == headword


def test_definitions_end_where_the_text_ends(kb):
    assert kb.entry("jiangxi-2026:26").definition.endswith("可用资源图。")
    assert kb.entry("qingcheng-2024:19").definition.endswith("100%覆盖。")
    assert "揭榜挂帅”的简称" in kb.entry("sichuan-2026:7").definition


def test_every_marker_is_linked_to_the_passage_it_stands_in(kb, raw):
    """Each ［n］ in the body: the words printed just before it are in the passage that cites entry n."""
    body = raw["qingcheng-2024"].split("名 词 解 释")[0]
    flat = compact(body)
    markers = list(re.finditer(r"［(\d+)］", flat))
    assert len(markers) == 19
    for marker in markers:
        before = re.sub(r"［\d+］", "", flat[:marker.start()])[-8:]
        entry = kb.entry(f"qingcheng-2024:{marker.group(1)}")
        cited = [p for p, use in kb.passages_using(entry) if use.cited]
        assert len(cited) == 1, entry.headword
        assert before in cited[0].text


def test_markers_are_removed_from_passage_text(kb):
    assert not any(re.search(r"［\d+］|\[\d+\]", p.text) for p in kb.passages())


@pytest.mark.parametrize("doc_id", EXPECTED_ENTRIES)
def test_every_passage_that_uses_a_label_is_found(kb, doc_id):
    """A plain substring search over the folded text finds no passage that the KB does not list."""
    for entry in kb.entries(doc_id):
        keys = {label_key(name) for name in entry.names}
        expected = {p.id for p in kb.passages(doc_id) if any(k in label_key(p.text) for k in keys)}
        found = {p.id for p, use in kb.passages_using(entry) if use.spans and p.document == doc_id}
        assert found == expected, entry.headword
        assert not any(use.ambiguous for p, use in kb.passages_using(entry) if p.document == doc_id)


def test_passages_of_other_reports_mention_an_entry_unless_their_own_report_defines_the_words(kb):
    """Across reports: a passage whose folded text holds a label mentions its entry, unless the passage's own
    report has an entry of that label or of one that overlaps it there (两重两新 in a report defining 两重
    and 两新), or the label would cross the edge of a quoted name (百千万工程 in “十百千万”工程); the mention is
    ambiguous when several reports' entries have the label."""
    owners: dict[str, set[str]] = {}  # label key -> the entries it names
    for entry in kb.entries():
        for name in entry.names:
            owners.setdefault(label_key(name), set()).add(entry.id)

    def places(folded: str, key: str) -> list[tuple[int, int]]:
        return [(m.start(), m.start() + len(key)) for m in re.finditer(f"(?={re.escape(key)})", folded)]

    def crossing(text: str, span: tuple[int, int]) -> bool:
        """Whether the folded span crosses a quoted name of the text as printed."""
        where = [i for i, ch in enumerate(text) for _ in label_key(ch)]
        return crosses_a_quoted_name(text, where[span[0]], where[span[1] - 1] + 1)

    own_places = {}  # passage -> where its own report's labels stand
    for passage in kb.passages():
        folded = label_key(passage.text)
        own_places[passage.id] = [span for entry in kb.entries(passage.document) for name in entry.names
                                  for span in places(folded, label_key(name))]
    mentioned = 0
    for entry in kb.entries():
        keys = {label_key(name) for name in entry.names}
        expected: dict[str, bool] = {}  # passage -> ambiguous
        for passage in kb.passages():
            if passage.document == entry.document:
                continue
            folded = label_key(passage.text)
            for key in (k for k in keys if k in folded):
                if any(kb.entry(i).document == passage.document for i in owners[key]):
                    continue
                if all(any(a < end and start < b for a, b in own_places[passage.id])
                       or crossing(passage.text, (start, end)) for start, end in places(folded, key)):
                    continue
                expected[passage.id] = expected.get(passage.id, False) or len(owners[key]) > 1
        found = {p.id: use.ambiguous for p, use in kb.passages_using(entry) if p.document != entry.document}
        assert found == expected, entry.id
        mentioned += len(found)
    assert mentioned > 0
    # Jiangxi's “十百千万”工程 is another programme; Sichuan's “百千万”工程 is spelt as the label is
    assert {p.document for p, _ in kb.passages_using(kb.entry("qingcheng-2024:2"))} == {"qingcheng-2024",
                                                                                     "sichuan-2026"}


def test_terms_used_again_without_markers_are_mentions(kb):
    entry = kb.entry("qingcheng-2024:2")
    uses = kb.passages_using(entry)
    assert [use.cited for _, use in uses][:1] == [True]
    mentions = [p for p, use in uses if not use.cited]
    assert len(mentions) >= 3
    assert any(p.section[0].startswith("2024年工作安排") for p in mentions)


def test_reports_without_markers_get_their_passages(kb):
    entry = kb.entry("sichuan-2026:1")
    uses = kb.passages_using(entry)
    assert uses and not any(use.cited for _, use in uses)
    for passage, use in uses:
        assert all(label_key(passage.text[a:b]) == "两重" for a, b in use.spans)


@pytest.mark.parametrize("doc_id", EXPECTED_ENTRIES)
def test_passages_are_whole_paragraphs(kb, doc_id):
    for passage in kb.passages(doc_id):
        assert ends_sentence(passage.text) or is_heading(passage.text), passage.text[-30:]


@pytest.mark.parametrize("start,whole", [
    ("增强公共服务均衡性。", True),
    ("2024年是中华人民共和国成立75周年", True),
    ("（八）聚力展现新担当作为，以善作善成干劲打造人民满意政府", True),
    ("二是产业结构有待优化。", False),
    ("广清空港现代物流产业新城（试）运营项目5个", False),
    ("新增动工产业项目77个", False),
])
def test_paragraph_boundaries_of_the_pdf_text(kb, start, whole):
    """PDF lines are joined into paragraphs: some sentences open one, others only continue one."""
    opens = [p for p in kb.passages("qingcheng-2024") if p.text.startswith(start)]
    inside = [p for p in kb.passages("qingcheng-2024") if start in p.text and not p.text.startswith(start)]
    assert (len(opens), len(inside)) == ((1, 0) if whole else (0, 1))


def test_section_trails(kb):
    passages = kb.passages("qingcheng-2024")
    first = next(p for p in passages if p.text.startswith("（一）坚持精准施策"))
    assert first.section == ("2023年工作回顾", "（一）坚持精准施策稳定增长，经济运行回升向好。")
    later = next(p for p in passages if p.text.startswith("增强县域发展活力。"))
    assert later.section == ("2024年工作安排", "（一）聚力落实“百千万工程”，以头号工程力度推动高质量发展")
    lead = next(p for p in passages if p.text.startswith("——以头号工程"))
    assert lead.section[-1] == "——以头号工程力度抓“百千万工程”落地落实。"


@pytest.mark.parametrize("doc_id,title,date", [
    ("qingcheng-2024", "清远市清城区2024年政府工作报告", "2024-02-03"),
    ("sichuan-2026", "2026年四川省人民政府工作报告", "2026-02-03"),
    ("jiangxi-2026", "2026年江西省政府工作报告", "2026-01-27"),
])
def test_documents_know_their_title_and_date(kb, doc_id, title, date):
    document = kb.document(doc_id)
    assert (document.title, document.date) == (title, date)


def test_web_clutter_and_pdf_debris_are_gone(kb):
    text = "".join(p.text for p in kb.passages())
    for clutter in ("打印本页", "责任编辑", "字体", "秘书处", "相关链接", "关闭窗口"):
        assert clutter not in text
    last = kb.passages("qingcheng-2024")[-1]
    assert last.text.startswith("各位代表，乘势而上开新局")


def test_spaces_from_pdf_extraction_are_removed(kb):
    text = "".join(p.text for p in kb.passages("qingcheng-2024"))
    assert "745.34亿元" in text
    assert kb.entry("qingcheng-2024:1").definition.startswith("2023年6月20日")
    assert not re.search(r"[\u4e00-\u9fff] [0-9]|[0-9] [\u4e00-\u9fff]", text)


def test_stable_ids(kb):
    assert kb.entry("qingcheng-2024:2").headword == "百千万工程"
    assert kb.passages("qingcheng-2024")[0].id == "qingcheng-2024:p1"


def test_a_label_defined_by_two_documents_keeps_both_entries(kb):
    answer = kb.lookup("两重")
    ids = [e["id"] for e in answer["entries"]]
    assert sorted(ids) == ["jiangxi-2026:8", "sichuan-2026:1"]
    assert answer["match"]["by"] == "headword"
    assert all(p["id"].startswith(e["document"]["id"]) for e in answer["entries"] for p in e["passages"])


def test_related_entries_are_those_a_definition_uses(kb):
    view = kb.entry_view(kb.entry("qingcheng-2024:3"), with_passages=False)
    assert view["related"] == [{"id": "qingcheng-2024:2", "headword": "百千万工程"}]


@pytest.mark.parametrize("query,by", [
    ("百千万工程", "headword"), ("1310", "core"), ("百县千镇万村高质量发展工程", "full_name"),
    ("百千萬工程", "normalized"), ("六纵四横", "headword"), ("六纵", "component"),
])
def test_lookup_says_how_it_matched(kb, query, by):
    assert kb.lookup(query)["match"]["by"] == by


def test_components_resolve_but_parts_of_labels_do_not(kb):
    assert [c.label for c in kb.entry("qingcheng-2024:1").components] == ["1", "3", "10"]
    assert "走在前列" not in [c.label for c in kb.entry("qingcheng-2024:1").components]
    with pytest.raises(Exception) as missing:
        kb.lookup("百千万")
    assert "百千万工程" in missing.value.suggestions
