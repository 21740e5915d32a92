"""Ten real county reports as websites deliver them: every entry exact, every marker on its entry's passage."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from kb.build import build
from kb.ingest.text import compact
from kb.knowledge import KnowledgeBase
from kb.store import Store, citations, make_engine
from tests.conftest import DATA, make_settings

COUNTIES = DATA / "counties"
NAMES = sorted(path.stem for path in COUNTIES.glob("*.txt"))
MARKER = re.compile(r"\^?[［\[【〔](\d{1,3})[］\]】〕]")


def expected(name: str) -> dict:
    return json.loads((COUNTIES / f"{name}.json").read_text(encoding="utf-8"))


def raw_lines(name: str) -> list[str]:
    # rongcheng-2020 stores its line breaks as the four characters \r\n
    return (COUNTIES / f"{name}.txt").read_text(encoding="utf-8").replace("\\r\\n", "\n").splitlines()


@pytest.fixture(scope="module")
def counties(tmp_path_factory) -> KnowledgeBase:
    settings = make_settings(tmp_path_factory.mktemp("counties"), {name: COUNTIES / f"{name}.txt" for name in NAMES})
    build(settings, index=False)
    kb = KnowledgeBase(Store(make_engine(settings.database_url)))
    yield kb
    kb.close()


def test_the_ten_reports_are_there():
    assert len(NAMES) == 10 and all((COUNTIES / f"{name}.json").exists() for name in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_every_entry_is_exactly_as_printed(counties, name):
    found = [{"number": e.number, "headword": e.headword, "definition": e.definition, "page": e.page}
             for e in counties.entries(name)]
    assert found == expected(name)["entries"]


@pytest.mark.parametrize("name", NAMES)
def test_title_and_date(counties, name):
    document = counties.document(name)
    assert (document.title, document.date) == (expected(name)["title"], expected(name)["date"])


@pytest.mark.parametrize("name", NAMES)
def test_every_body_marker_cites_its_entry_from_the_passage_it_stands_in(counties, name):
    """Each marker of the body: the words printed just before it are in a passage citing the entry of its number."""
    want = expected(name)
    body = compact("".join(raw_lines(name)[:want["glossary_line"] - 1]))
    markers = list(MARKER.finditer(body))
    assert len(markers) == want["body_markers"]
    with counties.store.engine.connect() as conn:
        stored = [(r.number, r.entry) for r in conn.execute(select(citations)) if r.passage.startswith(f"{name}:")]
    assert len(stored) == len(markers)
    assert all(entry == f"{name}:{number}" for number, entry in stored)
    for marker in markers:
        before = MARKER.sub("", body[:marker.start()])[-8:]
        number = int(marker.group(1))
        entry = counties.entry(f"{name}:{number}")
        cited = [p for p, use in counties.passages_using(entry) if use.cited]
        assert any(before in compact(p.text) for p in cited), (number, before)


@pytest.mark.parametrize("name", NAMES)
def test_passages_hold_no_markers_and_nothing_of_the_web_page(counties, name):
    for passage in counties.passages(name):
        assert not MARKER.search(passage.text) and "^" not in passage.text, passage.text[:40]
        for junk in ("分享到", "QQ空间", "免责声明", "内容摘要", "阅读：", "上一篇", "??", "\\r\\n"):
            assert junk not in passage.text, (junk, passage.text[:40])
    first = counties.passages(name)[0]
    assert first.text.startswith("各位代表") or first.text.startswith("一、")


@pytest.mark.parametrize("name", NAMES)
def test_no_glossary_text_is_a_passage(counties, name):
    headwords = {compact(e["headword"]) + "：" for e in expected(name)["entries"]}
    for passage in counties.passages(name):
        assert not any(compact(passage.text).lstrip("0123456789.、[]【】〔〕").startswith(h) for h in headwords)


def test_the_glossary_printed_twice_is_read_once_with_a_warning(counties):
    document = counties.document("fuping-2020")
    [twice] = [w for w in document.warnings if "printed 2 times" in w.message]
    assert twice.line == 98 and "29 entries" in twice.message
    closing = [p for p in counties.passages("fuping-2020") if p.text.startswith("各位代表!决胜全面小康")]
    assert len(closing) == 1


def test_reports_that_read_cleanly_have_no_warnings(counties):
    clean = [name for name in NAMES if not counties.document(name).warnings]
    assert clean == ["boye-2024", "gaotang-2025", "laishui-2021", "mancheng-2020", "qingyuan-2021",
                     "shunping-2022", "tangxian-2020"]


def test_a_report_without_a_header_is_titled_by_its_id_with_a_warning(counties):
    messages = [w.message for w in counties.document("rongcheng-2020").warnings]
    assert any("no title" in m for m in messages) and any("\\r\\n" in m for m in messages)


@pytest.mark.parametrize("path", sorted(Path(COUNTIES).glob("*.txt")))
def test_the_copies_are_the_reports_unchanged(path):
    """The files are as the scraper stored them: site headers, share toolbars, lost characters and all."""
    text = path.read_text(encoding="utf-8")
    assert "分享到" in text or "\\r\\n" in text
