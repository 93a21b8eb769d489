"""Blocks on disk, one file each, named by multihash, never half-written.

The layout is Kubo's flatfs (``next-to-last/2`` sharding of the base32 multihash), so a
directory of blocks looks familiar to anyone who has opened an IPFS repo, and no directory
grows past ~1000 entries. A block is written to a temporary file in its shard directory,
flushed to disk (fsync, unless turned off), then renamed into place: a crash at any point
leaves either the whole block or none of it, and a reader never sees a partial file.
Every read is checked against the block's hash, so a tampered or truncated file is
reported, never served.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Self

from microtask.content.cid import CID, block_key, verify_block
from microtask.content.errors import ContentNotFound
from microtask.files import fsync_directory

_SUFFIX = ".data"
_TEMP_PREFIX = ".tmp-"


class BlockStore:
    """A content-addressed directory of blocks; safe for concurrent writers."""

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = root
        self.fsync = fsync
        self._dirty_dirs: set[Path] = set()
        self._flushing = threading.Lock()
        root.mkdir(parents=True, exist_ok=True)

    def path_of(self, cid: CID) -> Path:
        return self._path_of_key(block_key(cid))

    def _path_of_key(self, key: str) -> Path:
        return self.root / key[-3:-1] / f"{key}{_SUFFIX}"

    def has(self, cid: CID) -> bool:
        return self.path_of(cid).is_file()

    def size(self, cid: CID) -> int | None:
        """The stored block's length in bytes, or None when absent (no hash check)."""
        try:
            return self.path_of(cid).stat().st_size
        except FileNotFoundError:
            return None

    def get(self, cid: CID) -> bytes:
        """The block's bytes, checked against its hash."""
        path = self.path_of(cid)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ContentNotFound(f"block {cid} is not in the local store") from None
        verify_block(cid, data, where=str(path))
        return data

    def put(self, cid: CID, *parts: bytes | memoryview) -> bool:
        """Store a block whose bytes the caller has already matched to ``cid``.

        Returns False when the block was already present. A present file of the wrong
        length (truncated by a crash of some other tool, or a full disk) is replaced, so
        adding the content again repairs it.
        """
        path = self.path_of(cid)
        length = sum(len(part) for part in parts)
        try:
            if path.stat().st_size == length:
                return False
        except FileNotFoundError:
            pass
        directory = path.parent
        directory.mkdir(exist_ok=True)
        temporary = directory / f"{_TEMP_PREFIX}{path.name}.{secrets.token_hex(6)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            try:
                for part in parts:
                    view = memoryview(part)
                    while view:
                        written = os.write(descriptor, view)
                        view = view[written:]
                if self.fsync:
                    os.fsync(descriptor)
            finally:
                os.close(descriptor)
            temporary.replace(path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        self._dirty_dirs.add(directory)
        return True

    def flush(self) -> None:
        """Make the renames of blocks written so far durable (fsync their directories).

        Called once at the end of an add or import, before the pin that refers to the
        blocks is recorded, instead of once per block. Adds in other threads share the
        set of directories to flush: one that finds its directories already taken by a
        flush still running waits for it (the lock), so no add returns before its own
        renames are on disk.
        """
        with self._flushing:
            dirty, self._dirty_dirs = self._dirty_dirs, set()
            if not self.fsync:
                return
            for directory in sorted(dirty):
                fsync_directory(directory)

    def iter_keys(self) -> Iterator[str]:
        """Every stored block's key (its base32 multihash)."""
        for shard in sorted(self.root.iterdir()):
            if not shard.is_dir():
                continue
            for entry in sorted(shard.iterdir()):
                name = entry.name
                if name.endswith(_SUFFIX) and not name.startswith(_TEMP_PREFIX):
                    yield name[: -len(_SUFFIX)]

    def delete_key(self, key: str) -> int:
        """Remove one block by key; returns the bytes freed (0 if it was already gone)."""
        path = self._path_of_key(key)
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            return 0
        return size

    def remove_temporaries(self) -> int:
        """Delete leftovers of interrupted writes; only safe while no writer runs (gc)."""
        removed = 0
        for shard in self.root.iterdir():
            if shard.is_dir():
                for entry in shard.glob(f"{_TEMP_PREFIX}*"):
                    entry.unlink(missing_ok=True)
                    removed += 1
        return removed


class BackgroundWriter:
    """Writes blocks to a `BlockStore` on worker threads while the caller reads and hashes.

    An add spends most of its time waiting: for the disk to read a chunk, for fsync to
    flush a block. Hashing and both kinds of I/O release the GIL, so handing each finished
    block to a small pool lets the importer hash the next chunk while earlier blocks are
    flushed. At most ``window`` blocks wait at once (4 MiB at 256 KiB), so memory stays
    bounded however large the file. `close` waits for every write and re-raises the first
    failure; blocks already written are whole (see `BlockStore.put`).
    """

    def __init__(self, blocks: BlockStore, *, workers: int = 4, window: int = 16) -> None:
        self._blocks = blocks
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="microtask-blocks")
        self._slots = threading.BoundedSemaphore(window)
        self._failure: BaseException | None = None

    def put(self, cid: CID, *parts: bytes | memoryview) -> None:
        if self._failure is not None:
            raise self._failure
        payload = b"".join(parts)  # a copy: the importer reuses its chunk buffer
        self._slots.acquire()
        future = self._pool.submit(self._blocks.put, cid, payload)
        future.add_done_callback(self._finished)

    def _finished(self, future: Future[bool]) -> None:
        if future.cancelled():  # the add failed and dropped its queued writes
            self._slots.release()
            return
        error = future.exception()
        if error is not None and self._failure is None:
            self._failure = error
        self._slots.release()

    def close(self) -> None:
        """Wait for every queued write; raise the first error any of them met."""
        self._pool.shutdown(wait=True)
        if self._failure is not None:
            raise self._failure

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            return
        self.close()
