"""The editors' pages (api/pages/editors.py) through Flask's test client, on a copy of the session KB: signing
in and out, the session cookie, CSRF, field-level messages that are the API's own, conflicts merged, history
compared, revert, delete and restore with confirmation, and the 403 and 500 pages. The browser tests drive the
same flows in Chromium."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import lxml.html
import pytest

from kb import tokens

ENTRY = "qingcheng-2024:2"  # 百千万工程


def secret_of(headers: dict) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def form_of(client, url: str, index: int = -1) -> tuple[str, dict[str, str]]:
    """The action and the fields of a form on the page at ``url`` (the last one unless said: the header holds
    the search and sign-out forms), as a browser would send them."""
    answer = client.get(url)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return fields_of(answer, index, url)


def fields_of(answer, index: int = -1, url: str = "") -> tuple[str, dict[str, str]]:
    form = lxml.html.fromstring(answer.get_data(as_text=True)).forms[index]
    values = {name: value or "" for name, value in form.form_values()}
    for box in form.xpath(".//textarea"):  # a browser drops the newline that starts a textarea's content
        values[box.get("name")] = (box.text or "").removeprefix("\r").removeprefix("\n")
    return form.action or url, values


def text_of(answer) -> str:
    return lxml.html.fromstring(answer.get_data(as_text=True)).text_content()


def messages_of(answer, field: str) -> list[str]:
    page = lxml.html.fromstring(answer.get_data(as_text=True))
    return [li.text_content() for li in page.xpath(f"//ul[@id='{field}-error']/li")]


@pytest.fixture
def signed(editor):
    client, headers = editor
    action, values = form_of(client, "/signin")
    answer = client.post(action, data=values | {"token": secret_of(headers)})
    assert answer.status_code == 302
    return client, headers


def test_sign_in_keeps_a_strict_session_cookie_without_the_secret(editor):
    client, headers = editor
    back = "/term/" + quote("百千万工程")
    action, values = form_of(client, f"/signin?next={back}")
    wrong = client.post(action, data=values | {"token": "kb_not-a-token"})
    assert wrong.status_code == 401 and messages_of(wrong, "token") == ["这个令牌不存在或已吊销"]
    answer = client.post(action, data=values | {"token": secret_of(headers)})
    assert answer.status_code == 302 and answer.headers["Location"] == back
    cookie = answer.headers["Set-Cookie"]
    assert {"Secure", "HttpOnly", "SameSite=Strict"} <= {part.strip() for part in cookie.split(";")}
    assert secret_of(headers) not in cookie and secret_of(headers)[3:20] not in cookie  # never the secret
    page = client.get("/term/百千万工程")
    assert "alice" in text_of(page) and f"/entry/{ENTRY}/edit" in page.get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_sign_in_goes_back_to_this_site_only(editor, target):
    client, headers = editor
    action, values = form_of(client, f"/signin?next={quote(target)}")
    assert values["next"] == "/"
    answer = client.post(action, data=values | {"token": secret_of(headers), "next": target})
    assert answer.headers["Location"] == "/"


def test_the_editors_pages_ask_to_sign_in_first(editor):
    client, _ = editor
    for url in (f"/entry/{ENTRY}/edit", "/entry/new", f"/entry/{ENTRY}/delete", f"/entry/{ENTRY}/revert/0"):
        answer = client.get(url)
        assert answer.status_code == 302
        assert urlsplit(answer.headers["Location"]).path == "/signin" and "next=" in answer.headers["Location"]
    assert client.post(f"/entry/{ENTRY}/edit", data={"definition": "x"}).status_code == 302


def test_a_revoked_token_signs_its_browser_out_at_once(signed):
    client, _ = signed
    assert client.get(f"/entry/{ENTRY}/edit").status_code == 200
    tokens.revoke(client.application.extensions["kb"].kb.store, "alice")
    assert client.get(f"/entry/{ENTRY}/edit").status_code == 302


def test_a_form_without_its_csrf_token_is_refused(signed):
    client, _ = signed
    action, values = form_of(client, f"/entry/{ENTRY}/edit")
    answer = client.post(action, data={k: v for k, v in values.items() if k != "csrf_token"} | {"definition": "x"})
    assert answer.status_code == 403 and "表单已失效" in text_of(answer)
    answer = client.post(action, data=values | {"csrf_token": "forged", "definition": "x"})
    assert answer.status_code == 403
    assert "x" != client.get(f"/entries/{ENTRY}").get_json()["definition"]
    assert client.post("/signout", data={}).status_code == 403  # signing out is a form too


def test_edit_and_see_the_change_at_once(signed):
    client, _ = signed
    action, values = form_of(client, f"/entry/{ENTRY}/edit")
    before = client.get(f"/entries/{ENTRY}").get_json()
    assert values["definition"] == before["definition"] and values["version"] == "0"
    answer = client.post(action, data=values | {"definition": before["definition"] + "（页面修订）",
                                                "note": "补一句"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"#entry-{ENTRY}")
    page = client.get(answer.headers["Location"].split("#")[0])
    assert "（页面修订）" in text_of(page) and "已保存：百千万工程" in text_of(page)
    after = client.get(f"/entries/{ENTRY}").get_json()
    assert after["definition"].endswith("（页面修订）")
    history = client.get(f"/entries/{ENTRY}/history").get_json()["revisions"]
    assert (history[-1]["author"], history[-1]["note"], list(history[-1]["changes"])) == ("alice", "补一句",
                                                                                            ["definition"])


def test_saving_an_unchanged_form_writes_nothing(signed):
    client, _ = signed
    action, values = form_of(client, f"/entry/{ENTRY}/edit")
    answer = client.post(action, data=values)
    assert answer.status_code == 302
    assert "没有改动" in text_of(client.get(answer.headers["Location"].split("#")[0]))
    assert len(client.get(f"/entries/{ENTRY}/history").get_json()["revisions"]) == 1


def test_field_messages_are_the_apis_own(signed):
    client, headers = signed
    action, values = form_of(client, f"/entry/{ENTRY}/edit")
    etag = client.get(f"/entries/{ENTRY}").headers["ETag"]
    for field, typed, sent in (("headword", "   ", ""), ("definition", "", ""),  # the form trims what it sends
                               ("full_name", "名" * 101, "名" * 101)):
        api = client.patch(f"/entries/{ENTRY}", json={field: sent}, headers=headers | {"If-Match": etag})
        assert api.status_code == 422
        expected = api.get_json()["errors"]["json"][field]
        answer = client.post(action, data=values | {field: typed})
        assert answer.status_code == 422
        assert messages_of(answer, field) == expected
        html = lxml.html.fromstring(answer.get_data(as_text=True))
        [box] = html.xpath(f"//*[@id='{field}']")
        assert box.get("aria-invalid") == "true" and f"{field}-error" in box.get("aria-describedby")
    answer = client.post(action, data=values | {"labels": "好\n" + "长" * 101})
    assert messages_of(answer, "labels") == ["第 2 项：Length must be between 1 and 100."]
    answer = client.post(action, data=values | {"components": "百：百县\n千镇"})
    assert messages_of(answer, "components") == ["第 2 行：写成“部分：含义”"]
    # what the editor typed stays in the form
    assert fields_of(answer)[1]["components"] == "百：百县\n千镇"


def test_a_label_of_another_entry_is_a_message_on_labels(signed, kb):
    client, _ = signed
    other = kb.entry("qingcheng-2024:1")
    action, values = form_of(client, f"/entry/{ENTRY}/edit")
    answer = client.post(action, data=values | {"labels": other.headword})
    assert answer.status_code == 409
    [message] = messages_of(answer, "labels")
    assert other.headword in message and other.id in message
    answer = client.post(action, data=values | {"labels": other.headword, "allow_shared_labels": "y"})
    assert answer.status_code == 302


def test_related_entries_by_headword_or_id(signed, kb):
    client, _ = signed
    other = kb.entry("qingcheng-2024:1")
    action, values = form_of(client, f"/entry/{ENTRY}/edit")
    answer = client.post(action, data=values | {"related": f"{other.headword}\nqingcheng-2024:3"})
    assert answer.status_code == 302
    related = [r["id"] for r in client.get(f"/entries/{ENTRY}").get_json()["related"]]
    assert other.id in related and "qingcheng-2024:3" in related
    answer = client.post(action, data=fields_of(client.get(f"/entry/{ENTRY}/edit"))[1] | {"related": "没有的词条"})
    assert answer.status_code == 409 and "没有的词条" in messages_of(answer, "related")[0]


def test_add_an_entry(signed):
    client, _ = signed
    action, values = form_of(client, "/entry/new")
    missing = client.post(action, data=values | {"headword": "新质生产力"})
    assert missing.status_code == 422 and messages_of(missing, "definition") == ["Missing data for required field."]
    answer = client.post(action, data=values | {"headword": "新质生产力", "definition": "以创新为主导的生产力。",
                                                "labels": "新质\n", "components": ""})
    assert answer.status_code == 302
    found = client.get("/terms/新质").get_json()["entries"][0]
    assert (found["headword"], found["document"]) == ("新质生产力", None)
    assert answer.headers["Location"].endswith(f"#entry-{found['id']}")


def test_a_stale_edit_gets_a_merge_to_check(signed, kb):
    client, headers = signed
    action, mine = form_of(client, f"/entry/{ENTRY}/edit")
    etag = client.get(f"/entries/{ENTRY}").headers["ETag"]
    theirs = kb.entry(ENTRY).definition + "（他人先存）"
    assert client.patch(f"/entries/{ENTRY}", json={"definition": theirs}, headers=headers | {"If-Match": etag},
                        ).status_code == 200
    answer = client.post(action, data=mine | {"full_name": "我改的全称"})
    assert answer.status_code == 409 and "别人先保存了" in text_of(answer)
    _, merged = fields_of(answer)
    assert (merged["definition"], merged["full_name"], merged["version"]) == (theirs, "我改的全称", "1")
    rows = lxml.html.fromstring(answer.get_data(as_text=True)).xpath("//table[@class='compare']/tbody/tr")
    assert [r.xpath("th")[0].text_content().strip() for r in rows] == ["释义", "全称"]
    assert not messages_of(answer, "definition")  # only one side changed it: no conflict to decide
    saved = client.post(action, data=merged)
    assert saved.status_code == 302
    now = client.get(f"/entries/{ENTRY}").get_json()
    assert (now["definition"], now["full_name"]) == (theirs, "我改的全称")


def test_both_changed_one_field_the_editor_decides(signed, kb):
    client, headers = signed
    action, mine = form_of(client, f"/entry/{ENTRY}/edit")
    etag = client.get(f"/entries/{ENTRY}").headers["ETag"]
    client.patch(f"/entries/{ENTRY}", json={"definition": "他们的释义。"}, headers=headers | {"If-Match": etag})
    answer = client.post(action, data=mine | {"definition": "我的释义。"})
    assert answer.status_code == 409
    _, merged = fields_of(answer)
    assert merged["definition"] == "我的释义。"
    [message] = messages_of(answer, "definition")
    assert "他们的释义。" in message
    assert "双方都改了" in text_of(answer)


def test_history_compares_any_two_revisions(signed, kb):
    client, headers = signed
    for text in ("第一次改。", "第二次改。"):
        action, values = form_of(client, f"/entry/{ENTRY}/edit")
        client.post(action, data=values | {"definition": text})
    page = client.get(f"/entry/{ENTRY}/history")
    html = lxml.html.fromstring(page.get_data(as_text=True))
    assert [td.text_content() for td in html.xpath("//table[@class='revisions']/tbody/tr/td[3]")] == ["2", "1", "0"]
    assert [e.text_content() for e in html.xpath("//dd//del")] == ["一"]
    assert [e.text_content() for e in html.xpath("//dd//ins")] == ["二"]
    page = client.get(f"/entry/{ENTRY}/history?from=0&to=2")
    html = lxml.html.fromstring(page.get_data(as_text=True))
    assert "第二次改" in "".join(e.text_content() for e in html.xpath("//dd//ins"))
    assert kb.entry(ENTRY).definition[:10] in "".join(e.text_content() for e in html.xpath("//dd//del"))


def test_revert_delete_and_restore_ask_first(signed, kb):
    client, _ = signed
    printed = kb.entry(ENTRY).definition
    action, values = form_of(client, f"/entry/{ENTRY}/edit")
    client.post(action, data=values | {"definition": "改过的。"})
    confirm = client.get(f"/entry/{ENTRY}/revert/0")
    assert confirm.status_code == 200
    assert "改过的" in lxml.html.fromstring(confirm.get_data(as_text=True)).xpath("//dd//del")[0].text_content()
    assert client.get(f"/entries/{ENTRY}").get_json()["definition"] == "改过的。"  # looking changes nothing
    action, values = fields_of(confirm, url=f"/entry/{ENTRY}/revert/0")
    answer = client.post(action, data=values)
    assert answer.status_code == 302 and client.get(f"/entries/{ENTRY}").get_json()["definition"] == printed
    action, values = form_of(client, f"/entry/{ENTRY}/delete")
    answer = client.post(action or f"/entry/{ENTRY}/delete", data=values | {"note": "重复"})
    assert answer.status_code == 302 and client.get(f"/entries/{ENTRY}").status_code == 404
    gone = client.get(f"/entry/{ENTRY}/edit")
    assert gone.status_code == 404 and "已删除" in text_of(gone)
    assert f"/entry/{ENTRY}/history" in gone.get_data(as_text=True)
    action, values = form_of(client, f"/entry/{ENTRY}/restore")
    answer = client.post(action or f"/entry/{ENTRY}/restore", data=values)
    assert answer.status_code == 302 and client.get(f"/entries/{ENTRY}").get_json()["definition"] == printed
    actions = [r["action"] for r in client.get(f"/entries/{ENTRY}/history").get_json()["revisions"]]
    assert actions == ["import", "update", "revert", "delete", "restore"]


def test_a_confirmation_of_a_changed_entry_asks_again(signed, kb):
    client, headers = signed
    action, values = form_of(client, f"/entry/{ENTRY}/delete")
    etag = client.get(f"/entries/{ENTRY}").headers["ETag"]
    client.patch(f"/entries/{ENTRY}", json={"definition": "刚改的。"}, headers=headers | {"If-Match": etag})
    answer = client.post(action or f"/entry/{ENTRY}/delete", data=values)
    assert answer.status_code == 409 and "刚被别人改过" in text_of(answer)
    assert client.get(f"/entries/{ENTRY}").status_code == 200


def test_sign_out(signed):
    client, _ = signed
    action, values = form_of(client, "/", index=1)  # the header's sign-out form
    assert action == "/signout"
    answer = client.post(action, data=values)
    assert answer.status_code == 302
    assert client.get(f"/entry/{ENTRY}/edit").status_code == 302


def test_what_an_editor_types_is_escaped_everywhere(signed):
    client, _ = signed
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    action, values = form_of(client, f"/entry/{ENTRY}/edit")
    client.post(action, data=values | {"definition": evil, "note": evil})
    for url in ("/term/百千万工程", f"/entry/{ENTRY}/history", f"/entry/{ENTRY}/edit", f"/entry/{ENTRY}/revert/0"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html


def test_a_server_error_is_a_page_for_a_browser_and_a_problem_for_the_api(editor, monkeypatch):
    client, _ = editor
    from kb.knowledge import KnowledgeBase

    def broken(self, *args, **kwargs):
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(KnowledgeBase, "lookup", broken)
    page = client.get("/term/百千万工程")
    assert page.status_code == 500 and page.mimetype == "text/html" and "服务器出错了" in text_of(page)
    assert "broken on purpose" not in page.get_data(as_text=True)
    assert "Content-Security-Policy" in page.headers
    api = client.get("/terms/百千万工程")
    assert api.status_code == 500 and api.mimetype == "application/problem+json"


def test_the_session_key_is_shared_by_every_worker(settings, tmp_path):
    from api.pages.session import _kept_key

    path = tmp_path / "var" / "session.key"
    first, second = _kept_key(path), _kept_key(path)
    assert first == second and len(first) == 64 and oct(path.stat().st_mode & 0o777) == "0o600"
    assert re.fullmatch("[0-9a-f]+", first)
