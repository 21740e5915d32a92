"""Is a process serving the KB ready? The store answers a query, and the search index holds the snapshot's content.

A front end asks once per probe (``KnowledgeBase.readiness``): a load balancer sends traffic only to a process
that is ready, and monitoring graphs the same numbers (the store's revision, how far the index is behind it,
how long the last build took). Every check answers in words what is wrong, never raises: a probe that fails
must say 503 and why, not 500.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kb.live import Live
from kb.search import SearchIndex
from kb.store import BUILD_SECONDS, Store

log = logging.getLogger("kb.readiness")


@dataclass(frozen=True)
class Readiness:
    revision: int  # this process's snapshot
    store_revision: int | None  # None: the store did not answer
    index_revision: int | None  # the revision of this store that the index holds; None: none (or unreadable)
    index_lag: int  # revisions the index is behind the snapshot; 0 when it holds all of the snapshot's content
    last_build_seconds: float | None  # how long the last `kb build` took, if the store says
    problems: tuple[str, ...]  # what is not ready, in words; none: ready

    @property
    def ready(self) -> bool:
        return not self.problems


def readiness_of(store: Store, live: Live, index: SearchIndex) -> Readiness:
    """Catch up with the store and read its meta table (one cheap query: its revision and the last build's
    duration), then compare the index's stamp with the snapshot."""
    problems: list[str] = []
    store_revision, build_seconds, index_revision, lag = None, None, None, 0
    try:
        snapshot = live.current()
        info = store.info()
        store_revision = int(info.get("revision", "0"))
        build_seconds = float(info[BUILD_SECONDS]) if BUILD_SECONDS in info else None
    except Exception as error:  # a database down, a file gone: whatever it is, the store cannot be used
        problems.append(f"the store cannot be reached: {_reason(error)}")
        snapshot = live.snapshot
    try:
        stamp = index.stamp()
    except Exception as error:  # a damaged index directory
        problems.append(f"the search index cannot be read: {_reason(error)}")
    else:
        index_revision = stamp[1] if stamp is not None and stamp[0] == snapshot.store_id else None
        if store_revision is not None:
            try:
                lag = _lag(store, snapshot.revision, index_revision)
            except Exception as error:
                problems.append(f"the store cannot be reached: {_reason(error)}")
            if index_revision is None:
                problems.append("the search index holds nothing of this store (run `kb reindex`)")
            elif lag:
                problems.append(f"the search index is behind the store: it holds revision {index_revision}, "
                                f"the KB is at {snapshot.revision} (run `kb reindex`)")
    if problems:
        log.warning("not ready: %s", "; ".join(problems))
    return Readiness(snapshot.revision, store_revision, index_revision, lag, build_seconds, tuple(problems))


def _lag(store: Store, revision: int, index_revision: int | None) -> int:
    """How many revisions the index is behind ``revision``, or 0 if none of the changes between touched content:
    a token's change takes a revision of its own, but no text the index holds (so it leaves the stamp behind)."""
    if index_revision is None:
        return revision
    if index_revision >= revision:
        return 0
    _, since = store.changes_since(index_revision)
    if all(change.kind == "token" for change in since if change.revision <= revision):
        return 0
    return revision - index_revision


def _reason(error: Exception) -> str:
    """The error in a few words: SQLAlchemy's own cause (``unable to open database file``) without its SQL."""
    cause = getattr(error, "orig", None) or error
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return f"{type(cause).__name__}: {text}" if text else type(cause).__name__
