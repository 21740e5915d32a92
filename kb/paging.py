"""Pages of a listing: a limit and a cursor (``o<offset>``, documented as a pattern, passed back as it is)."""

from __future__ import annotations

import re

from kb.errors import InvalidRequest

MAX_LIMIT = 100
CURSOR_PATTERN = r"o[0-9]{1,9}"  # what next_cursor looks like: clients pass it back as it is


def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest("limit", f"must be between 1 and {MAX_LIMIT}")


def page(items: list, limit: int, cursor: str | None) -> tuple[list, str | None]:
    """One page of ``items`` from a cursor, and the cursor of the next page (None at the end)."""
    offset = decode_cursor(cursor)
    following = offset + limit
    return items[offset:following], (encode_cursor(following) if following < len(items) else None)


def encode_cursor(offset: int) -> str:
    return f"o{offset}"


def decode_cursor(cursor: str | None) -> int:
    """The offset a cursor stands for; a cursor kb did not make is an InvalidRequest. Any string of the
    documented pattern is a cursor (past the end, it gives an empty page)."""
    if not cursor:
        return 0
    if not re.fullmatch(CURSOR_PATTERN, cursor):
        raise InvalidRequest("cursor", "is not a cursor this service gave out")
    return int(cursor[1:])
