"""dag-pb, the codec of UnixFS nodes: ``PBNode { Links: [PBLink], Data: bytes }``.

Encoding follows the canonical form of the IPLD dag-pb spec, which is what Kubo writes:
links first, then data; each link carries its Hash, its Name (Kubo writes the empty string
for file chunks, so the name is present but empty) and its Tsize. Decoding is as strict
as Kubo's (go-codec-dagpb): fields in that order, no duplicates, no unknown fields, so a
node has exactly one encoding and its CID means one thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from microtask.content.cid import CID, parse_cid
from microtask.content.errors import InvalidCid
from microtask.content.protobuf import (
    LENGTH_DELIMITED,
    VARINT,
    ProtobufError,
    bytes_field,
    bytes_field_header,
    iter_fields,
    varint_field,
)

_PBNODE_DATA = 1
_PBNODE_LINKS = 2
_PBLINK_HASH = 1
_PBLINK_NAME = 2
_PBLINK_TSIZE = 3


class DagPbError(ValueError):
    """Bytes that are not a canonical dag-pb node."""


@dataclass(frozen=True, slots=True)
class PBLink:
    """A link to a child block; ``tsize`` is the child's block plus everything under it."""

    cid: CID
    name: str | None = ""
    tsize: int | None = None


@dataclass(frozen=True, slots=True)
class PBNode:
    links: tuple[PBLink, ...]
    data: bytes | None

    @property
    def cumulative_size(self) -> int:
        """Total size of the children's subtrees, as their links record it."""
        return sum(link.tsize or 0 for link in self.links)


def encode_link(link: PBLink) -> bytes:
    body = bytes_field(_PBLINK_HASH, bytes(link.cid))
    if link.name is not None:
        body += bytes_field(_PBLINK_NAME, link.name.encode("utf-8"))
    if link.tsize is not None:
        body += varint_field(_PBLINK_TSIZE, link.tsize)
    return body


def encode_node(links: Sequence[PBLink], data: bytes | None) -> bytes:
    """The canonical bytes of a node (links in the order given: Kubo's order is the file's)."""
    parts = [bytes_field(_PBNODE_LINKS, encode_link(link)) for link in links]
    if data is not None:
        parts.append(bytes_field(_PBNODE_DATA, data))
    return b"".join(parts)


def data_only_node_header(data_length: int) -> bytes:
    """What precedes ``Data`` in a node without links, for hashing a leaf without copying it."""
    return bytes_field_header(_PBNODE_DATA, data_length)


def decode_node(block: bytes | memoryview) -> PBNode:
    links: list[PBLink] = []
    data: bytes | None = None
    try:
        for field, wire_type, value in iter_fields(block):
            if field == _PBNODE_LINKS and wire_type == LENGTH_DELIMITED:
                if data is not None:
                    raise DagPbError("a link after Data: not canonical dag-pb")
                assert isinstance(value, memoryview)
                links.append(_decode_link(value))
            elif field == _PBNODE_DATA and wire_type == LENGTH_DELIMITED:
                if data is not None:
                    raise DagPbError("Data appears twice")
                assert isinstance(value, memoryview)
                data = bytes(value)
            else:
                raise DagPbError(f"unexpected field {field} (wire type {wire_type}) in PBNode")
    except ProtobufError as error:
        raise DagPbError(f"malformed dag-pb node: {error}") from None
    return PBNode(tuple(links), data)


def _decode_link(message: memoryview) -> PBLink:
    cid: CID | None = None
    name: str | None = None
    tsize: int | None = None
    last = 0
    for field, wire_type, value in iter_fields(message):
        if field <= last:
            raise DagPbError("PBLink fields out of order or repeated")
        last = field
        if field == _PBLINK_HASH and wire_type == LENGTH_DELIMITED:
            assert isinstance(value, memoryview)
            try:
                cid = parse_cid(bytes(value))
            except InvalidCid as error:
                raise DagPbError(f"link with an invalid Hash: {error}") from None
        elif field == _PBLINK_NAME and wire_type == LENGTH_DELIMITED:
            assert isinstance(value, memoryview)
            try:
                name = bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                raise DagPbError("link Name is not UTF-8") from None
        elif field == _PBLINK_TSIZE and wire_type == VARINT:
            assert isinstance(value, int)
            tsize = value
        else:
            raise DagPbError(f"unexpected field {field} (wire type {wire_type}) in PBLink")
    if cid is None:
        raise DagPbError("link without a Hash")
    return PBLink(cid, name, tsize)
