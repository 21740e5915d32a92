"""A node follows a shared store in the background: its snapshot and its own search index catch up with every
other node's changes without waiting for a request.

On PostgreSQL each change notifies the channel ``kb_changes`` when it commits (kb.store.log); the follower
LISTENs on a connection of its own and catches up at once. It also looks every ``POLL_S`` seconds whatever it
heard, which is the fallback when the connection is lost (it reconnects) or a notification is missed. Requests
still check freshness themselves (kb.live), so a follower only makes a node current sooner.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from kb.store.log import CHANNEL

if TYPE_CHECKING:
    from kb.knowledge import KnowledgeBase

POLL_S = 1.0
log = logging.getLogger("kb.follow")


@contextlib.contextmanager
def listening(engine: Engine, stop: threading.Event) -> Iterator[Callable[[float], bool]]:
    """A function that waits up to its argument in seconds and says whether a change was announced meanwhile:
    LISTEN on PostgreSQL; elsewhere (SQLite: one machine) it only waits."""
    if engine.dialect.name != "postgresql":
        def sleep(timeout: float) -> bool:
            stop.wait(timeout)
            return False

        yield sleep
        return
    import psycopg

    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"LISTEN {CHANNEL}")

        def wait(timeout: float) -> bool:
            return any(True for _ in conn.notifies(timeout=timeout, stop_after=1))

        yield wait


class Follower:
    """The background thread of one process (start it after a fork: a thread does not cross one)."""

    def __init__(self, kb: KnowledgeBase, poll_s: float = POLL_S):
        self.kb = kb
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kb-follower", daemon=True)

    def start(self) -> Follower:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with listening(self.kb.store.engine, self._stop) as wait:
                    while not self._stop.is_set():
                        wait(self.poll_s)
                        self._catch_up()
            except Exception as error:  # the listening connection failed: poll until it is back
                log.warning("following the store: %s; polling every %.1f s until it is back", error, self.poll_s)
                if not self._stop.wait(self.poll_s):
                    self._catch_up()

    def _catch_up(self) -> None:
        if self._stop.is_set():
            return
        try:
            self.kb.current()
            if self.kb.search_index is not None:
                self.kb.follow_index()
        except Exception:  # a failed catch-up is retried at the next wake-up; requests catch up anyway
            log.exception("catching up with the store")
