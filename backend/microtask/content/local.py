"""`LocalStore`: the embedded content store, a block directory that speaks Kubo's CIDs.

Nothing to install or run: blocks live under ``<data_dir>/content/blocks`` (see
`BlockStore`), pins under ``<data_dir>/content/pins`` (one small file per pinned root, so
pinning and unpinning are single atomic file operations), and adds produce exactly the
CIDs ``ipfs add`` would, so content can move to a real node as a CAR file at any time.

Adds, imports and pins hold a shared lock on ``<data_dir>/content/lock``; garbage
collection holds it exclusively, so it never deletes blocks of an add still in progress
(whose root is not pinned yet), in this process or another.

An add is durable when it returns: each block is fsynced before its rename, the blocks'
directories once after the last one (`BlockStore.flush`), then the pin file is written
the same way and its directory fsynced, so a crash never keeps a pin without its blocks
nor loses the pin of an add that returned. Content of one chunk or less (every platform
document: manifests, envelopes, reviews) is a single block, written in the caller's
thread: a pool of writer threads has nothing to overlap there and costs more than the
write.
"""

from __future__ import annotations

import fcntl
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from microtask.content.blockstore import BackgroundWriter, BlockStore
from microtask.content.car import CarReader, write_car
from microtask.content.cid import CID, CODEC_RAW, CidLike, block_key, parse_cid
from microtask.content.dag import ContentStat, describe, file_chunks, links_of, walk
from microtask.content.errors import ContentTooLarge, NotPinned
from microtask.content.importer import (
    DEFAULT_CHUNK_SIZE,
    ImportOptions,
    ProgressCallback,
    import_stream,
)
from microtask.content.spelling import cid_text, v1_base32_text
from microtask.content.store import CarImport, ContentStore, GcResult
from microtask.files import fsync_directory, write_atomically


def _pin_name(cid: CID) -> str:
    """A pin's file name: base32 CIDv1 (case-insensitive file systems cannot confuse two)."""
    return v1_base32_text(cid)


class LocalStore(ContentStore):
    kind = "local"

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = root
        self.blocks = BlockStore(root / "blocks", fsync=fsync)
        self._pins = root / "pins"
        self._pins.mkdir(parents=True, exist_ok=True)
        self._lock_path = root / "lock"

    def close(self) -> None:
        """Nothing to release: every operation opens and closes its own files."""

    def describe(self) -> str:
        return f"local store at {self.root}"

    @contextmanager
    def _locked(self, *, exclusive: bool) -> Iterator[None]:
        with self._lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def add_stream(
        self,
        stream: BinaryIO,
        *,
        cid_version: int = 0,
        pin: bool = True,
        progress: ProgressCallback | None = None,
    ) -> CID:
        options = ImportOptions(cid_version=cid_version)
        with self._locked(exclusive=False):
            with BackgroundWriter(self.blocks) as writer:
                result = import_stream(stream, writer, options, progress)
            return self._made_durable(result.cid, pin)

    def add_bytes(self, data: bytes, *, cid_version: int = 0, pin: bool = True) -> CID:
        if len(data) > DEFAULT_CHUNK_SIZE:
            return super().add_bytes(data, cid_version=cid_version, pin=pin)
        options = ImportOptions(cid_version=cid_version)
        with self._locked(exclusive=False):  # one block: written here (the module's note)
            result = import_stream(io.BytesIO(data), self.blocks, options)
            return self._made_durable(result.cid, pin)

    def _made_durable(self, cid: CID, pin: bool) -> CID:
        """Once every block of ``cid`` is written: their renames made durable, then the pin."""
        self.blocks.flush()
        if pin:
            self._record_pin(cid)
        return cid

    def iter_cat(self, cid: CidLike) -> Iterator[bytes]:
        return file_chunks(parse_cid(cid), self.blocks.get)

    def cat(self, cid: CidLike, *, max_bytes: int | None = None) -> bytes:
        """A whole file in memory, its root block read and checked once: it declares the
        file's size (checked against ``max_bytes`` before any other block is read) and,
        for a file of one block (every platform document), holds all of it. The generic
        `ContentStore.cat` would read and hash it twice, once to `stat` it."""
        parsed = parse_cid(cid)
        root = self.blocks.get(parsed)
        if max_bytes is not None:
            size = describe(parsed, root).size
            if size > max_bytes:
                raise ContentTooLarge(f"{parsed} is {size} bytes; the limit here is {max_bytes}")

        def get(block: CID) -> bytes:
            return root if block is parsed else self.blocks.get(block)

        return b"".join(file_chunks(parsed, get))

    def stat(self, cid: CidLike) -> ContentStat:
        parsed = parse_cid(cid)
        return describe(parsed, self.blocks.get(parsed))

    def has(self, cid: CidLike) -> bool:
        return self.blocks.has(parse_cid(cid))

    def pin(self, cid: CidLike) -> None:
        parsed = parse_cid(cid)
        with self._locked(exclusive=False):
            self._pin_complete(parsed)

    def _pin_complete(self, cid: CID) -> None:
        for _ in walk(cid, self.blocks.get):
            pass  # every block present and intact, or ContentNotFound / ContentCorrupted
        self._record_pin(cid)

    def _record_pin(self, cid: CID) -> None:
        write_atomically(self._pins / _pin_name(cid), cid_text(cid), mode=0o644)
        if self.blocks.fsync:  # the rename itself, so a pin that was recorded stays
            fsync_directory(self._pins)

    def unpin(self, cid: CidLike) -> None:
        parsed = parse_cid(cid)
        try:
            (self._pins / _pin_name(parsed)).unlink()
        except FileNotFoundError:
            raise NotPinned(f"{parsed} is not pinned") from None

    def pins(self) -> list[CID]:
        return [
            parse_cid(path.read_text(encoding="utf-8"))
            for path in sorted(self._pins.iterdir())
            if not path.name.startswith(".")
        ]

    def gc(self) -> GcResult:
        with self._locked(exclusive=True):
            live = self._reachable_keys()
            removed = freed = 0
            for key in list(self.blocks.iter_keys()):
                if key not in live:
                    freed += self.blocks.delete_key(key)
                    removed += 1
            self.blocks.remove_temporaries()
        return GcResult(removed, freed)

    def _reachable_keys(self) -> set[str]:
        """Keys of every block some pin reaches; raw leaves are marked without reading them."""
        live: set[str] = set()
        stack = self.pins()
        while stack:
            cid = stack.pop()
            key = block_key(cid)
            if key in live:
                continue
            live.add(key)
            if cid.codec.code != CODEC_RAW and self.blocks.has(cid):
                stack.extend(links_of(cid, self.blocks.get(cid)))
        return live

    def export_car(self, cid: CidLike, stream: BinaryIO) -> int:
        parsed = parse_cid(cid)
        return write_car(stream, [parsed], walk(parsed, self.blocks.get))

    def import_car(self, stream: BinaryIO, *, pin_roots: bool = True) -> CarImport:
        reader = CarReader(stream)
        with self._locked(exclusive=False):
            with BackgroundWriter(self.blocks) as writer:
                for cid, block in reader:
                    writer.put(cid, block)
            self.blocks.flush()
            if pin_roots:
                for root in reader.roots:
                    self._pin_complete(root)
        return CarImport(tuple(reader.roots), reader.blocks_read, pin_roots)
