"""CAR v1 (Content Addressable aRchive): how content moves between IPFS nodes as a file.

A CAR v1 is a varint-prefixed DAG-CBOR header ``{"roots": [CID, ...], "version": 1}``
followed by sections, each a varint length, a binary CID and the block's bytes. Kubo reads
them with ``ipfs dag import`` and writes them with ``ipfs dag export``. We write exactly
that shape, and read it as a stream (one block in memory at a time), checking each block
against its CID before anyone stores it. CAR v2 (an indexed wrapper) is recognised and
refused with the way out: Kubo's export is v1.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import BinaryIO

import dag_cbor
from dag_cbor.decoding import CBORDecodingError

from microtask.content.cid import CID, normalized, read_cid, verify_block
from microtask.content.errors import CarFormatError, ContentCorrupted, InvalidCid
from microtask.content.varint import MAX_VARINT_BYTES, VarintError, decode_varint, encode_varint

MAX_HEADER_BYTES = 1 << 20
MAX_SECTION_BYTES = (4 << 20) + 256
"""A block of up to 4 MiB plus its CID: above Kubo's own limits, so any CAR it writes fits."""


def encode_header(roots: Sequence[CID]) -> bytes:
    header = dag_cbor.encode({"roots": list(roots), "version": 1})
    return encode_varint(len(header)) + header


def encode_section(cid: CID, block: bytes | memoryview) -> bytes:
    """The length and CID that precede a block in a CAR (the block follows unchanged)."""
    cid_bytes = bytes(cid)
    return encode_varint(len(cid_bytes) + len(block)) + cid_bytes


def write_car(stream: BinaryIO, roots: Sequence[CID], blocks: Iterable[tuple[CID, bytes]]) -> int:
    """Write a CAR v1 of ``blocks`` under ``roots``; returns the bytes written."""
    written = stream.write(encode_header(roots))
    for cid, block in blocks:
        written += stream.write(encode_section(cid, block))
        written += stream.write(block)
    return written


def _read_exact(stream: BinaryIO, length: int, what: str) -> bytes:
    data = stream.read(length)
    if len(data) != length:
        raise CarFormatError(f"truncated CAR: {what} ends after {len(data)} of {length} bytes")
    return data


def _read_varint(stream: BinaryIO) -> int | None:
    """The next varint, or None at a clean end of the stream."""
    buffer = bytearray()
    while len(buffer) <= MAX_VARINT_BYTES:
        byte = stream.read(1)
        if not byte:
            if buffer:
                raise CarFormatError("truncated CAR: a section length is cut off")
            return None
        buffer += byte
        if byte[0] < 0x80:
            try:
                return decode_varint(buffer, 0)[0]
            except VarintError as error:
                raise CarFormatError(f"malformed CAR section length: {error}") from None
    raise CarFormatError("malformed CAR: a section length is longer than a varint may be")


class CarReader:
    """The roots and blocks of a CAR v1 stream, blocks checked as they are read."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.roots = self._read_header()
        self.blocks_read = 0

    def _read_header(self) -> list[CID]:
        length = _read_varint(self._stream)
        if length is None:
            raise CarFormatError("empty file: not a CAR")
        if not 0 < length <= MAX_HEADER_BYTES:
            raise CarFormatError(f"not a CAR: header length {length}")
        raw = _read_exact(self._stream, length, "the header")
        try:
            header = dag_cbor.decode(raw)
        except (CBORDecodingError, ValueError) as error:
            raise CarFormatError(f"not a CAR: the header is not DAG-CBOR ({error})") from None
        if not isinstance(header, dict):
            raise CarFormatError("not a CAR: the header is not a map")
        version = header.get("version")
        if version == 2:
            raise CarFormatError(
                "this is a CAR v2; only CAR v1 is supported (ipfs dag export writes v1)"
            )
        if version != 1:
            raise CarFormatError(f"unsupported CAR version {version!r}")
        roots = header.get("roots")
        if not isinstance(roots, list):
            raise CarFormatError("CAR header roots must be a list of CIDs")
        cids = [normalized(root) for root in roots if isinstance(root, CID)]
        if len(cids) != len(roots):
            raise CarFormatError("CAR header roots must be a list of CIDs")
        return cids

    def __iter__(self) -> Iterator[tuple[CID, bytes]]:
        while (length := _read_varint(self._stream)) is not None:
            if not 0 < length <= MAX_SECTION_BYTES:
                raise CarFormatError(
                    f"CAR section {self.blocks_read + 1} has length {length} "
                    f"(at most {MAX_SECTION_BYTES})"
                )
            section = _read_exact(self._stream, length, f"section {self.blocks_read + 1}")
            try:
                cid, offset = read_cid(section)
            except InvalidCid as error:
                raise CarFormatError(
                    f"CAR section {self.blocks_read + 1} starts with an invalid CID: {error}"
                ) from None
            block = section[offset:]
            try:
                verify_block(cid, block)
            except ContentCorrupted:
                raise CarFormatError(
                    f"CAR section {self.blocks_read + 1}: block {cid} does not match its hash "
                    "(the CAR was tampered with or damaged); no root was pinned"
                ) from None
            self.blocks_read += 1
            yield cid, block
