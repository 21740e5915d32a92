"""Tests for kb.ingest.pdf and kb.ingest.html: PDF files and saved web pages to the plain text kb reads."""

from __future__ import annotations

import io

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from kb.errors import IngestError
from kb.ingest.html import html_text
from kb.ingest.pdf import pdf_text

pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
WIDTH, HEIGHT = A4

# A paragraph set in three visual lines: kb joins them itself, so the PDF text keeps them apart.
PARAGRAPH = [
    "现在，我代表市人民政府，向大会报告工作，请予审议，并请市政协",
    "委员和其他列席人员提出意见。过去一年，全市上下坚持稳中求进工作",
    "总基调，经济运行稳中向好。",
]
PAGES = [
    ["政府工作报告", "各位代表：", *PARAGRAPH],
    ["1.百千万工程：全称“百县千镇万村高质量发展工程”。", "“3+2”产业集群"],
    ["附件", "名词解释"],
]


def make_pdf(pages: list[list[str]], foot: str = "- {n} -", scrambled: bool = False, foot_y: float = 40,
             **options) -> bytes:
    """An A4 PDF in STSong-Light, one drawString a line, with a page number at each page's foot;
    scrambled draws the foot first and the lines from the bottom up, as some producers do."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, **options)
    for number, lines in enumerate(pages, start=1):
        pdf.setFont("STSong-Light", 12)
        if foot and scrambled:
            pdf.drawCentredString(WIDTH / 2, foot_y, foot.format(n=number))
        rows = list(enumerate(lines))
        for row, line in reversed(rows) if scrambled else rows:
            pdf.drawString(72, HEIGHT - 72 - 20 * row, line)
        if foot and not scrambled:
            pdf.drawCentredString(WIDTH / 2, foot_y, foot.format(n=number))
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


REPORT_PDF = make_pdf(PAGES)
REPORT_TEXT = "\n\n".join("\n".join(lines) for lines in PAGES) + "\n"


def test_pdf_text_gives_every_line_in_order_and_pages_apart():
    text = pdf_text(REPORT_PDF, "report.pdf")
    assert text == REPORT_TEXT
    assert text.splitlines()[2:5] == PARAGRAPH  # one line per visual line, not joined


def test_pdf_text_reads_top_to_bottom_whatever_the_drawing_order():
    assert pdf_text(make_pdf(PAGES, scrambled=True), "report.pdf") == REPORT_TEXT


@pytest.mark.parametrize("foot", ["{n}", "- {n} -", "— {n} —", "－{n}－", "第{n}页", "第 {n} 页 共 10 页"])
@pytest.mark.parametrize("foot_y", [40, HEIGHT - 40], ids=["foot", "head"])
def test_pdf_text_drops_running_page_numbers(foot, foot_y):
    assert pdf_text(make_pdf(PAGES, foot=foot, foot_y=foot_y), "report.pdf") == REPORT_TEXT


def test_pdf_text_keeps_a_number_inside_the_page():
    text = pdf_text(make_pdf([["各位代表：", "2024", "总基调。"]]), "report.pdf")
    assert text == "各位代表：\n2024\n总基调。\n"


def test_pdf_text_puts_a_raised_footnote_marker_on_its_line():
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setFont("STSong-Light", 12)
    pdf.drawString(72, 700, "深入实施“百千万工程”")
    pdf.drawString(72, 680, "加快建设现代化产业体系。")
    pdf.setFont("STSong-Light", 8)
    pdf.drawString(72 + 12 * 10, 704, "［1］")  # drawn last, raised, smaller
    pdf.showPage()
    pdf.save()
    assert pdf_text(buffer.getvalue(), "report.pdf") == "深入实施“百千万工程”［1］\n加快建设现代化产业体系。\n"


def test_pdf_text_reads_a_page_turned_by_rotate():
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setPageRotation(90)
    pdf.rotate(90)  # text upright on the page as shown turned clockwise
    pdf.setFont("Helvetica", 12)
    pdf.drawString(72, -130, "second line")
    pdf.drawString(72, -100, "first line")
    pdf.showPage()
    pdf.save()
    assert pdf_text(buffer.getvalue(), "landscape.pdf") == "first line\nsecond line\n"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html><body>not a pdf</body></html>", "not a PDF"),
        (REPORT_PDF[: len(REPORT_PDF) // 2], "damaged or truncated"),
        (make_pdf(PAGES, encrypt="secret"), "encrypted"),
        (make_pdf([[]], foot=""), "no text layer (scanned pages?); kb needs a PDF with text"),
    ],
    ids=["not a PDF", "truncated", "encrypted", "empty page"],
)
def test_pdf_text_rejects_what_it_cannot_read(data, message):
    with pytest.raises(IngestError) as caught:
        pdf_text(data, "corpus/bad.pdf")
    assert caught.value.path == "corpus/bad.pdf"
    assert message in caught.value.message
    assert str(caught.value).startswith("corpus/bad.pdf: ")


REPORT_PAGE = """<!DOCTYPE html>
<html><head>{meta}<title>2024年政府工作报告_某市人民政府</title>
<style>p {{ text-indent: 2em; }}</style>
<script>var menu = "首页";</script></head>
<body><header><a href="/">首页</a></header>
<nav><ul><li><a href="/">首页</a></li><li>政务公开</li></ul></nav>
<div class="main"><div class="article"><div><h1>政府工作报告</h1></div>
<div>——2024年1月10日在市第九届人民代表大会第四次会议上</div>
<p>&emsp;&emsp;各位代表：</p>
<p>　　现在，我代表市人民政府，<br>向大会报告工作，&nbsp;请予审议。</p>
<table><tr><th>指标</th><th>增长</th></tr><tr><td>地区生产总值</td><td> 5.2% </td></tr></table>
<p>1.百千万工程：全称“百县千镇万村<a href="#">高质量发展工程</a>”。</p>
</div></div><aside>相关新闻</aside><footer>版权所有 某市人民政府</footer></body></html>"""
REPORT_LINES = [
    "2024年政府工作报告_某市人民政府",
    "政府工作报告",
    "——2024年1月10日在市第九届人民代表大会第四次会议上",
    "各位代表：",
    "　　现在，我代表市人民政府，",
    "向大会报告工作， 请予审议。",
    "指标 增长",
    "地区生产总值 5.2%",
    "1.百千万工程：全称“百县千镇万村高质量发展工程”。",
]


@pytest.mark.parametrize(
    "meta", ['<meta charset="gb2312">', '<meta http-equiv="Content-Type" content="text/html; charset=GBK">']
)
def test_html_text_gb_page(meta):
    data = REPORT_PAGE.format(meta=meta).encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert html_text(data, "report.html") == "\n".join(REPORT_LINES) + "\n"


def test_html_text_utf8_page_without_charset():
    assert html_text(REPORT_PAGE.format(meta="").encode("utf-8"), "report.html").splitlines() == REPORT_LINES


def test_html_text_trusts_the_bytes_over_a_wrong_charset():
    data = REPORT_PAGE.format(meta='<meta charset="gb2312">').encode("utf-8")
    assert html_text(data, "report.html").splitlines() == REPORT_LINES


def test_html_text_leaves_out_a_title_the_text_repeats():
    page = "<html><head><title>政府工作报告</title></head><body><h1>政府 工作报告</h1><p>各位代表：</p></body></html>"
    assert html_text(page.encode("utf-8"), "report.html") == "政府 工作报告\n各位代表：\n"


@pytest.mark.parametrize(
    "page", [b"<html><head></head><body></body></html>", b"", b"<body><script>x()</script>&nbsp;</body>"]
)
def test_html_text_without_text_is_an_error(page):
    with pytest.raises(IngestError, match="the web page has no text") as caught:
        html_text(page, "corpus/empty.html")
    assert caught.value.path == "corpus/empty.html"
