"""Entries out and in: exports as SKOS (Turtle, JSON-LD), TBX-Basic, CSV and JSON Lines, streamed; imports
of CSV, JSON Lines and TBX files, a dry run unless applied (kb.exchange.importing).

One registry of formats (``FORMATS``): each has its media type, file extension, its writer and, for those kb
reads back, its reader. Front ends call ``export`` and ``import_file`` (through KnowledgeBase).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kb.errors import InvalidRequest
from kb.exchange import importing, ndjson, skos, tabular, tbx
from kb.exchange.importing import ImportLabelsTaken
from kb.exchange.model import DEFAULT_BASE_URL, ImportInterrupted, ImportRefused, ImportUnreadable, Row, Scope
from kb.rules import Validate, check_entry
from kb.snapshot import Snapshot
from kb.store import Store

if TYPE_CHECKING:
    from kb.knowledge import KnowledgeBase

__all__ = ["DEFAULT_BASE_URL", "EXPORT_FORMATS", "FORMATS", "IMPORT_FORMATS", "Format", "ImportInterrupted",
           "ImportLabelsTaken", "ImportRefused", "ImportUnreadable", "Validate", "check_entry", "export",
           "format_of_media_type", "format_of_path", "import_file"]


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str  # what an HTTP answer says it is
    extension: str
    write: Callable[[Scope, Store], Iterator[bytes]]
    read: Callable[[bytes], list[Row]] | None = None
    accepts: tuple[str, ...] = ()  # other media types a file of it is sent as


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("skos-turtle", "text/turtle; charset=utf-8", "ttl", lambda scope, store: skos.write_turtle(scope)),
    Format("skos-jsonld", "application/ld+json", "jsonld", lambda scope, store: skos.write_jsonld(scope)),
    Format("tbx", "application/x-tbx+xml", "tbx", tbx.write, tbx.read, ("application/xml", "text/xml")),
    Format("csv", "text/csv; charset=utf-8", "csv", lambda scope, store: tabular.write(scope.records()),
           tabular.read, ("application/csv",)),
    Format("jsonl", "application/x-ndjson", "jsonl", lambda scope, store: ndjson.write(scope, scope.entries),
           ndjson.read, ("application/jsonl", "application/json-lines", "application/x-jsonlines")),
)}
EXPORT_FORMATS = tuple(FORMATS)
IMPORT_FORMATS = tuple(name for name, f in FORMATS.items() if f.read is not None)
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".tbx": "tbx", ".xml": "tbx"}


def _format(name: str, choices: tuple[str, ...]) -> Format:
    if name not in choices:
        raise InvalidRequest("format", f"{name!r} is not a format kb knows here; one of {', '.join(choices)}")
    return FORMATS[name]


def export(snap: Snapshot, store: Store, format: str, document: str | None = None,
           base_url: str = DEFAULT_BASE_URL) -> Iterator[bytes]:
    """The entries (of ``document``) of ``snap`` as a file of ``format``, a piece at a time. The format and the
    document are checked now (InvalidRequest, NotFound), before the first piece is made."""
    chosen = _format(format, EXPORT_FORMATS)
    scope = Scope.of(snap, base_url or DEFAULT_BASE_URL, document)
    return chosen.write(scope, store)


def format_of_media_type(media_type: str | None) -> str | None:
    """The import format a Content-Type names (its parameters aside), if any."""
    wanted = (media_type or "").split(";")[0].strip().lower()
    for name in IMPORT_FORMATS:
        found = FORMATS[name]
        if wanted and wanted in (found.media_type.split(";")[0], *found.accepts):
            return name
    return None


def format_of_path(path: str) -> str | None:
    suffix = path[path.rfind("."):].lower() if "." in path else ""
    return _SUFFIXES.get(suffix)


def read(format: str, data: bytes) -> list[Row]:
    reader = _format(format, IMPORT_FORMATS).read
    assert reader is not None
    if not data.strip():
        raise ImportUnreadable("the file is empty")
    return reader(data)


def import_file(kb: KnowledgeBase, data: bytes, format: str, author: str, apply: bool = False,
                allow_shared_labels: bool = False, note: str | None = None,
                validate: Validate = check_entry) -> dict[str, Any]:
    """Import a file into ``kb``: the report of a dry run, or (``apply``) of the writes it made."""
    rows = read(format, data)
    found = importing.plan(kb.current(), rows, format, validate)
    if not apply:
        return found.report(revision=kb.revision)
    return importing.apply(kb, found, author, note, allow_shared_labels)
