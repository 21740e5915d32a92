"""Lines into paragraphs: a PDF's wrapped visual lines by their widths, a web page's lines as they stand."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from kb.ingest.lines import Line
from kb.ingest.numbering import MARKER_LINE
from kb.ingest.text import (
    CLOSERS,
    CONTINUATION_START,
    SALUTATION,
    balanced,
    ends_sentence,
    fix_spacing,
    heading_level,
    is_heading,
    joiner,
    width,
)


@dataclass
class Paragraph:
    line: int
    text: str


def _nonblank(lines: list[Line]) -> list[Line]:
    return [Line(line.number, line.text.strip()) for line in lines if line.text.strip()]


def is_wrapped(lines: list[Line]) -> bool:
    """PDF text wraps every visual line (about 27 characters); a web page puts a paragraph on one line."""
    # A line of 100 characters is at least 50 wide: no need to measure further.
    widths = [w for w in (width(line.text.strip()[:100]) for line in lines) if w >= 10]
    return bool(widths) and statistics.median(widths) < 45


def paragraphs(lines: list[Line], wrapped: bool | None = None) -> list[Paragraph]:
    lines = _nonblank(lines)
    if wrapped is None:
        wrapped = is_wrapped(lines)
    pieces = _wrapped_paragraphs(lines) if wrapped else _web_paragraphs(lines)
    return [Paragraph(p.line, text) for p in pieces if (text := fix_spacing(p.text))]


@dataclass
class _Visual:
    """One visual line of the PDF, put back together where a footnote marker split it."""

    line: int
    text: str
    width: float
    open_after_marker: bool = False
    # Width of an unbreakable run (92.6%。) that the next line starts with: it may be why this one is short.
    slack: float = 0.0


def _visual_lines(lines: list[Line]) -> list[_Visual]:
    full = _full_width(lines)
    visual: list[_Visual] = []
    for line in lines:
        text = line.text
        if MARKER_LINE.match(text) and visual:
            # PDF extraction puts a footnote marker on its own line: "［1］"
            visual[-1].text += text.strip()
            visual[-1].open_after_marker = True
            continue
        last = visual[-1] if visual else None
        if last and last.open_after_marker and (
            text[0] in CONTINUATION_START or last.width + width(text) <= full + 1.5
        ):
            last.text += text
            last.width += width(text)
            last.open_after_marker = False
            continue
        if last:
            last.open_after_marker = False
        visual.append(_Visual(line.number, text, width(text)))
    for before, after in zip(visual, visual[1:], strict=False):
        run = _UNBREAKABLE.match(after.text)
        before.slack = width(run.group(0)) if run else 0.0
    return visual


_UNBREAKABLE = re.compile(r"^[0-9A-Za-z.%+\-]+[，。、；：％%）]?")


def _full_width(lines: list[Line]) -> float:
    widths = [w for w in (width(line.text) for line in lines) if w >= 10]
    return statistics.median(widths) if widths else 27.0


def _wrapped_paragraphs(lines: list[Line]) -> list[Paragraph]:
    full = _full_width(lines)
    result: list[Paragraph] = []
    current: Paragraph | None = None
    previous: _Visual | None = None
    visual = _visual_lines(lines)
    for index, vis in enumerate(visual):
        after = visual[index + 1] if index + 1 < len(visual) else None
        if current is not None and previous is not None and _breaks(previous, vis, after, current.text, full):
            result.append(current)
            current = None
        if current is None:
            current = Paragraph(vis.line, vis.text)
        else:
            current.text += joiner(current.text, vis.text) + vis.text
        previous = vis
    if current is not None:
        result.append(current)
    return result


def _breaks(a: _Visual, b: _Visual, c: _Visual | None, so_far: str, full: float) -> bool:
    """Whether a paragraph ends between visual lines a and b (line widths tell the indent of a new one)."""
    if b.text[0] in CONTINUATION_START or not balanced(so_far):
        return False
    if ends_sentence(a.text):
        # a paragraph's first line is indented two characters: it is full at two less
        indent = 2.0 if so_far == a.text else 0.0
        if a.width + a.slack < full - 2.25 - indent:
            return True
        if _set_width(b) >= full - 1.5:
            return False
        # b is short: an indented first line, or the short last line of the same paragraph. If the line
        # after b is full, b opened a paragraph. Otherwise a full line that ends a sentence is followed by
        # its own paragraph's last line far more often than by a one-line paragraph, unless that line
        # stands on its own (a heading, "各位代表：", "…工作：").
        if ends_sentence(b.text) and not (c is not None and c.text[0] not in CONTINUATION_START
                                          and _set_width(c) >= full - 1.5):
            return _stands_alone(b.text)
        return True
    return a.width + a.slack < full - 3 and is_heading(fix_spacing(so_far))


def _stands_alone(text: str) -> bool:
    text = fix_spacing(text)
    short_clause = len(text) <= 10 and not re.search(r"[，,、]", text)  # "重点做好八方面工作。"
    return (heading_level(text) is not None or is_heading(text) or SALUTATION.match(text) is not None
            or text.rstrip(CLOSERS)[-1:] in "：:！!" or short_clause)


def _set_width(line: _Visual) -> float:
    """The width a line was set to: punctuation may hang past the margin, and a run of digits that did not
    fit may have been pushed to the next line, so a full line can look short or long by about one character."""
    hanging = width(line.text[-1]) if line.text[-1] in CONTINUATION_START else 0.0
    return line.width - hanging + line.slack


def _web_paragraphs(lines: list[Line]) -> list[Paragraph]:
    """One paragraph a line, except where a hyperlink or marker split a sentence: "“双向" / "揭榜" / "挂帅”…"."""
    result: list[Paragraph] = []
    for line in lines:
        text = line.text
        if result and _continues(result[-1].text, text):
            result[-1].text += joiner(result[-1].text, text) + text
        else:
            result.append(Paragraph(line.number, text))
    return result


def _continues(so_far: str, text: str) -> bool:
    if MARKER_LINE.match(text) or MARKER_LINE.match(so_far) or text[0] in CONTINUATION_START:
        return True
    if not balanced(so_far):
        return True
    return not ends_sentence(so_far) and not is_heading(fix_spacing(so_far))
