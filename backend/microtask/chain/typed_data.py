"""EIP-712 messages the escrow accepts: receipts, batch approvals, and receipt rejections.

They use microtask's one EIP-712 domain (`microtask.encoding.eip712.domain`: name
``microtask``, version ``1``, the chain id and the escrow's address), so a signature is good
for one contract on one chain only; the message names the task, so it is good for one task
only. These definitions mirror the type hashes in ``contracts/TaskEscrow.sol``; a test
checks them against the contract's own digests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from eth_account.messages import SignableMessage

from microtask.encoding.eip712 import checksum, domain, typed_message

RECEIPT_TYPES: dict[str, list[dict[str, str]]] = {
    "Receipt": [
        {"name": "taskId", "type": "uint256"},
        {"name": "slot", "type": "uint32"},
        {"name": "worker", "type": "address"},
        {"name": "resultDigest", "type": "bytes32"},
        {"name": "submittedAt", "type": "uint64"},
        {"name": "expiry", "type": "uint64"},
    ]
}

APPROVAL_TYPES: dict[str, list[dict[str, str]]] = {
    "Approval": [
        {"name": "taskId", "type": "uint256"},
        {"name": "slots", "type": "uint32[]"},
        {"name": "workers", "type": "address[]"},
        {"name": "direct", "type": "bool"},
        {"name": "expiry", "type": "uint64"},
    ]
}


class ReceiptStruct(TypedDict):
    taskId: int
    slot: int
    worker: str
    resultDigest: bytes
    submittedAt: int
    expiry: int


"""``ITaskEscrow.Receipt`` by its field names: what is signed, and what the contract takes."""


class ApprovalStruct(TypedDict):
    taskId: int
    slots: list[int]
    workers: list[str]
    direct: bool
    expiry: int


"""``ITaskEscrow.Approval`` by its field names."""


@dataclass(frozen=True)
class Receipt:
    """The requester's or verifier's word that a worker's work for a slot arrived."""

    task_id: int
    slot: int
    worker: str
    result_digest: bytes
    submitted_at: int
    expiry: int

    def message(self) -> ReceiptStruct:
        """The struct by field name: the EIP-712 message, and the ABI argument."""
        return {
            "taskId": self.task_id,
            "slot": self.slot,
            "worker": checksum(self.worker),
            "resultDigest": self.result_digest,
            "submittedAt": self.submitted_at,
            "expiry": self.expiry,
        }

    def signable(self, chain_id: int, escrow: str) -> SignableMessage:
        return typed_message(domain(chain_id, escrow), RECEIPT_TYPES, self.message())


@dataclass(frozen=True)
class Approval:
    """The requester's or verifier's approval of slots, for anyone to relay."""

    task_id: int
    slots: tuple[int, ...]
    workers: tuple[str, ...]
    expiry: int
    direct: bool = False
    """Pay each reward to the worker's own address rather than to the ledger."""

    def message(self) -> ApprovalStruct:
        """The struct by field name: the EIP-712 message, and the ABI argument."""
        return {
            "taskId": self.task_id,
            "slots": list(self.slots),
            "workers": [checksum(w) for w in self.workers],
            "direct": self.direct,
            "expiry": self.expiry,
        }

    def signable(self, chain_id: int, escrow: str) -> SignableMessage:
        return typed_message(domain(chain_id, escrow), APPROVAL_TYPES, self.message())


@dataclass(frozen=True)
class ReceiptRejection:
    """The proof a receipt slot's rejection carries (``ITaskEscrow.ReceiptRejection``): the
    slot's receipt with its signature, and the worker's own EIP-712 ``Submission``
    signature of the envelope they handed in (`microtask.manifests.typed_data`), so only a
    worker who really submitted for the slot can be rejected for it."""

    receipt: Receipt
    signature: bytes
    envelope_hash: bytes
    worker_signature: bytes

    def message(self) -> dict[str, object]:
        """The struct by field name, as web3 encodes a tuple argument."""
        return {
            "receipt": self.receipt.message(),
            "signature": self.signature,
            "envelopeHash": self.envelope_hash,
            "workerSignature": self.worker_signature,
        }
