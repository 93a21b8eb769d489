"""microtask's one EIP-712 domain, and signing and recovering messages in it.

The domain is ``{name: "microtask", version: "1", chainId, verifyingContract: <TaskEscrow
address>}``, so a signature made for one chain or one escrow deployment is worthless on
another. Every signer and checker (the worker's client, the API, the verifier, the
TaskEscrow contract's receipt and approval checks) hashes in it; the message types live
with what they describe (`microtask.chain.typed_data`: receipts and approvals;
`microtask.manifests.typed_data`: submissions; `microtask.verifier.typed_data`: slot
requests and commands).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Final, TypedDict
from weakref import WeakKeyDictionary

from coincurve import PrivateKey, PublicKey
from eth_account.messages import SignableMessage, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

DOMAIN_NAME: Final = "microtask"
DOMAIN_VERSION: Final = "1"

DOMAIN_TYPE: Final = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]

_MAX_CHAIN_ID: Final = 2**256 - 1  # a uint256
_CURVE_ORDER: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class EIP712Domain(TypedDict):
    name: str
    version: str
    chainId: int
    verifyingContract: str


"""An EIP-712 domain with the four fields microtask and EIP-2612 tokens use."""


def domain(chain_id: int, verifying_contract: str) -> EIP712Domain:
    """The microtask EIP-712 domain for one TaskEscrow deployment on one chain."""
    if not 0 < chain_id <= _MAX_CHAIN_ID:
        raise ValueError(f"invalid chain id {chain_id}")
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": checksum(verifying_contract),
    }


def typed_message(
    domain: EIP712Domain,
    types: Mapping[str, list[dict[str, str]]],
    message: Mapping[str, object],
) -> SignableMessage:
    """``message`` of the struct ``types`` names, in ``domain``, ready to sign or recover.

    Every message microtask signs is one flat struct of atomic fields (or arrays of
    them): those are hashed here directly (`hash_struct`), some forty times faster than
    eth-account's general encoder, which takes about a millisecond per message and was a
    good part of each gasless claim's and submission's cost on both sides. Anything else
    (nested structs) goes through eth-account. A test holds the two to the same bytes.
    """
    if len(types) == 1 and len(domain) == len(DOMAIN_TYPE):
        ((primary, fields),) = types.items()
        if all(_flat(field["type"]) for field in fields):
            return SignableMessage(
                version=b"\x01",
                header=domain_separator(
                    domain["name"],
                    domain["version"],
                    domain["chainId"],
                    domain["verifyingContract"],
                ),
                body=hash_struct(primary, fields, message),
            )
    return encode_typed_data(dict(domain), dict(types), dict(message))


# ----------------------------------------------------------------------------- flat structs

_ATOMIC = re.compile(r"^(uint(\d*)|int(\d*)|address|bool|bytes(\d*)|string)$")


@lru_cache(maxsize=256)
def _flat(kind: str) -> bool:
    """An atomic type, or an array of one: what `hash_struct` encodes itself."""
    match = _ATOMIC.match(kind[:-2] if kind.endswith("[]") else kind)
    if match is None:
        return False
    bits = match.group(2) or match.group(3)
    if bits is not None and bits != "" and not (0 < int(bits) <= 256 and int(bits) % 8 == 0):
        return False
    size = match.group(4)
    return not size or 0 < int(size) <= 32


@lru_cache(maxsize=64)
def _type_hash(primary: str, signature: str) -> bytes:
    return bytes(keccak(text=f"{primary}({signature})"))


@lru_cache(maxsize=64)
def domain_separator(name: str, version: str, chain_id: int, verifying_contract: str) -> bytes:
    """hashStruct(EIP712Domain) of a four-field domain: what every message's hash starts
    with (cached: one per deployment)."""
    return hash_struct(
        "EIP712Domain",
        DOMAIN_TYPE,
        {
            "name": name,
            "version": version,
            "chainId": chain_id,
            "verifyingContract": verifying_contract,
        },
    )


def hash_struct(
    primary: str, fields: Sequence[Mapping[str, str]], message: Mapping[str, object]
) -> bytes:
    """EIP-712 ``hashStruct`` of a struct without nested structs; ValueError for a value
    its type cannot hold (as eth-account refuses it)."""
    signature = ",".join(f"{field['type']} {field['name']}" for field in fields)
    words = [_type_hash(primary, signature)]
    for field in fields:
        kind, value = field["type"], message[field["name"]]
        if kind.endswith("[]"):
            if not isinstance(value, list | tuple):
                raise ValueError(f"{field['name']} must be a list")
            element = kind[:-2]
            words.append(keccak(b"".join(_word(element, item) for item in value)))
        else:
            words.append(_word(kind, value))
    return bytes(keccak(b"".join(words)))


def _word(kind: str, value: object) -> bytes:
    """One atomic value as its 32-byte EIP-712 word."""
    if kind == "address":
        if not isinstance(value, str | bytes):
            raise ValueError(f"not an address: {value!r}")
        raw = bytes.fromhex(value[2:]) if isinstance(value, str) else value
        if len(raw) != 20 or (isinstance(value, str) and not value.startswith("0x")):
            raise ValueError(f"not an address: {value!r}")
        return bytes(12) + raw
    if kind == "string":
        if not isinstance(value, str):
            raise ValueError(f"not a string: {value!r}")
        return bytes(keccak(text=value))
    if kind == "bytes":
        if not isinstance(value, bytes):
            raise ValueError(f"not bytes: {value!r}")
        return bytes(keccak(value))
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"not a bool: {value!r}")
        return int(value).to_bytes(32, "big")
    if kind.startswith("bytes"):
        size = int(kind[5:])
        if not isinstance(value, bytes) or len(value) != size:
            raise ValueError(f"not {size} bytes: {value!r}")
        return value + bytes(32 - size)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"not an integer: {value!r}")
    signed = kind.startswith("int")
    bits = int(kind[3 if signed else 4 :] or 256)
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1)) if signed else (0, 2**bits)
    if not low <= value < high:
        raise ValueError(f"{value} does not fit a {kind}")
    return value.to_bytes(32, "big", signed=True) if signed else value.to_bytes(32, "big")


def sign(account: LocalAccount, message: SignableMessage) -> bytes:
    """``account``'s 65-byte signature (r, s, v = 27 or 28) of ``message``.

    Signed by libsecp256k1 (coincurve) directly, with RFC 6979 nonces as eth-keys uses:
    the same bytes as ``account.sign_message``, without its layers of conversions.
    """
    signed = _signing_key(account).sign_recoverable(digest(message), hasher=None)
    return signed[:64] + bytes([signed[64] + 27])


_SIGNING_KEYS: WeakKeyDictionary[LocalAccount, PrivateKey] = WeakKeyDictionary()


def _signing_key(account: LocalAccount) -> PrivateKey:
    """``account``'s key as libsecp256k1 signs with it, made once per account: making one
    derives its public keys (two point multiplications, more than the signature itself
    costs), and a gasless worker signs twice a slot. Kept while the account lives, and no
    longer (a weak reference to it), so no key outlives its holder here."""
    key = _SIGNING_KEYS.get(account)
    if key is None:
        key = _SIGNING_KEYS[account] = PrivateKey(bytes(account.key))
    return key


def recover(message: SignableMessage, signature: bytes) -> str:
    """The address that signed ``message``; raises ValueError for a malformed signature
    (wrong length, ``v`` not 0, 1, 27 or 28, ``r`` or ``s`` out of range, or no key
    recoverable from it), so callers (the verifier's routes among them) catch one
    exception."""
    if len(signature) != 65:
        raise ValueError(f"malformed signature: {len(signature)} bytes, not 65")
    v = signature[64] - 27 if signature[64] >= 27 else signature[64]
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big")
    if v not in (0, 1) or not (0 < r < _CURVE_ORDER and 0 < s < _CURVE_ORDER):
        raise ValueError("malformed signature: v, r or s out of range")
    try:
        public = PublicKey.from_signature_and_message(
            signature[:64] + bytes([v]), digest(message), hasher=None
        )
    except Exception as error:  # coincurve raises plain Exceptions for unrecoverable ones
        raise ValueError(f"malformed signature: {error}") from None
    return checksum(keccak(public.format(compressed=False)[1:])[-20:])


@lru_cache(maxsize=4096)
def checksum(address: str | bytes) -> str:
    """An address (0x-hex or 20 bytes) in EIP-55 checksummed form, remembered: the same
    few addresses (the escrow's, a task's parties, active workers) are checksummed on
    every request."""
    return str(to_checksum_address(address))


def digest(message: SignableMessage) -> bytes:
    """The 32-byte hash a signer signs (EIP-191 version 0x01 wrapping the EIP-712 hashes)."""
    return bytes(keccak(b"\x19" + message.version + message.header + message.body))
