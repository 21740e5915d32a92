"""The editors' forms: an entry's fields as text an editor types, and back into the API's JSON shape.

The pages validate an entry with the API's own schemas (api.schemas.EntryCreateSchema, EntryPatchSchema), so
a form says what the API would say, beside the field it is about. Lists are one item a line: labels, related
entries (an id or a headword), components as ``部分：含义``.
"""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from marshmallow import Schema, ValidationError
from wtforms import BooleanField, HiddenField, PasswordField, StringField, TextAreaField

from kb.editing import EDITABLE
from kb.errors import KBError
from kb.knowledge import KnowledgeBase

LABELS = {"headword": "词目", "full_name": "全称", "definition": "释义", "labels": "别称", "components": "组成部分",
          "related": "相关术语", "note": "修改说明", "allow_shared_labels": "允许与其他词条共用别称"}
_COLON = re.compile("[：:]")


class SignInForm(FlaskForm):
    token = PasswordField("令牌")
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """Sign out, delete, revert and restore: a button, a CSRF token, and a note for the history."""

    note = StringField(LABELS["note"])


class EntryForm(FlaskForm):
    headword = StringField(LABELS["headword"])
    full_name = StringField(LABELS["full_name"])
    definition = TextAreaField(LABELS["definition"])
    labels = TextAreaField(LABELS["labels"], description="每行一个")
    components = TextAreaField(LABELS["components"], description="每行一个，写成“部分：含义”；留空则从释义中读出")
    related = TextAreaField(LABELS["related"], description="每行一个：词条编号或词目")
    note = StringField(LABELS["note"], description="写进修改历史")
    allow_shared_labels = BooleanField(LABELS["allow_shared_labels"])
    version = HiddenField()  # the entry's version as the editor read it: a write since then is a conflict


def texts(state: dict[str, Any]) -> dict[str, str]:
    """An entry's editable fields (kb's state) as the form shows them."""
    return {"headword": state.get("headword") or "", "full_name": state.get("full_name") or "",
            "definition": state.get("definition") or "", "labels": "\n".join(state.get("labels") or ()),
            "components": "\n".join(f"{c['label']}：{c['meaning']}" for c in state.get("components") or ()),
            "related": "\n".join(state.get("related") or ())}


def typed(form: EntryForm) -> dict[str, str]:
    """The fields as the editor left them (line ends as the browser sent them made plain)."""
    return {field: (form[field].data or "").replace("\r\n", "\n").strip() for field in EDITABLE}


def parse(kb: KnowledgeBase, text: dict[str, str], fields: list[str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The JSON the API would be sent for ``fields`` of the form, and the form's own errors (a component line
    without its colon)."""
    body: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for field in fields:
        value = text[field]
        if field in ("headword", "definition"):
            body[field] = value
        elif field == "full_name":
            body[field] = value or None
        elif field == "labels":
            body[field] = _lines(value)
        elif field == "related":
            body[field] = [_entry_id(kb, line) for line in _lines(value)]
        elif field == "components":
            parts = []
            for n, line in enumerate(_lines(value), 1):
                label, colon, meaning = (s.strip() for s in _split(line))
                if not colon:
                    problems.setdefault(field, []).append(f"第 {n} 行：写成“部分：含义”")
                else:
                    parts.append({"label": label, "meaning": meaning})
            body[field] = parts or None
    return body, problems


def validate(schema: Schema, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The body as the API's schema loads it, or the schema's messages per field (an item's as 第 n 项)."""
    try:
        return schema.load(body), {}
    except ValidationError as error:
        return {}, {field: list(_messages(found)) for field, found in _as_dict(error.messages).items()}


def _as_dict(messages: Any) -> dict[str, Any]:
    return messages if isinstance(messages, dict) else {"_schema": messages}


def _messages(found: Any, where: str = ""):
    if isinstance(found, dict):
        for key, inner in found.items():
            here = f"第 {key + 1} 项" if isinstance(key, int) else LABELS.get(str(key), str(key))
            yield from _messages(inner, f"{where}{here}：" if not where else f"{where[:-1]} {here}：")
    elif isinstance(found, list):
        for inner in found:
            yield from _messages(inner, where)
    else:
        yield f"{where}{found}"


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.split("\n") if line.strip()]


def _split(line: str) -> tuple[str, str, str]:
    found = _COLON.search(line)
    if found is None:
        return line, "", ""
    return line[:found.start()], found.group(), line[found.end():]


def _entry_id(kb: KnowledgeBase, line: str) -> str:
    """A related entry as typed: its id, or a headword or label that names exactly one entry (else the line as
    is, for the API's check to name)."""
    if line in kb.snapshot.entries:
        return line
    try:
        found = {r.entry.id for r in kb.resolve(line) if r.by != "component"}
    except KBError:  # not a term (or not one at all): the API's check names it
        return line
    return found.pop() if len(found) == 1 else line
