"""Glossary entries (名词解释) from the glossary's lines: the numbering sequence decides where each entry starts.

A line opening with the next number (in the glossary's style) starts the next entry; "9.6%" or "3、5年" inside a
definition does not, and "5.5个“在全市领先”：…" after entry 4 is entry 5. A gap, a repeat, a second copy of the
whole glossary, an entry without a headword: each is read as well as it can be and reported as a warning.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from kb.ingest.headwords import Split, guess_split, split_headword
from kb.ingest.lines import Line
from kb.ingest.numbering import Numbered, entry_number
from kb.ingest.text import compact, fix_spacing, join_lines
from kb.model import IngestWarning

# Words that name a glossary; a short prefix may stand before the first kind ("本报告名词解释", "政府工作报告有关
# 名词解释"), not before 注释 alone ("加强注释" is not a heading).
_NAMING = r"(?:名词解释|名词注释|名词解读|名词释义|名词说明|术语解释|词语解释|用语说明)"
_BARE = r"(?:注释|注解|释义)"
# 名词解释, ※名词解释※, 【名词解释】, *名词解释, 《政府工作报告》名词解释, 附：名词解释, 附件一：名词解释,
# 附件2 名词解释, 四、名词解释, 《政府工作报告》有关内容名词注释, 名词解释（按出现先后排序）: without spaces.
_HEADING = (
    r"(?:附件?[\d一二三四五六七八九十]*[:：、.．]?\s*|[一二三四五六七八九十]+、)?[※*＊#【\[［〔]*"
    r"(?:(?:《[^》]{1,30}》)?(?:中的|中)?(?:有关内容|有关|相关|部分|主要|重要)?" + _BARE
    + r"|(?:《[^》]{1,30}》|[^，。；！？,;!?：:※*＊#【】\[\]［］〔〕（）()、\s\d]{0,16}?)?(?:中的|中)?"
    r"(?:有关内容|有关|相关|部分|主要|重要)?" + _NAMING + r")"
    r"[※*＊#】\]］〕]*(?:[（(][^）)]{1,30}[）)])?[:：]?"
)
GLOSSARY_HEADING = re.compile(rf"^{_HEADING}$")
_GLUED_HEADING = re.compile(rf"^\s*{_HEADING}\s*(?=\S)")
# Where a definition's page note stands: "…金融服务。(见第2页)", "（见第 13 页）", "(见第2-3页)".
_PAGE_NOTE = re.compile(r"\s*[（(]\s*见?\s*第\s*(\d{1,4})\s*(?:[-－—~～至、,，]\s*\d{1,4}\s*)?页\s*[)）]\s*$")
# After "2." a headword starts with a character of a word, not a digit: "2.65亿元" continues a definition.
_WORD_START = re.compile(r"^[“‘《\u4e00-\u9fffA-Za-z]")
_MAX_GAP = 9  # a jump of more numbers than this is not an entry with a few missing before it


@dataclass(frozen=True)
class RawEntry:
    number: int
    headword: str
    definition: str
    line: int
    page: int | None = None


@dataclass
class Glossary:
    """The entries of a glossary, the number style they use and what could not be read cleanly."""

    entries: list[RawEntry] = field(default_factory=list)
    style: str | None = None
    warnings: list[IngestWarning] = field(default_factory=list)


def is_glossary_heading(text: str) -> bool:
    return GLOSSARY_HEADING.match(compact(text)) is not None


def glued_heading(text: str) -> tuple[str, str] | None:
    """A heading the text glued to its first entry ("附：名词解释1.五大行动：…"): (heading, first entry)."""
    match = _GLUED_HEADING.match(text)
    if match is None or entry_number(text[match.end():]) is None:
        return None
    return text[:match.end()].strip(), text[match.end():]


@dataclass
class _Draft:
    number: int
    line: int
    parts: list[str]


@dataclass
class _Reader:
    """The state of one pass over a glossary's lines."""

    copies: list[list[_Draft]] = field(default_factory=lambda: [[]])
    style: str | None = None
    current: _Draft | None = None
    warnings: list[IngestWarning] = field(default_factory=list)
    # how many lines yet to read open with each number and a headword: is a number still to come?
    ahead: Counter[int] = field(default_factory=Counter)

    @property
    def drafts(self) -> list[_Draft]:
        return self.copies[-1]

    @property
    def expected(self) -> int:
        return self.drafts[-1].number + 1 if self.drafts else 1

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(IngestWarning(line, message))

    def start(self, number: int, line: Line, rest: str) -> None:
        self.current = _Draft(number, line.number, [rest])
        self.drafts.append(self.current)

    def read(self, line: Line) -> None:
        text = line.text.strip()
        if is_glossary_heading(text):  # the heading again: a second copy of the glossary may follow
            self.current = None
            return
        numbered = entry_number(text)
        if numbered is not None:
            self.ahead[numbered.number] -= 1
        if numbered is None or not self._opens_entry(numbered, line):
            if self.current is not None:
                self.current.parts.append(text)
            return
        if self.style is None:
            self.style = numbered.style

    def _opens_entry(self, numbered: Numbered, line: Line) -> bool:
        """Whether the numbered line starts an entry; if so, the entry is started (or the line discarded)."""
        if self.style is not None and numbered.style != self.style:
            return False  # "(1)…(2)…" listed inside a definition of a glossary numbered "1." "2."
        split = split_headword(numbered.rest)
        number, expected = numbered.number, self.expected
        if split is None and not numbered.strong and (number != expected or not _WORD_START.match(numbered.rest)):
            return False  # "9.6%、贷款余额…", "3、5年内完成改造，其中…": a definition's text
        if number == expected:
            self.start(number, line, numbered.rest)
        elif number == 1 and split is not None and self.drafts and (
                self.current is None or split.headword == _headword(self.drafts[0])):  # a heading, or entry 1 again
            self.copies.append([])
            self.start(number, line, numbered.rest)
        elif expected < number <= expected + _MAX_GAP and split is not None:
            missing = f"entry {expected} is" if number == expected + 1 else f"entries {expected}-{number - 1} are"
            self.warn(line.number, f"glossary entry {number} follows entry {expected - 1}: {missing} missing; "
                                   f"read on from entry {number}")
            self.start(number, line, numbered.rest)
        elif number < expected and split is not None:
            return self._repeated(number, line, numbered.rest, split)
        else:
            return False
        return True

    def _repeated(self, number: int, line: Line, rest: str, split: Split) -> bool:
        """An entry printed again is skipped; the last number printed twice is a misprint of the next one;
        an older number with another headword ("1.…" listed inside a definition) is the definition's text."""
        earlier = next((d for d in self.drafts if d.number == number), None)
        if earlier is not None and _headword(earlier) == split.headword:
            self.warn(line.number, f"glossary entry {number} ({split.headword}) is printed again; "
                                   f"the copy at line {line.number} is ignored")
            self.current = _Draft(number, line.number, [])  # collects the copy's lines, kept nowhere
            return True
        expected = self.expected
        if number != expected - 1 or self.ahead[expected] > 0:
            return False
        self.warn(line.number, f"glossary entry number {number} is repeated (after entry {expected - 1}); "
                               f"read as entry {expected}")
        self.start(expected, line, rest)
        return True


def parse_glossary(lines: list[Line]) -> Glossary:
    """Every entry of a glossary, in order; lines before the first entry are an introduction and skipped."""
    reader = _Reader()
    joined = _rejoin_split_headwords(lines)
    reader.ahead.update(n.number for n in map(entry_number, (line.text for line in joined)) if n is not None)
    for line in joined:
        for piece in _unglue(line, reader):
            reader.read(piece)
    drafts = _one_copy(reader) or _unnumbered(lines, reader)
    entries = [_make_entry(draft, reader.warnings) for draft in drafts]
    return Glossary(entries, reader.style, reader.warnings)


def _unnumbered(lines: list[Line], reader: _Reader) -> list[_Draft]:
    """A glossary whose entries carry no numbers ("五大行动：指…" a line): numbered in order, if every line after
    the first entry opens with a headword and at least two do."""
    texts = [line for line in lines if line.text.strip()]
    starts = [i for i, line in enumerate(texts) if split_headword(line.text) is not None]
    if len(starts) < 2 or starts[-1] - starts[0] + 1 != len(starts) or len(texts) - starts[-1] > 2:
        return []
    drafts = [_Draft(n, texts[i].number, [texts[i].text.strip()]) for n, i in enumerate(starts, start=1)]
    drafts[-1].parts += [line.text.strip() for line in texts[starts[-1] + 1:]]
    reader.warn(drafts[0].line, f"the glossary's entries carry no numbers; read {len(drafts)} entries, "
                                f"numbered 1-{len(drafts)} in order (markers in the body cite these numbers)")
    return drafts


def _unglue(line: Line, reader: _Reader) -> list[Line]:
    """The line, split where the text glued the next entry to the end of the last: "…业务。2.乙项工作：…"."""
    pieces: list[Line] = []
    text = line.text.strip()
    numbered = entry_number(text)
    offset = len(text) - len(numbered.rest) if numbered else 0
    upcoming = reader.expected + (1 if numbered and numbered.number == reader.expected else 0)
    while True:
        cut = _glued_entry(text, offset, upcoming, reader.style)
        if cut is None:
            break
        pieces.append(Line(line.number, text[:cut]))
        text, upcoming = text[cut:], upcoming + 1
        offset = len(text) - len(entry_number(text).rest)  # type: ignore[union-attr]  # _glued_entry saw a number
    pieces.append(Line(line.number, text))
    return pieces


def _glued_entry(text: str, start: int, number: int, style: str | None) -> int | None:
    """Where entry ``number`` starts inside the text, after a sentence's end, if it does."""
    opener = {"bracket": rf"[［\[【〔]\s*{number}\s*[］\]】〕]", "paren": rf"[(（]\s*{number}\s*[)）]"}.get(
        style or "dot", rf"{number}\s*[.．、]")
    for match in re.finditer(rf"(?<=[。；！？”）)])\s*({opener})", text[start:]):
        rest = entry_number(text[start + match.start(1):])
        if rest is not None and rest.number == number and split_headword(rest.rest) is not None:
            return start + match.start(1)
    return None


def _one_copy(reader: _Reader) -> list[_Draft]:
    """The glossary's entries; a page that prints the glossary twice gives the fuller copy (the later of equals)."""
    copies = [c for c in reader.copies if c]
    if len(copies) <= 1:
        return copies[0] if copies else []
    kept = max(reversed(copies), key=len)
    starts = ", ".join(str(c[0].line) for c in copies)
    reader.warn(kept[0].line, f"the glossary is printed {len(copies)} times (from lines {starts}); "
                              f"kept the copy from line {kept[0].line}, with {len(kept)} entries")
    return kept


def _headword(draft: _Draft) -> str | None:
    split = split_headword(fix_spacing(join_lines(draft.parts)))
    return split.headword if split else None


def _make_entry(draft: _Draft, warnings: list[IngestWarning]) -> RawEntry:
    body = fix_spacing(join_lines(draft.parts))
    page = None
    note = _PAGE_NOTE.search(body)
    if note:
        page, body = int(note.group(1)), body[:note.start()].rstrip()
    split = split_headword(body)
    if split is None:
        split = guess_split(body)
        warnings.append(IngestWarning(draft.line, f"glossary entry {draft.number} has no '：' after its headword; "
                                                  f"took “{split.headword}” as the headword"))
    if not split.definition:
        warnings.append(IngestWarning(draft.line, f"glossary entry {draft.number} ({split.headword}) "
                                                  f"has no definition"))
    return RawEntry(draft.number, split.headword, split.definition, draft.line, page)


def _rejoin_split_headwords(lines: list[Line]) -> list[Line]:
    """Non-blank lines, with a headword put back together where a wrap or a web page split it before
    its colon: "1.省委“1310”具体" + "部署：2023年…", or "1.百千万工程" + "：全称…"."""
    result: list[Line] = []
    for line in lines:
        text = line.text.strip()
        if not text:
            continue
        last = entry_number(result[-1].text) if result else None
        if last is not None and split_headword(last.rest) is None and entry_number(text) is None:
            joined = entry_number(result[-1].text + text)
            if text[0] in "：:" or (joined is not None and split_headword(joined.rest) is not None
                                    and len(result[-1].text) <= 40):
                result[-1] = Line(result[-1].number, result[-1].text + text)
                continue
        result.append(Line(line.number, text))
    return result


def find_run(lines: list[Line]) -> int | None:
    """Where a glossary without a heading starts: the last run of entries numbered 1, 2, 3… in one style,
    each with a headword, that goes on to the end of ``lines`` (the index of its first line)."""
    texts = [(i, line.text.strip()) for i, line in enumerate(lines) if line.text.strip()]
    starts = [(k, i, numbered) for k, (i, text) in enumerate(texts)
              if (numbered := entry_number(text)) is not None and split_headword(numbered.rest) is not None]
    for position in range(len(starts) - 1, -1, -1):
        k, i, first = starts[position]
        if first.number != 1:
            continue
        count, last_k = 1, k
        for later_k, _, numbered in starts[position + 1:]:
            if numbered.style != first.style or numbered.number != count + 1:
                break
            count, last_k = count + 1, later_k
        tail = len(texts) - 1 - last_k
        per_entry = (last_k - k + 1) / count
        if count >= 2 and tail <= max(3, 2 * per_entry) and not _has_body_lines(texts[k:]):
            return i
    return None


def _has_body_lines(texts: list[tuple[int, str]]) -> bool:
    """A salutation or closing ("各位代表！…") among them: the run is the end of the speech, not a glossary."""
    return any(re.match(r"^各位(代表|委员)", compact(text)) for _, text in texts)
