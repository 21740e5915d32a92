"""Settings from the environment, read when a front end starts, never at import."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path
    data_dir: Path
    database_url: str
    public_url: str = ""  # the service's address as its users reach it (KB_PUBLIC_URL): links are absolute
    secret_key: str = ""  # signs the pages' session cookies (KB_SECRET_KEY); else a key kept in data_dir

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: str | Path) -> Settings:
        env = dict(os.environ if env is None else env)
        corpus_dir = Path(overrides.get("corpus_dir") or env.get("KB_CORPUS_DIR") or "corpus")
        data_dir = Path(overrides.get("data_dir") or env.get("KB_DATA_DIR") or "var")
        url = str(overrides.get("database_url") or env.get("KB_DATABASE_URL") or "")
        if not url:
            url = f"sqlite:///{(data_dir / 'kb.sqlite').resolve()}"
        public = str(overrides.get("public_url") or env.get("KB_PUBLIC_URL") or "").rstrip("/")
        secret = str(overrides.get("secret_key") or env.get("KB_SECRET_KEY") or "")
        return cls(corpus_dir, data_dir, url, public, secret)
