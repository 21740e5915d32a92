"""One report into a document: its passages (with section trails and citations), its entries and its warnings."""

from __future__ import annotations

import multiprocessing
import os
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from kb import labels as entry_labels
from kb.ingest import numbering
from kb.ingest.glossary import Glossary, RawEntry, parse_glossary
from kb.ingest.layout import Layout, Section, split_layout
from kb.ingest.paragraphs import is_wrapped, paragraphs
from kb.ingest.source import Repaired, read_source, repair
from kb.ingest.text import fix_spacing, heading_level, is_title_like, lead_sentence
from kb.ingest.title import date_of, title_of
from kb.model import Citation, Document, Entry, IngestWarning, ParsedDocument, Passage


def document_id(path: Path) -> str:
    """A document's id is its file name without the extension: corpus/qingcheng-2024.txt -> qingcheng-2024."""
    return path.stem


def parse_file(path: Path) -> ParsedDocument:
    source = read_source(path)
    return parse_text(source.text, document_id(path), str(path), source.wrapped)


PARALLEL_FILES = 16  # a corpus of at least this many files is parsed on every core
MAX_PROCS = 4


def parse_files(paths: Sequence[Path]) -> list[ParsedDocument]:
    """``parse_file`` of each path, in their order. A large corpus is parsed in forked processes, a file at a
    time each (files differ widely in size); the error raised is that of the first file, in order, that cannot
    be ingested, as when they are parsed one by one."""
    procs = min(os.cpu_count() or 1, MAX_PROCS)
    if procs < 2 or len(paths) < PARALLEL_FILES:
        return [parse_file(path) for path in paths]
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        return list(pool.imap(parse_file, paths))


def parse_text(text: str, doc_id: str, path: str = "<text>", wrapped: bool | None = None) -> ParsedDocument:
    """A report's text into a document; ``wrapped`` says whether its lines are a PDF's visual lines
    (None: tell by their widths)."""
    repaired = repair(text)
    layout = split_layout(repaired.text)
    warnings = _repairs(repaired, layout)
    glossary = _glossary(layout, warnings)
    date = date_of(layout.header)
    title = title_of(layout.header, date)
    if title is None:
        title = doc_id
        warnings.append(IngestWarning(layout.header[0].number if layout.header else None,
                                      f"no title (a line ending in 报告) above the speech; titled {doc_id!r}"))
    entries = [_entry(raw, doc_id) for raw in glossary.entries]
    passages = _passages(layout, doc_id, numbering.marker_pattern(glossary.style), wrapped)
    _check_citations(passages, {raw.number for raw in glossary.entries}, bool(entries), warnings)
    if not passages:
        warnings.append(IngestWarning(None, "no passages: kb found no text of the report's body"))
    warnings.sort(key=lambda w: (w.line is None, w.line or 0))
    return ParsedDocument(Document(doc_id, title, date, path, tuple(warnings)), passages, entries)


def _repairs(repaired: Repaired, layout: Layout) -> list[IngestWarning]:
    warnings = []
    if repaired.escaped_breaks:
        warnings.append(IngestWarning(1, f"the line breaks are stored as the characters \\r\\n "
                                         f"({repaired.escaped_breaks} of them): read as line breaks, and lines "
                                         f"are counted at them"))
    first = layout.body[0].number if layout.body else 0
    lost = [line for line in repaired.lost_lines if line >= first]  # a site's header may lose what it likes
    if lost:
        more = f" (and {len(lost) - 1} more lines)" if len(lost) > 1 else ""
        warnings.append(IngestWarning(lost[0], f"'??' stands for characters the copy lost{more}; read as a space"))
    return warnings


def _glossary(layout: Layout, warnings: list[IngestWarning]) -> Glossary:
    """The glossary's entries; a glossary heading with no entries under it is kept as an appendix."""
    if layout.glossary is None:
        return Glossary()
    section = layout.glossary
    glossary = parse_glossary(section.lines)
    warnings += glossary.warnings
    where = section.heading.number if section.heading else (section.lines[0].number if section.lines else None)
    if not glossary.entries:
        if section.heading is not None:
            warnings.append(IngestWarning(where, f"the glossary heading “{fix_spacing(section.heading.text)}” "
                                                 f"is followed by no numbered entries; its text is read as passages"))
            layout.appendices.append(section)
        layout.glossary = None
    elif layout.found_by_shape:
        heading = f"under “{fix_spacing(section.heading.text)}” " if section.heading else ""
        warnings.append(IngestWarning(where, f"no glossary heading kb knows; the numbered entries {heading}from "
                                             f"line {where} are read as the glossary"))
    return glossary


def _entry(raw: RawEntry, doc_id: str) -> Entry:
    return Entry(
        id=f"{doc_id}:{raw.number}", headword=raw.headword, definition=raw.definition,
        document=doc_id, number=raw.number, full_name=entry_labels.full_name(raw.definition),
        labels=tuple(entry_labels.labels(raw.headword, raw.definition)),
        components=tuple(entry_labels.components(raw.headword, raw.definition)), line=raw.line, page=raw.page,
    )


def _passages(layout: Layout, doc_id: str, markers: re.Pattern[str], wrapped: bool | None) -> list[Passage]:
    wrapped = is_wrapped(layout.body) if wrapped is None else wrapped
    parts: list[tuple[tuple[str, ...], Section | None]] = [((), None)]
    parts += [((fix_spacing(a.heading.text),) if a.heading else (), a) for a in layout.appendices]
    passages: list[Passage] = []
    for base, section in parts:
        lines = layout.body if section is None else section.lines
        trail: list[tuple[int, str]] = []
        for paragraph in paragraphs(lines, wrapped):
            text, found = numbering.extract_markers(paragraph.text, markers)
            if not text.strip():
                continue
            trail = _advance(trail, text)
            order = len(passages) + 1
            passages.append(Passage(
                id=f"{doc_id}:p{order}", document=doc_id, order=order,
                section=base + tuple(heading for _, heading in trail), text=text, line=paragraph.line,
                citations=tuple(Citation(number, offset) for number, offset in found),
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


def _check_citations(passages: list[Passage], numbers: set[int], has_glossary: bool,
                     warnings: list[IngestWarning]) -> None:
    """A warning for each number that markers cite and no entry has."""
    unresolved: dict[int, list[int]] = defaultdict(list)
    for passage in passages:
        for citation in passage.citations:
            if citation.number not in numbers:
                unresolved[citation.number].append(passage.line)
    if not unresolved:
        return
    if not has_glossary:
        count = sum(len(lines) for lines in unresolved.values())
        first = min(line for lines in unresolved.values() for line in lines)
        warnings.append(IngestWarning(first, f"the body has {count} footnote markers ({_span(unresolved)}) but kb "
                                             f"found no glossary entries; the markers cite nothing"))
        return
    for number, lines in sorted(unresolved.items()):
        more = f" (also lines {', '.join(map(str, lines[1:]))})" if len(lines) > 1 else ""
        warnings.append(IngestWarning(lines[0], f"a marker cites entry {number}, which the glossary does not have"
                                                f"{more}; the marker is removed and cites nothing"))


def _span(unresolved: dict[int, list[int]]) -> str:
    numbers = sorted(unresolved)
    return f"[{numbers[0]}]" if len(numbers) == 1 else f"[{numbers[0]}]–[{numbers[-1]}]"
