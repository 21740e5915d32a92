"""Reading a PDF report into plain text: one visual line a line, pages separated by a blank line."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from kb.errors import IngestError

# PDFium is not thread-safe: pypdfium2 allows one call into it at a time in a process.
_PDFIUM = threading.Lock()

# FPDF_GetLastError codes that pypdfium2 puts on PdfiumError.err_code.
_LOAD_ERRORS = {
    3: "the PDF is damaged or truncated",
    4: "the PDF is encrypted with a password; kb needs a PDF that opens without one",
    5: "the PDF is encrypted with an unsupported security scheme",
}
NO_TEXT = "the PDF has no text layer (scanned pages?); kb needs a PDF with text"

_DASHES = "-‐‑‒–—―－﹣"
# Running page numbers at a page's head or foot: "3", "- 3 -", "— 3 —", "－3－", "第3页", "第 3 页 共 10 页".
_PAGE_NUMBER = re.compile(
    rf"[{_DASHES}]?\s*\d+\s*[{_DASHES}]?|\d+\s*/\s*\d+"
    r"|第\s*\d+\s*页(\s*[,，/／]?\s*共\s*\d+\s*页)?|共\s*\d+\s*页\s*[,，/／]?\s*第\s*\d+\s*页"
)
# One of PDFium's lines ("\r\n" ends them), from its first to its last character that is not a space.
_LINE_RUN = re.compile(r"\S(?:[^\r\n\x85\u2028\u2029]*\S)?")
# PDFium marks a hyphen it guessed at a line end as U+0002 and a glyph it has no Unicode for as U+FFFE.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")


@dataclass
class _Segment:
    """A run of text that PDFium put on one line, with its box as the reader sees the page (up is +)."""

    text: str
    left: float
    bottom: float
    right: float
    top: float

    @property
    def middle(self) -> float:
        return (self.bottom + self.top) / 2


def pdf_text(data: bytes, path: str) -> str:
    """The text of every page in reading order, one visual line per line; running page numbers dropped."""
    if b"%PDF-" not in data[:1024]:
        raise IngestError(path, "not a PDF file (no %PDF- header)")
    with _PDFIUM:
        pages = _read_pages(data, path)
    kept = ["\n".join(lines) for lines in map(_without_page_numbers, pages) if lines]
    if not kept:
        raise IngestError(path, NO_TEXT)
    return "\n\n".join(kept) + "\n"


def _read_pages(data: bytes, path: str) -> list[list[str]]:
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        reason = _LOAD_ERRORS.get(getattr(error, "err_code", None) or 0, f"cannot open the PDF ({error})")
        raise IngestError(path, reason) from None
    try:
        return [_read_page(document, index, path) for index in range(len(document))]
    finally:
        document.close()


def _read_page(document: pdfium.PdfDocument, index: int, path: str) -> list[str]:
    page = textpage = None
    try:
        page = document[index]
        textpage = page.get_textpage()
        return _page_lines(textpage, page.get_rotation())
    except pdfium.PdfiumError as error:
        raise IngestError(path, f"page {index + 1} cannot be read, the PDF may be damaged ({error})") from None
    finally:
        if textpage is not None:
            textpage.close()
        if page is not None:
            page.close()


def _page_lines(textpage: pdfium.PdfTextPage, rotation: int) -> list[str]:
    """PDFium's lines come in content-stream order (a footer may be drawn first); sort them top to bottom."""
    text = textpage.get_text_range()
    segments = []
    for run in _LINE_RUN.finditer(text):
        line = _clean(run.group())
        # Text indices skip the control characters that PDFium keeps in its list of characters.
        first, last = (pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, i) for i in (run.start(), run.end() - 1))
        if first < 0 or last < 0:
            return [line for line in map(_clean, text.splitlines()) if line]  # no boxes: keep PDFium's order
        if line:
            segments.append(_segment(textpage, line, first, last, rotation))
    return _visual_lines(segments)


def _clean(text: str) -> str:
    return _CONTROL.sub("", text).strip()


def _segment(textpage: pdfium.PdfTextPage, text: str, first: int, last: int, rotation: int) -> _Segment:
    # Loose boxes use the font's ascent and descent: a CID font that is not embedded (STSong-Light)
    # has flat glyph boxes, about 0.01 pt tall, in the tight ones.
    left, bottom, _, top = textpage.get_charbox(first, loose=True)
    _, bottom2, right, top2 = textpage.get_charbox(last, loose=True)
    box = (left, min(bottom, bottom2), right, max(top, top2))
    return _Segment(text, *_as_seen(box, rotation))


def _as_seen(box: tuple[float, float, float, float], rotation: int) -> tuple[float, float, float, float]:
    """A box in page space as the reader sees it on a page shown turned clockwise by /Rotate degrees."""
    left, bottom, right, top = box
    if rotation == 90:
        return bottom, -right, top, -left
    if rotation == 180:
        return -right, -top, -left, -bottom
    if rotation == 270:
        return -top, left, -bottom, right
    return box


def _visual_lines(segments: list[_Segment]) -> list[str]:
    """Segments on the same visual line (one drawn later, a raised footnote marker) join left to right."""
    groups: list[list[_Segment]] = []
    for segment in sorted(segments, key=lambda s: -s.top):
        anchor = groups[-1][0] if groups else None
        if anchor and anchor.bottom <= segment.middle <= anchor.top and segment.bottom <= anchor.middle <= segment.top:
            groups[-1].append(segment)
        else:
            groups.append([segment])
    return [_join(sorted(group, key=lambda s: s.left)) for group in groups]


def _join(segments: list[_Segment]) -> str:
    text = segments[0].text
    for before, after in zip(segments, segments[1:], strict=False):
        # A gap of more than a quarter of the line's height is a space between words or cells.
        gap = after.left - before.right
        text += (" " if gap > 0.25 * (before.top - before.bottom) else "") + after.text
    return text


def _without_page_numbers(lines: list[str]) -> list[str]:
    """Drop page numbers that stand alone on the first or last line of a page; a number elsewhere is text."""
    start = 1 if lines and _PAGE_NUMBER.fullmatch(lines[0]) else 0
    end = len(lines) - 1 if len(lines) > start and _PAGE_NUMBER.fullmatch(lines[-1]) else len(lines)
    return lines[start:end]
