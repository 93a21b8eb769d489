"""Turning a byte stream into a UnixFS file DAG, block for block as Kubo's ``ipfs add``.

The layout is Kubo's balanced builder (boxo ``importer/balanced``): fixed-size chunks
become leaves; up to ``max_links`` children make a node one level up; a single chunk is its
own root; and every leaf sits at the same depth, with full subtrees on the left. Kubo
builds it recursively; we build the same tree bottom-up in one pass, keeping only one
unfinished row of links per level, so memory stays at a few rows of 174 links and one
chunk whatever the file's size.

Defaults are Kubo's: CIDv0 with dag-pb leaves, 262144-byte chunks, 174 links per node.
CIDv1 implies raw leaves (``ipfs add --cid-version 1``); ``raw_leaves`` can say otherwise
either way, as Kubo's ``--raw-leaves`` flag does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from microtask.content.cid import CID, CODEC_DAG_PB, CODEC_RAW, block_cid, cid_from_digest
from microtask.content.dagpb import PBLink, encode_node
from microtask.content.unixfs import DataType, UnixFSData, encode, file_leaf_frame

DEFAULT_CHUNK_SIZE = 262_144
DEFAULT_MAX_LINKS = 174
MAX_CHUNK_SIZE = 1_048_576
"""Kubo refuses chunkers above its 1 MiB block size limit; so do we."""

ProgressCallback = Callable[[int], None]
"""Called after each chunk with the number of bytes read so far."""


class BlockSink(Protocol):
    """Where the importer puts each finished block, given as pieces to write in order."""

    def put(self, cid: CID, *parts: bytes | memoryview) -> object: ...


class DiscardBlocks:
    """A sink that keeps nothing: for computing a CID only (``ipfs add --only-hash``)."""

    def put(self, cid: CID, *parts: bytes | memoryview) -> None:
        return None


@dataclass(frozen=True, slots=True)
class ImportOptions:
    cid_version: int = 0
    raw_leaves: bool | None = None
    chunk_size: int = DEFAULT_CHUNK_SIZE
    max_links: int = DEFAULT_MAX_LINKS

    def __post_init__(self) -> None:
        if self.cid_version not in (0, 1):
            raise ValueError(f"CID version must be 0 or 1, not {self.cid_version}")
        if not 1 <= self.chunk_size <= MAX_CHUNK_SIZE:
            raise ValueError(f"chunk size must be between 1 and {MAX_CHUNK_SIZE} bytes")
        if self.max_links < 2:
            raise ValueError("a node needs room for at least 2 links")

    @property
    def leaves_are_raw(self) -> bool:
        return self.raw_leaves if self.raw_leaves is not None else self.cid_version == 1


@dataclass(frozen=True, slots=True)
class ImportResult:
    cid: CID
    size: int
    """The file's length in bytes."""
    cumulative_size: int
    """Every block of the DAG, as the root's Tsize would record it."""
    blocks: int
    """Blocks produced, counting repeats (a file of zeros repeats its leaf)."""


@dataclass(frozen=True, slots=True)
class _Child:
    cid: CID
    tsize: int
    filesize: int


class _BalancedBuilder:
    def __init__(self, sink: BlockSink, options: ImportOptions) -> None:
        self._sink = sink
        self._options = options
        self._levels: list[list[_Child]] = []
        self.blocks = 0

    def add_chunk(self, chunk: memoryview) -> None:
        self._add(0, self._leaf(chunk))

    def finish(self) -> _Child:
        if not self._levels:
            return self._leaf(memoryview(b""))  # the empty file: one empty leaf
        level = 0
        while True:
            row = self._levels[level]
            above = any(self._levels[higher] for higher in range(level + 1, len(self._levels)))
            if not above and len(row) == 1:
                return row[0]
            self._levels[level] = []
            self._add(level + 1, self._node(row))
            level += 1

    def _add(self, level: int, child: _Child) -> None:
        if level == len(self._levels):
            self._levels.append([])
        row = self._levels[level]
        if len(row) < self._options.max_links:
            row.append(child)
            return
        self._levels[level] = [child]
        self._add(level + 1, self._node(row))

    def _leaf(self, chunk: memoryview) -> _Child:
        self.blocks += 1
        size = len(chunk)
        if self._options.leaves_are_raw:
            cid = block_cid(chunk, CODEC_RAW, 1)
            self._sink.put(cid, chunk)
            return _Child(cid, size, size)
        prefix, suffix = file_leaf_frame(size)
        digest = hashlib.sha256(prefix)
        digest.update(chunk)
        digest.update(suffix)
        cid = cid_from_digest(digest.digest(), CODEC_DAG_PB, self._options.cid_version)
        self._sink.put(cid, prefix, chunk, suffix)
        return _Child(cid, len(prefix) + size + len(suffix), size)

    def _node(self, children: list[_Child]) -> _Child:
        self.blocks += 1
        sizes = tuple(child.filesize for child in children)
        data = encode(UnixFSData(DataType.FILE, filesize=sum(sizes), blocksizes=sizes))
        block = encode_node([PBLink(child.cid, "", child.tsize) for child in children], data)
        cid = block_cid(block, CODEC_DAG_PB, self._options.cid_version)
        self._sink.put(cid, block)
        return _Child(cid, len(block) + sum(child.tsize for child in children), sum(sizes))


def read_chunk(stream: BinaryIO, buffer: bytearray) -> int:
    """Fill ``buffer`` from ``stream`` as far as it goes; fewer bytes only at the end.

    Pipes and sockets return short reads mid-stream; Kubo's size chunker reads until the
    chunk is full (``io.ReadFull``), and so must we, or chunk boundaries (and CIDs) would
    depend on how the bytes arrived.
    """
    view = memoryview(buffer)
    readinto = getattr(stream, "readinto", None)
    filled = 0
    while filled < len(buffer):
        if readinto is not None:
            count = readinto(view[filled:])
        else:  # a reader with only read(): one copy per read
            piece = stream.read(len(buffer) - filled)
            count = len(piece)
            view[filled : filled + count] = piece
        if not count:
            break
        filled += count
    return filled


def import_stream(
    stream: BinaryIO,
    sink: BlockSink,
    options: ImportOptions | None = None,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Chunk ``stream`` into a UnixFS file DAG, hand each block to ``sink``, return the root.

    The sink sees every leaf before the nodes that link to it, and the root last, so a
    sink that stops part-way leaves only complete, unreferenced blocks behind.
    """
    options = options or ImportOptions()
    builder = _BalancedBuilder(sink, options)
    buffer = bytearray(options.chunk_size)
    total = 0
    while True:
        count = read_chunk(stream, buffer)
        if count == 0:
            break
        builder.add_chunk(memoryview(buffer)[:count])
        total += count
        if progress is not None:
            progress(total)
        if count < len(buffer):
            break
    root = builder.finish()
    return ImportResult(root.cid, total, root.tsize, builder.blocks)
