"""The few protobuf wire-format pieces that dag-pb and UnixFS messages need.

Both messages are tiny and fixed (PBNode, PBLink, UnixFS Data), and their bytes must be
exactly Kubo's, so we write the encoder by hand instead of generating classes: the field
order and presence rules live in `dagpb` and `unixfs`, next to the spec they follow.
"""

from __future__ import annotations

from collections.abc import Iterator

from microtask.content.varint import VarintError, decode_varint, encode_varint

VARINT = 0
LENGTH_DELIMITED = 2
FIXED32 = 5
FIXED64 = 1


class ProtobufError(ValueError):
    """Bytes that are not a well-formed protobuf message."""


def tag(field: int, wire_type: int) -> bytes:
    return encode_varint(field << 3 | wire_type)


def varint_field(field: int, value: int) -> bytes:
    return tag(field, VARINT) + encode_varint(value)


def bytes_field_header(field: int, length: int) -> bytes:
    """The tag and length that precede a length-delimited field's payload."""
    return tag(field, LENGTH_DELIMITED) + encode_varint(length)


def bytes_field(field: int, payload: bytes) -> bytes:
    return bytes_field_header(field, len(payload)) + payload


Field = tuple[int, int, int | memoryview]
"""(field number, wire type, value): an int for varints and fixed widths, else the bytes."""


def iter_fields(message: bytes | memoryview) -> Iterator[Field]:
    """Each field of ``message`` in wire order, without copying length-delimited payloads."""
    view = memoryview(message)
    offset = 0
    try:
        while offset < len(view):
            key, offset = decode_varint(view, offset)
            field, wire_type = key >> 3, key & 7
            if field == 0:
                raise ProtobufError("field number 0 is invalid")
            if wire_type == VARINT:
                value, offset = decode_varint(view, offset)
                yield field, wire_type, value
            elif wire_type == LENGTH_DELIMITED:
                length, offset = decode_varint(view, offset)
                end = offset + length
                if end > len(view):
                    raise ProtobufError(f"field {field} runs past the end of the message")
                yield field, wire_type, view[offset:end]
                offset = end
            elif wire_type in (FIXED32, FIXED64):
                width = 4 if wire_type == FIXED32 else 8
                if offset + width > len(view):
                    raise ProtobufError(f"field {field} runs past the end of the message")
                yield field, wire_type, int.from_bytes(view[offset : offset + width], "little")
                offset += width
            else:
                raise ProtobufError(f"unsupported wire type {wire_type} for field {field}")
    except VarintError as error:
        raise ProtobufError(str(error)) from None
