"""`cid_text` spells every CID exactly as ``multiformats`` (and so Kubo) does."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microtask.content.cid import (
    CODEC_DAG_CBOR,
    CODEC_DAG_PB,
    CODEC_RAW,
    block_cid,
    parse_cid,
)
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
