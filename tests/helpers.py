"""Helpers the tests share: the one error shape, a JSON answer, a token, a free port, a served KB, where a text
quotes a name."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

from api.schemas import ProblemSchema
from kb import tokens
from kb.store import Store, make_engine

PROBLEM = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail"}


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def assert_problem(response, status: int) -> dict:
    """The one error shape (RFC 9457): problem+json with type, title, status and detail, nothing leaked."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, text[:2000]
    assert response.mimetype == PROBLEM
    body = json.loads(text)
    assert PROBLEM_KEYS <= set(body) <= set(ProblemSchema().fields)
    assert isinstance(body["type"], str) and body["type"]
    assert body["title"] == HTTPStatus(status).phrase
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in text and 'File "' not in text and "\\u" not in text
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return body


def new_token(database_url: str, name: str, role: str = "editor") -> str:
    """The secret of a new token ``name`` in the store at ``database_url``."""
    store = Store(make_engine(database_url))
    try:
        return tokens.create(store, name, role)
    finally:
        store.engine.dispose()


def bearer(database_url: str, name: str, role: str = "editor") -> dict[str, str]:
    """The Authorization header of a new token (``new_token``)."""
    return {"Authorization": f"Bearer {new_token(database_url, name, role)}"}


def kb_env(monkeypatch, settings) -> None:
    """The environment of a `kb` command (or server) that works on ``settings``'s KB."""
    monkeypatch.setenv("KB_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("KB_DATA_DIR", str(settings.data_dir))
    if settings.database_url.startswith("sqlite"):
        monkeypatch.delenv("KB_DATABASE_URL", raising=False)  # the data dir's file
    else:
        monkeypatch.setenv("KB_DATABASE_URL", settings.database_url)


def server_env(corpus_dir: Path, data_dir: Path, database_url: str = "") -> dict[str, str]:
    """The environment of a server of the KB in ``data_dir`` and ``database_url`` (else its SQLite file)."""
    env = {**os.environ, "KB_CORPUS_DIR": str(corpus_dir), "KB_DATA_DIR": str(data_dir)}
    env.pop("KB_DATABASE_URL", None)
    if database_url:
        env["KB_DATABASE_URL"] = database_url
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


GUNICORN_CONF = Path(__file__).resolve().parent.parent / "api" / "gunicorn_conf.py"


@dataclass(frozen=True)
class Served:
    """A running gunicorn: its base URL, its master process and the file its output goes to."""

    base: str
    process: subprocess.Popen
    log: Path


@contextlib.contextmanager
def served(corpus_dir: Path, data_dir: Path, log: Path, workers: int = 2, env: dict[str, str] | None = None,
           database_url: str = "") -> Iterator[Served]:
    """gunicorn serving the KB in ``data_dir`` (and ``database_url``, else the data dir's SQLite file) as `make
    run` does (api/gunicorn_conf.py, preloaded), on a free port, with ``env`` added to the environment, once
    /healthz answers (within a generous deadline); stopped with its workers afterwards (unless it stopped
    already)."""
    root = Path(__file__).resolve().parent.parent
    port = free_port()
    env = {**server_env(corpus_dir, data_dir, database_url), **(env or {})}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # the config makes a metrics dir of its own
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", str(GUNICORN_CONF), "--workers", str(workers),
             "--bind", f"127.0.0.1:{port}", "api:create_app()"],
            cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
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
                        raise AssertionError(f"the server did not start; see {log}") from None
                    time.sleep(0.3)
            yield Served(base, server, log)
        finally:
            with contextlib.suppress(ProcessLookupError):  # unless a test killed it already
                os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


@contextlib.contextmanager
def gunicorn(corpus_dir: Path, data_dir: Path, log: Path, workers: int = 2, database_url: str = "") -> Iterator[str]:
    """``served``, for tests that need only its base URL."""
    with served(corpus_dir, data_dir, log, workers, database_url=database_url) as server:
        yield server.base


QUOTES = {"“": "”", "‘": "’", "《": "》", "「": "」"}


def quoted_names(text: str) -> list[tuple[int, int]]:
    """Where the text of each short quoted name (no sentence or clause mark inside) starts and ends."""
    found = []
    for start, ch in enumerate(text):
        if ch in QUOTES:
            limit = 30 if ch == "《" else 20
            end = next((i for i in range(start + 1, min(len(text), start + limit + 2))
                        if text[i] in (QUOTES[ch], ch) or text[i] in "。；！？，："), None)
            if end is not None and end > start + 1 and text[end] == QUOTES[ch]:
                found.append((start + 1, end))
    return found


def crosses_a_quoted_name(text: str, start: int, end: int) -> bool:
    return any(a < start < b < end or start < a < end < b for a, b in quoted_names(text))
