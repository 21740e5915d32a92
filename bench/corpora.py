"""What the benchmarks measure on: the three reports (the default one and the two provincial ones of tests/data),
built into a KB in a temporary folder that is removed afterwards."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kb.build import build
from kb.config import Settings

ROOT = Path(__file__).resolve().parent.parent
THREE_REPORTS = [ROOT / "corpus" / "qingcheng-2024.txt", ROOT / "tests" / "data" / "sichuan-2026.txt",
                 ROOT / "tests" / "data" / "jiangxi-2026.txt"]


@contextmanager
def built(reports: list[Path], prefix: str) -> Iterator[Settings]:
    """The settings of a KB built from copies of ``reports``, for as long as the block runs."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        corpus = work / "corpus"
        corpus.mkdir()
        for report in reports:
            shutil.copy(report, corpus / report.name)
        settings = Settings.from_env({}, corpus_dir=corpus, data_dir=work / "var")
        build(settings)
        yield settings
    finally:
        shutil.rmtree(work, ignore_errors=True)
