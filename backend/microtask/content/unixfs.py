"""UnixFS ``Data`` messages: what a dag-pb node's Data means for files.

Only files are written (Kubo's ``ipfs add`` of one file); everything UnixFS defines is
read, so a node made by another implementation (a Raw leaf, a mode, an mtime) is
understood, and a directory is recognised and refused by the reader rather than misread.
Field order on the wire is by field number, as protobuf encoders (Kubo's) write it;
``blocksizes`` is unpacked (proto2), one tag per entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from microtask.content.dagpb import data_only_node_header
from microtask.content.protobuf import (
    LENGTH_DELIMITED,
    VARINT,
    ProtobufError,
    bytes_field,
    bytes_field_header,
    iter_fields,
    varint_field,
)
from microtask.content.varint import VarintError, decode_varint

_TYPE = 1
_DATA = 2
_FILESIZE = 3
_BLOCKSIZES = 4
_HASH_TYPE = 5
_FANOUT = 6
_MODE = 7
_MTIME = 8


class DataType(IntEnum):
    RAW = 0
    DIRECTORY = 1
    FILE = 2
    METADATA = 3
    SYMLINK = 4
    HAMT_SHARD = 5


class UnixFSError(ValueError):
    """A dag-pb node whose Data is not a UnixFS message."""


@dataclass(frozen=True, slots=True)
class UnixFSData:
    type: DataType
    data: bytes | None = None
    filesize: int | None = None
    blocksizes: tuple[int, ...] = ()
    mode: int | None = None

    @property
    def is_file(self) -> bool:
        return self.type in (DataType.FILE, DataType.RAW)

    @property
    def size(self) -> int:
        """The file's length: ``filesize`` when set, else the inline data plus the children."""
        if self.filesize is not None:
            return self.filesize
        return len(self.data or b"") + sum(self.blocksizes)


def encode(message: UnixFSData) -> bytes:
    parts = [varint_field(_TYPE, message.type)]
    if message.data is not None:
        parts.append(bytes_field(_DATA, message.data))
    if message.filesize is not None:
        parts.append(varint_field(_FILESIZE, message.filesize))
    parts.extend(varint_field(_BLOCKSIZES, size) for size in message.blocksizes)
    if message.mode is not None:
        parts.append(varint_field(_MODE, message.mode))
    return b"".join(parts)


def decode(payload: bytes | memoryview) -> UnixFSData:
    kind: int | None = None
    data: bytes | None = None
    filesize: int | None = None
    blocksizes: list[int] = []
    mode: int | None = None
    try:
        for field, wire_type, value in iter_fields(payload):
            if field == _TYPE and wire_type == VARINT:
                assert isinstance(value, int)
                kind = value
            elif field == _DATA and wire_type == LENGTH_DELIMITED:
                assert isinstance(value, memoryview)
                data = bytes(value)
            elif field == _FILESIZE and wire_type == VARINT:
                assert isinstance(value, int)
                filesize = value
            elif field == _BLOCKSIZES and wire_type == VARINT:
                assert isinstance(value, int)
                blocksizes.append(value)
            elif field == _BLOCKSIZES and wire_type == LENGTH_DELIMITED:
                assert isinstance(value, memoryview)
                blocksizes.extend(_packed_varints(value))  # packed, as some encoders write
            elif field == _MODE and wire_type == VARINT:
                assert isinstance(value, int)
                mode = value
            elif field in (_HASH_TYPE, _FANOUT, _MTIME):
                continue  # HAMT parameters and mtime: meaningful for directories and metadata
            else:
                raise UnixFSError(f"unexpected field {field} (wire type {wire_type}) in UnixFS")
    except ProtobufError as error:
        raise UnixFSError(f"malformed UnixFS data: {error}") from None
    if kind is None:
        raise UnixFSError("UnixFS data without a Type")
    try:
        data_type = DataType(kind)
    except ValueError:
        raise UnixFSError(f"unknown UnixFS type {kind}") from None
    return UnixFSData(data_type, data, filesize, tuple(blocksizes), mode)


def _packed_varints(payload: memoryview) -> list[int]:
    values = []
    offset = 0
    while offset < len(payload):
        try:
            value, offset = decode_varint(payload, offset)
        except VarintError as error:
            raise UnixFSError(f"malformed packed blocksizes: {error}") from None
        values.append(value)
    return values


def file_leaf_frame(length: int) -> tuple[bytes, bytes]:
    """The bytes before and after a chunk of ``length`` bytes in a dag-pb file leaf.

    ``prefix + chunk + suffix`` is the leaf Kubo writes without raw leaves
    (``PBNode{Data: UnixFS{Type: File, Data: chunk, filesize: length}}``), so a leaf can be
    hashed and written in three pieces instead of copying a 256 KiB chunk into a new buffer.
    An empty file has no Data field at all, as in Kubo.
    """
    if length == 0:
        body = encode(UnixFSData(DataType.FILE, filesize=0))
        return data_only_node_header(len(body)) + body, b""
    inner_prefix = varint_field(_TYPE, DataType.FILE) + bytes_field_header(_DATA, length)
    suffix = varint_field(_FILESIZE, length)
    inner_length = len(inner_prefix) + length + len(suffix)
    return data_only_node_header(inner_length) + inner_prefix, suffix
