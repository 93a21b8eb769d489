"""A CID's text (and a text's digest) without ``multiformats``, for the hot paths.

``str(cid)`` goes through ``multiformats``, which type-checks every argument of every
call: about 0.8 ms of CPU for one CIDv0, and an upload to the local store spelled its CID
three times (the pin's file name, the pin's content, the API's answer). The two spellings
the platform prints (`microtask.content.cid.normalized`: base58btc for CIDv0, base32 for
CIDv1) are a few lines of the standard library; any other base falls back to
``multiformats``. `fast_parse_cid` and `sha256_digest` read the other way (the stores
parse a CID on every read; a worker checks a receipt's digest against the envelope CID it
got back): the two spellings directly, strictly, anything else through `parse_cid`.
Property tests hold all of them equal to ``multiformats`` for every version, codec and
digest.
"""

from __future__ import annotations

import base64
import binascii
from typing import Final

from microtask.content.cid import (
    CID,
    CODEC_DAG_CBOR,
    CODEC_DAG_PB,
    CODEC_RAW,
    CidLike,
    cid_from_digest,
    parse_cid,
)
from microtask.content.varint import encode_varint

BASE58_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_VALUES: Final = {digit: value for value, digit in enumerate(BASE58_ALPHABET)}
_SHA2_256_HEADER: Final = b"\x12\x20"
_CIDV0_LENGTH: Final = 46
_FAST_CODECS: Final = frozenset({CODEC_DAG_PB, CODEC_RAW, CODEC_DAG_CBOR})


def base58btc(data: bytes) -> str:
    """Bitcoin's base58 (no multibase prefix): what a CIDv0's text is."""
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(BASE58_ALPHABET[remainder])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def base32_text(data: bytes) -> str:
    """RFC 4648 base32, lower case, unpadded, with multibase's ``b`` in front."""
    return "b" + base64.b32encode(data).decode("ascii").rstrip("=").lower()


def v1_bytes(cid: CID) -> bytes:
    """The binary CIDv1 naming what ``cid`` names (a CIDv0 is dag-pb)."""
    return b"\x01" + encode_varint(cid.codec.code) + bytes(cid.digest)


def cid_text(cid: CID) -> str:
    """``str(cid)``, fast for CIDv0 in base58btc and CIDv1 in base32."""
    if cid.version == 0:
        return base58btc(bytes(cid.digest))
    if cid.base.name == "base32":
        return base32_text(v1_bytes(cid))
    return str(cid)


def v1_base32_text(cid: CID) -> str:
    """``str(cid.set(version=1, base="base32"))``: one spelling for both versions."""
    return base32_text(v1_bytes(cid))


def _from_base58(text: str) -> bytes | None:
    number = 0
    for digit in text:
        value = _BASE58_VALUES.get(digit)
        if value is None:
            return None
        number = number * 58 + value
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")


def _from_base32(text: str) -> bytes | None:
    try:
        return base64.b32decode(text.upper() + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        return None


def _fast_parts(text: str) -> tuple[int, int, bytes] | None:
    """Version, codec and sha2-256 digest of a CIDv0 (``Qm...``) or base32 CIDv1 (``b...``)
    of codec dag-pb, raw or dag-cbor, spelled exactly as `cid_text` spells it (decoded,
    then encoded back and compared: no lenient spelling gets through); None for anything
    else (left to `parse_cid`)."""
    if len(text) == _CIDV0_LENGTH and text.startswith("Qm"):
        multihash = _from_base58(text)
        if multihash is None or base58btc(multihash) != text:
            return None
        version, codec = 0, CODEC_DAG_PB
    elif text.startswith("b"):
        binary = _from_base32(text[1:])
        if binary is None or len(binary) != 36 or base32_text(binary) != text:
            return None
        if binary[0] != 1 or binary[1] not in _FAST_CODECS:
            return None
        version, codec, multihash = 1, binary[1], binary[2:]
    else:
        return None
    if len(multihash) != 34 or multihash[:2] != _SHA2_256_HEADER:
        return None
    return version, codec, multihash[2:]


def _bare(text: str) -> str:
    return text.strip().removeprefix("/ipfs/").rstrip("/")


def fast_parse_cid(value: CidLike) -> CID:
    """`parse_cid`, without ``multiformats``' decoder for the two spellings the platform
    prints (about 0.15 ms each otherwise: the stores parse a CID on every read)."""
    if isinstance(value, str):
        parts = _fast_parts(_bare(value))
        if parts is not None:
            version, codec, digest = parts
            return cid_from_digest(digest, codec, version)
    return parse_cid(value)


def sha256_digest(cid: str) -> bytes | None:
    """The sha2-256 digest ``cid`` names (`InvalidCid` if it is no CID); None when it is a
    CID of another hash function."""
    parts = _fast_parts(_bare(cid))
    if parts is not None:
        return parts[2]
    parsed = parse_cid(cid)
    if bytes(parsed.digest)[:2] != _SHA2_256_HEADER:
        return None
    return bytes(parsed.raw_digest)
