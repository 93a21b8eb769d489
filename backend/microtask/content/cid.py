"""CIDs: parsing, making and checking them, on top of the ``multiformats`` package.

``multiformats`` does the encodings (multibase, multihash, multicodec) so this module only
adds what the stores need: one parse function that turns any spelling into a CID (or an
`InvalidCid`), a fast sha2-256 path for making block CIDs (``hashlib`` directly, since a
gigabyte is four thousand of them), reading a CID off the front of a byte string (CAR
files do not say where a CID ends), and the check that a block's bytes match its CID.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Final

from multiformats import CID, multicodec, multihash

from microtask.content.errors import ContentCorrupted, InvalidCid, UnsupportedContent
from microtask.content.varint import VarintError, decode_varint

__all__ = [
    "CID",
    "CODEC_DAG_CBOR",
    "CODEC_DAG_PB",
    "CODEC_RAW",
    "CidLike",
    "block_cid",
    "block_key",
    "normalized",
    "parse_cid",
    "read_cid",
    "verify_block",
]

CODEC_DAG_PB: Final = 0x70
CODEC_RAW: Final = 0x55
CODEC_DAG_CBOR: Final = 0x71
_SHA2_256: Final = 0x12
_SHA2_256_PREFIX: Final = bytes([_SHA2_256, 32])
_CODEC_NAMES: Final = {CODEC_DAG_PB: "dag-pb", CODEC_RAW: "raw", CODEC_DAG_CBOR: "dag-cbor"}
_TEMPLATES: Final = {
    (0, CODEC_DAG_PB): CID("base58btc", 0, CODEC_DAG_PB, _SHA2_256_PREFIX + bytes(32)),
    (1, CODEC_DAG_PB): CID("base32", 1, CODEC_DAG_PB, _SHA2_256_PREFIX + bytes(32)),
    (1, CODEC_RAW): CID("base32", 1, CODEC_RAW, _SHA2_256_PREFIX + bytes(32)),
    (1, CODEC_DAG_CBOR): CID("base32", 1, CODEC_DAG_CBOR, _SHA2_256_PREFIX + bytes(32)),
}

CidLike = CID | str | bytes
"""What the stores accept where a CID is expected: a CID, its text, or its binary form."""


def normalized(cid: CID) -> CID:
    """The same CID, spelled as Kubo prints it: base58btc for CIDv0, base32 for CIDv1.

    CIDs compare equal whatever their base; this only fixes how they print, so a CIDv1
    read from binary (a link, a CAR header) shows as ``bafy...``, not ``zdj7...``.
    """
    if cid.version == 1 and cid.base.name != "base32":
        return cid.set(base="base32")
    return cid


def parse_cid(value: CidLike) -> CID:
    """Any spelling of a CID as a `CID`: text in any multibase, binary, or a CID already.

    A ``/ipfs/`` prefix is accepted, so paths copied from a gateway work too. The result
    prints as Kubo would print it (see `normalized`).
    """
    if isinstance(value, CID):
        return normalized(value)
    try:
        if isinstance(value, str):
            text = _bare(value)
            if not text:
                raise InvalidCid("an empty string is not a CID")
            parts = _sha256_parts(text)
            if parts is not None:
                return cid_from_digest(parts[2], parts[1], parts[0])
            return normalized(CID.decode(text))
        return normalized(CID.decode(bytes(value)))
    except InvalidCid:
        raise
    except (ValueError, KeyError, TypeError, IndexError) as error:  # IndexError: "z" and the like
        shown = value if isinstance(value, str) else bytes(value).hex()
        raise InvalidCid(f"{shown[:80]!r} is not a valid CID ({error})") from None


def _bare(text: str) -> str:
    """A CID's text without the spaces, ``/ipfs/`` and trailing slash it may come with."""
    return text.strip().removeprefix("/ipfs/").rstrip("/")


def canonical_sha256(text: str) -> tuple[str, bytes] | None:
    """A sha2-256 CID spelled as Kubo prints it (``Qm...``, or ``b...`` in base32) and its
    32-byte digest, without making a `CID`; None for any other text (`parse_cid` it).

    The verifier reads the digest of every envelope it receipts; ``multiformats`` checks
    each part of a CID at runtime, which costs more than the rest of taking it apart."""
    parts = _sha256_parts(text)
    return None if parts is None else (text, parts[2])


def sha256_digest(cid: str) -> bytes | None:
    """The sha2-256 digest any spelling of a CID names (`InvalidCid` if it is no CID);
    None when it is a CID of another hash function. A worker checks a receipt's digest
    against its envelope's CID with it."""
    canonical = canonical_sha256(_bare(cid))
    if canonical is not None:
        return canonical[1]
    parsed = parse_cid(cid)
    if bytes(parsed.digest)[:2] != _SHA2_256_PREFIX:
        return None
    return bytes(parsed.raw_digest)


BASE58_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_VALUES: Final = {char: value for value, char in enumerate(BASE58_ALPHABET)}
_BASE32: Final = frozenset("abcdefghijklmnopqrstuvwxyz234567")
_BASE32_AS_DIGITS: Final = str.maketrans(
    "abcdefghijklmnopqrstuvwxyz234567", "0123456789abcdefghijklmnopqrstuv"
)
"""RFC 4648 base32's digits as the digits of ``int(..., 32)``, value for value."""


def _sha256_parts(text: str) -> tuple[int, int, bytes] | None:
    """(version, codec, digest) of a sha2-256 CID in its canonical spelling (base58btc
    CIDv0, base32 CIDv1 of the codecs in `_TEMPLATES`); None for anything else, which the
    caller hands to ``multiformats`` (so nothing is refused here that it would take)."""
    if len(text) == 46 and text.startswith("Qm"):
        number = 0
        for char in text:
            value = _BASE58_VALUES.get(char)
            if value is None:
                return None
            number = number * 58 + value
        if number >= 1 << 272:
            return None
        raw = number.to_bytes(34, "big")
        if raw[:2] != _SHA2_256_PREFIX:
            return None
        return 0, CODEC_DAG_PB, raw[2:]
    if len(text) == 59 and text[0] == "b" and _BASE32.issuperset(text[1:]):
        # 58 digits of 5 bits: the CID's 36 bytes and 2 bits past them, decoded as one
        # number in C (``base64.b32decode`` loops in Python: most of a receipt check's time)
        number = int(text[1:].translate(_BASE32_AS_DIGITS), 32)
        if number & 0b11:
            return None  # stray bits past the end: not how a CID is spelled
        raw = (number >> 2).to_bytes(36, "big")
        if raw[0] != 1 or raw[2:4] != _SHA2_256_PREFIX:
            return None
        if (1, raw[1]) not in _TEMPLATES:
            return None
        return 1, raw[1], raw[4:]
    return None


def block_cid(data: bytes | memoryview, codec: int, version: int) -> CID:
    """The CID of a block, hashed with sha2-256 as Kubo does by default.

    Version 0 exists only for dag-pb; asking for it with another codec is a bug upstream.
    """
    return cid_from_digest(hashlib.sha256(data).digest(), codec, version)


def cid_from_digest(digest: bytes, codec: int, version: int) -> CID:
    """A CID from an already computed sha2-256 digest (the importer hashes incrementally)."""
    if version == 0 and codec != CODEC_DAG_PB:
        raise ValueError("CIDv0 can only name dag-pb blocks")
    wrapped = _SHA2_256_PREFIX + digest
    template = _TEMPLATES.get((version, codec))
    if template is None or len(digest) != 32:
        base = "base58btc" if version == 0 else "base32"
        return CID(base, version, multicodec.get(code=codec), wrapped)
    # The importer makes a CID per 256 KiB block; the public constructor re-validates every
    # argument at runtime (about 100 us each, a fifth of an add). Here every part is known
    # valid, so take the constructor's own internal path with the template's parsed parts.
    return CID._new_instance(CID, template.base, version, template.codec, template.hashfun, wrapped)


def read_cid(buffer: bytes | memoryview) -> tuple[CID, int]:
    """The CID at the start of ``buffer`` and how many bytes it takes.

    CAR sections put a binary CID straight before the block's bytes with no length of its
    own, so the length comes from the CID's structure: 34 bytes for CIDv0, else the
    version, codec and multihash header varints plus the digest length.
    """
    view = memoryview(buffer)
    try:
        if len(view) >= 2 and view[0] == _SHA2_256 and view[1] == 32:
            end = 34
        else:
            version, offset = decode_varint(view, 0)
            if version != 1:
                raise InvalidCid(f"unsupported CID version {version}")
            _codec, offset = decode_varint(view, offset)
            _hash, offset = decode_varint(view, offset)
            length, offset = decode_varint(view, offset)
            end = offset + length
        if end > len(view):
            raise InvalidCid("truncated CID")
        return parse_cid(bytes(view[:end])), end
    except VarintError as error:
        raise InvalidCid(f"malformed CID: {error}") from None


def codec_name(cid: CID) -> str:
    return _CODEC_NAMES.get(cid.codec.code, cid.codec.name)


def block_key(cid: CID) -> str:
    """The name a block is stored under: its multihash in base32, as Kubo's flatfs does.

    Keyed by multihash, not CID, so the same bytes named as raw and as dag-pb, or as
    CIDv0 and CIDv1, are stored once.
    """
    return base64.b32encode(cid.digest).rstrip(b"=").decode("ascii")


def verify_block(cid: CID, data: bytes | memoryview, where: str = "") -> None:
    """Raise `ContentCorrupted` unless ``data`` hashes to ``cid``'s multihash.

    sha2-256 (every Kubo default) takes the fast path; other functions that
    ``multiformats`` implements are checked too; an unknown one is refused rather than
    trusted.
    """
    multihash_bytes = cid.digest
    if multihash_bytes[:2] == _SHA2_256_PREFIX:
        expected = multihash_bytes[2:]
        actual = hashlib.sha256(data).digest()
    else:
        try:
            hashfun = multihash.get(code=decode_varint(multihash_bytes, 0)[0])
            expected = multihash.unwrap(multihash_bytes)
            if hashfun.name == "identity":
                actual = bytes(data)
            else:
                actual = multihash.unwrap(hashfun.digest(bytes(data), size=len(expected)))
        except (KeyError, ValueError, TypeError, ImportError, VarintError) as error:
            raise UnsupportedContent(
                f"cannot verify {cid}: its hash function is not supported here ({error})"
            ) from None
    if actual != expected:
        place = f" ({where})" if where else ""
        raise ContentCorrupted(
            f"block {cid}{place} does not match its hash: it was tampered with or truncated; "
            "it was not served"
        )
