"""Files that several processes rewrite while others read them: each is written whole, then renamed over."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def replace_file(path: Path, data: str | bytes) -> None:
    """Put ``data`` at ``path`` in one rename: a reader sees the old file or the new one, never half of either,
    and writers in other processes or threads never share a partial file (each gets its own name)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(partial, 0o644)  # mkstemp's 0600 would hide the file from other accounts that serve it
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
