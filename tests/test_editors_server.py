"""Editors' writes against the real server (gunicorn, preloaded, three sync workers): no lost update under
concurrent If-Match edits, every write visible on every worker within a second, acknowledged writes survive a
SIGKILL in the middle of a burst (the index is repaired at the next start), and edits outlive a restart and
`kb build`. HTTP is the standard library's; every new connection may land on any worker."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from kb import editing
from kb.build import build
from kb.config import Settings
from kb.knowledge import KnowledgeBase
from kb.store import Store, edits, make_engine, revisions
from tests.conftest import ROOT, make_settings
from tests.helpers import bearer, free_port, server_env
from tests.reports import MINI, MINI_CHANGED, MINI_ID, NEW_TERM

BIN = Path(sys.executable).parent
WORKERS = 3
START_TIMEOUT_S = 60
REQUEST_TIMEOUT_S = 15
VISIBLE_WITHIN_S = 1.0
ACCESS_FORMAT = "%(p)s %({x-probe}i)s %(m)s %(s)s"  # worker pid ("<123>"), the probe's id, method, status
MARKER = re.compile(r"\[c\d+-\d+\]")


# -- a server in its own process group, and HTTP over a fresh connection per request ----------------------
@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


def alive_in_group(pgid: int) -> list[int]:
    """Processes of the group that are not zombies (a container's init may be slow to reap them)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        state, _, pgrp = stat[stat.rindex(")") + 2:].split()[:3]
        if int(pgrp) == pgid and state not in "ZX":
            found.append(int(proc.name))
    return found


class Server:
    """gunicorn serving ``settings`` with three preloaded sync workers on a free port."""

    def __init__(self, settings: Settings, logs: Path, name: str):
        self.settings = settings
        self.port = free_port()
        self.log = logs / f"{name}.log"
        self.access = logs / f"{name}.access.log"
        env = server_env(settings.corpus_dir, settings.data_dir, settings.database_url)
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "--preload", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{self.port}",
                 "--limit-request-line", "8190", "--access-logfile", str(self.access),
                 "--access-logformat", ACCESS_FORMAT, "api:create_app()"],
                cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        self.pgid = self.process.pid

    def call(self, method: str, path: str, body: dict | None = None, headers: dict[str, str] | None = None,
             probe: str = "-") -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S)
        try:
            data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
            sent = {"Connection": "close", "X-Probe": probe, **(headers or {})}
            if data is not None:
                sent["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                if self.call("GET", "/healthz").status == 200 and len(self.workers()) == WORKERS:
                    return
            except OSError:  # not listening yet
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the server did not start within {START_TIMEOUT_S} s:\n{self.tail()}")
            time.sleep(0.2)

    def workers(self) -> set[int]:
        return set(alive_in_group(self.pgid)) - {self.pgid}

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]

    def probe_pids(self, probes: set[str]) -> dict[str, int]:
        """Which worker answered each probe, from the access log (a worker logs after it has answered)."""
        deadline = time.monotonic() + 5
        while True:
            found = {}
            for line in self.access.read_text(encoding="utf-8", errors="replace").splitlines():
                match = re.match(r"<(\d+)> (\S+) ", line)
                if match and match.group(2) in probes:
                    found[match.group(2)] = int(match.group(1))
            if len(found) == len(probes) or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def assert_clean_log(self) -> None:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        for bad in ("Traceback", "WORKER TIMEOUT", "Worker exiting", "was sent SIGKILL"):
            assert bad not in text, f"{bad!r} in the server log:\n{self.tail()}"

    def wait_gone(self, signum: int, grace_s: float) -> None:
        """Send ``signum`` to the whole group and wait until every process of it is gone (SIGKILL at the end)."""
        try:
            os.killpg(self.pgid, signum)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace_s
        while alive_in_group(self.pgid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if alive_in_group(self.pgid):
            os.killpg(self.pgid, signal.SIGKILL)
        self.process.wait(timeout=10)


@contextmanager
def serving(settings: Settings, logs: Path, name: str) -> Iterator[Server]:
    server = Server(settings, logs, name)
    try:
        server.wait_healthy()
        yield server
    finally:
        server.wait_gone(signal.SIGTERM, grace_s=30)


def mini_kb(base: Path, token_name: str) -> tuple[Settings, dict[str, str]]:
    """A KB built from the MINI report, and the Authorization header of a new editor's token."""
    settings = make_settings(base, {MINI_ID: MINI})
    build(settings)
    return settings, bearer(settings.database_url, token_name)


def store_revision(settings: Settings) -> int:
    store = Store(make_engine(settings.database_url))
    try:
        return int(store.info()["revision"])
    finally:
        store.engine.dispose()


def term_path(label: str) -> str:
    return f"/terms/{quote(label, safe='')}"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    settings, auth = mini_kb(tmp_path_factory.mktemp("served"), "concurrent-editor")
    with serving(settings, tmp_path_factory.mktemp("logs"), "served") as server:
        yield server, auth


# -- 1. concurrent If-Match edits of one entry ------------------------------------------------------------
CLIENTS, EDITS_EACH, MAX_ATTEMPTS = 6, 8, 150
PROBE_THREADS = 6
ENTRY = f"{MINI_ID}:2"


def test_concurrent_patches_of_one_entry_lose_no_update(served):
    server, auth = served
    original = server.call("GET", f"/entries/{ENTRY}").json()["definition"]
    statuses: Counter[tuple[str, int]] = Counter()
    accepted: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + 60

    def client(number: int) -> list[int]:
        retries = []
        for k in range(EDITS_EACH):
            marker = f"[c{number}-{k}]"
            retries.append(0)
            for _ in range(MAX_ATTEMPTS):
                assert time.monotonic() < deadline, "the edits took over 60 s"
                read = server.call("GET", f"/entries/{ENTRY}")
                patch = server.call("PATCH", f"/entries/{ENTRY}", {"definition": read.json()["definition"] + marker},
                                    {**auth, "If-Match": read.headers["etag"]}) if read.status == 200 else None
                with lock:
                    statuses["GET", read.status] += 1
                    if patch is not None:
                        statuses["PATCH", patch.status] += 1
                        if patch.status == 200:
                            accepted.append(marker)
                if patch is None or patch.status != 412:
                    break
                retries[-1] += 1
            assert patch is not None and patch.status == 200, (marker, read.status, patch and patch.body[:500])
            assert patch.json()["definition"].startswith(read.json()["definition"] + marker)
        return retries

    with ThreadPoolExecutor(CLIENTS) as pool:
        retries = [n for each in pool.map(client, range(CLIENTS)) for n in each]
    print(f"\n{len(accepted)} PATCHes accepted, {sum(retries)} retries after 412 (at most {max(retries)} for one "
          f"edit), statuses {dict(statuses)}")

    assert set(statuses) <= {("GET", 200), ("PATCH", 200), ("PATCH", 412)}, statuses
    assert len(accepted) == len(set(accepted)) == CLIENTS * EDITS_EACH
    probes = [uuid.uuid4().hex for _ in range(6 * WORKERS)]
    with ThreadPoolExecutor(PROBE_THREADS) as pool:
        finals = set(pool.map(lambda probe: server.call("GET", f"/entries/{ENTRY}", probe=probe).body, probes))
    assert set(server.probe_pids(set(probes)).values()) == server.workers(), "not every worker was asked"
    assert len(finals) == 1, "workers disagree on the entry"
    final = json.loads(finals.pop())["definition"]
    assert final.startswith(original)
    applied = MARKER.findall(final[len(original):])
    assert "".join(applied) == final[len(original):]
    assert sorted(applied) == sorted(accepted), "an accepted edit is missing (lost update) or one is twice"

    history = server.call("GET", f"/entries/{ENTRY}/history").json()["revisions"]
    assert len(history) == 1 + len(accepted)  # the corpus's revision 0, then one per accepted PATCH
    assert [r["revision"] for r in history] == list(range(len(history)))
    definition = original
    for revision in history[1:]:
        change = revision["changes"]["definition"]
        assert change["from"] == definition, f"revision {revision['revision']} was not made on the one before"
        definition = change["to"]
    assert definition == final
    server.assert_clean_log()


# -- 2. every write visible on every worker within a second -------------------------------------------------
AFTER_PROBES = 30
# A search makes its worker reload at once (the index stamp moved), which would hide a stale /terms on that
# worker: in its first second each write is probed through the terms or through search only, in turn.
EARLY = ({"term", "health"}, {"search", "old word", "health"})


@dataclass
class Probe:
    id: str
    kind: str
    start: float
    end: float
    fresh: bool
    status: int


def probe_until_visible(server: Server, checks: dict[str, tuple[str, Callable[[Answer], bool]]], acked: float,
                        early: set[str]) -> tuple[list[Probe], list[Probe]]:
    """Probes of the ``early`` kinds from fresh connections until a second after the ack, then AFTER_PROBES
    more of every kind: (first, after)."""

    def one(kind: str) -> Probe:
        path, is_fresh = checks[kind]
        probe_id = uuid.uuid4().hex
        start = time.monotonic()
        answer = server.call("GET", path, probe=probe_id)
        return Probe(probe_id, kind, start - acked, time.monotonic() - acked, is_fresh(answer), answer.status)

    kinds, early_kinds = list(checks), [kind for kind in checks if kind in early]
    first: list[Probe] = []
    with ThreadPoolExecutor(PROBE_THREADS) as pool:
        while time.monotonic() - acked < VISIBLE_WITHIN_S:
            first += pool.map(one, [early_kinds[i % len(early_kinds)] for i in range(PROBE_THREADS)])
        while time.monotonic() - acked <= VISIBLE_WITHIN_S:
            time.sleep(0.01)
        after = list(pool.map(one, [kinds[i % len(kinds)] for i in range(AFTER_PROBES)]))
    return first, after


def entry_checks(label: str, word: str, entry_id: str, definition: str, revision: int) -> dict:
    def term(answer: Answer) -> bool:
        return answer.status == 200 and [(e["id"], e["definition"]) for e in answer.json()["entries"]] == [
            (entry_id, definition)]

    def search(answer: Answer) -> bool:
        return answer.status == 200 and [h["id"] for h in answer.json()["hits"]] == [entry_id]

    def health(answer: Answer) -> bool:
        return answer.status == 200 and answer.json()["revision"] == revision

    return {"term": (term_path(label), term), "search": (f"/search?q={word}", search), "health": ("/healthz", health)}


def visible_by(probes: list[Probe], pids: dict[str, int]) -> dict[int, float]:
    """For each worker, when (after the ack) it had surely shown the write: the end of its first fresh
    answer that came after its last stale one."""
    found = {}
    for pid in {pids[p.id] for p in probes if p.id in pids}:
        mine = [p for p in probes if pids.get(p.id) == pid]
        last_stale = max((p.end for p in mine if not p.fresh), default=0.0)
        found[pid] = min((p.end for p in mine if p.fresh and p.start >= last_stale), default=float("inf"))
    return found


def gone_from_search(answer: Answer) -> bool:
    return answer.status == 200 and answer.json()["total"] == 0


def test_each_write_is_visible_on_every_worker_within_a_second(served):
    server, auth = served
    latencies: list[float] = []
    after_pids: set[int] = set()
    stale = 0
    for round_ in range(3):
        label, word = f"可见词条{round_}号{uuid.uuid4().hex[:4]}", f"zv{uuid.uuid4().hex[:10]}"
        definition = f"指第{round_}轮可见性测试的词条，暗号{word}。"
        revision = store_revision(server.settings) + 1
        created = server.call("POST", "/entries", {"headword": label, "definition": definition}, auth)
        acked = time.monotonic()
        assert created.status == 201, created.body
        entry_id = created.json()["id"]
        checks = entry_checks(label, word, entry_id, definition, revision)
        rounds = [probe_until_visible(server, checks, acked, EARLY[round_ % 2])]

        # an update too: the old word stops finding it and the new one does, everywhere
        old_word, word = word, f"zu{uuid.uuid4().hex[:10]}"
        definition = f"指第{round_}轮更新后的词条，暗号{word}。"
        patched = server.call("PATCH", f"/entries/{quote(entry_id)}", {"definition": definition},
                              {**auth, "If-Match": created.headers["etag"]})
        acked = time.monotonic()
        assert patched.status == 200, patched.body
        checks = entry_checks(label, word, entry_id, definition, revision + 1)
        checks["old word"] = (f"/search?q={old_word}", gone_from_search)
        rounds.append(probe_until_visible(server, checks, acked, EARLY[(round_ + 1) % 2]))

        pids = server.probe_pids({p.id for first, after in rounds for p in first + after})
        for first, after in rounds:
            assert all(p.status < 500 for p in first + after), [p for p in first + after if p.status >= 500]
            assert all(p.fresh for p in after), f"stale a second after the ack: {[p for p in after if not p.fresh]}"
            latency = visible_by(first + after, pids)
            assert set(latency) == server.workers(), "the probes did not reach every worker"
            latencies.append(max(latency.values()))
            stale += sum(not p.fresh for p in first)
            after_pids |= {pids[p.id] for p in after}
    print(f"\nmax time to visibility per write: {[round(x, 3) for x in latencies]} s; "
          f"{stale} stale answers in the first second; workers answering after 1 s: {len(after_pids)}")
    assert max(latencies) < VISIBLE_WITHIN_S
    assert after_pids == server.workers(), "the probes did not reach every worker"
    server.assert_clean_log()


# -- 3. SIGKILL in the middle of a burst of writes ------------------------------------------------------------
BURST_THREADS, BURST_S = 4, 1.5


def burst_draft(thread: int, number: int) -> tuple[str, str, str]:
    word = f"zk{thread}n{number:04d}q{uuid.uuid4().hex[:6]}"
    return f"断电词条{thread}路{number:04d}", f"指第{thread}路第{number}条压测词条，暗号{word}。", word


def write_burst(server: Server, auth: dict[str, str]) -> tuple[list[tuple[str, str, str]], dict, float, list]:
    """POSTs from BURST_THREADS threads until the whole server is SIGKILLed after BURST_S: the acknowledged
    (id, label, word), every draft sent (label -> definition), when the kill was sent, and other answers."""
    acked: list[tuple[str, str, str]] = []
    sent: dict[str, str] = {}
    other: list = []
    stop = threading.Event()
    lock = threading.Lock()

    def writer(thread: int) -> None:
        for number in range(1, 100_000):
            if stop.is_set():
                return
            label, definition, word = burst_draft(thread, number)
            with lock:
                sent[label] = definition
            try:
                answer = server.call("POST", "/entries", {"headword": label, "definition": definition}, auth)
            except (OSError, http.client.HTTPException) as error:
                with lock:
                    other.append((time.monotonic(), repr(error)))
                return
            with lock:
                if answer.status == 201:
                    acked.append((answer.json()["id"], label, word))
                else:
                    other.append((time.monotonic(), answer.status, answer.body[:500]))

    with ThreadPoolExecutor(BURST_THREADS) as pool:
        done = [pool.submit(writer, t) for t in range(BURST_THREADS)]
        time.sleep(BURST_S)
        deadline = time.monotonic() + 30  # a loaded machine writes slower: wait for enough, generously
        while len(acked) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        killed = time.monotonic()
        os.killpg(server.pgid, signal.SIGKILL)
        stop.set()
        for future in done:
            future.result(timeout=2 * REQUEST_TIMEOUT_S)
    return acked, sent, killed, other


def test_acknowledged_writes_survive_sigkill_mid_burst(tmp_path):
    settings, auth = mini_kb(tmp_path, "burst-editor")
    server = Server(settings, tmp_path, "before-kill")
    try:
        server.wait_healthy()
        acked, sent, killed, other = write_burst(server, auth)
    finally:
        server.wait_gone(signal.SIGKILL, grace_s=10)
    print(f"\n{len(acked)} writes acknowledged before the SIGKILL, {len(sent)} sent")
    assert len(acked) >= 5, f"too few writes before the kill to mean anything:\n{server.tail()}"
    assert all(isinstance(o[1], str) and o[0] >= killed for o in other), f"{other}\n{server.tail()}"
    assert len({entry_id for entry_id, _, _ in acked}) == len(acked), "one id acknowledged for two entries"
    report_after_kill(settings, acked)
    crashed = crash_between_commit_and_index(settings)
    acked.append(crashed[:3])
    sent[crashed[1]] = crashed[3]

    with serving(settings, tmp_path, "after-kill") as server:
        with ThreadPoolExecutor(6) as pool:
            list(pool.map(lambda a: check_present(server, *a), acked))
        kb = KnowledgeBase.open(settings)
        try:
            assert kb.search_index.stamp() == (kb.store_id, kb.revision), "the index was not repaired at start"
            assert {entry_id for entry_id, _, _ in acked} <= {e.id for e in kb.entries()}
            present = [e for e in kb.entries() if e.id.startswith(editing.EDITOR_PREFIX)]
            assert server.call("GET", "/healthz").json()["entries"] == len(kb.entries())
        finally:
            kb.close()
        assert_one_create_each(settings, present)
        with ThreadPoolExecutor(6) as pool:
            list(pool.map(lambda e: check_whole(server, e.id, sent), present))
        server.assert_clean_log()


def report_after_kill(settings: Settings, acked: list[tuple[str, str, str]]) -> None:
    """Print what the kill left: writes committed but never acknowledged, and whether the index lags."""
    kb = KnowledgeBase.open(settings)
    try:
        unacked = {e.id for e in kb.entries() if e.document is None} - {entry_id for entry_id, _, _ in acked}
        print(f"committed but not acknowledged: {len(unacked)}; the index lagged the store after the kill: "
              f"{kb.search_index.stamp() != (kb.store_id, kb.revision)}")
    finally:
        kb.close()


def crash_between_commit_and_index(settings: Settings) -> tuple[str, str, str, str]:
    """A write that commits to the store and dies before the index update, for certain (the kill may not
    have landed there): (id, label, word, definition). The next start must repair the index."""
    store = Store(make_engine(settings.database_url))
    label, definition, word = burst_draft(9, 1)
    writer = KnowledgeBase(store)  # no search index here: the write commits and nothing updates the index
    try:
        entry_id = editing.create_entry(store, writer.live, writer.naming,
                                        {"headword": label, "definition": definition}, "crash").entry_id
    finally:
        writer.close()
    kb = KnowledgeBase.open(settings)
    try:
        assert kb.search_index.stamp() != (kb.store_id, kb.revision), "the index should lag the store here"
    finally:
        kb.close()
    return entry_id, label, word, definition


def check_present(server: Server, entry_id: str, label: str, word: str) -> None:
    term = server.call("GET", term_path(label))
    assert term.status == 200 and [e["id"] for e in term.json()["entries"]] == [entry_id], (label, term.body)
    entry = server.call("GET", f"/entries/{quote(entry_id)}")
    assert entry.status == 200 and entry.json()["headword"] == label, entry.body
    found = server.call("GET", f"/search?q={word}")
    assert found.status == 200 and [h["id"] for h in found.json()["hits"]] == [entry_id], (word, found.body)


def check_whole(server: Server, entry_id: str, sent: dict[str, str]) -> None:
    """Any editor's entry present after the crash, acknowledged or not, is one whole draft that was sent."""
    entry = server.call("GET", f"/entries/{quote(entry_id)}").json()
    assert entry["headword"] and entry["definition"]
    assert sent.get(entry["headword"]) == entry["definition"], entry
    assert [e["id"] for e in server.call("GET", term_path(entry["headword"])).json()["entries"]] == [entry_id]
    history = server.call("GET", f"/entries/{quote(entry_id)}/history").json()["revisions"]
    assert [(r["revision"], r["action"]) for r in history] == [(1, "create")], history


def assert_one_create_each(settings: Settings, present: list) -> None:
    """The store holds each editor's entry once, made by one create."""
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            overlaid = [r.entry for r in conn.execute(select(edits.c.entry).where(
                edits.c.entry.like(f"{editing.EDITOR_PREFIX}%")))]
            creates = dict(conn.execute(select(revisions.c.entry, func.count()).where(
                revisions.c.action == "create").group_by(revisions.c.entry)).all())
    finally:
        engine.dispose()
    assert sorted(overlaid) == sorted(e.id for e in present)
    assert creates == dict.fromkeys(overlaid, 1)


# -- 4. edits outlive a restart and `kb build` ------------------------------------------------------------
PATCHED = f"{MINI_ID}:2"


def edit_before_build(server: Server, auth: dict[str, str]) -> dict[str, str]:
    """An editor's entry kept, one created and deleted, a corpus entry corrected: what the checks need."""
    made = {kind: f"z{kind}{uuid.uuid4().hex[:10]}" for kind in ("kept", "gone", "patched")}
    kept, gone = (server.call("POST", "/entries", {"headword": headword, "definition": f"暗号{made[kind]}。"}, auth)
                  for headword, kind in (("持久词条", "kept"), ("退役词条", "gone")))
    assert (kept.status, gone.status) == (201, 201), (kept.body, gone.body)
    deleted = server.call("DELETE", f"/entries/{quote(gone.json()['id'])}",
                          headers={**auth, "If-Match": gone.headers["etag"]})
    assert deleted.status == 204, deleted.body
    read = server.call("GET", f"/entries/{PATCHED}")
    definition = read.json()["definition"] + f"（编辑补充：暗号{made['patched']}）"
    patch = server.call("PATCH", f"/entries/{PATCHED}", {"definition": definition},
                        {**auth, "If-Match": read.headers["etag"]})
    assert patch.status == 200, patch.body
    return made | {"kept id": kept.json()["id"], "gone id": gone.json()["id"], "definition": definition}


def test_edits_survive_restart_and_rebuild(tmp_path):
    settings, auth = mini_kb(tmp_path, "lasting-editor")
    with serving(settings, tmp_path, "before-build") as server:
        made = edit_before_build(server, auth)
        before = server.call("GET", "/healthz").json()["revision"]
        server.assert_clean_log()

    (settings.corpus_dir / f"{MINI_ID}.txt").write_text(MINI_CHANGED, encoding="utf-8")
    env = server_env(settings.corpus_dir, settings.data_dir, settings.database_url)
    built = subprocess.run([str(BIN / "kb"), "build"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stdout + built.stderr

    with serving(settings, tmp_path, "after-build") as server:
        health = server.call("GET", "/healthz").json()
        assert health["revision"] > before and health["entries"] == 4 + 1  # the new corpus entry, the kept one
        check_present(server, made["kept id"], "持久词条", made["kept"])
        assert server.call("GET", f"/entries/{quote(made['gone id'])}").status == 404
        assert server.call("GET", term_path("退役词条")).status == 404
        assert server.call("GET", f"/search?q={made['gone']}").json()["total"] == 0

        read = server.call("GET", f"/entries/{PATCHED}")
        assert read.json()["definition"] == made["definition"]
        assert [h["id"] for h in server.call("GET", f"/search?q={made['patched']}").json()["hits"]] == [PATCHED]
        assert server.call("GET", term_path("上/下联动")).json()["entries"][0]["definition"] == made["definition"]
        again = server.call("PATCH", f"/entries/{PATCHED}", {"definition": made["definition"] + "再改。"},
                            {**auth, "If-Match": read.headers["etag"]})
        assert again.status == 200, again.body
        history = server.call("GET", f"/entries/{PATCHED}/history").json()["revisions"]
        assert [(r["revision"], r["action"]) for r in history] == [(0, "import"), (1, "update"), (2, "update")]

        # the build's own changes show as well
        assert server.call("GET", term_path(NEW_TERM)).json()["entries"][0]["id"] == f"{MINI_ID}:4"
        assert "“百”指区县" in server.call("GET", f"/entries/{MINI_ID}:1").json()["definition"]
        kb = KnowledgeBase.open(settings)
        try:
            assert kb.search_index.stamp() == (kb.store_id, kb.revision)
            assert kb.entry(PATCHED).definition == made["definition"] + "再改。"
        finally:
            kb.close()
        server.assert_clean_log()


# -- a build while editors write (issue 11) ---------------------------------------------------------------
def what_a_fresh_process_reads(settings: Settings) -> dict[str, object]:
    kb = KnowledgeBase.open(settings)
    try:
        return {"revision": kb.revision,
                "/documents": {"documents": [kb.document_view(d) for d in kb.documents()]},
                **{f"/entries/{quote(e.id)}": kb.entry_view(e) for e in kb.entries()}}
    finally:
        kb.close()


def test_a_build_while_editors_write_leaves_every_worker_serving_what_the_store_holds(tmp_path):
    """`kb build` of a changed corpus, twice, in another process, while two editors create and edit entries
    through the server: afterwards every worker answers exactly what a fresh process reads from the store."""
    settings, auth = mini_kb(tmp_path, "racer")
    statuses: Counter[int] = Counter()
    stop = threading.Event()

    def creator(n: int) -> None:
        for i in range(10_000):
            if stop.is_set():
                return
            body = {"headword": f"竞速词条{n}号{i:04d}", "definition": f"指第{i}个在重建时写入的词条，推进百千万工程。"}
            statuses[server.call("POST", "/entries", body, auth).status] += 1

    def patcher() -> None:
        entry = f"/entries/{quote(MINI_ID + ':2')}"
        for i in range(10_000):
            if stop.is_set():
                return
            read = server.call("GET", entry)
            sent = {"definition": f"第{i}稿：指省、市、县上下协同推进重点工作的机制。"}
            statuses[server.call("PATCH", entry, sent, {**auth, "If-Match": read.headers["etag"]}).status] += 1

    with serving(settings, tmp_path, "race") as server:
        threads = [threading.Thread(target=creator, args=(n,)) for n in range(2)] + [threading.Thread(target=patcher)]
        for thread in threads:
            thread.start()
        env = {**os.environ, "KB_CORPUS_DIR": str(settings.corpus_dir), "KB_DATA_DIR": str(settings.data_dir)}
        for text in (MINI_CHANGED, MINI):
            time.sleep(0.5)
            (settings.corpus_dir / f"{MINI_ID}.txt").write_text(text, encoding="utf-8")
            built = subprocess.run([str(BIN / "kb"), "build"], cwd=ROOT, env=env, capture_output=True, text=True,
                                   timeout=120)
            assert built.returncode == 0, built.stderr
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        assert set(statuses) <= {200, 201, 412} and statuses[201] >= 4 and statuses[200] >= 2, statuses
        expected = what_a_fresh_process_reads(settings)
        paths = [p for p in expected if p != "revision"]
        answered: dict[int, set[str]] = {}  # worker pid -> the paths it answered as the store holds them
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (len(answered) < WORKERS or
                                               any(len(done) < len(paths) for done in answered.values())):
            for path in paths:
                probe = uuid.uuid4().hex
                answer = server.call("GET", path, probe=probe)
                pid = server.probe_pids({probe}).get(probe)
                if pid is not None and answer.status == 200 and answer.json() == expected[path]:
                    answered.setdefault(pid, set()).add(path)
            health = server.call("GET", "/healthz").json()
            assert health["revision"] <= expected["revision"]
        assert len(answered) == WORKERS and all(done == set(paths) for done in answered.values()), (
            {pid: len(done) for pid, done in answered.items()}, len(paths))
        server.assert_clean_log()
