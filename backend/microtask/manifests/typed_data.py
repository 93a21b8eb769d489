"""EIP-712 typed data for microtask: the domain, and the structs parties sign off chain.

One module so that every signer and checker (the worker's client, the API, the verifier,
the TaskEscrow contract's receipt checks) hashes the same thing. The domain is
``{name: "microtask", version: "1", chainId, verifyingContract: <TaskEscrow address>}``,
so a signature made for one chain or one escrow deployment is worthless on another.

`SUBMISSION` is what a worker signs when handing in a submission envelope: it binds the
envelope's contents (by hash) to one task and one slot, so an envelope cannot be replayed
against another slot, and nobody else can claim it as theirs.
"""

from __future__ import annotations

from typing import Any, Final

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_keys.exceptions import BadSignature
from eth_utils.address import to_checksum_address

from microtask.manifests.fields import UINT256_MAX

DOMAIN_NAME: Final = "microtask"
DOMAIN_VERSION: Final = "1"

DOMAIN_TYPE: Final = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]

SUBMISSION: Final = {
    "Submission": [
        {"name": "taskId", "type": "uint256"},
        {"name": "slot", "type": "uint256"},
        {"name": "worker", "type": "address"},
        {"name": "envelopeHash", "type": "bytes32"},
    ]
}
"""A worker's submission: the keccak256 of the envelope's canonical JSON without its signature."""


def domain(chain_id: int, verifying_contract: str) -> dict[str, Any]:
    """The microtask EIP-712 domain for one TaskEscrow deployment on one chain."""
    if not 0 < chain_id <= UINT256_MAX:
        raise ValueError(f"invalid chain id {chain_id}")
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": to_checksum_address(verifying_contract),
    }


def submission_message(
    *, chain_id: int, escrow: str, task_id: int, slot: int, worker: str, envelope_hash: bytes
) -> SignableMessage:
    if len(envelope_hash) != 32:
        raise ValueError("envelope_hash must be 32 bytes")
    return encode_typed_data(
        domain_data=domain(chain_id, escrow),
        message_types=SUBMISSION,
        message_data={
            "taskId": task_id,
            "slot": slot,
            "worker": to_checksum_address(worker),
            "envelopeHash": envelope_hash,
        },
    )


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
