"""Pages of a listing: a limit and a cursor, documented as a pattern and passed back as it is. A listing pages
by offset (``o<offset>``), or by keyset (the sort key and id of the page's last item: search's score and
hit), so that a write between two pages neither repeats nor skips an item."""

from __future__ import annotations

import re

from kb.errors import InvalidRequest

MAX_LIMIT = 100
CURSOR_PATTERN = r"o[0-9]{1,9}"  # what next_cursor looks like: clients pass it back as it is
# a keyset next_cursor: 8 hex digits of a sort key (search's: a score), then an id as hex UTF-8 (opaque to clients)
KEYSET_CURSOR_PATTERN = r"[0-9a-f]{8}(?:[0-9a-f]{2}){1,400}"


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


def encode_keyset(score: int, ident: str) -> str:
    """The cursor of the page after an item of sort key ``score`` (an integer, 0 to 2**32 - 1) and id ``ident``."""
    return f"{score:08x}{ident.encode().hex()}"


def decode_keyset(cursor: str | None) -> tuple[int, str] | None:
    """(score, id) a keyset cursor stands for, None for the first page; a cursor kb did not make is an
    InvalidRequest. Any string of the documented pattern is a cursor: a place in the ranking, whether or not
    an item stands there (the id of bytes that are not UTF-8 keeps them as surrogates, and still sorts)."""
    if not cursor:
        return None
    if not re.fullmatch(KEYSET_CURSOR_PATTERN, cursor):
        raise InvalidRequest("cursor", "is not a cursor this service gave out")
    return int(cursor[:8], 16), bytes.fromhex(cursor[8:]).decode("utf-8", "surrogateescape")
