"""The requester's reading key, derived from one signature of the requester's wallet.

Why: submissions and result sets are sealed with ECIES on secp256k1 (`manifests.sealing`),
and no browser wallet decrypts that (MetaMask's ``eth_decrypt`` is deprecated and is
X25519). So the requester's wallet signs one fixed EIP-712 message, and the key is derived
from the signature: the same wallet gives the same key on every visit, in the browser
(``web/ts/requester_key.ts``, the same derivation) and in the CLI (this module). The key's
public key is the manifest's ``requester_public_key``; its address is not the requester's
account (the ``createTask`` transaction that names the manifest is what binds the two).

The derivation, written once here and once in TypeScript (a test holds them equal):

- the message: EIP-712, domain ``{name: "microtask encryption key", version: "1",
  chainId, verifyingContract: <the TaskEscrow>}``, type ``EncryptionKey(address account,
  string purpose)`` with ``purpose`` = `PURPOSE`; signed with ``eth_signTypedData_v4``;
- the key: HKDF-SHA256 over the 65-byte signature (its ``v`` as 27 or 28, whatever the
  wallet gave), salt `SALT`, info `INFO`, 48 bytes out, read big-endian as ``x``; the
  private key is ``x mod (n - 1) + 1`` (``n`` the curve's order), so it is never 0 nor
  ``n`` or above, with a bias below 2^-128.

It is deterministic only when the wallet's signatures are (RFC 6979, as eth-account,
MetaMask, Ledger, Trezor, Frame and anvil's dev accounts sign). The signature is as secret
as the key: it never leaves the browser except in the export file a requester writes for
the CLI (`KEY_EXPORT_TYPE`), which `parse_key_export` checks before the CLI imports it.

The interface (stable; the review and results pages and the CLI use only this):
`key_typed_data` (the JSON a wallet signs), `key_message` (the same, to sign or recover
in Python), `derive_private_key` (signature to key), `DerivedKey` (a checked key with its
public key and address), `derived_key_of` (check a signature and derive),
`derive_with_account` (sign with a local account and derive), `key_export` and
`parse_key_export` (the export file).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from Crypto.Hash import SHA256
from Crypto.Protocol.KDF import HKDF
from eth_account.messages import SignableMessage, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils.address import is_address, to_checksum_address

from microtask.client.errors import Refused
from microtask.encoding.eip712 import recover
from microtask.manifests.sealing import address_of_private_key, public_key_of

KEY_DOMAIN_NAME: Final = "microtask encryption key"
KEY_DOMAIN_VERSION: Final = "1"
PURPOSE: Final = (
    "Sign to unlock the key that reads the answers and results of your microtask tasks. "
    "It costs nothing and sends nothing. Sign only on the microtask site you use: "
    "this signature is as secret as that key."
)
"""What the wallet shows the requester: fixed, part of the derivation."""
KEY_TYPES: Final = {
    "EncryptionKey": [
        {"name": "account", "type": "address"},
        {"name": "purpose", "type": "string"},
    ]
}
SALT: Final = b"microtask requester key v1"
INFO: Final = b"secp256k1 private key"
OKM_BYTES: Final = 48
SECP256K1_ORDER: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
KEY_EXPORT_TYPE: Final = "microtask/requester-key"


def key_typed_data(chain_id: int, escrow: str, account: str) -> dict[str, Any]:
    """The full EIP-712 document ``eth_signTypedData_v4`` takes for this requester."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            **KEY_TYPES,
        },
        "primaryType": "EncryptionKey",
        "domain": {
            "name": KEY_DOMAIN_NAME,
            "version": KEY_DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": to_checksum_address(escrow),
        },
        "message": {"account": to_checksum_address(account), "purpose": PURPOSE},
    }


def key_message(chain_id: int, escrow: str, account: str) -> SignableMessage:
    """`key_typed_data`, ready for eth-account to sign or recover."""
    return encode_typed_data(full_message=key_typed_data(chain_id, escrow, account))


def _normalized(signature: bytes) -> bytes:
    if len(signature) != 65:
        raise Refused(f"a wallet signature is 65 bytes, not {len(signature)}")
    v = signature[64]
    if v in (0, 1):
        v += 27
    if v not in (27, 28):
        raise Refused(f"the signature's v is {signature[64]}, not 27 or 28 (nor 0 or 1)")
    return signature[:64] + bytes([v])


def derive_private_key(signature: bytes) -> bytes:
    """The 32-byte secp256k1 private key the signature derives (see the module's note)."""
    material = HKDF(_normalized(signature), OKM_BYTES, SALT, SHA256, context=INFO)
    assert isinstance(material, bytes)
    scalar = int.from_bytes(material, "big") % (SECP256K1_ORDER - 1) + 1
    return scalar.to_bytes(32, "big")


@dataclass(frozen=True)
class DerivedKey:
    """A requester's reading key, from a signature that was checked to be the account's."""

    chain_id: int
    escrow: str
    account: str
    signature: bytes
    private_key: bytes

    @property
    def public_key(self) -> str:
        """0x-hex, uncompressed: what the manifest names as ``requester_public_key``."""
        return "0x" + public_key_of(self.private_key).hex()

    @property
    def address(self) -> str:
        """The key's own address (not the account's): envelopes list it as the reader."""
        return address_of_private_key(self.private_key)

    def __repr__(self) -> str:  # never the key or the signature
        return f"DerivedKey({self.address} for {self.account} on chain {self.chain_id})"


def derived_key_of(signature: bytes, *, chain_id: int, escrow: str, account: str) -> DerivedKey:
    """Check that ``account`` signed this chain's and escrow's key message, then derive."""
    if not is_address(account) or not is_address(escrow):
        raise Refused("the account and the escrow must be addresses")
    try:
        signer = recover(key_message(chain_id, escrow, account), _normalized(signature))
    except ValueError:
        raise Refused("the key's signature is malformed") from None
    if signer != to_checksum_address(account):
        raise Refused(
            f"the key's signature is not {to_checksum_address(account)}'s for chain {chain_id} "
            f"and escrow {to_checksum_address(escrow)}"
        )
    return DerivedKey(
        chain_id,
        to_checksum_address(escrow),
        to_checksum_address(account),
        _normalized(signature),
        derive_private_key(signature),
    )


def derive_with_account(account: LocalAccount, *, chain_id: int, escrow: str) -> DerivedKey:
    """The key a browser wallet holding ``account``'s key derives (eth-account signs as
    RFC 6979 says, as such wallets do): how a CLI requester gets the browser's key."""
    signed = account.sign_message(key_message(chain_id, escrow, account.address))
    return derived_key_of(
        bytes(signed.signature), chain_id=chain_id, escrow=escrow, account=account.address
    )


def key_export(key: DerivedKey) -> str:
    """The export file (JSON) the browser writes and `parse_key_export` reads."""
    return json.dumps(
        {
            "type": KEY_EXPORT_TYPE,
            "version": 1,
            "chain_id": key.chain_id,
            "escrow": key.escrow,
            "account": key.account,
            "signature": "0x" + key.signature.hex(),
        },
        indent=2,
    )


def parse_key_export(text: str) -> DerivedKey:
    """The key in an export file, once its signature checks out (`Refused` otherwise)."""
    try:
        data = json.loads(text)
    except ValueError:
        raise Refused("the key file is not JSON (export it again from the web app)") from None
    if not isinstance(data, dict) or data.get("type") != KEY_EXPORT_TYPE:
        raise Refused(f"the key file is not a {KEY_EXPORT_TYPE} export")
    if data.get("version") != 1:
        raise Refused(f"the key file's version {data.get('version')!r} is not 1")
    chain_id, escrow, account, signature = (
        data.get(name) for name in ("chain_id", "escrow", "account", "signature")
    )
    if not isinstance(chain_id, int) or isinstance(chain_id, bool) or chain_id <= 0:
        raise Refused("the key file's chain_id is not a chain id")
    if not isinstance(escrow, str) or not isinstance(account, str):
        raise Refused("the key file needs escrow and account addresses")
    if not isinstance(signature, str) or not signature.startswith("0x"):
        raise Refused("the key file's signature is not 0x-hex")
    try:
        raw = bytes.fromhex(signature[2:])
    except ValueError:
        raise Refused("the key file's signature is not 0x-hex") from None
    return derived_key_of(raw, chain_id=chain_id, escrow=escrow, account=account)
