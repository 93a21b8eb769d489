"""The importer's trees, at sizes and shapes Kubo's defaults never reach quickly.

Small chunks and few links per node build deep trees from a few bytes, so properties can
be checked over thousands of shapes: every file reads back, every node obeys the limits,
and all leaves sit at one depth (the balanced layout). Kubo agrees on the default shapes
(test_cids.py); these check the same code at depth.
"""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from microtask.content.cid import CID, CODEC_RAW
from microtask.content.dag import decode_pb, file_chunks, unixfs_of
from microtask.content.importer import ImportOptions, import_stream


class DictSink:
    def __init__(self) -> None:
        self.blocks: dict[CID, bytes] = {}

    def put(self, cid: CID, *parts: bytes | memoryview) -> None:
        self.blocks[cid] = b"".join(bytes(part) for part in parts)


def leaf_depths(sink: DictSink, cid: CID, max_links: int, depth: int = 0) -> set[int]:
    if cid.codec.code == CODEC_RAW:
        return {depth}
    node = decode_pb(cid, sink.blocks[cid])
    assert len(node.links) <= max_links
    unixfs = unixfs_of(cid, node)
    assert len(unixfs.blocksizes) == len(node.links)
    if not node.links:
        return {depth}
    depths: set[int] = set()
    for link in node.links:
        depths |= leaf_depths(sink, link.cid, max_links, depth + 1)
    return depths


@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(max_size=3000),
    chunk_size=st.integers(min_value=1, max_value=64),
    max_links=st.integers(min_value=2, max_value=6),
    cid_version=st.sampled_from([0, 1]),
)
def test_any_file_reads_back_from_a_balanced_tree(
    data: bytes, chunk_size: int, max_links: int, cid_version: int
) -> None:
    sink = DictSink()
    options = ImportOptions(cid_version=cid_version, chunk_size=chunk_size, max_links=max_links)
    result = import_stream(io.BytesIO(data), sink, options)
    assert result.size == len(data)
    assert b"".join(file_chunks(result.cid, sink.blocks.__getitem__)) == data
    assert len(leaf_depths(sink, result.cid, max_links)) == 1  # every leaf at one depth
    chunks = max(1, -(-len(data) // chunk_size))
    assert result.blocks >= chunks
    if chunks == 1:
        assert result.blocks == 1  # a single chunk is its own root


class Trickle(io.RawIOBase):
    """A stream that returns at most ``step`` bytes per read, as a pipe may."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = memoryview(data)
        self._step = step

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = min(len(buffer), self._step, len(self._data))
        buffer[:count] = self._data[:count]
        self._data = self._data[count:]
        return count


@settings(max_examples=50, deadline=None)
@given(data=st.binary(min_size=1, max_size=5000), step=st.integers(min_value=1, max_value=700))
def test_short_reads_do_not_change_the_cid(data: bytes, step: int) -> None:
    options = ImportOptions(chunk_size=256)
    whole = import_stream(io.BytesIO(data), DictSink(), options).cid
    assert import_stream(Trickle(data, step), DictSink(), options).cid == whole


class ReadOnly:
    """A reader with ``read`` and nothing else (no ``readinto``), as some wrappers are."""

    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(min(size, 100))


def test_a_reader_without_readinto_gives_the_same_cid() -> None:
    data = bytes(range(256)) * 40
    options = ImportOptions(chunk_size=512)
    whole = import_stream(io.BytesIO(data), DictSink(), options).cid
    assert import_stream(ReadOnly(data), DictSink(), options).cid == whole  # type: ignore[arg-type]
