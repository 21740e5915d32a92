"""Labels by their pinyin: /terms?prefix= and /search?q= take full pinyin without tones and initials, every
reading of a polyphone, in any case and width; labels spelled whole first; digits and Latin letters as they are.
The pinyin the tests expect is worked out here from pypinyin itself, never from kb's functions."""

from __future__ import annotations

import pytest
from pypinyin import Style, lazy_pinyin

from api import create_app
from kb.normalize import label_key
from kb.pinyin import PinyinIndex
from tests.helpers import ok

DEFAULT = "qingcheng-2024"


@pytest.fixture(scope="module")
def client(settings):
    return create_app({"KB_SETTINGS": settings}).test_client()


def full(text: str) -> str:
    """The label's pinyin as pypinyin reads it (its phrases in context), without tones or spaces."""
    return "".join(lazy_pinyin(label_key(text)))


def initials(text: str) -> str:
    return "".join(lazy_pinyin(label_key(text), style=Style.FIRST_LETTER))


def terms(client, prefix: str, **query) -> list[dict]:
    return ok(client.get("/terms", query_string={"prefix": prefix, "limit": 100, **query}))["terms"]


def first_ids(listed: list[dict]) -> list[str]:
    return [e["id"] for e in listed[0]["entries"]] if listed else []


def search(client, q: str, **query) -> dict:
    return ok(client.get("/search", query_string={"q": q, "limit": 100, **query}))


# -- every entry of the default report ------------------------------------------------------------------------
def test_the_default_report_has_entries_to_spell(kb):
    assert len(kb.entries(DEFAULT)) >= 19


@pytest.mark.parametrize("style", [full, initials], ids=["full", "initials"])
def test_every_entry_of_the_default_report_is_found_by_its_headwords_pinyin(client, kb, style):
    for entry in kb.entries(DEFAULT):
        spelled = style(entry.headword)
        assert spelled.isascii() and spelled != label_key(entry.headword), entry.headword
        listed = terms(client, spelled)
        # the label spelled whole comes first, and it names the entry
        assert entry.id in first_ids(listed), (entry.headword, spelled, listed[:3])
        assert listed[0]["match"] == ("pinyin" if style is full else "initials")
        assert label_key(listed[0]["label"]) == label_key(entry.headword)
        # and search reads the same pinyin as the label: the entry is a hit, as it is for its headword
        found = search(client, spelled, type="entry")
        assert found["searched"] == label_key(entry.headword) and found["query"] == spelled
        assert entry.id in [h["id"] for h in found["hits"]], (entry.headword, spelled)
        as_typed = search(client, entry.headword, type="entry")
        assert [h["id"] for h in found["hits"]] == [h["id"] for h in as_typed["hits"]]


def test_a_pinyin_prefix_finds_the_entries_whose_label_it_begins(client, kb):
    for entry in kb.entries(DEFAULT):
        key = label_key(entry.headword)
        for spelled in (full(key[:2]), full(key[:2])[:-1], initials(key[:3])):
            if not any(ch.isalpha() for ch in spelled):
                continue  # “3+2”: digits and symbols first, found as the label itself
            assert entry.id in {e["id"] for t in terms(client, spelled) for e in t["entries"]}, (key, spelled)


# -- polyphones, ranking, case and width -------------------------------------------------------------------------
@pytest.mark.parametrize("spelled", ["liangzhong", "liangchong", "lz", "lc", "liangch"])
def test_every_reading_of_a_polyphone_spells_the_label(client, kb, spelled):
    listed = terms(client, spelled)
    assert listed[0]["label"] == "两重"
    assert set(first_ids(listed)) == {r.entry.id for r in kb.resolve("两重")} >= {"sichuan-2026:1", "jiangxi-2026:8"}
    assert "“两重”“两新”" in [t["label"] for t in listed]  # begun only: after the label spelled whole
    if spelled != "liangch":
        found = search(client, spelled)
        assert found["searched"] == "两重" and found["total"] == search(client, "两重")["total"] > 0


def test_a_label_spelled_whole_outranks_one_begun_then_the_more_of_it_spelled(editor):
    client, bearer = editor
    for headword in ("百千", "百千万工程示范镇建设"):
        made = client.post("/entries", json={"headword": headword, "definition": "指一项工作。"}, headers=bearer)
        assert made.status_code == 201, made.get_data(as_text=True)
    # 百千 is used by no passage, 百千万工程 by many: spelled whole, 百千 still comes first
    listed = terms(client, "baiqian")
    assert [t["label"] for t in listed[:3]] == ["百千", "百千万工程", "百千万工程示范镇建设"]
    assert listed[1]["used"] > listed[0]["used"]
    # bqw: 3 of 5 characters of 百千万工程, 3 of 10 of the other; 百千 is not spelled by it at all
    assert [t["label"] for t in terms(client, "bqw")][:2] == ["百千万工程", "百千万工程示范镇建设"]
    assert "百千" not in [t["label"] for t in terms(client, "bqw")]
    assert [t["label"] for t in terms(client, "bqwgcsfzjs")] == ["百千万工程示范镇建设"]


def test_labels_an_editor_adds_or_renames_are_spelled_at_once(editor):
    client, bearer = editor
    assert terms(client, "qhzl") == []
    made = client.post("/entries", json={"headword": "青禾智链", "definition": "指农业产业链协同示范项目。"},
                       headers=bearer)
    assert made.status_code == 201
    entry_id = made.get_json()["id"]
    assert first_ids(terms(client, "qhzl")) == [entry_id] == first_ids(terms(client, "qinghezhilian"))
    tag = client.get(f"/entries/{entry_id}").headers["ETag"]
    renamed = client.patch(f"/entries/{entry_id}", json={"headword": "禾链", "labels": []},
                           headers={**bearer, "If-Match": tag})
    assert renamed.status_code == 200, renamed.get_data(as_text=True)
    assert terms(client, "qhzl") == [] and first_ids(terms(client, "helian")) == [entry_id]


@pytest.mark.parametrize("typed", ["BQWGC", "ｂｑｗｇｃ", "Bqwgc", "bai qian wan gong cheng", "ＢＡＩＱＩＡＮ",
                                   "Bai Qianwan"])
def test_case_width_and_spaces_do_not_matter(client, typed):
    assert "qingcheng-2024:2" in first_ids(terms(client, typed))
    assert search(client, typed)["searched"] == "百千万工程"


@pytest.mark.parametrize("spelled, headword", [
    ("sw1310", "省委“1310”具体部署"), ("shengwei1310jutibushu", "省委“1310”具体部署"),
    ("3+1+ncytx", "“3+1+N”产业体系"), ("3+1+nchanye", "“3+1+N”产业体系"), ("3+2cyjq", "“3+2”产业集群"),
    ("mlwz1+4+7+9+n", "美丽圩镇“1+4+7+9+N”")])
def test_digits_latin_letters_and_symbols_stay_as_they_are(client, spelled, headword):
    assert label_key(headword) in {label_key(t["label"]) for t in terms(client, spelled)[:1]}


def test_chinese_and_latin_prefixes_list_labels_as_before(client, kb):
    chinese = ok(client.get("/terms", query_string={"prefix": "百"}))
    assert chinese == kb.terms("百") and {t["match"] for t in chinese["terms"]} == {"label"}
    assert all(label_key(t["label"]).startswith("百") for t in chinese["terms"])
    assert [t["match"] for t in terms(client, "3+1")] == ["label", "label"]
    assert terms(client, "zz-none") == []
    # q (inside) is the label's own text only
    assert ok(client.get("/terms", query_string={"q": "bqwgc"}))["terms"] == []


def test_search_reads_pinyin_only_where_the_query_as_typed_finds_nothing(client):
    typed = search(client, "3+1+N")
    assert typed["total"] > 0 and "searched" not in typed
    mixed = search(client, "bqwgc 乡村")
    assert mixed["searched"] == "百千万工程 乡村"
    assert [h["id"] for h in mixed["hits"]] == [h["id"] for h in search(client, "百千万工程 乡村")["hits"]]
    assert "searched" not in search(client, '"bqwgc"')  # quoted: as typed only
    assert "searched" not in search(client, "zzqxw") and search(client, "zzqxw")["total"] == 0
    page = ok(client.get("/search", query_string={"q": "bqwgc", "limit": 2}))
    following = ok(client.get("/search", query_string={"q": "bqwgc", "limit": 2, "cursor": page["next_cursor"]}))
    whole = search(client, "bqwgc")["hits"]
    assert [h["id"] for h in page["hits"] + following["hits"]] == [h["id"] for h in whole[:4]]


# -- the index itself ----------------------------------------------------------------------------------------
def test_a_label_with_more_spellings_than_are_expanded_is_found_by_any_reading(client):
    """企业找技术成果找市场双向揭榜挂帅 has 1,152 spellings (找 zhao/hua, 榜 bang/beng/pang/peng …): past its
    beginning, it is read reading by reading."""
    headword = "企业找技术成果找市场双向揭榜挂帅"
    usual = full(headword)
    other = usual.replace("jiebang", "jiepeng")  # 榜 read peng, in the part that is walked
    assert other != usual
    for spelled in (usual, other, other[:-3], initials(headword), initials(headword).replace("jb", "jp")):
        listed = terms(client, spelled)
        assert listed and label_key(listed[0]["label"]) == headword, spelled
    assert listed[0]["match"] == "initials"
    assert terms(client, usual.replace("jiebang", "jiebing")) == []  # 榜 is never bing


def test_an_index_made_from_the_last_one_answers_as_one_made_whole(kb):
    """An edit's index is made from the last one (labels taken out and put in): it finds what one made whole does."""
    keys = list(kb.current().by_key)
    before = PinyinIndex(keys)
    added = ["青禾智链", "重庆两重", "企业找技术成果找市场双向揭榜挂帅示范"]
    changed = [k for k in keys if not k.startswith("两")] + added
    queries = ["l", "liang", "lz", "lc", "qhzl", "chongqing", "zhongqing", "qiyezhaojishu", "qyzjscgzscsxjbgssf",
               "b", "bqwgc", "s", "sanqu"]
    made, whole = before.with_keys(changed), PinyinIndex(changed)
    for query in queries:
        assert made.fits(query) == whole.fits(query), query
    assert before.fits("liangzhong") == PinyinIndex(keys).fits("liangzhong") != made.fits("liangzhong")
