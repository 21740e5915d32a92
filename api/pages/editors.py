"""The editors' pages: sign in with a token, add and correct entries, resolve a conflict, read an entry's history
and compare its revisions, revert, delete and restore; sign out.

Every write goes through the same KnowledgeBase calls as the JSON API, after the API's own validation
(api.pages.forms), and takes effect at once on every page. A form remembers the entry's version it was read
at: if someone else saved since, the editor gets a merge of both writes to check, not a lost update.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from api import schemas as s
from api.pages import bp, forms, render, session, status_page
from api.state import get_kb
from kb.editing import EDITABLE, LabelTaken, StaleEntry, UnknownRelated, merge
from kb.knowledge import KnowledgeBase


@bp.route("/signin", methods=["GET", "POST"])
def sign_in():
    form = forms.SignInForm()
    if request.method == "GET":
        form.next.data = session.safe_next(request.args.get("next"))
        return render_template("signin.html", form=form)
    if not form.validate_on_submit():
        return _forbidden()
    token = session.sign_in((form.token.data or "").strip())
    if token is None:
        form.token.errors = ["这个令牌不存在或已吊销"]
        return render_template("signin.html", form=form), 401
    current_app.logger.info("token %r signed in to the pages", token.name)
    flash(f"已登录：{token.name}")
    return redirect(session.safe_next(form.next.data))


@bp.post("/signout")
def sign_out():
    if not forms.ConfirmForm().validate_on_submit():
        return _forbidden()
    session.sign_out()
    flash("已退出")
    return redirect(url_for("pages.home"))


@bp.route("/entry/new", methods=["GET", "POST"])
@session.editors_only
def new_entry():
    kb = get_kb()
    form = forms.EntryForm()
    if request.method == "GET":
        return render_template("edit.html", form=form, entry=None, errors={})
    if not form.validate_on_submit():
        return _forbidden()
    body, errors = forms.parse(kb, forms.typed(form), list(EDITABLE))
    body = {k: v for k, v in body.items() if v not in ("", None, [])} | _why(form)  # left empty: not sent
    loaded, invalid = forms.validate(s.EntryCreateSchema(), body)
    errors = _joined(errors, invalid)
    if not errors:
        note, shared = loaded.pop("note"), loaded.pop("allow_shared_labels")
        try:
            entry = kb.create_entry(loaded, _author(), note, shared)
        except (LabelTaken, UnknownRelated) as error:
            errors = _write_errors(error)
        else:
            return _saved(kb, entry.id, entry.headword, "已添加")
    return render_template("edit.html", form=form, entry=None, errors=errors), 422


@bp.route("/entry/<entry_id>/edit", methods=["GET", "POST"])
@session.editors_only
def edit_entry(entry_id: str):
    kb = get_kb()
    entry = kb.entry(entry_id)  # a deleted one is a 404 that offers its history
    form = forms.EntryForm()
    if request.method == "GET":
        _fill(form, kb.state(entry_id), kb.version(entry_id))
        return render_template("edit.html", form=form, entry=entry, errors={})
    if not form.validate_on_submit():
        return _forbidden()
    read = _version(form.version.data)
    base = kb.state(entry_id, read)  # the entry as the editor read it
    typed = forms.typed(form)
    changed = [field for field, text in forms.texts(base).items() if typed[field] != text]
    body, errors = forms.parse(kb, typed, changed)
    loaded, invalid = forms.validate(s.EntryPatchSchema(), body | _why(form))
    errors = _joined(errors, invalid)
    if errors:
        return render_template("edit.html", form=form, entry=entry, errors=errors), 422
    note, shared = loaded.pop("note"), loaded.pop("allow_shared_labels")
    if not loaded:
        flash("没有改动")
        return redirect(_term_url(entry.id, entry.headword))
    try:
        if kb.version(entry_id) != read:
            raise StaleEntry(entry_id)
        saved = kb.update_entry(entry_id, loaded, read, _author(), note, shared)
    except StaleEntry:
        return _conflict(kb, entry_id, form, base, base | loaded)
    except (LabelTaken, UnknownRelated) as error:
        return render_template("edit.html", form=form, entry=entry, errors=_write_errors(error)), 409
    return _saved(kb, saved.id, saved.headword, "已保存")


def _conflict(kb: KnowledgeBase, entry_id: str, form: forms.EntryForm, base: dict[str, Any],
              mine: dict[str, Any]):
    """Someone saved since the editor read the entry: a merge of both writes, in the form, to check and save."""
    theirs, version = kb.state(entry_id), kb.version(entry_id)
    merged, conflicts = merge(base, mine, theirs)
    _fill(form, merged, version)
    last = kb.history(entry_id)[-1]
    texts = {"base": forms.texts(base), "mine": forms.texts(mine), "theirs": forms.texts(theirs)}
    rows = [(field, forms.LABELS[field], texts["theirs"][field], texts["mine"][field],
             render.diff(texts["theirs"][field], texts["mine"][field]), field in conflicts)
            for field in EDITABLE if texts["theirs"][field] != texts["mine"][field]]
    errors = {field: [f"对方也改了这一项，这里先填的是你的版本；对方的是：{texts['theirs'][field] or '（空）'}"]
              for field in conflicts}
    return render_template("edit.html", form=form, entry=kb.entry(entry_id), errors=errors,
                           conflict={"by": last, "rows": rows}), 409


@bp.get("/entry/<entry_id>/history")
def history(entry_id: str):
    kb = get_kb()
    revisions = kb.history(entry_id)
    numbers = [r["revision"] for r in revisions]
    old = _chosen("from", numbers, numbers[-2] if len(numbers) > 1 else numbers[-1])
    new = _chosen("to", numbers, numbers[-1])
    before, after = forms.texts(kb.state(entry_id, old)), forms.texts(kb.state(entry_id, new))
    changes = [(forms.LABELS[f], render.diff(before[f], after[f])) for f in EDITABLE if before[f] != after[f]]
    deleted = entry_id in kb.snapshot.deleted
    headword = kb.state(entry_id)["headword"]
    return render_template("history.html", entry_id=entry_id, headword=headword, revisions=revisions[::-1],
                           old=old, new=new, changes=changes, deleted=deleted,
                           version=kb.version(entry_id), labels=forms.LABELS)


@bp.route("/entry/<entry_id>/revert/<int:revision>", methods=["GET", "POST"])
@session.editors_only
def revert(entry_id: str, revision: int):
    kb = get_kb()
    target = kb.state(entry_id, revision)
    return _confirmed(kb, entry_id, "revert", target, lambda version, note: kb.revert_entry(
        entry_id, revision, version, _author(), note), revision=revision)


@bp.route("/entry/<entry_id>/restore", methods=["GET", "POST"])
@session.editors_only
def restore(entry_id: str):
    kb = get_kb()
    if entry_id not in kb.snapshot.deleted:
        kb.entry(entry_id)  # no such entry: 404
        flash("这个词条没有被删除")
        return redirect(url_for("pages.history", entry_id=entry_id))
    revision = kb.last_live_revision(entry_id)
    return _confirmed(kb, entry_id, "restore", kb.state(entry_id, revision), lambda version, note: kb.revert_entry(
        entry_id, revision, None, _author(), note), revision=revision)


@bp.route("/entry/<entry_id>/delete", methods=["GET", "POST"])
@session.editors_only
def delete(entry_id: str):
    kb = get_kb()
    kb.entry(entry_id)
    return _confirmed(kb, entry_id, "delete", None,
                      lambda version, note: kb.delete_entry(entry_id, version, _author(), note))


ACTIONS = {"revert": ("回到第 {revision} 版", "已回到第 {revision} 版"),
           "restore": ("恢复词条", "已恢复（第 {revision} 版的内容）"),
           "delete": ("删除词条", "已删除")}


def _confirmed(kb: KnowledgeBase, entry_id: str, action: str, target: dict[str, Any] | None, write, **words):
    """A write that needs a second look: the page shows what will change; the POST does it, unless the entry
    changed since that page was shown."""
    form = forms.ConfirmForm()
    now = kb.state(entry_id)
    version = kb.version(entry_id)
    stale = False
    if request.method == "POST":
        if not form.validate_on_submit():
            return _forbidden()
        if _version(request.form.get("version")) == version:
            try:
                result = write(None if entry_id in kb.snapshot.deleted else version, form.note.data or None)
            except StaleEntry:
                stale = True
            except (LabelTaken, UnknownRelated) as error:
                flash(str(error))
                return redirect(url_for("pages.history", entry_id=entry_id))
            else:
                flash(ACTIONS[action][1].format(**words))
                if action == "delete":
                    return redirect(url_for("pages.history", entry_id=entry_id))
                return redirect(_term_url(entry_id, result.headword))
        stale = True
        now, version = kb.state(entry_id), kb.version(entry_id)
    before, after = forms.texts(now), forms.texts(target) if target is not None else None
    changes = [] if after is None else [(forms.LABELS[f], render.diff(before[f], after[f]))
                                         for f in EDITABLE if before[f] != after[f]]
    return render_template("confirm.html", form=form, entry_id=entry_id, headword=now["headword"], action=action,
                           title=ACTIONS[action][0].format(**words), changes=changes, version=version,
                           stale=stale), 409 if stale else 200


def _fill(form: forms.EntryForm, state: dict[str, Any], version: int) -> None:
    for field, text in forms.texts(state).items():
        form[field].data = text
    form.version.data = str(version)
    form.note.data = form.note.data or ""


def _why(form: forms.EntryForm) -> dict[str, Any]:
    return {"note": form.note.data or None, "allow_shared_labels": bool(form.allow_shared_labels.data)}


def _joined(*found: dict[str, list[str]]) -> dict[str, list[str]]:
    joined: dict[str, list[str]] = {}
    for errors in found:
        for field, messages in errors.items():
            joined.setdefault(field, []).extend(messages)
    return joined


def _write_errors(error: LabelTaken | UnknownRelated) -> dict[str, list[str]]:
    if isinstance(error, LabelTaken):
        return {"labels": [f"“{label}”已是其他词条（{'、'.join(ids)}）的名称；若它确有几个含义，勾选“"
                           f"{forms.LABELS['allow_shared_labels']}”" for label, ids in error.taken.items()]}
    return {"related": [f"没有这些词条（或已删除）：{'、'.join(error.ids)}"]}


def _version(text: str | None) -> int:
    if text is None or not text.strip().isdigit():
        abort(400, "the form has no version of the entry; open the entry again")
    return int(text)


def _chosen(name: str, numbers: list[int], default: int) -> int:
    text = request.args.get(name, "")
    return int(text) if text.isdigit() and int(text) in numbers else default


def _author() -> str:
    token = session.editor()
    assert token is not None  # editors_only
    return token.name


def _saved(kb: KnowledgeBase, entry_id: str, headword: str, said: str) -> BaseResponse:
    current_app.logger.info("%s %s by token %r in the pages (revision %s)", said, entry_id, _author(), kb.revision)
    flash(f"{said}：{headword}")
    return redirect(_term_url(entry_id, headword))


def _term_url(entry_id: str, headword: str) -> str:
    return url_for("pages.term", term=headword) + f"#entry-{entry_id}"


def _forbidden():
    return status_page(403, "表单已失效", "这个表单已过期，或不是从本站的页面提交的。请回到上一页，刷新后再提交。")

