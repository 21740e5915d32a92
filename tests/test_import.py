"""Imports: an export imported into a KB of another corpus and exported again gives the same entries (CSV, JSON
Lines, TBX); a dry run reports new, changed, unchanged, conflicting labels and rows in error by line; applying
writes a revision an entry by the token (or --author) and nothing while a row is in error; no import error is
a traceback. kb's field rules and the API's schema say the same of every row."""

from __future__ import annotations

import csv
import io
import json

import pytest
from lxml import etree

from api import create_app
from api.schemas import EntryCreateSchema
from kb import exchange, rules
from kb.cli import main
from kb.errors import KBError
from kb.exchange import importing
from kb.exchange.model import ImportInterrupted
from kb.knowledge import KnowledgeBase
from tests.exchange_data import AUTHOR, AWKWARD, NEW_ENTRY, edited_copy, other_corpus
from tests.helpers import assert_problem, bearer, kb_env, ok
from tests.reports import MINI_ID

BASE = "http://localhost:8000"
TBX = "{urn:iso:std:iso:30042:ed-2}"
HEADER = ",".join(exchange.tabular.COLUMNS)


@pytest.fixture(scope="module")
def source(settings, tmp_path_factory):
    """The session KB with editors' work on it: what is exported."""
    base = KnowledgeBase.open(edited_copy(settings, tmp_path_factory.mktemp("source")))
    base.current()
    yield base
    base.close()


@pytest.fixture
def target(tmp_path, opened):
    """A KB of another corpus (the MINI report), to import into."""
    found = opened(other_corpus(tmp_path))
    found.current()
    return found


@pytest.fixture
def editor_app(settings, tmp_path):
    """The API over a writable copy of the session KB, and an editor's (alice's) Authorization header."""
    from tests.conftest import copy_kb

    copy = copy_kb(settings, tmp_path)
    auth = bearer(copy.database_url, AUTHOR)  # before the app, as a token takes a revision
    return create_app({"KB_SETTINGS": copy}).test_client(), auth


def export(kb: KnowledgeBase, format: str) -> bytes:
    return b"".join(kb.export(format, None, BASE))


# -- the round trip ----------------------------------------------------------------------------------
def comparable(format: str, data: bytes) -> list:
    """The entries a file holds, as a round trip keeps them: without what a KB says of itself (each entry's
    version and history, the title of a report) and without the target's own entries (the MINI report's)."""
    if format == "csv":
        rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        return [{k: v for k, v in row.items() if k != "version"} for row in rows if row["document"] != MINI_ID]
    if format == "jsonl":
        found = []
        for line in data.decode().splitlines():
            entry = json.loads(line)
            entry.pop("version")
            entry["document"] = entry["document"] and entry["document"]["id"]
            if entry["document"] != MINI_ID:
                found.append(entry)
        return found
    root = etree.fromstring(data)
    found = []
    for entry in root.iter(f"{TBX}conceptEntry"):
        for group in entry.findall(f"{TBX}transacGrp"):
            entry.remove(group)
        if not entry.get("id").startswith(MINI_ID):
            found.append(etree.tostring(entry, encoding="unicode"))
    return found


@pytest.mark.parametrize("format", exchange.IMPORT_FORMATS)
def test_an_export_imported_into_another_kb_exports_the_same(source, target, format):
    file = export(source, format)
    dry = target.import_entries(file, format, "import")
    assert dry["applied"] is False and dry["invalid"] == [] and dry["written"] == []
    assert [e["id"] for e in dry["new"]] == list(source.snapshot.entries)
    assert target.revision == dry["revision"] and "editor:1" not in target.snapshot.entries  # nothing written
    # labels the MINI report's entries have already, and 两重 of two reports: an editor's write would be refused
    taken = {(c["id"], c["label"]): c["entries"] for c in dry["conflicts"]}
    assert taken[("qingcheng-2024:2", "百千万工程")] == [f"{MINI_ID}:1"]
    assert taken[("sichuan-2026:1", "两重")] == ["jiangxi-2026:8"]
    applied = target.import_entries(file, format, "import", apply=True, allow_shared_labels=True)
    assert applied["applied"] and sorted(applied["written"]) == sorted(source.snapshot.entries)
    # an entry that lists new entries as related comes after them, so they exist when it is written
    assert applied["written"].index("qingcheng-2024:4") > applied["written"].index("editor:1")
    again = export(target, format)
    assert comparable(format, again) == comparable(format, file)
    assert comparable(format, again) != []
    once_more = target.import_entries(again, format, "import")
    assert once_more["new"] == [] and once_more["changed"] == [] and once_more["conflicts"] == []
    assert len(once_more["unchanged"]) == len(target.snapshot.entries)
    # the imported entries are entries like any other: found, linked, with their history
    assert target.lookup("新质生产力")["entries"][0]["id"] == "editor:1"
    assert [r["author"] for r in target.history("qingcheng-2024:5")] == ["import"]
    assert target.search("新质生产力", type="entry")["hits"][0]["id"] == "editor:1"


def test_the_report_says_what_changes_field_by_field(source, target):
    target.import_entries(export(source, "jsonl"), "jsonl", "import", apply=True, allow_shared_labels=True)
    edited = [json.loads(line) for line in export(target, "jsonl").decode().splitlines()]
    for entry in edited:
        if entry["id"] == "qingcheng-2024:2":
            entry["definition"] += "（有修订）"
            entry["labels"].append("百千万")
    edited.append({"headword": "数实融合", "definition": "指数字经济和实体经济深度融合。"})
    report = target.import_entries("\n".join(json.dumps(e, ensure_ascii=False) for e in edited).encode(), "jsonl",
                                   "import")
    [changed] = report["changed"]
    assert (changed["id"], changed["matched_by"], changed["line"]) == ("qingcheng-2024:2", "id", 1 + [
        e.get("id") for e in edited].index("qingcheng-2024:2"))
    assert changed["changes"]["definition"]["to"].endswith("（有修订）")
    assert "百千万" in changed["changes"]["labels"]["to"] and "百千万" not in changed["changes"]["labels"]["from"]
    assert [(e["id"], e["headword"], e["line"]) for e in report["new"]] == [(None, "数实融合", len(edited))]
    assert len(report["unchanged"]) == len(edited) - 2


# -- a file with errors ---------------------------------------------------------------------------------
BAD_CSV = "\r\n".join([
    "id,document,headword,definition,labels,related",
    "qingcheng-2024:2,,百千万工程,全称“百县千镇万村高质量发展工程”，修订后的定义。,,",  # 2: changed
    "qingcheng-2024:6,qingcheng-2024,三铁工程,\"指一条\n跨两行的定义。\",,",  # 3-4: over two lines (\n: a control)
    "nowhere,,甲,指甲。,,",  # 5: not an id
    "qingcheng-2024:19,,双百工程,指一个删除了的词条。,,",  # 6: deleted
    "qingcheng-2024:7,,六大行动,指行动\x07。,,",  # 7: a control character
    ",,,指没有词头的词条。,,",  # 8: no headword
    f",,{'长' * 101},指太长的词头。,,",  # 9: over 100 characters
    ",,新词条,指新词条。,,nowhere:1",  # 10: an unknown related entry
    "qingcheng-2024:2,,百千万工程,指第二次。,,",  # 11: the entry of line 2 again
    "sichuan-2026:1,jiangxi-2026,“两重”“两新”,指。,,",  # 12: the id says another document
    ",qingcheng-2024,没有这个词,指一个文档里没有的词条。,,",  # 13: a document's entry without an id: none such
    "qingcheng-2024:8,,“1+6+N”基层社会治理工作体系,指。,,,",  # 14: a cell too many
    ",,新质生产力,指创新起主导作用的先进生产力质态。,新质,",  # 15: new
    "qingcheng-2024:6,,三铁工程,\"指三铁，即“铁”。\",,",  # 16: changed, a quoted comma
    "",
])
INVALID_LINES = {3: "definition: control characters are not allowed", 5: "not an entry id", 6: "was deleted",
                 7: "control characters", 8: "headword: Length",
                 9: "headword: Length must be between 1 and 100", 10: "related: no entry nowhere:1",
                 11: "line 2 names this entry", 12: "is an entry of sichuan-2026", 13: "no entry of qingcheng-2024",
                 14: "the row has 7 cells"}


def delete(client, auth, entry_id: str) -> None:
    etag = client.get(f"/entries/{entry_id}").headers["ETag"]
    assert client.delete(f"/entries/{entry_id}", headers={**auth, "If-Match": etag}).status_code == 204


def test_a_dry_run_names_every_row_in_error_by_its_line(editor_app):
    client, auth = editor_app
    delete(client, auth, "qingcheng-2024:19")
    report = ok(client.post("/import", data=BAD_CSV.encode(), content_type="text/csv", headers=auth))
    found = {row["line"]: row["detail"] for row in report["invalid"]}
    assert set(found) == set(INVALID_LINES), found
    for line, says in INVALID_LINES.items():
        assert says in found[line], (line, found[line])
    assert next(r for r in report["invalid"] if r["line"] == 9)["errors"] == {
        "headword": ["Length must be between 1 and 100."]}  # the API's own schema said so
    assert [(r["line"], r["id"]) for r in report["changed"]] == [(2, "qingcheng-2024:2"), (16, "qingcheng-2024:6")]
    assert report["changed"][1]["changes"]["definition"]["to"] == "指三铁，即“铁”。"
    assert [(r["line"], r["headword"]) for r in report["new"]] == [(15, "新质生产力")]
    assert report["rows"] == 14 and report["applied"] is False


def test_applying_a_file_with_errors_writes_nothing(editor_app):
    client, auth = editor_app
    before = client.get("/entries/qingcheng-2024:2").get_json()
    problem = assert_problem(client.post("/import?apply=true&format=csv", data=BAD_CSV.encode(), headers=auth), 422)
    assert problem["type"] == "/problems/invalid-import" and "nothing was written" in problem["detail"]
    assert "line 3" in problem["detail"] and len(problem["report"]["invalid"]) == len(INVALID_LINES) - 1
    assert client.get("/entries/qingcheng-2024:2").get_json() == before
    assert len(client.get("/entries/qingcheng-2024:2/history").get_json()["revisions"]) == 1


@pytest.mark.parametrize(("format", "data", "line", "says"), [
    ("jsonl", b'{"headword": "a", "definition": "b"}\n{"headword": \n', 2, "not JSON"),
    ("jsonl", b'{"headword": "a", "definition": "b"}\n\n["a"]\n', 3, "not a JSON object"),
    ("jsonl", '{"headword": "甲", "definition": "指甲。", "colour": 1}\n'.encode(), 1, "unknown field 'colour'"),
    ("jsonl", '{"headword": "甲", "definition": "指甲。", "labels": "乙"}\n'.encode(), 1, "labels: Not a valid list."),
    ("jsonl", '{"headword": "甲", "definition": "指甲。", "components": [{"label": "甲"}]}\n'.encode(), 1,
     "components.0.meaning: Missing data for required field."),
    ("csv", f"{HEADER}\n,,甲,,,指甲。,甲,,\n".encode(), 2, "components: item 1 has no “：”"),
    ("tbx", f'<tbx xmlns="{TBX[1:-1]}"><text><body><conceptEntry id="a"/></body></text></tbx>'.encode(), 1,
     "no langSec"),
])
def test_a_row_in_error_says_what_and_where(target, format, data, line, says):
    report = target.import_entries(data, format, "import")
    assert [row["line"] for row in report["invalid"]] == [line]
    assert says in report["invalid"][0]["detail"]


@pytest.mark.parametrize(("format", "data", "line", "says"), [
    ("csv", b"id,headword,colour\n", 1, "unknown column 'colour'"),
    ("csv", b"definition,labels\n", 1, "neither an id nor a headword column"),
    ("csv", b"headword,definition\n\xff\xfe\xfa\n", 2, "neither UTF-8 nor GB18030"),
    ("jsonl", b'{"headword": "\xff"}\n', 1, "JSON Lines are UTF-8"),
    ("tbx", b"<tbx><text>\n<body></text></tbx>", 2, "not XML"),
    ("tbx", b'<martif type="TBX"><text/></martif>', 1, "the root element is <martif>"),
    ("csv", b"   ", None, "the file is empty"),
])
def test_an_unreadable_file_is_a_problem_with_its_line(editor_app, format, data, line, says):
    client, auth = editor_app
    problem = assert_problem(client.post(f"/import?format={format}", data=data, headers=auth), 400)
    assert problem["type"] == "/problems/unreadable-import" and says in problem["detail"]
    assert problem["line"] == line


def test_a_tbx_file_of_another_tool_gives_new_entries(target):
    """Its ids (c1) are no kb ids and its source is a citation: the entries are new, editors' own."""
    data = (f'<tbx xmlns="{TBX[1:-1]}" type="TBX-Basic" style="dca" xml:lang="zh"><text><body>'
            f'<conceptEntry id="c1"><admin type="source">《某书》第3页</admin><langSec xml:lang="en">'
            f'<termSec><term>new quality productive forces</term></termSec></langSec><langSec xml:lang="zh-CN">'
            f'<descrip type="definition">指创新起主导作用的先进生产力质态。</descrip><termSec><term>新质生产力</term>'
            f'</termSec><termSec><term>新质</term><termNote type="termType">abbreviation</termNote></termSec>'
            f'</langSec></conceptEntry></body></text></tbx>').encode()
    report = target.import_entries(data, "tbx", "import", apply=True)
    assert report["invalid"] == [] and report["written"] == ["editor:1"]
    entry = target.entry("editor:1")
    assert (entry.headword, entry.document, entry.names) == ("新质生产力", None, ("新质生产力", "新质"))


def test_tbx_import_refuses_external_entities(target, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("机密内容", encoding="utf-8")
    data = (f'<?xml version="1.0"?><!DOCTYPE tbx [<!ENTITY x SYSTEM "file://{secret}">]>'
            f'<tbx xmlns="{TBX[1:-1]}"><text><body><conceptEntry id="e1"><langSec xml:lang="zh">'
            f'<descrip type="definition">&x;</descrip><termSec><term>外部实体</term></termSec></langSec>'
            f'</conceptEntry></body></text></tbx>').encode()
    report = target.import_entries(data, "tbx", "import")
    assert "机密内容" not in json.dumps(report, ensure_ascii=False)


# -- conflicting labels, applying, the token ----------------------------------------------------------
def test_a_label_that_names_another_entry_is_a_conflict_and_applying_needs_allow_shared_labels(editor_app):
    client, auth = editor_app
    body = f"{HEADER}\n,,百千万,,百千万工程,指另一个百千万。,,,\n".encode()
    report = ok(client.post("/import", data=body, content_type="text/csv; charset=utf-8", headers=auth))
    assert report["conflicts"] == [{"line": 2, "id": None, "headword": "百千万", "label": "百千万工程",
                                    "entries": ["qingcheng-2024:2"]}]
    problem = assert_problem(client.post("/import?apply=true", data=body, content_type="text/csv", headers=auth), 409)
    assert problem["type"] == "/problems/label-taken" and problem["entries"] == ["qingcheng-2024:2"]
    assert problem["report"]["conflicts"] == report["conflicts"]
    assert "nothing was written" in problem["detail"]
    applied = ok(client.post("/import?apply=true&allow_shared_labels=true", data=body, content_type="text/csv",
                             headers=auth))
    assert applied["written"] == ["editor:1"]


def test_applying_writes_a_revision_an_entry_by_the_token(editor_app):
    client, auth = editor_app
    rows = [{"id": "qingcheng-2024:2", "definition": "全称“百县千镇万村高质量发展工程”，一个修订。"},
            {**NEW_ENTRY, "related": []}, {"id": "qingcheng-2024:6", "headword": "三铁工程"}]  # the last: unchanged
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    report = ok(client.post("/import?apply=true&note=季度修订", data=body, content_type="application/x-ndjson",
                            headers=auth))
    assert report["applied"] and report["written"] == ["qingcheng-2024:2", "editor:1"]
    assert [e["id"] for e in report["unchanged"]] == ["qingcheng-2024:6"]
    for entry_id in report["written"]:
        [last] = client.get(f"/entries/{entry_id}/history").get_json()["revisions"][-1:]
        assert (last["author"], last["note"]) == (AUTHOR, "季度修订")
    assert len(client.get("/entries/qingcheng-2024:6/history").get_json()["revisions"]) == 1  # no revision
    assert ok(client.get("/entries/qingcheng-2024:2"))["definition"].endswith("一个修订。")
    assert ok(client.get("/terms/新质"))["entries"][0]["id"] == "editor:1"  # its labels resolve at once
    hits = ok(client.get("/search", query_string={"q": "新质生产力", "type": "entry"}))["hits"]
    assert hits[0]["id"] == "editor:1"


def test_a_row_without_an_id_names_the_entry_of_its_headword_in_its_document(editor_app):
    client, auth = editor_app
    body = ",".join(["document", "headword", "definition"]).encode() + "\nqingcheng-2024,百千万工程,指修订。\n".encode()
    report = ok(client.post("/import?format=csv", data=body, headers=auth))
    assert [(e["id"], e["matched_by"]) for e in report["changed"]] == [("qingcheng-2024:2", "headword")]


def test_import_needs_an_editors_token_and_a_format(editor_app):
    client, auth = editor_app
    assert assert_problem(client.post("/import?format=csv", data=b"headword\n"), 401)["type"] == "about:blank"
    problem = assert_problem(client.post("/import", data=b"headword\n", content_type="text/plain", headers=auth), 415)
    assert "?format=" in problem["detail"] and "text/plain" in problem["detail"]
    assert assert_problem(client.post("/import?format=xlsx", data=b"x", headers=auth), 422)["errors"]["query"]


def test_a_write_that_fails_part_way_says_what_was_written(source, target):
    """Another write comes between the plan and its writes: the entries before it stay written, and say so."""
    rows = [exchange.model.Row(1, None, None, {"headword": "第一条", "definition": "指第一条。"}),
            exchange.model.Row(2, f"{MINI_ID}:2", None, {"definition": "指另一个定义。"})]
    plan = importing.plan(target.current(), rows, "csv", rules.check_entry)
    target.update_entry(f"{MINI_ID}:2", {"definition": "指别人先写的定义。"}, 0, "bob")
    with pytest.raises(ImportInterrupted) as stopped:
        importing.apply(target, plan, "import", None, False)
    assert stopped.value.written == ["editor:1"] and stopped.value.line == 2
    assert "editor:1" in str(stopped.value) and "changed since it was read" in str(stopped.value)
    assert target.entry(f"{MINI_ID}:2").definition == "指别人先写的定义。"  # the other write is kept
    assert isinstance(stopped.value, KBError)


# -- the same rules in kb and in the API ---------------------------------------------------------------
FIELDS = [
    {"headword": "甲", "definition": "指甲。"},
    {"definition": "指甲。"},
    {"headword": None, "definition": "指甲。"},
    {"headword": " ", "definition": "指甲。"},
    {"headword": "", "definition": ""},
    {"headword": "甲" * 101, "definition": "指\x00甲。"},
    {"headword": "甲\ud800", "definition": "指甲。"},
    {"headword": 3, "definition": ["指甲。"]},
    {"headword": "甲", "definition": "指甲。", "full_name": "", "labels": ["", "乙\n"], "related": ["x" * 221]},
    {"headword": "甲", "definition": "指甲。", "labels": ["乙"] * 51, "related": "x"},
    {"headword": "甲", "definition": "指甲。", "labels": None, "related": None, "full_name": None},
    {"headword": "甲", "definition": "指甲。", "components": [{"label": "甲", "meaning": "乙", "x": 1}, "甲",
                                                                  {"label": "", "meaning": None}]},
    {"headword": "甲", "definition": "指甲。", "components": [{"label": "甲", "meaning": "乙"}] * 51},
    {"headword": "甲", "definition": "指甲。", "related": ["a\x01b"], "labels": [3]},
]


@pytest.mark.parametrize("fields", FIELDS, ids=range(len(FIELDS)))
def test_kb_rules_say_what_the_api_schema_says(fields):
    assert rules.check_entry(fields) == rules.flatten(EntryCreateSchema().validate(fields))


# -- the CLI -----------------------------------------------------------------------------------------
def test_kb_import_reports_rows_in_error_as_file_and_line_and_applies_as_its_author(settings, tmp_path,
                                                                                    monkeypatch, capsys):
    from tests.conftest import copy_kb

    copy = copy_kb(settings, tmp_path / "kb")
    kb_env(monkeypatch, copy)
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    assert main(["import", str(bad)]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["rows"] == 14
    assert f"kb: {bad}:5: id: 'nowhere' is not an entry id" in captured.err
    assert f"kb: {bad}:9: headword: Length must be between 1 and 100." in captured.err
    assert main(["import", str(bad), "--apply"]) == 2
    assert "nothing was written" in capsys.readouterr().err
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({**AWKWARD, "id": "editor:7"}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["import", str(good), "--apply", "--author", "bob"]) == 0
    assert json.loads(capsys.readouterr().out)["written"] == ["editor:7"]
    opened = KnowledgeBase.open(copy)
    try:
        assert [(r["author"], r["note"]) for r in opened.history("editor:7")] == [("bob", "imported from good.jsonl")]
        assert opened.entry("editor:7").headword == AWKWARD["headword"]
    finally:
        opened.close()
    broken = tmp_path / "broken.tbx"
    broken.write_text("<tbx>\n<text>\n</tbx>", encoding="utf-8")
    assert main(["import", str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"kb: {broken}:3: not XML") and "Traceback" not in err
    assert main(["import", str(tmp_path / "notes.txt")]) == 2
    assert "--format" in capsys.readouterr().err
