"""The pages for people (api/pages), through Flask's test client over the session KB of the three reports:
what each page shows, that every string is escaped, and the headers every page sends. The browser tests
(tests/test_browser.py) drive the same pages in Chromium."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from api import create_app
from api.pages import CSP
from api.pages.render import initial
from tests.helpers import ok

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def client(settings):
    return create_app({"KB_SETTINGS": settings}).test_client()


class Page(HTMLParser):
    """A page's links (href, text), ids, elements by tag, and its text."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.ids: set[str] = set()
        self.tags: dict[str, int] = {}
        self.text: list[str] = []
        self._href: str | None = None
        self._link_text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a":
            self._href, self._link_text = attrs.get("href"), []

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._link_text)))
            self._href = None

    def handle_data(self, data):
        self.text.append(data)
        if self._href is not None:
            self._link_text.append(data)

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def page(client, path: str, status: int = 200, **args) -> Page:
    response = client.get(path, query_string=args or None, headers=BROWSER)
    assert response.status_code == status, response.data[:500]
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == CSP
    return Page(response.get_data(as_text=True))


def test_every_page_is_chinese_has_landmarks_and_allows_nothing_inline(client):
    for path in ["/", "/term/百千万工程", "/read/qingcheng-2024", "/find?q=产业"]:
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert '<html lang="zh-CN">' in html
        assert all(f"<{tag}" in html for tag in ("header", "main", "footer")) and 'role="search"' in html
        assert 'class="skip" href="#main"' in html  # a skip link to the main content
        assert "<style" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script or style
        assert " style=" not in html and not re.search(r" on[a-z]+=", html)
        assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from another host
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


def test_home_lists_the_reports_and_files_each_report_s_terms_under_its_initial(client, kb):
    home = page(client, "/")
    for doc in kb.documents():
        assert (f"/read/{doc.id}", doc.title) in home.links
        for entry in kb.entries(doc.id):
            assert f"{doc.id}-{initial(entry.headword)}" in home.ids  # its letter's heading
            assert any(text == entry.headword and href.endswith(f"#entry-{entry.id}") for href, text in home.links)


@pytest.mark.parametrize("headword,letter", [("百千万工程", "B"), ("“1310”", "#"), ("GEP核算", "G"),
                                             ("“两重”", "L"), ("省委“1310”具体部署", "S")])
def test_a_headword_is_filed_under_its_pinyin_initial(headword, letter):
    assert initial(headword) == letter


def test_a_term_page_shows_the_entry_and_every_passage_that_uses_it_highlighted(client, kb):
    view = page(client, "/term/百千万工程")
    [entry] = [e for e in kb.entries("qingcheng-2024") if e.headword == "百千万工程"]
    assert f"entry-{entry.id}" in view.ids
    assert entry.definition in view.all_text
    used = kb.entry_view(entry)["passages_total"]
    assert used and view.tags.get("mark", 0) >= used  # every passage has its use marked
    assert view.all_text.count("2023年工作回顾") >= 1  # a section trail


def test_a_label_of_several_senses_shows_them_side_by_side_each_with_its_report(client, kb):
    senses = [r.entry for r in kb.resolve("两新")]
    assert len({e.document for e in senses}) > 1  # read: Sichuan's “两新” and Jiangxi's “两重”“两新”
    view = page(client, "/term/两新")
    for entry in senses:
        assert f"entry-{entry.id}" in view.ids
        assert (f"/read/{entry.document}", kb.document(entry.document).title) in view.links


def test_components_are_a_table(client):
    response = client.get("/term/百千万工程")
    html = response.get_data(as_text=True)
    assert "<table" in html and "<th scope=\"row\">百</th>" in html


def test_the_reading_view_is_the_whole_report_in_order_with_terms_and_citations_linked(client, kb):
    doc = kb.document("qingcheng-2024")
    view = page(client, f"/read/{doc.id}")
    html = client.get(f"/read/{doc.id}").get_data(as_text=True)
    passages = kb.passages(doc.id)
    at = [html.find(f'<p id="{p.id}">') for p in passages]
    assert all(a >= 0 for a in at) and at == sorted(at)  # every passage, in order
    cited = [p for p in passages if p.citations]
    assert cited
    for p in cited:
        for c in p.citations:
            [entry] = [e for e in kb.entries(doc.id) if e.number == c.number]
            assert (f"#cite-{entry.id}", f"[{c.number}]") in view.links and f"cite-{entry.id}" in view.ids
    linked = [text for href, text in view.links if href.startswith("/term/")]
    # read: the first paragraph links 省委“1310”具体部署; 百千万工程 is linked wherever it stands
    assert "省委“1310”具体部署" in linked and linked.count("百千万工程") >= 5
    toc = [href for href, _ in view.links if re.fullmatch(r"#s\d+", href)]
    assert toc and all(href[1:] in view.ids for href in toc)


def test_search_shows_highlighted_hits_filters_and_pages(client, kb):
    first = page(client, "/find", q="振兴乡村", type="passage")
    hits = ok(client.get("/search", query_string={"q": "振兴乡村", "type": "passage", "limit": 10}))
    assert hits["total"] > 10 and first.tags.get("mark", 0) >= 10
    [following] = [href for href, text in first.links if text == "下一页"]
    second = page(client, following)
    assert ("/find?q=%E6%8C%AF%E5%85%B4%E4%B9%A1%E6%9D%91&type=passage", "第一页") in second.links
    shown = {href.split("#")[1] for href, _ in first.links + second.links if href.startswith("/read/")}
    page_two = ok(client.get("/search", query_string={"q": "振兴乡村", "type": "passage", "limit": 10,
                                                       "cursor": hits["next_cursor"]}))
    assert {h["id"] for h in hits["hits"] + page_two["hits"]} <= shown


def test_a_miss_says_so_and_suggests_labels(client, kb):
    view = page(client, "/find", q="百千万")
    assert "找到" in view.all_text
    miss = page(client, "/find", q="百千万工桯")  # a typo: nothing has it
    assert "没有找到" in miss.all_text
    suggestions = kb.suggest("百千万工桯", 5)
    assert suggestions and all(any(text == s for _, text in miss.links) for s in suggestions)


def test_status_pages_are_pages_in_the_same_look(client):
    missing = page(client, "/term/百千万工程项目", status=404)
    assert "没有这个术语" in missing.all_text and any(text == "百千万工程" for _, text in missing.links)
    assert "没有找到" in page(client, "/read/no-such-report", status=404).all_text
    assert "没有找到" in page(client, "/no/such/page", status=404).all_text
    # JSON clients still get problems at an unknown path
    assert client.get("/no/such/page").mimetype == "application/problem+json"
    assert client.get("/no/such/page", headers={"Accept": "application/json"}).mimetype == "application/problem+json"


def test_every_user_provided_string_is_escaped(editor):
    client, token = editor
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    made = ok(client.post("/entries", headers=token, json={
        "headword": "恶意" + evil, "definition": "定义" + evil, "labels": ["标签" + evil]}), 201)
    for path in ["/", f"/term/恶意{evil}", "/find?q=%E6%81%B6%E6%84%8F"]:
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
    view = page(client, f"/term/恶意{evil}")
    assert f"entry-{made['id']}" in view.ids and "定义" + evil in view.all_text  # shown, as text
    html = client.get("/find", query_string={"q": evil}).get_data(as_text=True)
    assert "<script>alert" not in html
