"""A CID's text (and a text's digest) without ``multiformats``, for the hot paths.

``str(cid)`` goes through ``multiformats``, which type-checks every argument of every
call: about 0.8 ms of CPU for one CIDv0, and an upload to the local store spelled its CID
three times (the pin's file name, the pin's content, the API's answer). The two spellings
the platform prints (`microtask.content.cid.normalized`: base58btc for CIDv0, base32 for
CIDv1) are a few lines of the standard library; any other base falls back to
``multiformats``. Reading them back without ``multiformats`` is `parse_cid`'s own fast
path (`microtask.content.cid`). Property tests hold both ways equal to ``multiformats``
for every version, codec and digest.
"""

from __future__ import annotations

import base64

from microtask.content.cid import BASE58_ALPHABET, CID
from microtask.content.varint import encode_varint


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
