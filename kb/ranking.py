"""How entries are ranked when one label names several: by label kind, then the newest document."""

from __future__ import annotations

# How well a label kind names an entry: a headword beats a core, a core beats a full name, and so on.
KIND_RANK = {"headword": 0, "core": 1, "full_name": 2, "alias": 3, "component": 4}


def newest_first(date: str | None) -> str:
    """A sort key that puts newer dates first and undated last."""
    if not date:
        return "~"
    return "".join(chr(ord("9") - ord(c) + ord("0")) if c.isdigit() else c for c in date)
