"""Unsigned LEB128 varints, the length prefix of protobuf fields, CIDs and CAR sections.

Hand-rolled because the hot paths (a protobuf header per 256 KiB leaf, a CAR section
header per block) call them thousands of times and need only these few lines. Decoding is
strict: at most 9 bytes (63 bits, as multiformats specify) and no redundant trailing
zero bytes, so one number has exactly one encoding.
"""

from __future__ import annotations

MAX_VARINT_BYTES = 9


class VarintError(ValueError):
    """A varint is truncated, too long, or not minimally encoded."""


def encode_varint(value: int) -> bytes:
    if value < 0:
        raise ValueError("varints are unsigned")
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode_varint(buffer: bytes | bytearray | memoryview, offset: int) -> tuple[int, int]:
    """The varint at ``offset`` and the offset just after it."""
    value = 0
    shift = 0
    for index in range(offset, min(len(buffer), offset + MAX_VARINT_BYTES)):
        byte = buffer[index]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            if byte == 0 and index > offset:
                raise VarintError("varint is not minimally encoded")
            return value, index + 1
        shift += 7
    if len(buffer) - offset >= MAX_VARINT_BYTES:
        raise VarintError(f"varint longer than {MAX_VARINT_BYTES} bytes")
    raise VarintError("truncated varint")
