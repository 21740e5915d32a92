"""The served OpenAPI document holds: schemathesis (from PyPI) fuzzes every operation against the real server."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from kb import tokens
from kb.store import Store, make_engine
from tests.helpers import free_port

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
    port = free_port()
    env = {**os.environ, "KB_CORPUS_DIR": str(settings.corpus_dir), "KB_DATA_DIR": str(data_dir)}
    env.pop("KB_DATABASE_URL", None)
    log = (tmp_path_factory.mktemp("server") / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--preload", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--limit-request-line", "8190", "api:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"the server did not start; see {log.name}") from None
                time.sleep(0.3)
        yield base, token
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


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
