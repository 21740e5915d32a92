"""Reports as PDF files and saved web pages go through the same pipeline as text and give the same entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.build import build
from kb.ingest import parse_file, parse_text
from kb.knowledge import KnowledgeBase
from kb.store import Store, make_engine
from tests.conftest import DATA
from tests.typeset import typeset

COUNTIES = DATA / "counties"


def report_paragraphs(name: str) -> list[str]:
    """A county report as its printed copy has it: title, date line, then the speech and glossary, one
    paragraph a line (the web page's header and footer are not in a printed report)."""
    lines = [line.strip() for line in (COUNTIES / f"{name}.txt").read_text(encoding="utf-8").splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("各位代表"))
    end = next(i for i, line in enumerate(lines) if line.startswith(("分享到", "免责声明")))
    return ["政府工作报告", lines[start - 2], *(line for line in lines[start:end] if line)]


def summary(parsed) -> tuple:
    return ([(e.number, e.headword, e.definition, e.page) for e in parsed.entries],
            [c.number for p in parsed.passages for c in p.citations],
            "".join(p.text for p in parsed.passages))


@pytest.mark.parametrize("name", ["fuping-2020", "qingyuan-2021", "tangxian-2020"])
def test_a_typeset_pdf_gives_the_same_entries_as_the_text(tmp_path, name):
    paragraphs = report_paragraphs(name)
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(typeset(paragraphs, centred=2))
    from_pdf = parse_file(pdf)
    from_text = parse_text("\n".join(paragraphs) + "\n", name)
    assert len(from_pdf.entries) >= 16
    assert summary(from_pdf) == summary(from_text)
    assert abs(len(from_pdf.passages) - len(from_text.passages)) <= 1  # a heading that fills its line may join
    assert from_pdf.document.date == from_text.document.date


PAGE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>某某县2024年政府工作报告_某某县人民政府</title>
<style>p {{ text-indent: 2em }}</style><script>var share = "分享到：QQ空间";</script></head>
<body>
<nav><a href="/">首页</a> &gt; <a href="/zwgk">政务公开</a> &gt; 工作报告</nav>
<div class="title"><h1>某某县2024年政府工作报告</h1>
<div class="meta">时间：2024-02-01&nbsp;&nbsp;来源：某某县人民政府办公室&nbsp;&nbsp;阅读：1024</div></div>
<div class="toolbar">【字体：<a>大</a> <a>中</a> <a>小</a>】 <a>打印本页</a></div>
<div id="zoom">
<p>——2024年1月10日在某某县第十七届人民代表大会第三次会议上</p>
<p>某某县人民政府县长&emsp;张三</p>
<p>各位代表：</p>
<p>&emsp;&emsp;现在，我代表县人民政府向大会报告工作，请予审议。</p>
<p><strong>一、2023年工作回顾</strong></p>
<p>&emsp;&emsp;过去一年，我们深入实施“五大行动”<sup>[1]</sup>，推行<a href="#">林长制</a>［2］，
落实“六稳”“六保”<sup>〔3〕</sup>要求。</p>
<p>&emsp;&emsp;今年，我们继续推进五大行动，全面落实林长制。<br>各位代表！让我们团结奋斗，再创佳绩！</p>
<p><strong>附：名词解释</strong></p>
<p>1.五大行动：指产业、城建、乡村、民生、改革五大行动。</p>
<p>2.林长制：即由各级党政主要负责人担任林长，负责森林资源保护发展。</p>
<p>3.“六稳”“六保”：稳就业、稳金融等六个方面和保居民就业等六个方面。</p>
</div>
<div class="share">分享到：<a>微信</a><a>QQ空间</a><a>新浪微博</a></div>
<footer>上一篇：某某县2023年政府工作报告　下一篇：无<br>主办单位：某某县人民政府办公室</footer>
</body></html>
"""
ENTRIES = [
    (1, "五大行动", "指产业、城建、乡村、民生、改革五大行动。"),
    (2, "林长制", "即由各级党政主要负责人担任林长，负责森林资源保护发展。"),
    (3, "“六稳”“六保”", "稳就业、稳金融等六个方面和保居民就业等六个方面。"),
]


@pytest.mark.parametrize("suffix", [".html", ".htm"])
def test_a_saved_web_page_gives_its_report(tmp_path, suffix):
    page = tmp_path / f"county-2024{suffix}"
    page.write_bytes(PAGE.format().encode("gb18030"))
    parsed = parse_file(page)
    assert [(e.number, e.headword, e.definition) for e in parsed.entries] == ENTRIES
    assert (parsed.document.title, parsed.document.date) == ("某某县2024年政府工作报告", "2024-01-10")
    texts = [p.text for p in parsed.passages]
    assert texts == [
        "各位代表：",
        "现在，我代表县人民政府向大会报告工作，请予审议。",
        "一、2023年工作回顾",
        "过去一年，我们深入实施“五大行动”，推行林长制，落实“六稳”“六保”要求。",
        "今年，我们继续推进五大行动，全面落实林长制。",
        "各位代表！让我们团结奋斗，再创佳绩！",
    ]
    [cited] = [p for p in parsed.passages if p.citations]
    assert [c.number for c in cited.citations] == [1, 2, 3]
    assert parsed.document.warnings == ()


def test_a_corpus_of_text_pdf_and_html_builds_into_one_kb(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tangxian-2020.pdf").write_bytes(typeset(report_paragraphs("tangxian-2020"), centred=2))
    (corpus / "county-2024.html").write_bytes(PAGE.format().encode("gb18030"))
    (corpus / "notes.md").write_text("not a report", encoding="utf-8")
    from kb.config import Settings
    settings = Settings.from_env({}, corpus_dir=corpus, data_dir=tmp_path / "var")
    reports = build(settings, index=False)
    assert sorted((r.id, r.entries) for r in reports) == [("county-2024", 3), ("tangxian-2020", 16)]
    kb = KnowledgeBase(Store(make_engine(settings.database_url)))
    try:
        assert kb.lookup("林长制")["entries"][0]["id"] == "county-2024:2"
        assert kb.entry("tangxian-2020:16").headword == "“三项制度”"
    finally:
        kb.close()


def test_a_scanned_pdf_is_an_error_naming_the_file(tmp_path):
    from reportlab.pdfgen import canvas

    blank = tmp_path / "scan-2024.pdf"
    pdf = canvas.Canvas(str(blank))
    pdf.rect(100, 100, 200, 200, fill=1)  # an image-like page: marks, no text
    pdf.showPage()
    pdf.save()
    with pytest.raises(Exception) as caught:
        parse_file(blank)
    assert "scan-2024.pdf" in str(caught.value) and "no text layer" in str(caught.value)


def test_a_file_kb_cannot_read_is_named_with_the_suffixes_it_reads(tmp_path):
    odd = tmp_path / "report.docx"
    odd.write_bytes(b"PK\x03\x04")
    with pytest.raises(Exception) as caught:
        parse_file(Path(odd))
    assert "report.docx" in str(caught.value) and ".pdf" in str(caught.value)
