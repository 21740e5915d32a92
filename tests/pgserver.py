"""A throwaway PostgreSQL server on loopback, for the tests and the benchmarks.

Installed with apt when it is missing (as root); initialised as the ``postgres`` user when we are root, since
initdb refuses root; trust authentication, listening on 127.0.0.1 only, on a free port; stopped and removed
afterwards. ``database`` copies a database from another (a template), so each test may write to its own.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg

VERSIONS = Path("/usr/lib/postgresql")


def _bin() -> Path | None:
    found = sorted(VERSIONS.glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


def ensure_installed() -> Path:
    """PostgreSQL's programs: apt-get installs them when missing and we are root."""
    if _bin() is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
    found = _bin()
    if found is None:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql (as root)")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_owner(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextlib.contextmanager
def postgres(durable: bool = False) -> Iterator[str]:
    """A running server with an empty database ``kb``: its SQLAlchemy URL. Unless ``durable``, the server
    does not wait for the disk (fsync off): for tests, not for measuring a deployment."""
    bindir = ensure_installed()
    home = Path(tempfile.mkdtemp(prefix="kb-postgres-"))  # not under pytest's tmp: postgres must reach it
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(home, owner.pw_uid, owner.pw_gid)
    data, port = home / "data", _free_port()
    settings = ["-c", "listen_addresses=127.0.0.1", "-c", f"port={port}", "-c", f"unix_socket_directories={home}",
                "-c", "max_connections=200"]
    if not durable:
        settings += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    try:
        subprocess.run(_as_owner([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                                  "-E", "UTF8", "--locale=C.UTF-8"]), check=True, stdout=subprocess.DEVNULL)
        subprocess.run(_as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(home / "server.log"),
                                  "-o", " ".join(settings), "-w", "-t", "60", "start"]), check=True,
                       stdout=subprocess.DEVNULL)
        with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE kb")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/kb"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(_as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(home, ignore_errors=True)


def database(url: str, name: str, template: str | None = None) -> str:
    """A new database ``name`` on the server of ``url`` (a copy of ``template`` if given): its URL. Sessions
    still connected to the template are ended first (PostgreSQL copies only a database nobody uses)."""
    server, _, _ = url.rpartition("/")
    plain = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(f"{plain}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if template:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s AND pid <> pg_backend_pid()", (template,))
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"
