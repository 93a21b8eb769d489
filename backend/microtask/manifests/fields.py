"""Field types shared by the documents: addresses, keys, CIDs, bytes, identifiers.

Each validates and normalises once (checksummed addresses, uncompressed public keys,
CIDv1 in base32), so two documents that mean the same thing serialise the same, and the
JSON Schema says what the wire form is (a hex string, a base64 string, a CID).

Normalising an address (keccak for the checksum) or a CID (multiformats, which type-checks
every call) costs far more than the rest of a document's validation, and the same few
values recur in every document of a task (its escrow, manifest CID, recipients, a worker
in each of their submissions): the normalisations are pure functions of a string, so they
are memoised in small bounded caches (`NORMALISED_CACHE` entries each; a refusal is never
cached, only results).
"""

from __future__ import annotations

import base64
import binascii
import re
from functools import lru_cache
from typing import Annotated, Final

import coincurve
from eth_utils.address import is_address, to_checksum_address
from eth_utils.crypto import keccak
from multiformats import CID
from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema

UINT256_MAX = 2**256 - 1
NORMALISED_CACHE: Final = 4096
"""How many distinct addresses, CIDs and public keys each cache keeps (least recent go)."""


@lru_cache(maxsize=NORMALISED_CACHE)
def _address(value: str) -> str:
    if not is_address(value):
        raise ValueError("not an Ethereum address (0x and 40 hex digits)")
    return str(to_checksum_address(value))


Address = Annotated[
    str,
    AfterValidator(_address),
    WithJsonSchema({"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$"}),
]
"""An Ethereum address, stored EIP-55 checksummed."""


def public_key_bytes(value: str | bytes) -> bytes:
    """A secp256k1 public key as 65 uncompressed bytes, from hex (compressed or not) or bytes."""
    if isinstance(value, str):
        try:
            raw = bytes.fromhex(value.removeprefix("0x"))
        except ValueError:
            raise ValueError(
                "a public key is hex: 0x04 and 128 digits, or 0x02/0x03 and 64"
            ) from None
    else:
        raw = bytes(value)
    if len(raw) == 64:  # the bare x || y form that some wallets export
        raw = b"\x04" + raw
    try:
        return bytes(coincurve.PublicKey(raw).format(compressed=False))
    except ValueError:
        raise ValueError("not a point on secp256k1") from None


@lru_cache(maxsize=NORMALISED_CACHE)
def address_of_public_key(key: str | bytes) -> str:
    """The Ethereum address of a public key: the last 20 bytes of keccak256(x || y)
    (remembered: a task's recipients are the same two keys for each of its envelopes)."""
    return str(to_checksum_address(keccak(public_key_bytes(key)[1:])[12:]))


@lru_cache(maxsize=NORMALISED_CACHE)
def _public_key(value: str) -> str:
    return "0x" + public_key_bytes(value).hex()


PublicKey = Annotated[
    str,
    AfterValidator(_public_key),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^0x(04[0-9a-fA-F]{128}|0[23][0-9a-fA-F]{64}|[0-9a-fA-F]{128})$",
            "description": "secp256k1 public key (stored uncompressed, 0x04...)",
        }
    ),
]
"""A wallet's secp256k1 public key, stored as 0x04 followed by x and y."""


@lru_cache(maxsize=NORMALISED_CACHE)
def _cid(value: str) -> str:
    try:
        cid = CID.decode(value.strip().removeprefix("/ipfs/"))
    except (ValueError, KeyError, TypeError):
        raise ValueError("not a CID") from None
    if cid.version == 1 and cid.base.name != "base32":
        cid = cid.set(base="base32")
    return str(cid)


CidText = Annotated[
    str,
    AfterValidator(_cid),
    WithJsonSchema({"type": "string", "description": "an IPFS CID (v0 Qm... or v1 b...)"}),
]


def _from_base64(value: object) -> object:
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("not standard base64") from None
    return value


def _to_base64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


Base64Bytes = Annotated[
    bytes,
    BeforeValidator(_from_base64),
    PlainSerializer(_to_base64, return_type=str),
    WithJsonSchema({"type": "string", "contentEncoding": "base64"}),
]
"""Bytes carried in JSON as standard base64 (RFC 4648, padded, no line breaks)."""


def _from_hex(value: object) -> object:
    if isinstance(value, str):
        if not re.fullmatch(r"0x([0-9a-fA-F]{2})*", value):
            raise ValueError("not 0x-prefixed hex")
        return bytes.fromhex(value[2:])
    return value


def _to_hex(value: bytes) -> str:
    return "0x" + value.hex()


HexBytes = Annotated[
    bytes,
    BeforeValidator(_from_hex),
    PlainSerializer(_to_hex, return_type=str),
    WithJsonSchema({"type": "string", "pattern": "^0x([0-9a-fA-F]{2})*$"}),
]

Uint256 = Annotated[int, Field(ge=0, le=UINT256_MAX)]

Identifier = Annotated[
    str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
]
"""An item, question or label id: letters, digits and _ . : - (it appears in answers)."""

Slug = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9][a-z0-9-]*$")]
"""A tag or qualification name: lowercase letters, digits and hyphens."""

LanguageTag = Annotated[
    str, Field(min_length=2, max_length=35, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
]
"""A BCP 47 language tag such as ``en`` or ``pt-BR``."""
