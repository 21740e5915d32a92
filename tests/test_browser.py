"""The pages in a real browser: Playwright for Python driving Debian's Chromium (`make test` installs it with
apt when it is missing; no browser is downloaded) against gunicorn serving the three reports. Each test writes
screenshots at desktop and phone widths into screenshots/ (ignored by git)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from kb.linking import summarize
from tests.helpers import gunicorn

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def site(settings, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("browser") / "var"
    shutil.copytree(settings.data_dir, data_dir)
    with gunicorn(settings.corpus_dir, data_dir, tmp_path_factory.mktemp("server") / "gunicorn.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM, "Debian's chromium: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser, site):
    """A page of a fresh context, which records every request it makes (to check no other host is asked)."""
    context = browser.new_context(viewport=WIDTHS["desktop"], locale="zh-CN")
    opened = context.new_page()
    opened.requested = []  # type: ignore[attr-defined]
    opened.on("request", lambda request: opened.requested.append(request.url))
    opened.errors = []  # type: ignore[attr-defined]
    opened.on("console", lambda message: message.type == "error" and opened.errors.append(message.text))
    yield opened
    host = urlsplit(site).hostname  # this machine: the readers' site and the editors' are two ports of it
    assert all(urlsplit(url).hostname == host for url in opened.requested if not url.startswith("data:"))
    assert not opened.errors  # a CSP violation or a script error shows here
    context.close()


def shoot(page, name: str) -> None:
    """Screenshots of what the page shows, at both widths."""
    SHOTS.mkdir(exist_ok=True)
    for width, size in WIDTHS.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(WIDTHS["desktop"])


def test_open_a_term(page, site, kb):
    page.goto(f"{site}/")
    shoot(page, "home")
    page.get_by_role("link", name="百千万工程", exact=True).first.click()
    page.wait_for_url(re.compile(r"/term/"))
    [entry] = [r.entry for r in kb.resolve("百千万工程")]
    sense = page.locator(f"[id='entry-{entry.id}']")
    assert sense.get_by_role("heading", level=2).inner_text() == "百千万工程"
    assert entry.definition in sense.inner_text()
    assert page.locator("mark").count() >= kb.entry_view(entry)["passages_total"]
    shoot(page, "term")
    page.goto(f"{site}/term/两新")
    assert page.locator("article.sense").count() == len(kb.resolve("两新")) > 1
    shoot(page, "term-senses")


def test_follow_a_linked_term_in_the_reading_view(page, site, kb):
    page.goto(f"{site}/read/qingcheng-2024")
    shoot(page, "read")
    link = page.locator("a.term", has_text="省委“1310”具体部署").first
    link.focus()  # its summary shows on focus, for keyboard users
    summary = link.get_attribute("data-summary")
    assert summary == summarize(kb.entry("qingcheng-2024:1").definition)
    after = page.evaluate("(el) => getComputedStyle(el, '::after').content", link.element_handle())
    assert summary in after
    link.click()
    page.wait_for_url(re.compile(r"/term/.*#entry-qingcheng-2024:1$"))
    assert page.locator("[id='entry-qingcheng-2024:1']").is_visible()
    # a citation goes to its note at the end of the report
    page.go_back()
    page.locator("a.cite").first.click()
    assert page.evaluate("location.hash").startswith("#cite-")


def test_search_and_page(page, site):
    page.goto(f"{site}/")
    page.get_by_label("搜索术语和段落").fill("振兴乡村")
    page.get_by_role("button", name="搜索").first.click()
    page.wait_for_url(re.compile(r"/find\?q="))
    def shown() -> list[str]:  # each hit's link: its passage or entry
        return page.eval_on_selector_all("ol.hits > li h2 a", "links => links.map(a => a.getAttribute('href'))")

    first = shown()
    assert len(first) == 10 and page.locator("ol.hits mark").count() >= 10
    shoot(page, "search")
    page.get_by_role("link", name="下一页").click()
    page.wait_for_url(re.compile(r"cursor="))
    second = shown()
    assert second and not set(first) & set(second)
    page.get_by_role("combobox", name="类型").select_option("entry")
    page.get_by_role("button", name="搜索").last.click()
    assert all("术语" in text for text in page.locator("ol.hits > li h2").all_inner_texts())
    page.goto(f"{site}/find?q=%E7%99%BE%E5%8D%83%E4%B8%87%E5%B7%A5%E6%A1%AF")  # 百千万工桯, a typo
    assert page.get_by_role("link", name="百千万工程").count() == 1
    shoot(page, "search-miss")


def test_the_home_page_works_with_the_keyboard_alone(page, site):
    page.goto(f"{site}/")
    page.keyboard.press("Tab")
    skip = page.evaluate("document.activeElement.textContent")
    assert skip == "跳到正文"
    assert page.evaluate("getComputedStyle(document.activeElement).left") == "0px"  # visible when focused
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    page.keyboard.press("Shift+Tab")  # back up to the search box, past the skip link and the brand
    for _ in range(6):
        if page.evaluate("document.activeElement.id") == "site-q":
            break
        page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "site-q"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # a visible focus
    page.keyboard.type("1310")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/find\?q=1310"))
    assert page.locator("ol.hits > li").count() > 0


def test_autocomplete_offers_labels_as_typed(page, site):
    page.goto(f"{site}/")
    page.get_by_label("搜索术语和段落").press_sequentially("百千")
    page.locator("#site-q-terms option").first.wait_for(state="attached", timeout=10_000)
    options = page.eval_on_selector_all("#site-q-terms option", "els => els.map(e => e.value)")
    assert "百千万工程" in options and all(o.startswith("百") for o in options)


def test_status_pages(page, site):
    answer = page.goto(f"{site}/term/没有这个术语")
    assert answer.status == 404 and page.get_by_role("heading", level=1).inner_text() == "没有这个术语"
    shoot(page, "not-found")
    answer = page.goto(f"{site}/no/such/page")
    assert answer.status == 404 and "没有找到" in page.inner_text("main")
    # the console says each page answered 404; nothing else went wrong
    assert page.errors == ["Failed to load resource: the server responded with a status of 404 (NOT FOUND)"] * 2
    page.errors.clear()


# -- editors ---------------------------------------------------------------------------------------------
ENTRY = "qingcheng-2024:2"  # 百千万工程


@pytest.fixture(scope="module")
def edit_site(settings, tmp_path_factory):
    """A server of its own (editors change what it serves) and two editors' tokens."""
    from kb import tokens
    from kb.store import Store, make_engine

    data_dir = tmp_path_factory.mktemp("editing") / "var"
    shutil.copytree(settings.data_dir, data_dir)
    store = Store(make_engine(f"sqlite:///{data_dir / 'kb.sqlite'}"))
    secrets = {name: tokens.create(store, name, "editor") for name in ("alice", "bob")}
    store.engine.dispose()
    with gunicorn(settings.corpus_dir, data_dir, tmp_path_factory.mktemp("server") / "gunicorn.log") as base:
        yield base, secrets


def sign_in(page, base: str, secret: str, start: str = "/term/百千万工程") -> None:
    page.goto(f"{base}{start}")
    page.get_by_role("link", name="编辑登录").click()
    page.get_by_label("令牌").fill(secret)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/term/"))


def expected_statuses(page, *statuses: int) -> None:
    """The console reports each page that answered 4xx; those are the ones the test meant, nothing else."""
    names = {401: "UNAUTHORIZED", 409: "CONFLICT", 422: "UNPROCESSABLE ENTITY"}
    expected = [f"Failed to load resource: the server responded with a status of {s} ({names[s]})"
                for s in statuses]
    assert page.errors == expected
    page.errors.clear()


def test_sign_in_edit_and_see_the_change(page, edit_site, kb):
    base, secrets = edit_site
    page.goto(f"{base}/signin")
    page.get_by_label("令牌").fill("kb_wrong")
    page.get_by_role("button", name="登录").click()
    assert page.locator("#token-error").inner_text() == "这个令牌不存在或已吊销"
    expected_statuses(page, 401)
    sign_in(page, base, secrets["alice"])
    assert "已登录：alice" in page.locator(".flash").inner_text()
    [cookie] = [c for c in page.context.cookies() if c["name"] == "kb_session"]
    assert (cookie["httpOnly"], cookie["secure"], cookie["sameSite"]) == (True, True, "Strict")
    assert page.evaluate("document.cookie") == ""  # no script can read it
    page.locator(f"[id='entry-{ENTRY}']").get_by_role("link", name="编辑").click()
    page.wait_for_url(re.compile(r"/edit$"))
    shoot(page, "edit")
    definition = page.get_by_label("释义")
    assert definition.input_value() == kb.entry(ENTRY).definition
    page.get_by_label("词目").fill("")
    page.get_by_role("button", name="保存").click()
    assert page.locator("#headword").get_attribute("aria-invalid") == "true"
    assert page.locator("#headword-error").inner_text().strip()
    shoot(page, "edit-invalid")
    expected_statuses(page, 422)
    page.get_by_label("词目").fill("百千万工程")
    definition.fill(kb.entry(ENTRY).definition + "（浏览器里改的）")
    page.get_by_label("修改说明").fill("试一下")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/term/.*#entry-"))
    assert "（浏览器里改的）" in page.locator(f"[id='entry-{ENTRY}'] .definition").inner_text()
    shoot(page, "term-edited")
    # the JSON API, served by the other worker as likely as this one, says the same at once
    answer = page.request.get(f"{base}/terms/百千万工程")
    assert answer.json()["entries"][0]["definition"].endswith("（浏览器里改的）")


def test_a_stale_edit_goes_through_the_conflict_page(browser, edit_site):
    base, secrets = edit_site
    contexts, pages = [], []
    for name in ("alice", "bob"):
        context = browser.new_context(viewport=WIDTHS["desktop"], locale="zh-CN")
        opened = context.new_page()
        sign_in(opened, base, secrets[name])
        opened.goto(f"{base}/entry/{ENTRY}/edit")
        contexts.append(context)
        pages.append(opened)
    alice, bob = pages
    bob.get_by_label("释义").fill("鲍勃先存的释义。")
    bob.get_by_role("button", name="保存").click()
    bob.wait_for_url(re.compile(r"/term/"))
    alice.get_by_label("全称").fill("爱丽丝写的全称")
    alice.get_by_label("释义").fill("爱丽丝的释义。")
    answer_seen = []
    alice.on("response", lambda r: r.request.is_navigation_request() and answer_seen.append(r.status))
    alice.get_by_role("button", name="保存").click()
    alice.get_by_role("heading", name="别人先保存了").wait_for()
    assert answer_seen[-1] == 409
    assert "bob" in alice.locator(".conflict").inner_text()
    both = alice.locator("table.compare tr.both")
    assert both.count() == 1 and "释义" in both.inner_text() and "鲍勃先存的释义。" in both.inner_text()
    assert alice.get_by_label("全称").input_value() == "爱丽丝写的全称"
    assert "鲍勃先存的释义。" in alice.locator("#definition-error").inner_text()
    shoot(alice, "conflict")
    alice.get_by_label("释义").fill("爱丽丝和鲍勃合并的释义。")  # the editor merges by hand
    alice.get_by_role("button", name="保存合并后的版本").click()
    alice.wait_for_url(re.compile(r"/term/"))
    sense = alice.locator(f"[id='entry-{ENTRY}']")
    assert "爱丽丝和鲍勃合并的释义。" in sense.inner_text() and "爱丽丝写的全称" in sense.inner_text()
    for context in contexts:
        context.close()


def test_history_and_revert(page, edit_site, kb):
    base, secrets = edit_site
    for text in ("第一次改的释义。", "第二次改的释义。"):  # two revisions by the API, by bob
        etag = page.request.get(f"{base}/entries/{ENTRY}").headers["etag"]
        answer = page.request.patch(f"{base}/entries/{ENTRY}", data={"definition": text},
                                    headers={"Authorization": f"Bearer {secrets['bob']}", "If-Match": etag})
        assert answer.status == 200
    sign_in(page, base, secrets["alice"])
    page.locator(f"[id='entry-{ENTRY}']").get_by_role("link", name="修改历史").click()
    page.wait_for_url(re.compile(r"/history"))
    rows = page.locator("table.revisions tbody tr")
    assert rows.count() >= 3 and "bob" in rows.first.inner_text()
    assert page.locator("dl.changes del").inner_text() == "一" and page.locator("dl.changes ins").inner_text() == "二"
    page.get_by_label("从第 0 版比较").check()
    page.get_by_role("button", name="比较所选两版").click()
    page.wait_for_url(re.compile(r"from=0"))
    assert "第 0 版 →" in page.get_by_role("heading", level=2).inner_text()
    shoot(page, "history")
    rows.last.get_by_role("link", name="回到这一版").click()  # the last row: revision 0, as printed
    page.wait_for_url(re.compile(r"/revert/0$"))
    assert page.locator("dl.changes").count() == 1
    shoot(page, "revert-confirm")
    page.get_by_role("button", name="确认回到第 0 版").click()
    page.wait_for_url(re.compile(r"/term/"))
    assert page.locator(f"[id='entry-{ENTRY}'] .definition").inner_text() == kb.entry(ENTRY).definition
    assert "已回到第 0 版" in page.locator(".flash").inner_text()


def test_delete_restore_and_sign_out(page, edit_site):
    base, secrets = edit_site
    sign_in(page, base, secrets["alice"])
    page.goto(f"{base}/entry/{ENTRY}/history")
    page.get_by_role("link", name="删除").click()
    shoot(page, "delete-confirm")
    page.get_by_label("修改说明").fill("试删")
    page.get_by_role("button", name="确认删除词条").click()
    page.wait_for_url(re.compile(r"/history$"))
    assert "已删除" in page.locator("main").inner_text()
    answer = page.request.get(f"{base}/entries/{ENTRY}")
    assert answer.status == 404
    page.get_by_role("link", name="恢复").click()
    page.get_by_role("button", name="确认恢复词条").click()
    page.wait_for_url(re.compile(r"/term/"))
    assert page.locator(f"[id='entry-{ENTRY}']").is_visible()
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(f"{base}/")
    assert page.get_by_role("link", name="编辑登录").is_visible()
    page.goto(f"{base}/entry/{ENTRY}/edit")
    assert "/signin" in page.url
    shoot(page, "signin")
