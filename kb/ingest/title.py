"""Which report a document is: its title and the date it was given, from the lines above the speech."""

from __future__ import annotations

import re

from kb.ingest.lines import Line
from kb.ingest.text import compact, fix_spacing

_DATE_SPOKEN = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日在")
_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日|(\d{4})-(\d{2})-(\d{2})")
# "——2024年2月3日在清远市清城区第九届人民代表大会…", "在博野县十八届人民代表大会…": the place that heard it.
_PLACE = re.compile(r"在([\u4e00-\u9fff]{2,20}?)第?[一二三四五六七八九十百\d]+届人民代表大会")
_TITLE = re.compile(r"报告(?:[（(][^）)]{1,10}[）)])?$")  # "某某县2024年政府工作报告（全文）" too
_GENERIC = {"报告", "工作报告", "政府工作报告"}


def title_of(header: list[Line], date: str | None) -> str | None:
    """The report's title: the header's most specific line ending in 报告 ("保定市满城区2020年政府工作报告", not the
    site's breadcrumb "工作报告"); a bare "政府工作报告" gains the place and year the header names."""
    titles = [fix_spacing(line.text) for line in header if _TITLE.search(compact(line.text))]
    if not titles:
        return None
    best = max(titles, key=lambda t: len(compact(t)))
    if compact(best) not in _GENERIC:
        return best
    place = _PLACE.search("".join(compact(line.text) for line in header))
    if place is None:
        return compact(best)
    year = f"{date[:4]}年" if date else ""
    return f"{place.group(1)}{year}{compact(best)}"


def date_of(header: list[Line]) -> str | None:
    """The date the report was given ("2024年 2月 3日在…"), else the first date in the header."""
    text = "\n".join(compact(line.text) for line in header)
    match = _DATE_SPOKEN.search(text)
    if match:
        return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}-{int(match.group(3)):02d}"
    match = _DATE.search(text)
    if not match:
        return None
    y, m, d = (match.group(1), match.group(2), match.group(3)) if match.group(1) else match.group(4, 5, 6)
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"
