"""The `ContentStore` interface: what the platform asks of any content store.

Two implementations share it, the embedded `LocalStore` and `KuboStore` (a Kubo node),
and one contract test suite holds both to it. Everything here that can be said in terms of
the abstract operations (bytes, files, JSON) is written once, so the two stores differ only
where they really do.
"""

from __future__ import annotations

import io
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Self

from microtask.content.cid import CID, CidLike, parse_cid
from microtask.content.dag import ContentStat
from microtask.content.errors import ContentTooLarge, UnsupportedContent
from microtask.content.importer import ProgressCallback
from microtask.encoding.canonical import canonical_json as encoded_canonical_json

DEFAULT_JSON_LIMIT = 16 << 20
"""Largest JSON document `cat_json` reads into memory unless told otherwise."""


def canonical_json(value: Any) -> bytes:
    """``value`` as canonical JSON (see `microtask.encoding.canonical`), or a clear error.

    Two parties serialising the same manifest get the same bytes and so the same CID.
    """
    try:
        return encoded_canonical_json(value)
    except (TypeError, ValueError) as error:
        raise UnsupportedContent(f"not JSON-serialisable: {error}") from None


@dataclass(frozen=True, slots=True)
class GcResult:
    removed_blocks: int
    freed_bytes: int | None
    """Bytes freed, where the store can tell (Kubo does not say)."""


@dataclass(frozen=True, slots=True)
class CarImport:
    roots: tuple[CID, ...]
    blocks: int
    pinned: bool


class ContentStore(ABC):
    """Content-addressed storage: add → CID, read by CID, pin what must stay, move as CAR."""

    kind: str
    """A short name for messages: ``local`` or ``kubo``."""

    @abstractmethod
    def describe(self) -> str:
        """Where this store keeps content, for `microtask up` and error messages."""

    @abstractmethod
    def add_stream(
        self,
        stream: BinaryIO,
        *,
        cid_version: int = 0,
        pin: bool = True,
        progress: ProgressCallback | None = None,
    ) -> CID:
        """Add a file's bytes read from ``stream`` (never all in memory); pinned by default."""

    @abstractmethod
    def iter_cat(self, cid: CidLike) -> Iterator[bytes]:
        """A file's bytes in order, block by block, each checked before it is yielded."""

    @abstractmethod
    def stat(self, cid: CidLike) -> ContentStat: ...

    @abstractmethod
    def has(self, cid: CidLike) -> bool:
        """Whether the root block is held here (no network is asked)."""

    @abstractmethod
    def pin(self, cid: CidLike) -> None:
        """Keep the whole DAG under ``cid`` through garbage collection; all blocks must be here."""

    @abstractmethod
    def unpin(self, cid: CidLike) -> None: ...

    @abstractmethod
    def pins(self) -> list[CID]:
        """The recursively pinned roots."""

    @abstractmethod
    def gc(self) -> GcResult:
        """Delete every block that no pin reaches."""

    @abstractmethod
    def export_car(self, cid: CidLike, stream: BinaryIO) -> int:
        """Write the DAG under ``cid`` as a CAR v1 to ``stream``; returns bytes written."""

    @abstractmethod
    def import_car(self, stream: BinaryIO, *, pin_roots: bool = True) -> CarImport:
        """Store every block of a CAR v1 (each checked), then pin its roots."""

    @abstractmethod
    def close(self) -> None:
        """Release connections and files held between calls."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # Everything below is expressed through the operations above.

    def add_bytes(self, data: bytes, *, cid_version: int = 0, pin: bool = True) -> CID:
        return self.add_stream(io.BytesIO(data), cid_version=cid_version, pin=pin)

    def add_file(
        self,
        path: Path,
        *,
        cid_version: int = 0,
        pin: bool = True,
        progress: ProgressCallback | None = None,
    ) -> CID:
        with path.open("rb") as stream:
            return self.add_stream(stream, cid_version=cid_version, pin=pin, progress=progress)

    def add_json(self, value: Any, *, cid_version: int = 0, pin: bool = True) -> CID:
        """Add ``value`` as canonical JSON (see `canonical_json`), as a UnixFS file."""
        return self.add_bytes(canonical_json(value), cid_version=cid_version, pin=pin)

    def cat(self, cid: CidLike, *, max_bytes: int | None = None) -> bytes:
        """A whole file in memory; ``max_bytes`` refuses larger ones before reading them."""
        parsed = parse_cid(cid)
        if max_bytes is not None:
            size = self.stat(parsed).size
            if size > max_bytes:
                raise ContentTooLarge(f"{parsed} is {size} bytes; the limit here is {max_bytes}")
        return b"".join(self.iter_cat(parsed))

    def cat_json(self, cid: CidLike, *, max_bytes: int = DEFAULT_JSON_LIMIT) -> Any:
        data = self.cat(cid, max_bytes=max_bytes)
        try:
            return json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise UnsupportedContent(f"{parse_cid(cid)} is not JSON: {error}") from None
