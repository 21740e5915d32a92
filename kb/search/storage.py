"""The index's files as searchers read them: memory-mapped and read in place, never copied.

Whoosh's own FileStorage maps each segment file and then hands every part of it (postings, terms, columns,
stored fields) out as a BufferFile, whose first act is ``BytesIO(buffer)``: a private copy of that part. So
every searcher held a private copy of the whole index (a worker of a 1,000-document KB, most of a GiB), and
every edit, which opens a new searcher in every worker, copied all of it again. Here the parts are views of
one shared mapping: pages are read from the page cache as a search touches them, and shared by every process.
"""

from __future__ import annotations

import mmap
import os

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile, StructFile

PEEK_BYTES = 4096


class _View:
    """A read-only file over a memoryview: what StructFile's sequential reads (seek, read) need of a file."""

    __slots__ = ("_buf", "_pos")

    def __init__(self, buf: memoryview):
        self._buf = buf
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = len(self._buf) if size is None or size < 0 else min(start + size, len(self._buf))
        self._pos = end
        return self._buf[start:end].tobytes()

    def readline(self, size: int | None = -1) -> bytes:
        limit = len(self._buf) if size is None or size < 0 else min(len(self._buf), self._pos + size)
        end = self._pos
        while end < limit:
            found = self._buf[end:min(end + PEEK_BYTES, limit)].tobytes().find(b"\n")
            if found >= 0:
                end += found + 1
                break
            end = min(end + PEEK_BYTES, limit)
        return self.read(end - self._pos)

    def peek(self, size: int = 0) -> bytes:
        """What follows, without reading it (pickle reads ahead with this instead of a call a byte)."""
        return self._buf[self._pos:self._pos + max(size, PEEK_BYTES)].tobytes()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_CUR:
            offset += self._pos
        elif whence == os.SEEK_END:
            offset += len(self._buf)
        self._pos = offset
        return offset

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._buf = memoryview(b"")


class MappedFile(BufferFile):
    """A BufferFile over a view of a mapping, without the private copy; its subsets are views too. ``base``: where
    the view starts in the mapping (``mapping``), so that a reader may search the mapping itself."""

    def __init__(self, buf: memoryview, name: str | None = None, onclose=None, base: int = 0):
        self._buf = buf
        self._name = name
        self.file = _View(buf)
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False
        self.base = base

    @property
    def mapping(self) -> mmap.mmap:
        return self._buf.obj  # type: ignore[return-value]

    def subset(self, position: int, length: int, name: str | None = None) -> MappedFile:
        return MappedFile(self._buf[position:position + length], name=name or self._name, base=self.base + position)


class MappedStorage(FileStorage):
    """A FileStorage whose files open as MappedFiles. ``supports_mmap`` is false only so that Whoosh's
    CompoundStorage asks the file for its parts (``subset``) instead of mapping and copying them itself."""

    supports_mmap = False

    def __init__(self, path: str, readonly: bool = False):
        super().__init__(path, supports_mmap=False, readonly=readonly)

    def open_file(self, name: str, **kwargs):
        path = self._fpath(name)
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size == 0:  # nothing to map
                return StructFile(open(path, "rb"), name=name, **kwargs)  # noqa: SIM115 - closed by its reader
            mapping = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        return MappedFile(memoryview(mapping), name=name, **kwargs)
