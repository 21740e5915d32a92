"""A corpus for benchmarks: the real reports, copied under new ids and years, as many as asked.

    python bench/generate.py N OUT_DIR [--three]

Copy ``i`` is of report ``i mod R`` (the three reports of the default corpus and tests/data first, then the
county reports), its ``k = i div R``-th copy. A report named ``PLACE-YEAR`` is given the year ``YEAR - 1 - k
mod 100`` (an earlier year, as the same place's earlier reports would be): its id becomes ``PLACE-YEAR'``
(``PLACEr-YEAR'`` from the ``r``-th hundred copies on, so that every id stays distinct) and every ``YEAR`` of
its header (the lines above the salutation 各位代表, where kb reads the title and date) becomes ``YEAR'``. The
rest of the text is as printed, so that a copy parses as the report does (the same passages, entries and
warnings), yet no two documents have the same id, title and date. Deterministic: the same N gives the same
files, byte for byte.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THREE_REPORTS = [ROOT / "corpus" / "qingcheng-2024.txt", ROOT / "tests" / "data" / "sichuan-2026.txt",
                 ROOT / "tests" / "data" / "jiangxi-2026.txt"]
COUNTY_REPORTS = sorted(p for p in (ROOT / "tests" / "data" / "counties").iterdir()
                        if p.suffix.lower() in (".txt", ".html", ".htm"))
REPORTS = [*THREE_REPORTS, *COUNTY_REPORTS]
YEARS = 100  # distinct years a report is copied under before the ids take a round number

_NAMED = re.compile(r"^(?P<place>.+)-(?P<year>\d{4})$")
_SALUTATION = re.compile(r"^[ \t\u3000]*各位(代表|委员)", re.M)  # kb's header ends there (kb.ingest.text)


def copy_name(report: Path, k: int) -> tuple[str, str | None, str | None]:
    """The id of the ``k``-th copy of ``report``, with the year it replaces and the year it puts instead."""
    named = _NAMED.match(report.stem)
    if named is None:  # no year in the name: a copy number only
        return f"{report.stem}-{k + 1}", None, None
    year = str(int(named["year"]) - 1 - k % YEARS)
    round_ = f"r{k // YEARS}" if k >= YEARS else ""
    return f"{named['place']}{round_}-{year}", named["year"], year


def _decode(data: bytes) -> tuple[str, str]:
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ValueError("neither UTF-8 nor GB18030")


def copy_text(text: str, old_year: str | None, new_year: str | None) -> str:
    """``text`` with ``old_year`` as ``new_year`` in its header (above the salutation), the rest untouched."""
    if old_year is None or new_year is None:
        return text
    salutation = _SALUTATION.search(text)
    if salutation is None:  # no header kb would read: the text as is
        return text
    header = re.sub(rf"(?<!\d){old_year}(?!\d)", new_year, text[:salutation.start()])
    return header + text[salutation.start():]


def generate(count: int, into: Path, reports: Sequence[Path] = REPORTS) -> list[Path]:
    """Write ``count`` copies of ``reports`` into ``into`` (made if need be); the files, in copy order."""
    into.mkdir(parents=True, exist_ok=True)
    sources = {report: _decode(report.read_bytes()) for report in reports[:count]}
    written = []
    for i in range(count):
        report = reports[i % len(reports)]
        doc_id, old_year, new_year = copy_name(report, i // len(reports))
        text, encoding = sources[report]
        target = into / f"{doc_id}{report.suffix}"
        target.write_bytes(copy_text(text, old_year, new_year).encode(encoding))
        written.append(target)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int, help="documents to write")
    parser.add_argument("out_dir", type=Path, help="where (made if need be)")
    parser.add_argument("--three", action="store_true", help="copies of the three large reports only")
    args = parser.parse_args()
    written = generate(args.count, args.out_dir, THREE_REPORTS if args.three else REPORTS)
    print(f"{len(written)} documents in {args.out_dir}")


if __name__ == "__main__":
    main()
