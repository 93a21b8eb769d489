"""`cid_text` spells every CID exactly as ``multiformats`` (and so Kubo) does."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multiformats import CID, multihash

from microtask.content.cid import (
    CODEC_DAG_CBOR,
    CODEC_DAG_PB,
    CODEC_RAW,
    block_cid,
    normalized,
    parse_cid,
    sha256_digest,
)
from microtask.content.errors import InvalidCid
from microtask.content.spelling import base58btc, cid_text, v1_base32_text
from tests.content.test_cids import PUBLISHED

KINDS = [(CODEC_DAG_PB, 0), (CODEC_DAG_PB, 1), (CODEC_RAW, 1), (CODEC_DAG_CBOR, 1)]


@pytest.mark.parametrize("expected", [published[1] for published in PUBLISHED])
def test_the_published_cids(expected: str) -> None:
    assert cid_text(parse_cid(expected)) == expected


@given(st.binary(max_size=64), st.sampled_from(KINDS))
def test_every_version_and_codec_spells_as_multiformats_does(
    data: bytes, kind: tuple[int, int]
) -> None:
    codec, version = kind
    cid = block_cid(data, codec, version)
    assert cid_text(cid) == str(cid)
    assert v1_base32_text(cid) == str(cid.set(version=1, base="base32"))
    assert parse_cid(cid_text(cid)) == cid


@given(st.binary(max_size=40))
def test_base58_keeps_leading_zero_bytes(data: bytes) -> None:
    from multiformats import multibase

    assert base58btc(data) == multibase.encode(data, "base58btc")[1:]


def test_other_bases_fall_back_to_multiformats() -> None:
    cid = block_cid(b"x", CODEC_RAW, 1).set(base="base58btc")
    assert cid_text(cid) == str(cid)
    assert cid_text(cid).startswith("z")


@given(st.binary(max_size=64), st.sampled_from(KINDS))
def test_a_digest_reads_back_as_multiformats_reads_it(data: bytes, kind: tuple[int, int]) -> None:
    codec, version = kind
    cid = block_cid(data, codec, version)
    assert sha256_digest(str(cid)) == bytes(cid.raw_digest) == hashlib.sha256(data).digest()
    assert sha256_digest(f"/ipfs/{cid}/") == bytes(cid.raw_digest)
    other_base = str(cid.set(base="base58btc")) if version == 1 else str(cid)
    assert sha256_digest(other_base) == bytes(cid.raw_digest)


@pytest.mark.parametrize(
    "text",
    [
        "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff50",  # 0 is not base58
        "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5",  # one digit short
        "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei",  # truncated
        "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei1",  # 1 is not base32
        "not a cid",
    ],
)
def test_what_is_no_cid_is_refused_as_parse_cid_refuses_it(text: str) -> None:
    with pytest.raises(InvalidCid):
        sha256_digest(text)
    with pytest.raises(InvalidCid):
        parse_cid(text)


@given(st.binary(max_size=64), st.sampled_from(KINDS))
def test_a_cid_parses_as_parse_cid_parses_it(data: bytes, kind: tuple[int, int]) -> None:
    codec, version = kind
    cid = block_cid(data, codec, version)
    for spelling in (str(cid), f" /ipfs/{cid}/", str(cid.set(base="base58btc")), bytes(cid)):
        fast = parse_cid(spelling)
        assert fast == cid
        assert str(fast) == str(normalized(cid))
        assert (fast.version, fast.codec, fast.digest) == (cid.version, cid.codec, cid.digest)


def test_a_cid_of_another_hash_function_has_no_sha256_digest() -> None:
    identity = CID("base32", 1, "raw", multihash.wrap(b"tiny", "identity"))
    assert sha256_digest(str(identity)) is None
