"""Python's cycle collector paused while work makes millions of objects that live on.

A build's corpus, uses and postings, a snapshot read from the store: the collector would walk them all again
and again (a full collection looks at every object it tracks) and free almost nothing, since what this work
frees, reference counting frees. Any cycles left are collected once the collector is back on."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_paused = 0  # how many threads are inside ``paused`` now
_was_on = False


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """The collector off from the first thread that enters to the last that leaves (and in processes forked
    meanwhile), then as it was before."""
    global _paused, _was_on
    with _lock:
        if not _paused:
            _was_on = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if not _paused and _was_on:
                gc.enable()
