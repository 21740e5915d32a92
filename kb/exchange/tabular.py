"""CSV: one row an entry, for spreadsheets; and the rows of such a file read back.

UTF-8 with a byte order mark (Excel then reads it as UTF-8, not the machine's code page), a header row, CRLF
line ends (RFC 4180). A cell holding several items (``labels``, ``related``, ``components``) joins them with
``|``; a component is ``label：meaning`` (the first full-width colon ends the label). A ``|`` inside an item is
written ``\\|``, a ``：`` inside a component's label ``\\：``, and a backslash ``\\\\``. A cell that a
spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-`` or ``@``) is written after a ``'``,
which the import takes off again. Reading, a file that is not UTF-8 is read as GB18030 (what Excel saves on
a Chinese Windows); ``version`` is read but never written back: it is the exporting KB's count.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

from kb.exchange.model import ImportUnreadable, Record, Row

COLUMNS = ("id", "document", "headword", "full_name", "labels", "definition", "components", "related", "version")
SEPARATOR = "|"
COMPONENT_SEPARATOR = "："
ESCAPE = "\\"
BOM = "\ufeff"
_FORMULA = re.compile(r"'*[=+\-@\t\r]")  # what a spreadsheet would run (OWASP's CSV injection), after any quotes
_GUARDED = re.compile(r"'+[=+\-@\t\r]")


# -- cells --------------------------------------------------------------------------------------------
def escape(text: str, specials: str = SEPARATOR) -> str:
    return "".join(ESCAPE + ch if ch in specials or ch == ESCAPE else ch for ch in text)


def join(items: Iterable[str], specials: str = SEPARATOR) -> str:
    return SEPARATOR.join(escape(item, specials) for item in items)


def split(cell: str, separator: str = SEPARATOR, most: int = -1) -> list[str]:
    """The pieces between unescaped separators, still escaped (``unescape`` each)."""
    pieces, start, index = [], 0, 0
    while index < len(cell):
        if cell[index] == ESCAPE:
            index += 2
            continue
        if cell[index] == separator and most != 0:
            pieces.append(cell[start:index])
            start = index + 1
            most -= 1
        index += 1
    return [*pieces, cell[start:]]


def unescape(piece: str) -> str:
    """``\\|``, ``\\：`` and ``\\\\`` as the characters; any other backslash as it is (a hand-edited file)."""
    return re.sub(r"\\([\\|：])", r"\1", piece)


def guard(cell: str) -> str:
    return "'" + cell if _FORMULA.match(cell) else cell


def unguard(cell: str) -> str:
    return cell[1:] if _GUARDED.match(cell) else cell


def items(cell: str) -> list[str]:
    return [text for piece in split(cell) if (text := unescape(piece).strip())]


def components_of(cell: str) -> list[dict[str, str]] | str:
    """The components a cell lists, or what is wrong with it."""
    found = []
    for number, piece in enumerate(split(cell), start=1):
        if not piece.strip():
            continue
        parts = split(piece, COMPONENT_SEPARATOR, most=1)
        if len(parts) < 2:
            return f"components: item {number} has no “：” between its label and its meaning"
        found.append({"label": unescape(parts[0]).strip(), "meaning": unescape(parts[1]).strip()})
    return found


# -- writing ------------------------------------------------------------------------------------------
def cells(record: Record) -> list[str]:
    parts = [escape(c.label, SEPARATOR + COMPONENT_SEPARATOR) + COMPONENT_SEPARATOR + escape(c.meaning)
             for c in record.components]
    return [record.id, record.document or "", record.headword, record.full_name or "", join(record.label_texts),
            record.definition, SEPARATOR.join(parts), join(record.related), str(record.version)]


def write(records: Iterable[Record]) -> Iterator[bytes]:
    """The header, then a row a record, each as it is made."""
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\r\n")
    out.writerow(COLUMNS)
    yield (BOM + buffer.getvalue()).encode("utf-8")
    for record in records:
        buffer.seek(0)
        buffer.truncate()
        out.writerow([guard(cell) for cell in cells(record)])
        yield buffer.getvalue().encode("utf-8")


# -- reading ------------------------------------------------------------------------------------------
def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        utf8 = error
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        line = data[:utf8.start].count(b"\n") + 1
        raise ImportUnreadable(f"the file is neither UTF-8 nor GB18030 (byte {utf8.start}: {utf8.reason})",
                               line) from None


def read(data: bytes) -> list[Row]:
    reader = csv.reader(io.StringIO(decode(data), newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise ImportUnreadable("the file is empty: a CSV file starts with its header row", 1)
        columns = _columns(header)
        rows, start = [], reader.line_num + 1
        for values in reader:
            if any(value.strip() for value in values):
                rows.append(_row(start, columns, values))
            start = reader.line_num + 1
        return rows
    except csv.Error as error:
        raise ImportUnreadable(f"not CSV: {error}", reader.line_num) from None


def _columns(header: list[str]) -> list[str]:
    names = [name.strip().lower() for name in header]
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        raise ImportUnreadable(f"unknown column {unknown[0]!r} in the header row (kb's columns are: "
                               f"{', '.join(COLUMNS)})", 1)
    twice = [name for name in names if names.count(name) > 1]
    if twice:
        raise ImportUnreadable(f"the header row names the column {twice[0]!r} twice", 1)
    if "id" not in names and "headword" not in names:
        raise ImportUnreadable("the header row has neither an id nor a headword column: which entries are "
                               "these?", 1)
    return names


def _row(line: int, columns: list[str], values: list[str]) -> Row:
    if len(values) != len(columns):
        return Row(line, problem=f"the row has {len(values)} cells; the header row has {len(columns)}")
    cell = {name: unguard(value) for name, value in zip(columns, values, strict=True)}
    fields: dict[str, Any] = {}
    for name in ("headword", "definition"):
        if name in cell:
            fields[name] = cell[name]
    if "full_name" in cell:
        fields["full_name"] = cell["full_name"].strip() or None
    for name in ("labels", "related"):
        if name in cell:
            fields[name] = items(cell[name])
    if "components" in cell:
        parts = components_of(cell["components"])
        if isinstance(parts, str):
            return Row(line, problem=parts)
        fields["components"] = parts
    return Row(line, cell.get("id", "").strip() or None, cell.get("document", "").strip() or None, fields)
