"""Several nodes, one store: two gunicorn servers, each with a data dir (search index) of its own, on one store
(PostgreSQL when KB_TEST_STORE=postgres, where they follow it by LISTEN/NOTIFY; else one SQLite file, where
they poll it). An edit on either is served, found and linked on the other within 2 s; a node killed with
SIGKILL and started again catches up; a new node builds its index from the store."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import quote

from kb import tokens
from kb.build import build
from kb.store import Store, make_engine
from tests.conftest import make_settings
from tests.helpers import served
from tests.reports import MINI, MINI_ID

WITHIN_S = 2.0  # the promise: an edit on one node is served by every other within 2 s
ENTRY = f"{MINI_ID}:1"  # 百千万工程


def call(base: str, method: str, path: str, body: dict | None = None, headers: dict | None = None):
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(base + path, data=data, method=method, headers={
        **({"Content-Type": "application/json"} if data else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


def within(deadline_s: float, seen: Callable[[], bool]) -> float:
    """How long until ``seen()`` holds, polling; fails past the deadline."""
    start = time.monotonic()
    while not seen():
        assert time.monotonic() - start < deadline_s, f"not seen within {deadline_s} s"
        time.sleep(0.05)
    return time.monotonic() - start


def edit(base: str, auth: dict, changes: dict) -> None:
    status, headers, _ = call(base, "GET", f"/entries/{quote(ENTRY)}")
    etag = next(v for k, v in headers.items() if k.lower() == "etag")
    status, _, body = call(base, "PATCH", f"/entries/{quote(ENTRY)}", changes, {**auth, "If-Match": etag})
    assert status == 200, body


def serves(base: str, word: str, label: str | None = None) -> Callable[[], bool]:
    """Whether the node at ``base`` serves the entry with ``word`` in its definition, finds it by ``word``,
    and links ``label`` in a message."""
    def check() -> bool:
        status, _, entry = call(base, "GET", f"/entries/{quote(ENTRY)}")
        if status != 200 or word not in entry["definition"]:
            return False
        _, _, found = call(base, "GET", f"/search?q={quote(word)}")
        if ENTRY not in {hit["id"] for hit in found["hits"]}:
            return False
        if label is None:
            return True
        _, _, linked = call(base, "POST", "/link", {"text": f"消息里提到{label}。"})
        return any(link["id"] == ENTRY for link in linked["links"])
    return check


def test_two_nodes_on_one_store(tmp_path):
    settings = make_settings(tmp_path / "a", {MINI_ID: MINI})
    build(settings)
    store = Store(make_engine(settings.database_url))
    auth = {"Authorization": f"Bearer {tokens.create(store, 'alice', 'editor')}"}
    store.engine.dispose()
    b_data = tmp_path / "b" / "var"  # node b starts with nothing: it builds its index from the store
    node = {"a": lambda: served(settings.corpus_dir, settings.data_dir, tmp_path / "a.log",
                                database_url=settings.database_url),
            "b": lambda: served(settings.corpus_dir, b_data, tmp_path / "b.log",
                                database_url=settings.database_url)}
    with node["a"]() as served_a, node["b"]() as served_b:
        a, b = served_a.base, served_b.base
        assert (b_data / "index").is_dir()
        assert serves(b, "百县千镇万村")()  # the corpus, found on b from its own index
        edit(a, auth, {"definition": "节点甲写的释义：暗号甲一。", "labels": ["甲乙联动"]})
        taken = {"a -> b": within(WITHIN_S, serves(b, "暗号甲一", "甲乙联动"))}
        edit(b, auth, {"definition": "节点乙写的释义：暗号乙二。"})
        taken["b -> a"] = within(WITHIN_S, serves(a, "暗号乙二", "甲乙联动"))
        assert serves(b, "暗号乙二")()  # and b itself, at once

        os.killpg(served_b.process.pid, signal.SIGKILL)  # no goodbye: no index flush, no signal
        served_b.process.wait(timeout=30)
        edit(a, auth, {"definition": "节点乙不在时写的：暗号丙三。"})
        with node["b"]() as again:
            b_again = again.base
            taken["after SIGKILL"] = within(WITHIN_S, serves(b_again, "暗号丙三", "甲乙联动"))
            edit(b_again, auth, {"definition": "节点乙回来后写的：暗号丁四。"})
            taken["b again -> a"] = within(WITHIN_S, serves(a, "暗号丁四"))
    print(f"seen on the other node after: {taken}")
