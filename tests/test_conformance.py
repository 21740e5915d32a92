"""The served OpenAPI document holds: schemathesis (from PyPI) fuzzes every operation against the real server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kb import tokens
from kb.store import Store, make_engine
from tests.helpers import gunicorn

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CONFIG = Path(__file__).with_name("schemathesis.toml")  # what the API answers that a schema cannot say


@pytest.fixture(scope="module")
def served(settings, tmp_path_factory):
    """gunicorn serving a copy of the session KB (three reports) with two workers, as `make run` does,
    and an admin's token: schemathesis writes too, so it gets a KB of its own."""
    data_dir = tmp_path_factory.mktemp("conformance") / "var"
    shutil.copytree(settings.data_dir, data_dir)
    token = tokens.create(Store(make_engine(f"sqlite:///{data_dir / 'kb.sqlite'}")), "schemathesis", "admin")
    with gunicorn(settings.corpus_dir, data_dir, tmp_path_factory.mktemp("server") / "gunicorn.log") as base:
        yield base, token


def test_schemathesis_finds_no_server_error_and_no_broken_contract(served, tmp_path):
    schemathesis = shutil.which("schemathesis", path=str(BIN)) or shutil.which("schemathesis")
    assert schemathesis, "schemathesis is in the test extra of setup.cfg"
    base, token = served
    run = subprocess.run(
        [schemathesis, "--config-file", str(CONFIG), "run", f"{base}/openapi.json", "--checks", "all",
         "--max-examples", "25", "--seed", "2024", "--report-dir", str(tmp_path),
         "-H", f"Authorization: Bearer {token}"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "NO_COLOR": "1"})
    summary = run.stdout[run.stdout.find("FAILURES"):] if "FAILURES" in run.stdout else run.stdout[-4000:]
    assert run.returncode == 0, summary
    assert "Failures:" not in run.stdout and "Errors:" not in run.stdout, summary
    assert "Authentication failed" not in run.stdout, summary  # the writes were exercised, not just refused
