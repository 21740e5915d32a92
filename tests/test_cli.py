"""The `kb` command line: build, entries, passages, lookup, and clear errors for bad input."""

from __future__ import annotations

import json

import pytest

from kb.cli import main
from tests.conftest import make_settings
from tests.helpers import kb_env

REPORT = """2025年某某区政府工作报告
——2025年1月10日在某某区人民代表大会上
各位代表：
一、2024年工作回顾
过去一年，我们深入实施“百千万工程”［1］，落实“3+2”产业集群［2］部署。
二、2025年工作安排
继续推进百千万工程，壮大“3+2”产业集群，推动13+2项目落地。
名词解释
1.百千万工程：全称“百县千镇万村高质量发展工程”，“百”指县，“千”指镇，“万”指村。
2.“3+2”产业集群：指以智能家居、汽车零部件、新材料为主导产业的产业体系。
"""


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    """Run `kb ...` in-process against a corpus of one small report; returns (status, stdout, stderr)."""
    settings = make_settings(tmp_path, {"mini-2025": REPORT})
    kb_env(monkeypatch, settings)

    def run(*argv: str) -> tuple[int, str, str]:
        status = main(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    run.corpus = settings.corpus_dir
    return run


def test_build_prints_counts_per_document(cli):
    status, out, _ = cli("build")
    assert status == 0
    row = next(line for line in out.splitlines() if line.startswith("mini-2025"))
    assert row.split()[1:] == ["5", "2", "2", "2"]  # passages, entries, citations, mentions


def test_build_is_idempotent(cli):
    cli("build")
    _, first, _ = cli("entries")
    assert cli("build")[0] == 0
    _, second, _ = cli("entries")
    assert first == second
    status, out, _ = cli("build", "--if-changed")
    assert status == 0 and "nothing to do" in out


def test_entries_and_passages_are_json(cli):
    cli("build")
    _, out, _ = cli("entries", "--document", "mini-2025")
    entries = json.loads(out)
    assert [e["headword"] for e in entries] == ["百千万工程", "“3+2”产业集群"]
    assert entries[0]["full_name"] == "百县千镇万村高质量发展工程"
    assert "passages" not in entries[0]
    _, out, _ = cli("passages")
    passages = json.loads(out)
    assert [p["id"] for p in passages] == [f"mini-2025:p{i}" for i in range(1, 6)]
    assert passages[1]["section"] == ["一、2024年工作回顾"]
    assert set(passages[0]) == {"id", "document", "order", "section", "text"}


@pytest.mark.parametrize("term", ["百千萬工程", "“３＋２”", "3+2产业集群", "百县千镇万村高质量发展工程"])
def test_lookup_any_spelling(cli, term):
    cli("build")
    status, out, _ = cli("lookup", term)
    answer = json.loads(out)
    assert status == 0 and answer["query"] == term
    assert len(answer["entries"]) == 1
    entry = answer["entries"][0]
    assert set(entry) >= {"id", "number", "headword", "definition", "full_name", "labels", "components",
                          "related", "document", "passages"}
    assert entry["passages"][0]["cited"] is True


def test_lookup_passages_and_offsets(cli):
    cli("build")
    _, out, _ = cli("lookup", "3+2")
    entry = json.loads(out)["entries"][0]
    assert [p["cited"] for p in entry["passages"]] == [True, False]
    for passage in entry["passages"]:
        for start, end in passage["uses"]:
            assert passage["text"][start:end] == "“3+2”产业集群"
    assert "13+2" in entry["passages"][1]["text"]


def test_lookup_of_a_part_is_not_found_but_suggested(cli):
    cli("build")
    status, out, err = cli("lookup", "百千万")
    answer = json.loads(out)
    assert status == 1 and answer["entries"] == []
    assert "百千万工程" in answer["suggestions"]


def test_gb18030_report_is_decoded(cli):
    (cli.corpus / "mini-2025.txt").write_bytes(REPORT.encode("gb18030"))
    status, out, _ = cli("build")
    assert status == 0
    _, out, _ = cli("lookup", "百千万工程")
    assert json.loads(out)["entries"][0]["definition"].startswith("全称“百县千镇万村")


@pytest.mark.parametrize("content,message", [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
])
def test_unreadable_input_names_the_file_and_keeps_the_previous_kb(cli, content, message):
    cli("build")
    _, before, _ = cli("entries")
    bad = cli.corpus / "bad.txt"
    bad.write_bytes(content)
    status, out, err = cli("build")
    assert status == 2
    assert "bad.txt" in err and message in err and "Traceback" not in err
    bad.unlink()
    assert cli("entries")[1] == before


GLOSSARY_LINE = REPORT.splitlines().index(next(x for x in REPORT.splitlines() if x.startswith("2.“3+2”"))) + 1


@pytest.mark.parametrize("content,message", [
    (REPORT.replace("2.“3+2”", "3.“3+2”"), "entry 2 is missing"),
    (REPORT.replace("2.“3+2”", "1.“3+2”"), "number 1 is repeated"),
])
def test_an_odd_glossary_is_a_warning_under_its_row_and_the_rest_is_built(cli, content, message):
    (cli.corpus / "odd.txt").write_text(content, encoding="utf-8")
    status, out, err = cli("build")
    assert status == 0 and err == ""
    rows = out.splitlines()
    row = next(i for i, line in enumerate(rows) if line.startswith("odd "))
    under = [line for line in rows[row + 1:] if line.startswith("  warning: ")]
    assert under and all(str(cli.corpus / "odd.txt") in line for line in under)
    assert any(line.startswith(f"  warning: {cli.corpus / 'odd.txt'}:{GLOSSARY_LINE}: ") and message in line
               for line in under)
    assert f"{len(under)} warnings" in rows[-1]
    _, out, _ = cli("entries", "--document", "odd")
    assert [e["headword"] for e in json.loads(out)] == ["百千万工程", "“3+2”产业集群"]


def test_a_strict_build_refuses_warnings_and_keeps_the_previous_kb(cli):
    cli("build")
    _, before, _ = cli("entries")
    (cli.corpus / "odd.txt").write_text(REPORT.replace("2.“3+2”", "3.“3+2”"), encoding="utf-8")
    status, out, err = cli("build", "--strict")
    assert status == 2 and out == ""
    assert f"odd.txt:{GLOSSARY_LINE}: entry 2 is missing" not in err  # the message says what it found and did
    assert f"warning: {cli.corpus / 'odd.txt'}:{GLOSSARY_LINE}: glossary entry 3 follows entry 1" in err
    assert "strict" in err.splitlines()[-1] and "Traceback" not in err
    assert cli("entries")[1] == before


def test_check_prints_what_a_build_would_take_in_and_stores_nothing(cli, tmp_path):
    report = tmp_path / "odd.txt"
    report.write_text(REPORT.replace("2.“3+2”", "3.“3+2”"), encoding="utf-8")
    status, out, err = cli("check", str(report))
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == f"{report}: odd: 2025年某某区政府工作报告, given 2025-01-10"
    assert lines[1] == "  5 passages, 2 entries; 2 markers, 1 citing no entry; 3 mentions"
    assert lines[2].split() == ["1", "百千万工程:", "全称“百县千镇万村高质量发展工程”，“百”指县，“千”指镇，“万”指村。"]
    assert lines[3].split()[:2] == ["3", "“3+2”产业集群:"]
    assert [line.split(": ", 2)[1] for line in lines[4:]] == [f"{report}:5", f"{report}:{GLOSSARY_LINE}"]
    assert "cites entry 2" in lines[4] and "entry 2 is missing" in lines[5]
    assert cli("check", "--strict", str(report))[0] == 2
    assert cli("lookup", "百千万工程")[0] == 2  # nothing was stored: there is no KB


def test_check_json_and_an_unreadable_file(cli, tmp_path):
    good, bad = tmp_path / "mini-2025.txt", tmp_path / "bad.txt"
    good.write_text(REPORT, encoding="utf-8")
    bad.write_bytes(b"")
    status, out, err = cli("check", "--json", str(good), str(bad))
    assert status == 2 and "bad.txt" in err and "empty" in err
    [found] = json.loads(out)
    assert (found["id"], found["citations"], found["unresolved"], found["warnings"]) == ("mini-2025", 2, 0, [])
    assert [(e["number"], e["headword"]) for e in found["entries"]] == [(1, "百千万工程"), (2, "“3+2”产业集群")]


def test_commands_before_any_build_explain_themselves(cli):
    status, _, err = cli("lookup", "百千万工程")
    assert status == 2 and "kb build" in err
