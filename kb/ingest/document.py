"""Parse one report into a document, its passages (with section trails and citations) and its entries."""

from __future__ import annotations

import re
from pathlib import Path

from kb import labels as entry_labels
from kb.ingest import glossary
from kb.ingest.layout import Layout, Line, is_wrapped, paragraphs, split_layout
from kb.ingest.source import read_source
from kb.ingest.text import compact, extract_markers, fix_spacing, heading_level, is_title_like, lead_sentence
from kb.model import Citation, Document, Entry, ParsedDocument, Passage

_DATE_SPOKEN = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日在")
_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日|(\d{4})-(\d{2})-(\d{2})")


def document_id(path: Path) -> str:
    """A document's id is its file name without the extension: corpus/qingcheng-2024.txt -> qingcheng-2024."""
    return path.stem


def parse_file(path: Path) -> ParsedDocument:
    return parse_text(read_source(path), document_id(path), str(path))


def parse_text(text: str, doc_id: str, path: str = "<text>") -> ParsedDocument:
    layout = split_layout(text)
    document = Document(doc_id, _title(layout, doc_id), _date(layout.header), path)
    parsed = ParsedDocument(document)
    parsed.passages = _passages(layout, doc_id)
    if layout.glossary is not None:
        parsed.entries = _entries(layout.glossary[1], doc_id, path)
    return parsed


def _title(layout: Layout, doc_id: str) -> str:
    lines = [fix_spacing(line.text) for line in layout.header]
    return next((line for line in lines if "报告" in line), lines[0] if lines else doc_id)


def _date(header: list[Line]) -> str | None:
    """The date the report was given ("2024年 2月 3日在…"), else the first date in the header."""
    text = "\n".join(compact(line.text) for line in header)
    match = _DATE_SPOKEN.search(text)
    if match:
        return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}-{int(match.group(3)):02d}"
    match = _DATE.search(text)
    if not match:
        return None
    y, m, d = (match.group(1), match.group(2), match.group(3)) if match.group(1) else match.group(4, 5, 6)
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"


def _passages(layout: Layout, doc_id: str) -> list[Passage]:
    wrapped = is_wrapped(layout.body)
    parts: list[tuple[tuple[str, ...], list[Line]]] = [((), layout.body)]
    parts += [((fix_spacing(head.text),), lines) for head, lines in layout.appendices]
    passages: list[Passage] = []
    for base, lines in parts:
        trail: list[tuple[int, str]] = []
        for paragraph in paragraphs(lines, wrapped):
            text, markers = extract_markers(paragraph.text)
            trail = _advance(trail, text)
            order = len(passages) + 1
            passages.append(Passage(
                id=f"{doc_id}:p{order}", document=doc_id, order=order,
                section=base + tuple(heading for _, heading in trail), text=text, line=paragraph.line,
                citations=tuple(Citation(number, offset) for number, offset in markers),
            ))
    return passages


def _advance(trail: list[tuple[int, str]], text: str) -> list[tuple[int, str]]:
    """The section trail after a paragraph: a heading replaces its level and closes deeper ones."""
    level = heading_level(text)
    if level is None and is_title_like(text):
        level = 1
    if level is None:
        return trail
    return [(lvl, heading) for lvl, heading in trail if lvl < level] + [(level, lead_sentence(text))]


def _entries(lines: list[Line], doc_id: str, path: str) -> list[Entry]:
    entries = []
    for raw in glossary.parse_entries(lines, path):
        entries.append(Entry(
            id=f"{doc_id}:{raw.number}", headword=raw.headword, definition=raw.definition,
            document=doc_id, number=raw.number, full_name=entry_labels.full_name(raw.definition),
            labels=tuple(entry_labels.labels(raw.headword, raw.definition)),
            components=tuple(entry_labels.components(raw.headword, raw.definition)), line=raw.line,
        ))
    return entries
