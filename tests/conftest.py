"""Shared fixtures: a KB built once from the three real reports, and paths to them.

With ``KB_TEST_STORE=postgres`` (`make test` sets it for a second run of the store, editing and API suites when
``KB_TEST_POSTGRES=1``) every KB a test makes is stored on a throwaway PostgreSQL server (tests/pgserver.py),
a database each; otherwise in the SQLite file of its data dir.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
from pathlib import Path

import pytest

from kb.build import build
from kb.config import Settings
from kb.knowledge import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
REPORTS = {
    "qingcheng-2024": ROOT / "corpus" / "qingcheng-2024.txt",
    "sichuan-2026": DATA / "sichuan-2026.txt",
    "jiangxi-2026": DATA / "jiangxi-2026.txt",
}


STORE = os.environ.get("KB_TEST_STORE", "sqlite")
_server = contextlib.ExitStack()
_server_url: list[str] = []
_numbers = itertools.count(1)
_pristine: dict[str, str] = {}  # a KB's database -> a copy of it as built, that nobody connects to


def database_url() -> str:
    """Where a new KB under test is stored: "" (the SQLite file of its data dir), or a new PostgreSQL
    database when KB_TEST_STORE=postgres (the server starts at the first one and stops with the session)."""
    if STORE != "postgres":
        return ""
    from tests.pgserver import database, postgres

    if not _server_url:
        _server_url.append(_server.enter_context(postgres()))
    return database(_server_url[0], f"kb_{next(_numbers)}")


def pytest_sessionfinish(session, exitstatus):
    _server.close()


def keep_pristine(settings: Settings) -> None:
    """Remember the KB's database as it is now, for ``copy_kb`` (PostgreSQL copies only an unused database)."""
    if STORE == "postgres":
        from tests.pgserver import database

        name = f"kb_{next(_numbers)}_pristine"
        database(settings.database_url, name, template=settings.database_url.rpartition("/")[2])
        _pristine[settings.database_url] = name


def copy_kb(settings: Settings, base: Path) -> Settings:
    """A copy of a built KB under ``base`` that a test may change: its data dir, and its database."""
    shutil.copytree(settings.data_dir, base / "var")
    url = ""
    if STORE == "postgres":
        from tests.pgserver import database

        url = database(settings.database_url, f"kb_{next(_numbers)}", template=_pristine[settings.database_url])
    return Settings.from_env({}, corpus_dir=settings.corpus_dir, data_dir=base / "var", database_url=url)


def make_settings(base: Path, files: dict[str, Path | str]) -> Settings:
    """A corpus dir holding ``files`` (name -> source path or text) and an empty data dir under ``base``."""
    corpus = base / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for name, source in files.items():
        target = corpus / f"{name}.txt"
        if isinstance(source, Path):
            shutil.copy(source, target)
        else:
            target.write_text(source, encoding="utf-8")
    return Settings.from_env({}, corpus_dir=corpus, data_dir=base / "var", database_url=database_url())


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    result = make_settings(tmp_path_factory.mktemp("kb"), dict(REPORTS))
    build(result)
    keep_pristine(result)
    return result


@pytest.fixture
def editor(settings, tmp_path):
    """A test client over a copy of the session KB that a test may write to, and an editor's token."""
    from api import create_app
    from kb import tokens
    from kb.store import Store, make_engine

    copy = copy_kb(settings, tmp_path)
    store = Store(make_engine(copy.database_url))
    token = tokens.create(store, "alice", "editor")
    yield create_app({"KB_SETTINGS": copy}).test_client(), {"Authorization": f"Bearer {token}"}
    store.engine.dispose()


@pytest.fixture(scope="session")
def kb(settings) -> KnowledgeBase:
    base = KnowledgeBase.open(settings)
    yield base
    base.close()


@pytest.fixture(scope="session")
def raw() -> dict[str, str]:
    return {doc_id: path.read_text(encoding="utf-8") for doc_id, path in REPORTS.items()}


@pytest.fixture
def opened():
    """Open KnowledgeBases through ``opened(settings)``; all are closed after the test."""
    bases: list[KnowledgeBase] = []

    def open_kb(settings: Settings) -> KnowledgeBase:
        bases.append(KnowledgeBase.open(settings))
        return bases[-1]

    yield open_kb
    for base in bases:
        base.close()

