"""`parse_cid`'s fast path for the spellings Kubo prints gives exactly the CID
``multiformats`` gives, and leaves every other spelling to it (refused or taken as
before)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multiformats import CID

from microtask.content.cid import (
    CODEC_DAG_CBOR,
    CODEC_DAG_PB,
    CODEC_RAW,
    block_cid,
    canonical_sha256,
    cid_from_digest,
    parse_cid,
)
from microtask.content.errors import InvalidCid

KINDS = [(CODEC_DAG_PB, 0), (CODEC_DAG_PB, 1), (CODEC_RAW, 1), (CODEC_DAG_CBOR, 1)]
PUBLISHED = [
    "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH",
    "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
]


def spellings() -> list[str]:
    digests = [hashlib.sha256(bytes([n])).digest() for n in range(64)]
    made = [str(cid_from_digest(digest, *kind)) for digest in digests for kind in KINDS]
    # digests with leading and trailing zero bytes, and all ones: the edges of the number
    for digest in (bytes(32), b"\xff" * 32, bytes(31) + b"\x01", b"\x01" + bytes(31)):
        made += [str(cid_from_digest(digest, *kind)) for kind in KINDS]
    return made + PUBLISHED


def test_canonical_spellings_parse_as_multiformats_parses_them() -> None:
    for text in spellings():
        slow = CID.decode(text)
        fast = parse_cid(text)
        assert fast == slow
        assert str(fast) == text
        assert bytes(fast) == bytes(slow)
        assert (fast.version, fast.codec, fast.hashfun) == (slow.version, slow.codec, slow.hashfun)
        assert canonical_sha256(text) == (text, bytes(slow.raw_digest))
        assert parse_cid(f" /ipfs/{text}/ ") == slow


def test_other_spellings_are_left_to_multiformats() -> None:
    v1 = block_cid(b"hello", CODEC_RAW, 1)
    v0 = block_cid(b"hello", CODEC_DAG_PB, 0)
    other_bases = [v1.encode("base58btc"), v1.encode("base16"), str(v1).upper()]
    for text in other_bases:
        assert canonical_sha256(text) is None
        assert parse_cid(text) == v1
        assert str(parse_cid(text)) == str(v1)  # printed as Kubo does
    identity = CID("base32", 1, "raw", ("identity", b"abc"))
    assert canonical_sha256(str(identity)) is None
    assert parse_cid(str(identity)) == identity
    for bad in (str(v0)[:-1] + "0", str(v0)[:-1] + "l", str(v1)[:-1] + "1", "Qm" + "z" * 44):
        assert canonical_sha256(bad) is None
        with pytest.raises(InvalidCid):
            parse_cid(bad)


def _old_base32_parts(text: str) -> tuple[int, int, bytes] | None:
    """How `canonical_sha256` read a base32 CIDv1 before it decoded it as one number:
    ``base64``'s decoder, and its encoder to refuse stray bits."""
    body = text[1:].upper()
    raw = base64.b32decode(body + "=" * (-len(body) % 8))
    if len(raw) != 36 or raw[0] != 1 or raw[2:4] != bytes([0x12, 32]):
        return None
    if raw[1] not in (CODEC_DAG_PB, CODEC_RAW, CODEC_DAG_CBOR):
        return None
    if base64.b32encode(raw).decode("ascii").rstrip("=") != body:
        return None
    return 1, raw[1], raw[4:]


@settings(max_examples=300, deadline=None)
@given(
    st.binary(min_size=32, max_size=32),
    st.sampled_from([CODEC_DAG_PB, CODEC_RAW, CODEC_DAG_CBOR, 0x72]),
    st.sampled_from("abcdefghijklmnopqrstuvwxyz234567"),
    st.integers(1, 57),
)
def test_base32_cids_are_read_as_base64_reads_them(
    digest: bytes, codec: int, digit: str, position: int
) -> None:
    """Each base32 CIDv1, and each with one digit changed (a stray bit past the digest,
    another codec or hash, another digest), gives what base64's decoder gave."""
    text = "b" + base64.b32encode(bytes([1, codec, 0x12, 32]) + digest).decode().rstrip("=").lower()
    changed = text[:position] + digit + text[position + 1 :]
    changed_last = text[:-1] + digit
    for spelling in (text, changed, changed_last):
        old = _old_base32_parts(spelling)
        assert canonical_sha256(spelling) == (None if old is None else (spelling, old[2]))
