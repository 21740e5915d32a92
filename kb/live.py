"""The one answer to "is this process current?": follows the store's revision log and swaps snapshots.

Every front end calls ``Live.current()`` once per request. It is cheap when nothing changed: writers on this
machine rewrite a small signal file after each commit (one ``stat`` tells), and the store itself is asked every
``CHECK_S`` seconds (for writers elsewhere, or one that died between its commit and the signal). When the store
moved on, the changes since are applied one by one (an edit re-reads the rows it rewrote); a build, or a long
way behind, loads the store whole. The swap is one assignment: a reader holds a whole snapshot or the next.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy.engine import Connection

from kb import collector
from kb.derive import Current, Derived, current_entries
from kb.errors import KBNotBuilt
from kb.files import replace_file
from kb.snapshot import Snapshot
from kb.store import Change, Store
from kb.store.log import changes_since, current_revision

CHECK_S = 0.5
SIGNAL_FILE = "revision"  # in the data dir: writers on this machine rewrite it after each commit
REPLAY_LIMIT = 200  # changes applied one by one; a process further behind loads the store whole


def signal(path: Path, revision: int) -> None:
    """Rewrite the signal file at ``path``: every process on this machine that follows the store looks again."""
    replace_file(path, f"{revision}\n")


class Live:
    def __init__(self, store: Store, signal: Path | None = None):
        self.store = store
        self._signal = signal
        self._lock = threading.RLock()
        self._seen: tuple[int, int, int] | None = None
        self._checked = 0.0
        self._snapshot = self._load()

    @property
    def snapshot(self) -> Snapshot:
        """The snapshot this process holds (no check: see ``current``)."""
        return self._snapshot

    def current(self) -> Snapshot:
        """The snapshot of the store's latest revision, catching up first if the store changed."""
        if self._looks_current():
            return self._snapshot
        return self.catch_up()

    def catch_up(self, conn: Connection | None = None, upto: int | None = None) -> Snapshot:
        """Apply every change since this process's snapshot and return the snapshot of the latest revision.
        A writer passes its transaction (``conn``) and the revision before its own (``upto``)."""
        with self._lock:
            self._checked = time.monotonic()
            if conn is None:
                with self.store.engine.connect() as own:
                    return self._catch_up(own, upto)
            return self._catch_up(conn, upto)

    def install(self, snapshot: Snapshot) -> None:
        """Hold ``snapshot`` (a writer's own next snapshot) unless this process is already past it."""
        with self._lock:
            if snapshot.revision > self._snapshot.revision:
                self._snapshot = snapshot

    def signal(self) -> None:
        """Tell the other processes on this machine that the store changed (after a commit)."""
        if self._signal is not None:
            signal(self._signal, self._snapshot.revision)
            self._seen = self._stat()

    # -- inside ---------------------------------------------------------------------------------
    def _looks_current(self) -> bool:
        if time.monotonic() - self._checked >= CHECK_S:
            return False
        return self._signal is None or self._stat() == self._seen

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = self._signal.stat()  # type: ignore[union-attr]
        except (FileNotFoundError, AttributeError):
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def _catch_up(self, conn: Connection, upto: int | None) -> Snapshot:
        seen = self._stat()
        snapshot = self._snapshot
        info = self.store.info(conn)
        if info.get("store", "") != snapshot.store_id:  # another store in this place (rebuilt from nothing)
            self._snapshot, self._seen = self._load(), seen
            return self._snapshot
        latest = current_revision(conn) if upto is None else upto
        if latest <= snapshot.revision:
            self._seen = seen
            return snapshot
        found = [c for c in changes_since(conn, snapshot.revision) if c.revision <= latest]
        if len(found) > REPLAY_LIMIT or any(c.kind == "build" for c in found) or not found:
            self._snapshot, self._seen = self._load(), seen
            return self._snapshot
        for change in found:
            snapshot = self._apply(snapshot, change, conn)
        self._snapshot, self._seen = snapshot, seen
        return snapshot

    def _apply(self, snapshot: Snapshot, change: Change, conn: Connection) -> Snapshot:
        if change.kind != "edit" or change.entry is None:
            return snapshot.with_revision(change.revision)
        rows = self.store.rows([change.entry], change.passages, change.entries, conn)
        edit = rows.edits.get(change.entry)
        now: Current = current_entries(rows.corpus.values(), [edit] if edit else [])
        entry = now.entries.get(change.entry)
        versions = {change.entry: edit.version} if edit else {}
        listed = {change.entry: now.listed.get(change.entry)}
        write = self.store.written(change.entry, change.revision, conn)  # the rows may be a later write's: the log says
        came = None if write is None else {change.entry: (write[0] != "delete", (write[1].get("headword"),
                                                                                 write[1].get("document")))}
        return snapshot.patched(change.revision, {change.entry: entry}, versions, listed,
                                Derived(rows.uses, rows.related), came=came)

    @collector.paused()  # the whole store becomes objects that live on (at 1,000 documents, 4 M of them)
    def _load(self) -> Snapshot:
        for _ in range(5):  # a build may commit while the store is read: read it again
            content = self.store.load()
            if "corpus" not in content.info:
                raise KBNotBuilt(str(self.store.engine.url))
            if self.store.info().get("revision") == content.info.get("revision"):
                break
        self._checked = time.monotonic()
        return Snapshot.from_content(content)
