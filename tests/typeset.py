"""Typeset a report's text into a PDF as printed reports are: A4, 16 pt STSong-Light, paragraphs wrapped to the
text width with a two-character indent, a page number at each foot (reportlab's CID font needs no font file)."""

from __future__ import annotations

import io
import re

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT, SIZE, LEADING = "STSong-Light", 16, 28
MARGIN = 80
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
# A line may not start with these in Chinese typesetting: the printer pulls them back onto the line before.
NO_LINE_START = "，。、；：！？）》”’"


# A run of Latin letters and digits ("APP", "PM2.5", "10.2%") stays on one line, as word processors keep it.
_UNIT = re.compile(r"[A-Za-z0-9.%+\-]+|.", re.S)


def _wrap(paragraph: str, width: float, indent: float) -> list[str]:
    lines: list[str] = []
    line, room = "", width - indent
    for unit in _UNIT.findall(paragraph):
        if line and pdfmetrics.stringWidth(line + unit, FONT, SIZE) > room and unit[0] not in NO_LINE_START:
            lines.append(line)
            line, room = "", width
        line += unit
    return lines + [line] if line else lines


def typeset(paragraphs: list[str], centred: int = 1) -> bytes:
    """The PDF of ``paragraphs``: the first ``centred`` (the title) centred, the rest wrapped and indented."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    text_width = width - 2 * MARGIN
    y, page = height - MARGIN, 1

    def new_page() -> float:
        nonlocal page
        pdf.setFont(FONT, 12)
        pdf.drawCentredString(width / 2, 40, f"— {page} —")
        pdf.showPage()
        page += 1
        return height - MARGIN

    for index, paragraph in enumerate(paragraphs):
        if index < centred:
            pdf.setFont(FONT, SIZE)
            pdf.drawCentredString(width / 2, y, paragraph)
            y -= LEADING
            continue
        indent = 2 * SIZE
        for number, line in enumerate(_wrap(paragraph, text_width, indent)):
            if y < MARGIN:
                y = new_page()
            pdf.setFont(FONT, SIZE)
            pdf.drawString(MARGIN + (indent if number == 0 else 0), y, line)
            y -= LEADING
    new_page()
    pdf.save()
    return buffer.getvalue()
