"""The served OpenAPI document holds: schemathesis (from PyPI) fuzzes every operation against the real server."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served(settings, tmp_path_factory):
    """gunicorn serving the session KB (three reports) with two workers, as `make run` does."""
    port = free_port()
    env = {**os.environ, "KB_CORPUS_DIR": str(settings.corpus_dir), "KB_DATA_DIR": str(settings.data_dir)}
    env.pop("KB_DATABASE_URL", None)
    log = (tmp_path_factory.mktemp("server") / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--preload", "--workers", "2", "--bind", f"127.0.0.1:{port}", "api:create_app()"],
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
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def test_schemathesis_finds_no_server_error_and_no_broken_contract(served, tmp_path):
    schemathesis = shutil.which("schemathesis", path=str(BIN)) or shutil.which("schemathesis")
    assert schemathesis, "schemathesis is in the test extra of setup.cfg"
    run = subprocess.run(
        [schemathesis, "run", f"{served}/openapi.json", "--checks", "all", "--max-examples", "25",
         "--seed", "2024", "--report-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, env={**os.environ, "NO_COLOR": "1"})
    summary = run.stdout[-3000:]
    assert run.returncode == 0, summary
    assert " passed" in summary and "failed" not in summary.split("SUMMARY")[-1], summary
