"""The app's one KnowledgeBase: opened when the app is made (before gunicorn forks), or once it is built."""

from __future__ import annotations

import gc
import logging
import os
import threading

from flask import Flask, current_app
from werkzeug.wsgi import get_current_url

from kb import pinyin
from kb.config import Settings
from kb.errors import KBNotBuilt
from kb.follow import Follower
from kb.knowledge import KnowledgeBase
from kb.search import preload

log = logging.getLogger("kb.api")
_KEY = "kb"


class _Holder:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.kb: KnowledgeBase | None = None
        self.lock = threading.Lock()
        self.follower: tuple[int, Follower] | None = None  # (the process it runs in, it)

    def follow(self) -> None:
        """On a store shared by several nodes (a server, not a SQLite file), each worker process follows it in
        the background (kb.follow): started once gunicorn's worker has the app (``follow_in_workers``)."""
        kb = self.kb
        if kb is None or kb.store.engine.dialect.name == "sqlite":
            return
        if self.follower is None or self.follower[0] != os.getpid():
            with self.lock:
                if self.follower is None or self.follower[0] != os.getpid():
                    self.follower = (os.getpid(), Follower(kb).start())

    def open(self) -> KnowledgeBase:
        with self.lock:
            if self.kb is None:
                kb = KnowledgeBase.open(self.settings)
                kb.ensure_index()  # repairs an index left stale by a crash
                # jieba's dictionary and the index's own tokenizer (a copy of it with the labels as words), once,
                # before any fork, rather than a copy made in every worker by its first search
                if kb.search_index is not None:
                    kb.search_index.preload()
                else:
                    preload(str(self.settings.data_dir))
                pinyin.preload()  # and pypinyin's dictionaries
                kb.release()  # no database connection or open index file may cross a fork
                # what the master loaded is never collected: a worker's collections would otherwise write to every
                # object of the KB (their headers) and so copy every page of it, each worker a copy of its own
                gc.freeze()
                self.kb = kb
        if _IN_WORKER:
            self.follow()
        return self.kb


_HOLDERS: list[_Holder] = []  # every app's of this process (a server has one)
_IN_WORKER: list[bool] = []  # set in a server's worker process


def follow_in_workers() -> None:
    """Called by gunicorn in each worker once it has the app (api/gunicorn_conf.py): a thread does not cross
    a fork, so the followers start here (or when the KB is first built), never in the master or outside a
    server."""
    _IN_WORKER.append(True)
    for holder in _HOLDERS:
        holder.follow()


def init(app: Flask, settings: Settings) -> None:
    holder = app.extensions[_KEY] = _Holder(settings)
    _HOLDERS.append(holder)
    try:
        holder.open()
    except KBNotBuilt as error:  # served anyway: /healthz says 503 until a build exists
        log.warning("%s", error)


def get_kb() -> KnowledgeBase:
    """The loaded KB, or KBNotBuilt (503) if there is none yet."""
    holder: _Holder = current_app.extensions[_KEY]
    return holder.kb or holder.open()


def public_url(environ: dict) -> str:
    """The service's address for absolute links: KB_PUBLIC_URL if set, else the request's scheme and host."""
    holder: _Holder = current_app.extensions[_KEY]
    return holder.settings.public_url or get_current_url(environ, root_only=True).rstrip("/")


def loaded_kb() -> KnowledgeBase | None:
    return current_app.extensions[_KEY].kb
