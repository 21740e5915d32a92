"""POST /link and `kb link`: every name of every entry found in a chat message, leftmost-longest, with offsets
that hold in Python and JavaScript, rendered safely as HTML or Markdown, and never a component on its own."""

from __future__ import annotations

import io
import json
import random
import re
import time
from html.parser import HTMLParser
from urllib.parse import unquote

import opencc
import pytest
from markdown_it import MarkdownIt

from api import create_app
from kb.build import build
from kb.cli import main
from kb.config import Settings
from kb.knowledge import MAX_LINK_CHARS, KnowledgeBase
from kb.normalize import ACRONYM, ACRONYM_CHAR, label_key
from kb.quantities import is_quantity
from tests.conftest import make_settings
from tests.helpers import assert_problem, crosses_a_quoted_name, kb_env, new_token

SUMMARY_CHARS = 120
SENTENCE_END = "。！？；!?;"
ALPHA, BETA = "alpha-2025", "beta-2026"

# Acronyms (1310, 3+2, ESI), a headword whose prefix is another entry's alias (百千万工程 / 百千万), components
# (“百”, “六纵”), a definition longer than a summary cut at a sentence (双百工程) and one with no sentence end
# within it (数字政府改革建设), and an ASCII quote in a definition (“2+N”).
ALPHA_REPORT = """2025年某某区政府工作报告
——2025年1月10日在某某区人民代表大会上
各位代表：
一、2024年工作回顾
过去一年，我们落实省委“1310”具体部署［1］，深入实施“百千万工程”［2］，初步形成“3+2”产业集群［3］，新增ESI全球前1%学科［4］，推进“双百工程”［5］，完善“一江四轨、六纵四横”交通格局［6］，开展百千万人才行动［7］，建成“2+N”服务体系［8］，深化数字政府改革建设［9］。
二、2025年工作安排
继续推进百千万工程和“双百工程”，壮大“3+2”产业集群，推动13+2项目落地。
名词解释
1.省委“1310”具体部署：2023年6月20日，中共广东省委十三届三次全会作出“锚定一个目标，激活三大动力，奋力实现十大新突破”的“1310”具体部署。
2.百千万工程：全称“百县千镇万村高质量发展工程”，“百”指县，“千”指镇，“万”指村。
3.“3+2”产业集群：指以智能家居、汽车零部件、新材料为主导产业的产业体系。
4.“ESI”全球前1%学科：指基本科学指标数据库（ESI）中排名进入全球前1%的学科，是衡量高校学科水平的重要指标。
5.双百工程：全称“广东兜底民生服务社会工作双百工程”，是广东省民政厅实施的社会工作服务项目。该工程在全省乡镇（街道）建设社会工作服务站，由驻站社工为困难群众、留守老年人、留守儿童和残疾人等提供服务；到2022年，全省实现乡镇（街道）社会工作服务站全覆盖，社会工作服务惠及各类困难群体。
6.一江四轨、六纵四横：“一江”指北江航道；“四轨”指京广铁路、京广高铁、广清城轨、磁浮旅游专线；“六纵”指六条南北向高速公路；“四横”指四条东西向高速公路。
7.百千万人才行动：简称“百千万”，指培养百名领军人才、千名骨干人才、万名青年人才的行动。
8.“2+N”服务体系：指以2个综合服务中心为主体、N个服务站点为补充的"一站式"服务体系。
9.数字政府改革建设：指以数字化转型整体驱动政府治理体系和治理能力现代化，推进省市县镇村五级政务服务事项标准化、规范化、便利化，构建全省一体化政务服务平台、一体化数据资源体系、一体化安全保障体系和一体化运行管理体系，让企业和群众办事像网购一样方便、让政府治理更加精准高效的系统性改革。
"""
# A newer report: a longer label over an alpha label (百千万工程建设年), and alpha's “2+N” spelled with a
# full-width plus, as PDF extraction often leaves it.
BETA_REPORT = """2026年某某市政府工作报告
——2026年1月20日在某某市人民代表大会上
各位代表：
一、2025年工作回顾
过去一年，我们开展百千万工程建设年活动［1］，完善“2＋N”服务体系［2］。
名词解释
1.百千万工程建设年：指2025年开展的百千万工程集中建设行动。
2.“2＋N”服务体系：指以2个区域服务中心和N个基层服务点构成的"家门口"服务体系。
"""
HEADWORDS = {"1310": "省委“1310”具体部署", "百千万工程": "百千万工程", "3+2": "“3+2”产业集群",
             "ESI": "“ESI”全球前1%学科", "双百工程": "双百工程", "六纵四横": "一江四轨、六纵四横",
             "百千万": "百千万人才行动", "建设年": "百千万工程建设年", "数字政府": "数字政府改革建设"}


# -- fixtures -----------------------------------------------------------------------------------------
def built(base) -> Settings:
    settings = make_settings(base, {ALPHA: ALPHA_REPORT, BETA: BETA_REPORT})
    build(settings)
    return settings


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Settings:
    return built(tmp_path_factory.mktemp("linking"))


@pytest.fixture(scope="module")
def tiny_kb(tiny) -> KnowledgeBase:
    base = KnowledgeBase.open(tiny)
    yield base
    base.close()


@pytest.fixture(scope="module")
def client(tiny):
    return create_app({"KB_SETTINGS": tiny}).test_client()


@pytest.fixture(scope="module")
def real_client(settings):
    """An app over the three real reports (the session KB)."""
    return create_app({"KB_SETTINGS": settings}).test_client()


@pytest.fixture
def editable(tmp_path) -> tuple[Settings, str]:
    """A KB of its own for a test that writes, and an editor's token for it."""
    settings = built(tmp_path)
    return settings, new_token(settings.database_url, "linking-editor")


# -- helpers ------------------------------------------------------------------------------------------
def post(client, body: dict) -> dict:
    """POST /link with the body as a browser would send it (UTF-8 JSON, nothing escaped); the 200 answer."""
    data = json.dumps(body, ensure_ascii=False).encode()
    response = client.post("/link", data=data, content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    return response.get_json()


LINK_FIELDS = {"start", "end", "start_utf16", "end_utf16", "surface", "id", "headword", "summary", "url", "candidates",
               "ambiguous", "chosen_by"}


def links(client, text: str, **options) -> list[dict]:
    found = post(client, {"text": text, **options})["links"]
    assert all(set(link) == LINK_FIELDS for link in found)
    return found


def spans(client, text: str, **options) -> list[tuple[str, str]]:
    """(surface, headword) of each link, in order."""
    return [(link["surface"], link["headword"]) for link in links(client, text, **options)]


def utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def wide(text: str) -> str:
    """ASCII in its full-width forms: 3+2 -> ３＋２."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


TRADITIONAL = opencc.OpenCC("s2t")


def is_acronym_char(ch: str) -> bool:
    """Whether a character of the text as sent folds to a letter, digit or + (so it continues a run)."""
    return bool(label_key(ch)) and ACRONYM_CHAR.match(label_key(ch)[-1]) is not None


def stands_alone(text: str, start: int, end: int, key: str) -> bool:
    if ACRONYM_CHAR.match(key[0]) and start > 0 and is_acronym_char(text[start - 1]):
        return False
    if ACRONYM.fullmatch(key) and any(c.isdigit() for c in key) and is_quantity(text, start, end):
        return False  # a number where it stands as one (the rule's own table is below)
    return not (ACRONYM_CHAR.match(key[-1]) and end < len(text) and label_key(text[end])
                and ACRONYM_CHAR.match(label_key(text[end])[0]))


def expected_spans(text: str, names: dict[str, set[str]],
                   preferred: frozenset[str] | set[str] = frozenset()) -> list[tuple[int, int, str]]:
    """The links a naive scan finds: (start, end, key), start and end on characters that fold to something
    (a link may add the quote it opens or closes around that). Leftmost-longest, once the names of
    ``preferred`` entries have put aside every other name they overlap."""
    folded, where = "", []
    for index, ch in enumerate(text):
        folded += label_key(ch)
        where += [index] * len(label_key(ch))
    every = [(at, at + size) for at in range(len(folded)) for size in range(1, len(folded) - at + 1)
             if folded[at:at + size] in names
             and stands_alone(text, where[at], where[at + size - 1] + 1, folded[at:at + size])
             and not crosses_a_quoted_name(text, where[at], where[at + size - 1] + 1)]
    first = [span for span in every if names[folded[span[0]:span[1]]] & preferred]
    kept = [span for span in every if span in first or not any(s < span[1] and span[0] < e for s, e in first)]
    found, reached = [], 0
    for at, end in sorted(kept, key=lambda span: (span[0], span[0] - span[1])):
        if at >= reached:
            found.append((where[at], where[end - 1] + 1, folded[at:end]))
            reached = end
    return found


def core(text: str, start: int, end: int) -> tuple[int, int]:
    """A link's span without the characters that fold to nothing at its edges (the quotes it balances)."""
    while start < end and not label_key(text[start]):
        start += 1
    while end > start and not label_key(text[end - 1]):
        end -= 1
    return start, end


def names_by_key(kb: KnowledgeBase, documents: set[str] | None = None) -> dict[str, set[str]]:
    """label key -> ids of the entries it names (never components), of ``documents`` and editors' only."""
    found: dict[str, set[str]] = {}
    for entry in kb.entries():
        if documents is None or entry.document is None or entry.document in documents:
            for name in entry.names:
                found.setdefault(label_key(name), set()).add(entry.id)
    return found


def check_links(kb: KnowledgeBase, text: str, found: list[dict], documents: set[str] | None = None) -> None:
    """Every link is a name of its entry at the offsets it gives, and the links are exactly the naive scan's."""
    names = names_by_key(kb, documents)
    for link in found:
        start, end = link["start"], link["end"]
        assert 0 <= start < end <= len(text)
        assert link["surface"] == text[start:end]
        assert (link["start_utf16"], link["end_utf16"]) == (utf16(text, start), utf16(text, end))
        entry = kb.entry(link["id"])
        assert link["headword"] == entry.headword
        assert link["id"] in names[label_key(link["surface"])], link
        assert documents is None or entry.document is None or entry.document in documents
        first, last = core(text, start, end)
        assert text[start:first] in ("", "“", "‘", "《", "「") and text[last:end] in ("", "”", "’", "》", "」")
    assert all(a["end"] <= b["start"] for a, b in zip(found, found[1:], strict=False)), "overlapping or unsorted"
    cores = [(*core(text, link["start"], link["end"]), label_key(link["surface"])) for link in found]
    # where the rest of the text links one report most, its readings of ambiguous words win
    context = {kb.entry(link["id"]).document for link in found if link["chosen_by"] == "context"}
    assert len(context) <= 1
    assert all(link["ambiguous"] for link in found if link["chosen_by"] == "context")
    preferred = {entry.id for entry in kb.entries() if entry.document in context}
    assert cores == expected_spans(text, names, preferred)


def check_summary(summary: str, definition: str) -> None:
    """The definition as it is when short; else its whole sentences within 120 characters (or cut with …)."""
    text = " ".join(definition.split())
    if len(text) <= SUMMARY_CHARS:
        assert summary == text
        return
    assert 0 < len(summary) <= SUMMARY_CHARS
    if summary.endswith("…"):
        assert text.startswith(summary[:-1])
        assert not any(c in SENTENCE_END for c in text[:SUMMARY_CHARS]), "a whole sentence would have fitted"
    else:
        assert text.startswith(summary) and summary[-1] in SENTENCE_END, summary
        following = re.match(rf"[^{SENTENCE_END}]*[{SENTENCE_END}]?", text[len(summary):]).group()
        assert len(summary) + len(following) > SUMMARY_CHARS, "the next sentence would have fitted"


# -- what links: every name, under the lookups' normaliser ------------------------------------------
@pytest.mark.parametrize("text,expected", [
    ("百千万工程", [("百千万工程", "百千万工程")]),
    ("省委“1310”具体部署", [("省委“1310”具体部署", HEADWORDS["1310"])]),
    ("“3+2”产业集群", [("“3+2”产业集群", HEADWORDS["3+2"])]),
    ("百县千镇万村高质量发展工程", [("百县千镇万村高质量发展工程", "百千万工程")]),  # the full name
    ("广东兜底民生服务社会工作双百工程", [("广东兜底民生服务社会工作双百工程", "双百工程")]),
    ("一江四轨、六纵四横", [("一江四轨、六纵四横", HEADWORDS["六纵四横"])]),
    ("六纵四横", [("六纵四横", HEADWORDS["六纵四横"])]),  # one of the two terms the headword names
    ("开展百千万活动", [("百千万", HEADWORDS["百千万"])]),  # an alias
    # the same normaliser as GET /terms: width, case, script, quotes
    ("３＋２", [("３＋２", HEADWORDS["3+2"])]),
    ("ＥＳＩ", [("ＥＳＩ", HEADWORDS["ESI"])]),
    ("esi", [("esi", HEADWORDS["ESI"])]),
    ("雙百工程", [("雙百工程", "双百工程")]),
    ("百千萬工程", [("百千萬工程", "百千万工程")]),
    ("省委“１３１０”具體部署", [("省委“１３１０”具體部署", HEADWORDS["1310"])]),
    ("推进“双百工程”", [("双百工程", "双百工程")]),
])
def test_every_name_links_in_any_spelling_lookups_accept(client, text, expected):
    assert spans(client, text) == expected


@pytest.mark.parametrize("text", ["３＋２", "雙百工程", "ＥＳＩ", "百千萬工程", "百县千镇万村高质量发展工程"])
def test_a_spelling_links_the_entry_get_terms_gives_for_it(client, text):
    [link] = links(client, text)
    assert link["id"] == client.get("/terms/" + text).get_json()["entries"][0]["id"]


@pytest.mark.parametrize("text,component,entry", [
    ("“百”指县", "百", "百千万工程"),
    ("“六纵”指六条南北向高速公路", "六纵", HEADWORDS["六纵四横"]),
    ("“一江”指北江航道；“四轨”指京广铁路", "一江", HEADWORDS["六纵四横"]),
])
def test_components_resolve_through_terms_but_never_link(client, text, component, entry):
    assert links(client, text) == []
    assert client.get("/terms/" + component).get_json()["entries"][0]["headword"] == entry


def test_no_component_of_the_real_reports_links_on_its_own(kb, real_client):
    names = names_by_key(kb)
    parts = sorted({c.label for e in kb.entries() for c in e.components if label_key(c.label) not in names})
    assert parts
    texts = [f"其中“{part}”指" for part in parts]
    for text, result in zip(texts, post(real_client, {"texts": texts})["results"], strict=True):
        assert result["links"] == [], text


# -- where: leftmost-longest, acronyms only as a whole run ------------------------------------------
# Sentences of the reports in tests/data and corpus/, with their number replaced by an acronym label: a number
# where it stands as one never links; the label where it stands as a name does; quoted, it always does.
@pytest.mark.parametrize("text,linked", [
    ("市场主体突破1310万户，规上工业企业达到390家", False),          # qingcheng: 市场主体突破 10万户
    ("清城区综合发展潜力第1310位", False),                        # qingcheng: 经济发展潜力第 10位
    ("工业投资增长1310.4%，制造业投资增长", False),                # qingcheng: 工业投资增长 10.4%
    ("一般性支出下降超1310%，“三公”经费", False),                 # sichuan: 下降超10%
    ("2025年1310月31日，省委召开全会", False),                    # sichuan: 2025年10月31日
    ("能耗分别下降9.62%、1310.47%", False),                       # jiangxi: 9.62%、10.47%
    ("办好以1310件民生实事为重点的民生工程", False),               # jiangxi: 以10件民生实事
    ("改造提升供热管网1310公里、供水管网", False),                 # tangxian: 供热管网10公里
    ("新改建1310千伏线路40公里", False),                           # yixian: 新改建10千伏线路
    ("尧帝像广场等1310余个重要景点", False),                      # tangxian: 10余个
    ("公元1310年，县城始建", False),
    ("完成1310-2号地块收储", False),
    ("按3+2=5的比例配置", False),
    ("按1310/2的比例分摊", False),
    ("深化落实省委“1310”具体部署和市委“十大行动”", True),         # qingcheng
    ("深化落实省委1310具体部署", True),
    ("推进1310部署落地见效", True),
    ("构建“3+2”现代产业体系", True),
    ("壮大3+2产业集群，推动项目落地", True),
    ("培育3+2项目集群", True),
    ("“1310”年度任务全面完成", True),                            # quoted: a name whatever follows
])
def test_a_number_is_not_an_acronym(client, text, linked):
    found = [surface for surface, _ in spans(client, text)]  # perhaps a longer name that holds it: 3+2产业集群
    assert any("1310" in label_key(s) or "3+2" in label_key(s) for s in found) is linked, found


@pytest.mark.parametrize("text,expected", [
    ("落实1310部署", ["1310"]),
    ("1310", ["1310"]),
    ("13100", []),
    ("21310", []),
    ("13100、21310和1310", ["1310"]),
    ("a1310", []),
    ("1310a", []),
    ("（1310）与“1310”", ["1310", "1310"]),
    ("3+2", ["3+2"]),
    ("推动13+2项目", []),
    ("3+21", []),
    ("3+2+1", []),
    ("3+2，3+2。", ["3+2", "3+2"]),
    ("ESI", ["ESI"]),
    ("ESIX", []),
    ("XESI", []),
    ("ESI2", []),
    ("进入ESI前1%", ["ESI"]),
    ("ESI学科", ["ESI"]),
    ("落实１３１０部署", ["１３１０"]),
    ("１３１００", []),
    ("1３１0", ["1３１0"]),
    ("ＥＳＩＸ", []),
    ("推动１３＋２项目", []),
    ("1310 ESI 3+2", ["1310", "ESI", "3+2"]),
    # a run is letters, digits and +: 、 and spaces end one; "1、3、10" is three numbers, not 1310
    ("第1、3、10条", []),
    ("1、3、10月份", []),
])
def test_an_acronym_links_only_as_a_whole_run(client, text, expected):
    assert [surface for surface, _ in spans(client, text)] == expected


@pytest.mark.parametrize("text,expected", [
    # a name in quotation marks is one unit: a label never crosses its edge
    ("滚动实施“十百千万”工程", ["百千万"]),  # not 百千万工程, which would begin inside 十百千万 and end after it
    ("实施“百千万”工程", ["“百千万”工程"]),
    ("开展“深化百千万工程”活动", ["百千万工程"]),
    ("省委“1310”具体部署", ["省委“1310”具体部署"]),
    ("推进“百千万工程建设”年", ["“百千万工程建设”年"]),  # a label may hold a quoted name whole
    ("《百千万工程》实施方案", ["百千万工程"]),
    ("学习《千万工程经验》", []),  # 千万工程 ends inside the title and would begin before it: not so
    # a long quotation or one with a sentence inside is a saying, not a name: labels in it link as ever
    ("强调“要深入实施百千万工程，推动城乡区域协调发展”", ["百千万工程"]),
    ("“十百千万”、百千万工程", ["百千万", "百千万工程"]),
])
def test_a_label_never_crosses_the_edge_of_a_quoted_name(client, text, expected):
    assert [surface for surface, _ in spans(client, text)] == expected


@pytest.mark.parametrize("text,expected", [
    ("百千万工程2025年", [("百千万工程", "百千万工程")]),  # Chinese labels link next to anything
    ("abc百千万工程def", [("百千万工程", "百千万工程")]),
    ("双百工程ESI", [("双百工程", "双百工程"), ("ESI", HEADWORDS["ESI"])]),
    ("推进百千万工程建设年活动", [("百千万工程建设年", HEADWORDS["建设年"])]),  # longest
    ("百千万工程建设", [("百千万工程", "百千万工程")]),  # a longer label not complete
    ("百千万工", [("百千万", HEADWORDS["百千万"])]),  # a prefix of a longer label not complete
    ("省委1310", [("1310", HEADWORDS["1310"])]),  # inside a longer label not complete: iter_long misses it
    ("落实省委“1310”具体", [("1310", HEADWORDS["1310"])]),
    ("百千万工程百千万", [("百千万工程", "百千万工程"), ("百千万", HEADWORDS["百千万"])]),
    ("百千万百千万工程", [("百千万", HEADWORDS["百千万"]), ("百千万工程", "百千万工程")]),
    ("一江四轨、六纵四横和六纵四横",
     [("一江四轨、六纵四横", HEADWORDS["六纵四横"]), ("六纵四横", HEADWORDS["六纵四横"])]),
    ("省委1310具体部署", [("省委1310具体部署", HEADWORDS["1310"])]),
])
def test_leftmost_longest_and_never_overlapping(client, text, expected):
    assert spans(client, text) == expected


def test_offsets_count_code_points_and_utf16_units_of_the_text_as_sent(client):
    text = "😀百千万工程 👍🏽ＥＳＩ、𠮷雙百工程\n🇨🇳３＋２"
    found = links(client, text)
    assert [link["surface"] for link in found] == ["百千万工程", "ＥＳＩ", "雙百工程", "３＋２"]
    units = text.encode("utf-16-le")
    for link in found:
        assert link["surface"] == text[link["start"]:link["end"]]
        assert link["start_utf16"] == utf16(text, link["start"]) and link["end_utf16"] == utf16(text, link["end"])
        assert units[2 * link["start_utf16"]:2 * link["end_utf16"]].decode("utf-16-le") == link["surface"]
    assert (found[0]["start"], found[0]["start_utf16"]) == (1, 2)


@pytest.mark.parametrize("text", ["\ud83d百千万工程", "百千万工程\ud83d"])
def test_a_lone_surrogate_from_a_javascript_client_is_no_server_error(client, text):
    """JSON.stringify sends half of an emoji cut off at a UTF-16 boundary as "\\ud83d"."""
    body = json.dumps({"text": text}).encode()
    response = client.post("/link", data=body, content_type="application/json")
    if response.status_code == 200:
        [link] = response.get_json()["links"]
        assert link["surface"] == "百千万工程"
        assert link["start_utf16"] == text.index("百")
    else:
        assert_problem(response, 422)


# -- what each link says: summary and url -------------------------------------------------------------
def test_a_summary_is_the_definition_cut_at_a_sentence(client, tiny_kb):
    found = links(client, "双百工程、数字政府改革建设、百千万工程、“2+N”服务体系")
    assert [link["headword"] for link in found][:3] == ["双百工程", HEADWORDS["数字政府"], "百千万工程"]
    for link in found:
        check_summary(link["summary"], tiny_kb.entry(link["id"]).definition)
    long, unbroken, short = (link["summary"] for link in found[:3])
    assert long.endswith("提供服务；") and unbroken.endswith("…") and short == tiny_kb.entry(found[2]["id"]).definition


@pytest.mark.parametrize("which", ["tiny", "real"])
def test_every_name_links_to_the_entry_its_url_resolves_to(request, which):
    """Each name of each entry on its own: one link, whose url GET answers with the linked entry first."""
    kb = request.getfixturevalue("tiny_kb" if which == "tiny" else "kb")
    http = request.getfixturevalue("client" if which == "tiny" else "real_client")
    names = sorted({name for entry in kb.entries() for name in entry.names})
    mismatched = {}
    for batch in range(0, len(names), 100):
        texts = names[batch:batch + 100]
        for text, result in zip(texts, post(http, {"texts": texts})["results"], strict=True):
            [link] = result["links"]
            assert label_key(link["surface"]) == label_key(text)
            check_summary(link["summary"], kb.entry(link["id"]).definition)
            answer = http.get(link["url"])
            assert answer.status_code == 200, link["url"]
            ids = [entry["id"] for entry in answer.get_json()["entries"]]
            if ids[0] != link["id"]:
                mismatched[text] = (link["id"], link["url"], ids)
    assert mismatched == {}


def test_a_label_two_reports_spell_differently_links_the_entry_its_url_resolves_to(client):
    [link] = links(client, "推进2+N服务体系建设")
    assert client.get(link["url"]).get_json()["entries"][0]["id"] == link["id"]


# -- options: first_only, documents ---------------------------------------------------------------------
def test_first_only_links_each_entry_once_at_its_first_use(client):
    text = "百千万工程和百千万工程，1310与省委1310具体部署，百千万，１３１０"
    every = links(client, text)
    first = links(client, text, first_only=True)
    assert [link["surface"] for link in first] == ["百千万工程", "1310", "百千万"]
    seen: set[str] = set()
    assert first == [link for link in every if link["id"] not in seen and not seen.add(link["id"])]


def test_documents_keep_only_their_entries_and_a_longer_label_left_out_hides_nothing(client):
    text = "推进百千万工程建设年活动"
    assert spans(client, text) == [("百千万工程建设年", HEADWORDS["建设年"])]
    assert spans(client, text, documents=[ALPHA]) == [("百千万工程", "百千万工程")]
    # with 1310 (ALPHA's alone) the rest of the text links ALPHA: its reading is the context's
    text += "，落实1310"
    assert spans(client, text) == [("百千万工程", "百千万工程"), ("1310", HEADWORDS["1310"])]
    assert spans(client, text, documents=[ALPHA]) == [("百千万工程", "百千万工程"), ("1310", HEADWORDS["1310"])]
    assert spans(client, text, documents=[BETA]) == [("百千万工程建设年", HEADWORDS["建设年"])]
    assert spans(client, text, documents=[ALPHA, BETA]) == spans(client, text)
    for link in links(client, text, documents=[ALPHA]):
        assert link["id"] in [e["id"] for e in client.get(link["url"]).get_json()["entries"]]


def test_an_unknown_document_is_a_404_problem(client):
    response = client.post("/link", json={"text": "百千万工程", "documents": ["nowhere-1999"]})
    assert "nowhere-1999" in assert_problem(response, 404)["detail"]


# -- ambiguity: every candidate, and why the link goes where it goes ----------------------------------
TWO_NAMES = "用好国家“两重”“两新”政策"  # Jiangxi defines both in one entry, Sichuan one entry each


def readings(found: list[dict]) -> list[tuple[str, str, str, bool, list[str]]]:
    return [(link["surface"], link["id"], link["chosen_by"], link["ambiguous"],
             [candidate["id"] for candidate in link["candidates"]]) for link in found]


def test_documents_decide_which_reports_entries_link(real_client):
    assert readings(links(real_client, TWO_NAMES, documents=["sichuan-2026"])) == [
        ("“两重”", "sichuan-2026:1", "only", False, ["sichuan-2026:1"]),
        ("“两新”", "sichuan-2026:2", "only", False, ["sichuan-2026:2"])]
    assert readings(links(real_client, TWO_NAMES, documents=["jiangxi-2026"])) == [
        ("“两重”“两新”", "jiangxi-2026:8", "only", False, ["jiangxi-2026:8"])]


def test_words_naming_entries_of_several_reports_show_every_candidate(real_client):
    [link] = links(real_client, TWO_NAMES)
    assert readings([link]) == [("“两重”“两新”", "jiangxi-2026:8", "longest", True,
                                 ["jiangxi-2026:8", "sichuan-2026:1", "sichuan-2026:2"])]
    assert link["candidates"][1] == {"id": "sichuan-2026:1", "headword": "“两重”", "document": "sichuan-2026"}


def test_prefer_chooses_the_reading_of_one_report_and_keeps_the_others_as_candidates(real_client):
    assert readings(links(real_client, TWO_NAMES, prefer="sichuan-2026")) == [
        ("“两重”", "sichuan-2026:1", "prefer", True, ["sichuan-2026:1", "jiangxi-2026:8"]),
        ("“两新”", "sichuan-2026:2", "prefer", True, ["sichuan-2026:2", "jiangxi-2026:8"])]
    assert readings(links(real_client, TWO_NAMES, prefer="jiangxi-2026"))[0][1:3] == ("jiangxi-2026:8", "prefer")
    # a preferred report that the words do not name changes nothing
    assert readings(links(real_client, TWO_NAMES, prefer="qingcheng-2024")) == readings(links(real_client,
                                                                                                TWO_NAMES))


def test_without_prefer_the_report_the_rest_of_the_text_links_decides(real_client):
    sichuan = readings(links(real_client, TWO_NAMES + "，落实稳增长“21”条，建设灯塔工厂"))
    assert [(surface, id_, by) for surface, id_, by, *_ in sichuan] == [
        ("“两重”", "sichuan-2026:1", "context"), ("“两新”", "sichuan-2026:2", "context"),
        ("稳增长“21”条", "sichuan-2026:4", "only"), ("灯塔工厂", "sichuan-2026:8", "only")]
    assert sichuan[0][3] is True and "jiangxi-2026:8" in sichuan[0][4]
    jiangxi = readings(links(real_client, TWO_NAMES + "，推进“三通一码”"))
    assert [(surface, id_, by) for surface, id_, by, *_ in jiangxi] == [
        ("“两重”“两新”", "jiangxi-2026:8", "context"), ("“三通一码”", "jiangxi-2026:5", "only")]
    # a tie is no context: the longest reading
    tied = readings(links(real_client, TWO_NAMES + "，推进“三通一码”，建设灯塔工厂"))
    assert tied[0][1:3] == ("jiangxi-2026:8", "longest")


def test_a_linker_answers_as_a_new_one_whatever_it_linked_before(kb):
    """A linker keeps, for its snapshot, what a match's entries come to: after links with other documents and
    preferences, each answer is the one a linker that linked nothing before gives."""
    from kb.linking import Linker

    texts = [TWO_NAMES, TWO_NAMES + "，推进“三通一码”", TWO_NAMES + "，落实稳增长“21”条，建设灯塔工厂"]
    options = [{}, {"documents": ["sichuan-2026"]}, {"documents": ["jiangxi-2026"]}, {"prefer": "sichuan-2026"},
               {"prefer": "jiangxi-2026"}, {"documents": ["sichuan-2026", "jiangxi-2026"]}]
    used = Linker(kb.snapshot)
    for _ in range(2):
        for text in texts:
            for option in options:
                assert used.link(text, **option) == Linker(kb.snapshot).link(text, **option), (text, option)


def test_an_unknown_preferred_document_is_a_404_problem(real_client):
    response = real_client.post("/link", json={"text": TWO_NAMES, "prefer": "nowhere-1999"})
    assert "nowhere-1999" in assert_problem(response, 404)["detail"]


# -- URLs are absolute ----------------------------------------------------------------------------------
def test_urls_are_absolute_on_the_requests_host(client):
    [link] = links(client, "推进百千万工程")
    assert link["url"].startswith("http://localhost/terms/")
    assert client.get(link["url"]).get_json()["entries"][0]["id"] == link["id"]
    response = client.post("/link", json={"text": "推进百千万工程"}, base_url="https://kb.example.org:8443")
    assert response.get_json()["links"][0]["url"] == link["url"].replace("http://localhost",
                                                                          "https://kb.example.org:8443")


def test_kb_public_url_sets_the_address_links_start_with(tiny):
    settings = Settings.from_env({}, corpus_dir=tiny.corpus_dir, data_dir=tiny.data_dir,
                                 public_url="https://terms.example.gov.cn/kb/")
    app = create_app({"KB_SETTINGS": settings}).test_client()
    for format in ("json", "html", "markdown"):
        answer = post(app, {"text": "推进百千万工程", "format": format})
        [link] = answer["links"]
        assert link["url"].startswith("https://terms.example.gov.cn/kb/terms/")
        assert format == "json" or link["url"] in answer[format]


# -- formats: HTML and Markdown -----------------------------------------------------------------------
class _Html(HTMLParser):
    """The text an HTML fragment shows, and its tags with their attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.tags, self.anchors = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "a":
            self.anchors.append([dict(attrs), ""])

    def handle_data(self, data):
        self.text.append(data)
        if self.anchors and self.tags and self.tags[-1] == "a":
            self.anchors[-1][1] += data

    def handle_endtag(self, tag):
        self.tags.append("/" + tag)


def rendered(fragment: str) -> _Html:
    parser = _Html()
    parser.feed(fragment)
    parser.close()
    return parser


HOSTILE = ('<script>alert("百千万工程")</script><img src=x onerror=alert(1)>百千万工程 & 1310 '
           "&lt;b&gt; <b>ESI</b> “2+N”服务体系\n<!-- x --> ' \" </a>")


def test_html_escapes_everything_but_its_own_anchors(client):
    answer = post(client, {"text": HOSTILE, "format": "html"})
    assert set(answer) == {"links", "html"} and all(set(link) == LINK_FIELDS for link in answer["links"])
    assert '"' in answer["links"][-1]["summary"]  # a title attribute with a quote in it
    html = answer["html"]
    assert "<script" not in html.lower() and "<img" not in html.lower() and "<!--" not in html
    page = rendered(html)
    assert "".join(page.text) == HOSTILE
    assert set(page.tags) <= {"a", "/a"}
    assert [(a["href"], a["title"], inner) for a, inner in page.anchors] == [
        (link["url"], link["summary"], link["surface"]) for link in answer["links"]]
    assert [link["surface"] for link in answer["links"]] == ["百千万工程", "百千万工程", "1310", "ESI", "“2+N”服务体系"]


def test_html_links_a_label_that_ends_in_an_angle_bracket_in_full(editable):
    settings, secret = editable
    app = create_app({"KB_SETTINGS": settings}).test_client()
    created = app.post("/entries", json={"headword": "算力券>>", "definition": "面向中小企业的算力补贴凭证。"},
                       headers={"Authorization": f"Bearer {secret}"})
    assert created.status_code == 201, created.get_data(as_text=True)
    text = "发放<算力券>>，推进百千万工程"
    answer = post(app, {"text": text, "format": "html"})
    assert [link["surface"] for link in answer["links"]] == ["算力券>>", "百千万工程"]
    page = rendered(answer["html"])
    assert "".join(page.text) == text
    assert [inner for _, inner in page.anchors] == ["算力券>>", "百千万工程"]
    assert answer["html"].startswith("发放&lt;<a ")


def test_html_of_a_text_without_links_is_the_text_escaped(client):
    assert post(client, {"text": "<p>无术语 & 1310a</p>", "format": "html"}) == {
        "links": [], "html": "&lt;p&gt;无术语 &amp; 1310a&lt;/p&gt;"}


MARKDOWN = MarkdownIt("commonmark")


@pytest.mark.parametrize("gap", [
    "*强调*", "**加粗**", "_下划线_", "__粗__", "[链接](http://example.com)", "![图](x.png)", "`代码`",
    "# 标题", "> 引用", "1. 列表", "2) 列表", "- 列表", "+ 列表", "<b>html</b>", "&amp; &#65;", "a\\b",
    "~~删除~~", "|表|格|", "{大括号}", "结尾\\", "第一行\n---", "第一行\n===", "http://example.com/a_b_c",
])
def test_markdown_escapes_the_text_between_links(client, gap):
    text = f"{gap}百千万工程{gap}与“2+N”服务体系{gap}"
    answer = post(client, {"text": text, "format": "markdown"})
    page = rendered(MARKDOWN.render(answer["markdown"]))
    assert set(page.tags) <= {"p", "/p", "a", "/a", "br"}, answer["markdown"]
    assert " ".join("".join(page.text).split()) == " ".join(text.split())
    assert [(unquote(a["href"]), a["title"], inner) for a, inner in page.anchors] == [
        (unquote(link["url"]), link["summary"], link["surface"]) for link in answer["links"]]
    assert len(answer["links"]) == 2


def test_a_batch_answers_one_result_per_text_as_single_texts_do(client):
    texts = ["百千万工程", "", "<i>1310</i>", "雙百工程与３＋２"]
    for format in ("json", "html", "markdown"):
        options = {"format": format, "first_only": True, "documents": [ALPHA]}
        batch = post(client, {"texts": texts, **options})
        assert set(batch) == {"results"}
        assert batch["results"] == [post(client, {"text": text, **options}) for text in texts]


# -- limits -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("format,rendered_empty", [("json", {}), ("html", {"html": ""}),
                                                   ("markdown", {"markdown": ""})])
def test_an_empty_text_has_no_links(client, format, rendered_empty):
    assert post(client, {"text": "", "format": format}) == {"links": [], **rendered_empty}


def test_a_text_of_exactly_the_limit_is_linked_to_its_end(client):
    text = "很" * (MAX_LINK_CHARS - 5) + "百千万工程"
    [link] = links(client, text)
    assert (link["start"], link["end"], link["end_utf16"]) == (MAX_LINK_CHARS - 5, MAX_LINK_CHARS, MAX_LINK_CHARS)
    [result] = post(client, {"texts": [text]})["results"]
    assert result["links"] == [link]


@pytest.mark.parametrize("body", [
    {"text": "很" * MAX_LINK_CHARS + "工"},
    {"texts": ["百千万工程", "很" * MAX_LINK_CHARS + "工"]},
])
def test_a_text_over_the_limit_is_a_413_problem(client, body):
    response = client.post("/link", data=json.dumps(body, ensure_ascii=False).encode(),
                           content_type="application/json")
    assert "100000" in assert_problem(response, 413)["detail"]


def test_a_batch_of_up_to_100_texts_is_linked_and_more_is_a_422_problem(client):
    assert len(post(client, {"texts": ["1310"] * 100})["results"]) == 100
    body = assert_problem(client.post("/link", json={"texts": ["1310"] * 101}), 422)
    assert "texts" in json.dumps(body)


@pytest.mark.parametrize("body", [{}, {"text": "1310", "texts": ["1310"]}, {"texts": []}, {"text": None},
                                  {"text": "1310", "format": "pdf"}, {"text": "1310", "first_only": "yes"}])
def test_a_malformed_request_is_a_422_problem(client, body):
    assert_problem(client.post("/link", json=body), 422)


# -- property: any text made of report passages, labels and noise ----------------------------------
# noise that folds to nothing (quotes, 、, spaces), to several characters (…, ㎡, ½, ﬁ), or is two UTF-16 units
NOISE = ["😀", "𠮷", "👍🏽", "１", "7", "a", "Z", "+", "、", "“", "”", "《", "》", " ", "\u3000", "<", "*", "_",
         "\n", "。", "……", "㎡", "½", "ﬁ", "①"]


def random_texts(kb: KnowledgeBase, count: int, seed: int) -> list[str]:
    """Slices of passages with labels (any spelling, cut short, components too) and noise dropped in."""
    rng = random.Random(seed)
    passages = [p.text for p in kb.passages()]
    labels = sorted({lb.text for e in kb.entries() for lb in e.labels})
    # a label cut short leaves a longer label incomplete around a shorter one (省委“1310”具体)
    spellings = [lambda s: s, wide, TRADITIONAL.convert, lambda s: s.lower(), lambda s: s[:rng.randint(1, len(s))]]
    texts = []
    for _ in range(count):
        pieces = []
        for _ in range(rng.randint(1, 3)):
            passage = rng.choice(passages)
            start = rng.randrange(len(passage))
            pieces.append(passage[start:start + rng.randint(0, 120)])
        pieces += [rng.choice(spellings)(rng.choice(labels)) for _ in range(rng.randint(1, 5))]
        pieces += rng.choices(NOISE, k=rng.randint(0, 6))
        rng.shuffle(pieces)
        texts.append("".join(pieces))
    return texts


def test_every_passage_links_exactly_its_names(kb):
    for passage in kb.passages():
        check_links(kb, passage.text, kb.link(passage.text)["links"])


def test_every_name_cut_short_still_links_the_names_it_holds(kb):
    """省委“1310”具 holds 1310 though 省委“1310”具体部署 is not complete (pyahocorasick's iter_long misses it)."""
    names = sorted({name for entry in kb.entries() for name in entry.names})
    for name in names:
        for cut in range(1, len(name)):
            for text in (name[:cut], f"落实{name[:cut]}工作"):  # iter_long misses it at the end of a text
                check_links(kb, text, kb.link(text)["links"])


def test_random_texts_link_with_every_invariant(kb):
    documents = [d.id for d in kb.documents()]
    rng = random.Random(6)
    for text in random_texts(kb, 400, seed=2026):
        found = kb.link(text)["links"]
        check_links(kb, text, found)
        seen: set[str] = set()
        assert kb.link(text, first_only=True)["links"] == [
            link for link in found if link["id"] not in seen and not seen.add(link["id"])]
        chosen = set(rng.sample(documents, rng.randint(1, len(documents))))
        check_links(kb, text, kb.link(text, documents=sorted(chosen))["links"], chosen)


def test_random_texts_link_the_same_through_the_api(kb, real_client):
    texts = random_texts(kb, 100, seed=7)
    results = post(real_client, {"texts": texts, "format": "html"})["results"]
    for text, result in zip(texts, results, strict=True):
        in_process = kb.link(text, format="html", base_url="http://localhost")  # the test client's host
        assert result == json.loads(json.dumps(in_process))
        assert "".join(rendered(result["html"]).text) == text


# -- editors' labels link at once ---------------------------------------------------------------------
NEW_ENTRY = {"headword": "青禾智链示范区", "definition": "指依托数字平台建设的农业产业链协同示范项目。",
             "labels": ["QHZL"]}
NEW_TEXT = "打造青禾智链示范区，推广ＱＨＺＬ模式，深化社工双百"


def write(client, secret: str) -> str:
    """An editor adds an entry and an alias to a corpus entry; the new entry's id."""
    bearer = {"Authorization": f"Bearer {secret}"}
    created = client.post("/entries", json=NEW_ENTRY, headers=bearer)
    assert created.status_code == 201, created.get_data(as_text=True)
    target = client.get(f"/entries/{ALPHA}:5")
    patched = client.patch(f"/entries/{ALPHA}:5", json={"labels": ["社工双百"]},
                           headers={**bearer, "If-Match": target.headers["ETag"]})
    assert patched.status_code == 200, patched.get_data(as_text=True)
    return created.get_json()["id"]


def expected_after_write(new_id: str) -> list[tuple[str, str]]:
    return [("青禾智链示范区", new_id), ("ＱＨＺＬ", new_id), ("社工双百", f"{ALPHA}:5")]


def test_an_editors_labels_link_on_the_same_app_at_once(editable):
    settings, secret = editable
    client = create_app({"KB_SETTINGS": settings}).test_client()
    assert links(client, NEW_TEXT) == []
    new_id = write(client, secret)
    found = links(client, NEW_TEXT)
    assert [(link["surface"], link["id"]) for link in found] == expected_after_write(new_id)
    assert links(client, NEW_TEXT, documents=[BETA])[:2] == found[:2]  # editors' entries have no document
    for link in found:
        assert client.get(link["url"]).get_json()["entries"][0]["id"] == link["id"]


def test_an_editors_labels_link_on_another_app_within_a_second(editable):
    """Two workers: one takes the write, the other only links (it never GETs, which would catch it up)."""
    settings, secret = editable
    writer = create_app({"KB_SETTINGS": settings}).test_client()
    reader = create_app({"KB_SETTINGS": settings}).test_client()
    assert links(reader, NEW_TEXT) == []
    new_id = write(writer, secret)
    written = time.monotonic()
    expected = expected_after_write(new_id)
    while True:
        found = [(link["surface"], link["id"]) for link in links(reader, NEW_TEXT)]
        if found == expected or time.monotonic() - written > 1.0:
            break
        time.sleep(0.05)
    assert found == expected
    started_later = create_app({"KB_SETTINGS": settings}).test_client()
    assert [(link["surface"], link["id"]) for link in links(started_later, NEW_TEXT)] == expected


# -- kb link prints what POST /link sends ---------------------------------------------------------------
@pytest.mark.parametrize("argv,options", [
    ([], {}),
    (["--format", "html", "--first-only"], {"format": "html", "first_only": True}),
    (["--format", "markdown", "--document", ALPHA, "--document", BETA], {"format": "markdown",
                                                                         "documents": [ALPHA, BETA]}),
    (["--document", ALPHA], {"documents": [ALPHA]}),
])
def test_kb_link_prints_what_post_link_sends(tiny, client, monkeypatch, capsys, argv, options):
    text = "😀推进百千万工程建设年，<b>1310</b>与雙百工程；*ESI*_3+2_\n百千万工程\n"
    kb_env(monkeypatch, tiny)
    monkeypatch.setenv("KB_PUBLIC_URL", "http://localhost/")  # the test client's host: the same absolute URLs
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert main(["link", *argv]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == post(client, {"text": text, **options})
    assert printed["links"]
