"""Reading DAGs from blocks: a UnixFS file's bytes, a DAG's blocks, a root's description.

These work over any `BlockSource` that returns checked bytes, so the local store, the
Kubo store and CAR files share one reader and one idea of what a file is. Traversals keep
an explicit stack (no recursion limit to hit on a deep DAG) and hold one path of nodes,
never the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import dag_cbor
from dag_cbor.decoding import CBORDecodingError

from microtask.content.cid import (
    CID,
    CODEC_DAG_CBOR,
    CODEC_DAG_PB,
    CODEC_RAW,
    block_key,
    codec_name,
    normalized,
)
from microtask.content.dagpb import DagPbError, PBNode, decode_node
from microtask.content.errors import ContentError, NotAFile, UnsupportedContent
from microtask.content.unixfs import DataType, UnixFSData, UnixFSError
from microtask.content.unixfs import decode as decode_unixfs

BlockSource = Callable[[CID], bytes]
"""Returns a block's bytes, already matched to its CID, or raises ContentNotFound."""

Kind = Literal["file", "directory", "symlink", "other"]


class InconsistentDag(ContentError, ValueError):
    """Blocks whose hashes match but whose sizes or structure contradict each other."""


def decode_pb(cid: CID, block: bytes) -> PBNode:
    try:
        return decode_node(block)
    except DagPbError as error:
        raise UnsupportedContent(f"{cid} is not a valid dag-pb node: {error}") from None


def unixfs_of(cid: CID, node: PBNode) -> UnixFSData:
    if node.data is None:
        raise UnsupportedContent(f"{cid} is a dag-pb node without UnixFS data")
    try:
        return decode_unixfs(node.data)
    except UnixFSError as error:
        raise UnsupportedContent(f"{cid} has invalid UnixFS data: {error}") from None


def file_chunks(root: CID, get_block: BlockSource) -> Iterator[bytes]:
    """The bytes of the UnixFS file (or raw block) ``root``, in order, block by block.

    Each block is checked by ``get_block`` before any of its bytes are yielded, so a
    tampered block stops the stream before it is served.
    """
    stack = [root]
    produced = 0
    declared: int | None = None
    while stack:
        cid = stack.pop()
        block = get_block(cid)
        code = cid.codec.code
        if code == CODEC_RAW:
            produced += len(block)
            if declared is None:
                declared = len(block)
            yield block
            continue
        if code != CODEC_DAG_PB:
            raise NotAFile(f"{cid} is {codec_name(cid)}, not a UnixFS file")
        node = decode_pb(cid, block)
        unixfs = unixfs_of(cid, node)
        if unixfs.type in (DataType.DIRECTORY, DataType.HAMT_SHARD):
            raise NotAFile(f"{cid} is a directory, not a file")
        if not unixfs.is_file:
            raise NotAFile(f"{cid} is a UnixFS {unixfs.type.name.lower()}, not a file")
        if declared is None:
            declared = unixfs.size
        if unixfs.data:
            produced += len(unixfs.data)
            yield unixfs.data
        stack.extend(reversed([link.cid for link in node.links]))
    if declared is not None and produced != declared:
        raise InconsistentDag(f"{root} declares {declared} bytes but its blocks hold {produced}")


def links_of(cid: CID, block: bytes) -> list[CID]:
    """The CIDs a block links to, for the codecs a UnixFS or CAR round trip meets."""
    code = cid.codec.code
    if code == CODEC_RAW:
        return []
    if code == CODEC_DAG_PB:
        return [link.cid for link in decode_pb(cid, block).links]
    if code == CODEC_DAG_CBOR:
        try:
            value = dag_cbor.decode(block)
        except (CBORDecodingError, ValueError) as error:
            raise UnsupportedContent(f"{cid} is not valid dag-cbor: {error}") from None
        return list(_cids_in(value))
    raise UnsupportedContent(f"cannot follow links of {cid}: codec {codec_name(cid)}")


def _cids_in(value: Any) -> Iterator[CID]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, CID):
            yield normalized(item)
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def walk(root: CID, get_block: BlockSource) -> Iterator[tuple[CID, bytes]]:
    """Every block of the DAG under ``root``, depth first, each distinct block once.

    Depth-first pre-order with links in their order is how Kubo's ``dag export`` writes
    a CAR, so a CAR of ours has the same blocks in the same order.
    """
    seen: set[str] = set()
    stack = [root]
    while stack:
        cid = stack.pop()
        key = block_key(cid)
        if key in seen:
            continue
        seen.add(key)
        block = get_block(cid)
        yield cid, block
        stack.extend(reversed(links_of(cid, block)))


@dataclass(frozen=True, slots=True)
class ContentStat:
    """What one CID is, from its root block alone."""

    cid: CID
    codec: str
    kind: Kind
    size: int
    """A file's length in bytes; for other kinds, the root block's length."""
    cumulative_size: int
    """The root block plus every block under it, as the links record (Kubo's CumulativeSize)."""
    block_size: int
    links: int


def describe(cid: CID, block: bytes) -> ContentStat:
    code = cid.codec.code
    name = codec_name(cid)
    if code == CODEC_RAW:
        return ContentStat(cid, name, "file", len(block), len(block), len(block), 0)
    if code != CODEC_DAG_PB:
        count = len(links_of(cid, block)) if code == CODEC_DAG_CBOR else 0
        return ContentStat(cid, name, "other", len(block), len(block), len(block), count)
    node = decode_pb(cid, block)
    unixfs = unixfs_of(cid, node)
    kind: Kind
    if unixfs.is_file:
        kind, size = "file", unixfs.size
    elif unixfs.type in (DataType.DIRECTORY, DataType.HAMT_SHARD):
        kind, size = "directory", len(block)
    elif unixfs.type == DataType.SYMLINK:
        kind, size = "symlink", len(unixfs.data or b"")
    else:
        kind, size = "other", len(block)
    cumulative = len(block) + node.cumulative_size
    return ContentStat(cid, name, kind, size, cumulative, len(block), len(node.links))
