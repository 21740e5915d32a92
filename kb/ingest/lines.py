"""A report's text as numbered lines: the unit every stage works on, so each warning can name its line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Line:
    number: int
    text: str


def lines_of(text: str) -> list[Line]:
    return [Line(number, raw) for number, raw in enumerate(text.splitlines(), start=1)]
