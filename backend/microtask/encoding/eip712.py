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

from collections.abc import Mapping
from typing import Final, TypedDict

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_keys.exceptions import BadSignature
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
        "verifyingContract": to_checksum_address(verifying_contract),
    }


def typed_message(
    domain: EIP712Domain,
    types: Mapping[str, list[dict[str, str]]],
    message: Mapping[str, object],
) -> SignableMessage:
    """``message`` of the struct ``types`` names, in ``domain``, ready to sign or recover."""
    return encode_typed_data(dict(domain), dict(types), dict(message))


def sign(account: LocalAccount, message: SignableMessage) -> bytes:
    return bytes(account.sign_message(message).signature)


def recover(message: SignableMessage, signature: bytes) -> str:
    """The address that signed ``message``; raises ValueError for a malformed signature.

    eth-keys reports an unrecoverable or out-of-range signature with its own
    ``BadSignature``, which is not a ValueError: it is turned into one here, so callers
    (the verifier's routes among them) catch one exception.
    """
    try:
        return str(Account.recover_message(message, signature=signature))
    except BadSignature as error:
        raise ValueError(f"malformed signature: {error}") from None


def digest(message: SignableMessage) -> bytes:
    """The 32-byte hash a signer signs (EIP-191 version 0x01 wrapping the EIP-712 hashes)."""
    return keccak(b"\x19" + message.version + message.header + message.body)
