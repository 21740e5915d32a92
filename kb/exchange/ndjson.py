"""JSON Lines: one entry a line, in the API's entry shape (GET /entries/{id} without its passages) and its
``version``; and the rows of such a file read back (UTF-8; a line that is not a JSON object is a row in error).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from kb.exchange.model import ImportUnreadable, Row, Scope
from kb.model import Entry
from kb.views import entry_view

# the keys of the API's entry shape (and of /entries/{id}?revision=N, /terms/{term}): read or let be
SHAPE = frozenset({"id", "number", "headword", "definition", "full_name", "page", "labels", "components", "related",
                   "document", "version", "passages", "passages_total", "passages_next_cursor", "revision",
                   "deleted", "match"})
FIELDS = ("headword", "definition", "full_name", "labels", "components", "related")


def line_of(scope: Scope, entry: Entry) -> dict[str, Any]:
    """The entry as the API shows it, with its version. An entry whose document this KB does not have (an
    import brought it) keeps that document's id: title and date are the KB's to say, and it has none."""
    line = entry_view(scope.snapshot, entry, with_passages=False)
    if line["document"] is None and entry.document is not None:
        line["document"] = {"id": entry.document, "title": None, "date": None}
    line["version"] = scope.snapshot.versions.get(entry.id, 0)
    return line


def write(scope: Scope, entries: Iterable[Entry]) -> Iterator[bytes]:
    for entry in entries:
        yield (json.dumps(line_of(scope, entry), ensure_ascii=False) + "\n").encode("utf-8")


def read(data: bytes) -> list[Row]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportUnreadable(f"JSON Lines are UTF-8; this file is not (byte {error.start}: {error.reason})",
                               data[:error.start].count(b"\n") + 1) from None
    # lines end at "\n" only: JSON may hold U+2028 and the like unescaped, which str.splitlines would cut at
    return [_row(number, line) for number, line in enumerate(text.split("\n"), start=1) if line.strip()]


def _row(line: int, text: str) -> Row:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return Row(line, problem=f"not JSON: {error.msg} at column {error.colno}")
    except RecursionError:
        return Row(line, problem="not JSON that can be read: it is nested too deeply")
    if not isinstance(value, dict):
        return Row(line, problem="not a JSON object: a line holds one entry, {\"headword\": …, …}")
    unknown = sorted(key for key in value if key not in SHAPE)
    if unknown:
        return Row(line, problem=f"unknown field {unknown[0]!r} (an entry's fields are: {', '.join(sorted(SHAPE))})")
    entry_id, document = value.get("id"), value.get("document")
    if isinstance(document, dict):
        document = document.get("id")
    for name, given in (("id", entry_id), ("document", document)):
        if given is not None and not isinstance(given, str):
            return Row(line, problem=f"{name}: not a string (an id, or null)")
    fields = {name: value[name] for name in FIELDS if name in value}
    if isinstance(fields.get("related"), list):  # the shape's {"id": …, "headword": …}, or ids
        fields["related"] = [r.get("id") if isinstance(r, dict) else r for r in fields["related"]]
    return Row(line, entry_id or None, document or None, fields)
