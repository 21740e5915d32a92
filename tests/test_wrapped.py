"""The same report as web text and as PDF text (wrapped lines, page breaks) gives the same KB."""

from __future__ import annotations

import pytest

from kb.ingest import parse_text
from kb.ingest.text import width
from tests.conftest import REPORTS

NO_LINE_START = "，。、；：！？”）"


def wrap(paragraph: str, full: float, indent: float = 2.0) -> list[str]:
    """Lay a paragraph out as a PDF does: first line indented, punctuation never starting a line."""
    lines, current, limit = [], "", full - indent
    for ch in paragraph:
        if width(current + ch) > limit and ch not in NO_LINE_START:
            lines.append(current)
            current, limit = "", full
        current += ch
    return lines + [current] if current else lines


def as_pdf_text(text: str, full: float, page: int = 40) -> str:
    """Every visual line followed by a blank line; the first line of each page starts with a space."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        for visual in wrap(line, full) if width(line) > full else [line]:
            out += [(" " if len(out) % (2 * page) == 0 else "") + visual, ""]
    return "\n".join(out)


@pytest.mark.parametrize("doc_id", ["sichuan-2026", "jiangxi-2026"])
@pytest.mark.parametrize("full", [26.0, 27.0, 29.0])
def test_wrapped_text_parses_like_the_web_page(raw, doc_id, full):
    web = parse_text(raw[doc_id], doc_id)
    pdf = parse_text(as_pdf_text(raw[doc_id], full), doc_id)
    assert [p.text for p in pdf.passages] == [p.text for p in web.passages]
    assert [p.section for p in pdf.passages] == [p.section for p in web.passages]
    assert [(e.headword, e.definition) for e in pdf.entries] == [(e.headword, e.definition) for e in web.entries]


def test_reports_fixture_covers_both_formats():
    assert set(REPORTS) == {"qingcheng-2024", "sichuan-2026", "jiangxi-2026"}
