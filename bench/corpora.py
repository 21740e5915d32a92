"""What the benchmarks measure on: the three reports (the default one and the two provincial ones of tests/data),
built into a KB in a temporary folder that is removed afterwards."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.generate import THREE_REPORTS  # noqa: F401 - what the benchmarks import from here
from kb.build import build
from kb.config import Settings


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
