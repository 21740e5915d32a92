"""Reading a saved web page into plain text: its visible text, one line per block, the title first."""

from __future__ import annotations

import codecs
import re

import lxml.html
from lxml import etree

from kb.errors import IngestError

NO_TEXT = "the web page has no text"

# Menus, scripts and controls, never the report; <header>/<footer> on report pages hold menus and copyright.
_DROPPED = ("head", "script", "style", "noscript", "template", "svg", "iframe", "form", "button", "select",
            "textarea", "nav", "aside", "header", "footer")
_BLOCKS = frozenset({
    "html", "body", "main", "p", "div", "li", "ul", "ol", "dl", "dd", "dt", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "caption", "thead", "tbody", "tfoot", "tr", "section", "article", "blockquote", "pre", "figure",
    "figcaption", "address", "center", "hr", "details", "summary", "fieldset",
})
_CELLS = frozenset({"td", "th"})

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# <meta charset="gb2312"> and <meta http-equiv="Content-Type" content="text/html; charset=gbk">
_META_CHARSET = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([a-z0-9_.:-]+)", re.IGNORECASE)
# Chinese sites label GB18030 text "gb2312" or "gbk"; GB18030 is a superset that decodes them all.
_GB_LABELS = frozenset({"gb2312", "gbk", "gb_2312-80", "x-gbk", "cp936", "euc-cn", "csgb2312", "chinese"})
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Every run of white space but U+3000, which Chinese text uses for its indent: &nbsp; and &emsp; included.
_SPACES = re.compile(r"[^\S\u3000]+")
_INVISIBLE = re.compile(r"[\u200b\ufeff]")


def html_text(data: bytes, path: str) -> str:
    """The page's visible text as lines, in document order; the <title> first unless the text repeats it."""
    text = _XML_DECLARATION.sub("", _CONTROL.sub(" ", _decode(data, path)))
    try:
        root = lxml.html.document_fromstring(text)
    except etree.ParserError:  # "Document is empty"
        raise IngestError(path, NO_TEXT) from None
    title = _title(root)
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, *_DROPPED, with_tail=False)
    lines = _lines(root)
    if title and _compact(title) not in _compact("".join(lines)):
        lines.insert(0, title)
    if not lines:
        raise IngestError(path, NO_TEXT)
    return "\n".join(lines) + "\n"


def _decode(data: bytes, path: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    if b"\x00" in data:
        raise IngestError(path, "binary data (NUL byte), not a web page")
    declared = _declared_charset(data)
    for encoding in dict.fromkeys(e for e in (declared, "utf-8", "gb18030") if e):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode(declared or "utf-8", errors="replace")


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:8192])
    if not match:
        return None
    label = match.group(1).decode("ascii").lower()
    if label in _GB_LABELS:
        return "gb18030"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # A page whose bytes carry a charset in ASCII is not UTF-16, whatever it says (HTML's rule, too).
    return "utf-8" if name.startswith("utf-16") else name


def _title(root: lxml.html.HtmlElement) -> str:
    titles = root.xpath("//title[not(ancestor::svg)]")
    return _clean(titles[0].text_content()) if titles else ""


class _Lines:
    """Collects text into lines: a block element or <br> ends one, a table cell adds a space."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.parts: list[str] = []

    def add(self, text: str | None, preformatted: bool) -> None:
        if not text:
            return
        if not preformatted:
            self.parts.append(text)
            return
        first, *rest = text.split("\n")
        self.parts.append(first)
        for piece in rest:
            self.end_line()
            self.parts.append(piece)

    def space(self) -> None:
        self.parts.append(" ")

    def end_line(self) -> None:
        line = _clean("".join(self.parts))
        if line.strip():
            self.lines.append(line)
        self.parts = []


def _lines(root: lxml.html.HtmlElement) -> list[str]:
    lines = _Lines()
    pre = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag
        if event == "start":
            pre += tag == "pre"
            if tag in _BLOCKS or tag == "br":
                lines.end_line()
            elif tag in _CELLS:
                lines.space()
            lines.add(element.text, pre > 0)
            continue
        if tag in _BLOCKS:
            lines.end_line()
        elif tag in _CELLS:
            lines.space()
        pre -= tag == "pre"
        lines.add(element.tail, pre > 0)
    lines.end_line()
    return lines.lines


def _clean(text: str) -> str:
    return _SPACES.sub(" ", _INVISIBLE.sub("", text)).strip(" ")


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)
