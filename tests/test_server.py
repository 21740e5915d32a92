"""End to end: `make run` builds a KB from a corpus and serves the API with gunicorn; a client talks HTTP to it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

from kb.config import Settings
from kb.knowledge import KnowledgeBase
from tests.conftest import ROOT
from tests.helpers import free_port

START_TIMEOUT = 60  # seconds: the build of one report, jieba's dictionary, two workers
# A second report added while the server runs: its entry must show in every worker at once.
NEW_TERM = "青禾智链"
ADDED = f"""2025年某某区政府工作报告
——2025年1月10日在某某区人民代表大会上
各位代表：
一、2024年工作回顾
过去一年，我们打造{NEW_TERM}示范区［1］。
名词解释
1.{NEW_TERM}：指依托数字平台建设的农业产业链协同示范项目。
"""


def call(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    """Status, headers and body of one request; an error status is an answer too, not an exception."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def wait_until_healthy(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if call(f"{base}/healthz")[0] == 200:
                return
        except OSError:  # not listening yet
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"`make run` did not serve within {START_TIMEOUT} s:\n"
                                 + log.read_text(encoding="utf-8", errors="replace")[-3000:])
        time.sleep(0.25)


def stop(server: subprocess.Popen) -> None:
    """End make, gunicorn's master and its workers: the whole process group, and wait until it is gone."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    server.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(server.pid, 0)  # gunicorn may outlive make for a moment while its workers stop
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(server.pid, signal.SIGKILL)


def test_make_run_serves_the_api_over_http(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    settings = Settings.from_env({}, corpus_dir=corpus, data_dir=tmp_path / "var")
    port = free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "KB_CORPUS_DIR": str(corpus),
           "KB_DATA_DIR": str(settings.data_dir), "KB_WORKERS": "2"}
    env.pop("KB_DATABASE_URL", None)
    log = tmp_path / "server.log"
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        server = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        wait_until_healthy(base, server, log)
        kb = KnowledgeBase.open(settings)  # what `make run` built: the expected answers come from it
        try:
            status, _, body = call(f"{base}/healthz")
            assert json.loads(body) == {"status": "ok", "revision": kb.revision,
                                        "documents": len(kb.documents()), "entries": len(kb.entries())}

            status, headers, body = call(f"{base}/terms/{quote('３＋２', safe='+')}")
            assert status == 200 and headers["Content-Type"] == "application/json"
            assert json.loads(body) == kb.lookup("３＋２")
            assert "“3+2”产业集群".encode() in body and b"\\u" not in body
            assert headers["Cache-Control"] and headers["Access-Control-Allow-Origin"] == "*"
            etag = headers["ETag"]
            status, headers, body = call(f"{base}/terms/{quote('３＋２', safe='+')}", headers={"If-None-Match": etag})
            assert (status, body, headers["ETag"]) == (304, b"", etag)

            status, headers, body = call(f"{base}/terms/{quote('百千万')}")
            problem = json.loads(body)
            assert status == 404 and headers["Content-Type"] == "application/problem+json"
            assert {"type", "title", "status", "detail"} <= set(problem) and problem["status"] == 404
            assert "百千万工程" in problem["suggestions"] and problem["suggestions"] == kb.suggest("百千万")

            status, headers, body = call(f"{base}/nowhere", method="POST")
            assert status == 404 and headers["Content-Type"] == "application/problem+json"
            assert b"Traceback" not in body

            status, headers, _ = call(f"{base}/search?q=3%2B2", method="OPTIONS", headers={
                "Origin": "https://reader.example", "Access-Control-Request-Method": "GET"})
            assert status in (200, 204) and "GET" in headers["Access-Control-Allow-Methods"]
            status, _, body = call(f"{base}/search?q=3%2B2&limit=3")
            assert status == 200 and json.loads(body) == kb.search("3+2", limit=3)

            status, _, body = call(f"{base}/openapi.json")
            assert status == 200 and "/terms/{term}" in json.loads(body)["paths"]

            status, headers, body = call(f"{base}/readyz", headers={"X-Request-Id": "make-run-1"})
            assert status == 200 and json.loads(body)["index_revision"] == kb.revision
            assert headers["X-Request-Id"] == "make-run-1"
            status, _, body = call(f"{base}/metrics")
            assert status == 200 and f"kb_store_revision {float(kb.revision)}" in body.decode()
        finally:
            kb.close()

        # Another process rebuilds with one more report: every worker answers from the new KB at once.
        (corpus / "added-2025.txt").write_text(ADDED, encoding="utf-8")
        subprocess.run([str(Path(sys.executable).parent / "kb"), "build"], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=120)
        kb = KnowledgeBase.open(settings)
        try:
            for _ in range(8):  # the two workers take turns as they accept
                status, _, body = call(f"{base}/terms/{quote(NEW_TERM)}")
                assert status == 200 and json.loads(body) == kb.lookup(NEW_TERM)
                assert json.loads(call(f"{base}/healthz")[2])["revision"] == kb.revision
        finally:
            kb.close()
    finally:
        stop(server)
