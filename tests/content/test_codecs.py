"""The small codecs under the stores: varints, dag-pb, UnixFS, and CID parsing."""

from __future__ import annotations

import pytest
from multiformats import CID, multihash

from microtask.content.cid import (
    CODEC_DAG_PB,
    CODEC_RAW,
    block_cid,
    parse_cid,
    read_cid,
    verify_block,
)
from microtask.content.dagpb import DagPbError, PBLink, decode_node, encode_node
from microtask.content.errors import ContentCorrupted, InvalidCid, UnsupportedContent
from microtask.content.unixfs import DataType, UnixFSData, UnixFSError, decode, encode
from microtask.content.varint import VarintError, decode_varint, encode_varint

HELLO_V0 = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
HELLO_V1 = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 2**32, 2**63 - 1])
def test_varints_round_trip(value: int) -> None:
    encoded = encode_varint(value)
    assert decode_varint(encoded, 0) == (value, len(encoded))


@pytest.mark.parametrize(
    ("encoded", "problem"),
    [(b"\x80", "truncated"), (b"\x80\x00", "minimally"), (b"\xff" * 10, "longer")],
)
def test_bad_varints_are_refused(encoded: bytes, problem: str) -> None:
    with pytest.raises(VarintError, match=problem):
        decode_varint(encoded, 0)


def test_parse_cid_accepts_every_spelling() -> None:
    cid = parse_cid(HELLO_V0)
    assert parse_cid(f"/ipfs/{HELLO_V0}/") == cid
    assert parse_cid(bytes(cid)) == cid
    assert parse_cid(cid) is cid
    v1 = parse_cid(HELLO_V1)
    assert parse_cid(v1.encode("base58btc")) == v1


@pytest.mark.parametrize("text", ["", "   ", "not-a-cid", "Qm123", "bafy!!!"])
def test_parse_cid_names_bad_input(text: str) -> None:
    with pytest.raises(InvalidCid):
        parse_cid(text)


def test_read_cid_finds_where_a_cid_ends() -> None:
    for text in (HELLO_V0, HELLO_V1):
        cid = parse_cid(text)
        found, length = read_cid(bytes(cid) + b"block bytes")
        assert (found, length) == (cid, len(bytes(cid)))
    with pytest.raises(InvalidCid, match="truncated"):
        read_cid(bytes(parse_cid(HELLO_V1))[:-1])
    with pytest.raises(InvalidCid, match="version"):
        read_cid(b"\x02\x55\x12\x20" + bytes(32))


def test_verify_block_checks_sha256_and_refuses_unknown_hashes() -> None:
    data = b"some block"
    cid = block_cid(data, CODEC_RAW, 1)
    verify_block(cid, data)
    with pytest.raises(ContentCorrupted, match="tampered"):
        verify_block(cid, data + b"!")
    other = CID("base32", 1, "raw", multihash.digest(data, "sha2-512"))
    verify_block(other, data)
    with pytest.raises(ContentCorrupted):
        verify_block(other, b"other bytes")
    inline = CID("base32", 1, "raw", multihash.digest(data, "identity"))
    verify_block(inline, data)
    unknown = CID("base32", 1, "raw", ("murmur3-x64-64", bytes(8)))
    with pytest.raises(UnsupportedContent, match="not supported"):
        verify_block(unknown, data)


def test_dagpb_round_trips_and_matches_kubos_bytes() -> None:
    child = parse_cid(HELLO_V0)
    data = encode(UnixFSData(DataType.FILE, filesize=12, blocksizes=(12,)))
    block = encode_node([PBLink(child, "", 20)], data)
    node = decode_node(block)
    assert node.links == (PBLink(child, "", 20),)
    assert node.data == data
    assert node.cumulative_size == 20
    # the leaf Kubo writes for "hello world\n" (ipfs block get QmT78z...)
    leaf = b"\n\x12\x08\x02\x12\x0chello world\n\x18\x0c"
    assert str(block_cid(leaf, CODEC_DAG_PB, 0)) == HELLO_V0
    assert decode(decode_node(leaf).data or b"") == UnixFSData(DataType.FILE, b"hello world\n", 12)


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        (b"\x0a\x00\x12\x02\x0a\x00", "after Data"),  # a link after the data
        (b"\x0a\x00\x0a\x00", "twice"),
        (b"\x1a\x00", "unexpected field"),
        (b"\x12\x00", "without a Hash"),
        (b"\x12\x04\x12\x00\x0a\x00", "out of order"),
        (b"\x0a\x05ab", "past the end"),
    ],
)
def test_non_canonical_dagpb_is_refused(block: bytes, problem: str) -> None:
    with pytest.raises(DagPbError, match=problem):
        decode_node(block)


def test_unixfs_reads_what_others_write() -> None:
    packed = b"\x08\x02\x18\x06\x22\x02\x03\x03"  # blocksizes packed, as some encoders write
    assert decode(packed).blocksizes == (3, 3)
    assert decode(b"\x08\x01").type is DataType.DIRECTORY
    assert decode(b"\x08\x02\x12\x03abc").size == 3  # no filesize: inline data counts
    with pytest.raises(UnixFSError, match="without a Type"):
        decode(b"\x18\x00")
    with pytest.raises(UnixFSError, match="unknown UnixFS type"):
        decode(b"\x08\x09")
    with pytest.raises(UnixFSError, match="unexpected field"):
        decode(b"\x08\x02\x50\x01")
