"""What workers and requesters sign for the verifier (EIP-712, microtask's one domain).

Both are signed in the wallet, off chain and without gas, in the same domain as receipts
(`microtask.encoding.eip712.domain`: the chain id and the TaskEscrow address), so a
signature is good for one escrow on one chain only.

- `SlotRequest`: a worker asks for a receipt slot of a task (``slot`` = `ANY_SLOT` lets the
  verifier choose). ``nonce`` and ``expiry`` make each request distinct and short-lived;
  the verifier keeps the digest of every request it granted, so a replayed request gets
  the same slot back (a worker who lost the answer can ask again), never a second one.
- `VerifierCommand`: a requester tells the verifier something about their tasks:
  ``policy`` (the hash of a `policy.Policy` document, for one task or for all their tasks
  with ``taskId`` 0), ``assess`` (assess and settle a task now) or ``message`` (the hash of
  a message to workers, `messages.message_document`); or a worker asks for their
  ``inbox``. ``issuedAt`` orders a requester's policies: an older one is refused, so a
  replayed policy cannot undo a newer; the others must be fresh.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Final, Literal, TypedDict

from eth_account.messages import SignableMessage
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from microtask.encoding.eip712 import checksum, digest, domain, recover, sign, typed_message

ANY_SLOT: Final = 2**32 - 1
"""A `SlotRequest.slot` that lets the verifier pick (no task has that many slots)."""

SLOT_REQUEST_TYPES: Final = {
    "SlotRequest": [
        {"name": "taskId", "type": "uint256"},
        {"name": "slot", "type": "uint32"},
        {"name": "worker", "type": "address"},
        {"name": "nonce", "type": "uint64"},
        {"name": "expiry", "type": "uint64"},
    ]
}

COMMAND_TYPES: Final = {
    "VerifierCommand": [
        {"name": "taskId", "type": "uint256"},
        {"name": "action", "type": "string"},
        {"name": "payloadHash", "type": "bytes32"},
        {"name": "issuedAt", "type": "uint64"},
    ]
}

Action = Literal["policy", "assess", "message", "inbox"]


class SlotRequestStruct(TypedDict):
    taskId: int
    slot: int
    worker: str
    nonce: int
    expiry: int


class CommandStruct(TypedDict):
    taskId: int
    action: str
    payloadHash: bytes
    issuedAt: int


def new_nonce() -> int:
    return secrets.randbits(63)


@dataclass(frozen=True)
class SlotRequest:
    """A worker's signed request for a receipt slot."""

    task_id: int
    slot: int
    worker: str
    nonce: int
    expiry: int

    def message(self) -> SlotRequestStruct:
        return {
            "taskId": self.task_id,
            "slot": self.slot,
            "worker": checksum(self.worker),
            "nonce": self.nonce,
            "expiry": self.expiry,
        }

    def signable(self, chain_id: int, escrow: str) -> SignableMessage:
        return typed_message(domain(chain_id, escrow), SLOT_REQUEST_TYPES, self.message())

    def digest(self, chain_id: int, escrow: str) -> bytes:
        return digest(self.signable(chain_id, escrow))

    def sign(self, account: LocalAccount, chain_id: int, escrow: str) -> bytes:
        return sign(account, self.signable(chain_id, escrow))

    def signer(self, signature: bytes, chain_id: int, escrow: str) -> str:
        """Who signed (ValueError for a malformed signature)."""
        return recover(self.signable(chain_id, escrow), signature)


@dataclass(frozen=True)
class VerifierCommand:
    """A requester's signed command to the verifier."""

    task_id: int
    action: Action
    payload_hash: bytes
    issued_at: int

    def message(self) -> CommandStruct:
        return {
            "taskId": self.task_id,
            "action": self.action,
            "payloadHash": self.payload_hash,
            "issuedAt": self.issued_at,
        }

    def signable(self, chain_id: int, escrow: str) -> SignableMessage:
        return typed_message(domain(chain_id, escrow), COMMAND_TYPES, self.message())

    def sign(self, account: LocalAccount, chain_id: int, escrow: str) -> bytes:
        return sign(account, self.signable(chain_id, escrow))

    def signer(self, signature: bytes, chain_id: int, escrow: str) -> str:
        return recover(self.signable(chain_id, escrow), signature)

    def digest(self, chain_id: int, escrow: str) -> bytes:
        return digest(self.signable(chain_id, escrow))


def payload_hash(canonical: bytes) -> bytes:
    """keccak256 of a document's canonical JSON: what a command's ``payloadHash`` holds."""
    return bytes(keccak(canonical))


NO_PAYLOAD: Final = bytes(32)
