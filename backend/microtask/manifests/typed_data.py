"""The EIP-712 struct a worker signs when handing in a submission envelope.

`SUBMISSION` binds the envelope's contents (by hash) to one task and one slot, so an
envelope cannot be replayed against another slot, and nobody else can claim it as theirs.
It is hashed in microtask's one EIP-712 domain (`microtask.encoding.eip712`).
"""

from __future__ import annotations

from typing import Final

from eth_account.messages import SignableMessage

from microtask.encoding.eip712 import checksum, domain, typed_message

SUBMISSION: Final = {
    "Submission": [
        {"name": "taskId", "type": "uint256"},
        {"name": "slot", "type": "uint256"},
        {"name": "worker", "type": "address"},
        {"name": "envelopeHash", "type": "bytes32"},
    ]
}
"""A worker's submission: the keccak256 of the envelope's canonical JSON without its signature."""


def submission_message(
    *, chain_id: int, escrow: str, task_id: int, slot: int, worker: str, envelope_hash: bytes
) -> SignableMessage:
    if len(envelope_hash) != 32:
        raise ValueError("envelope_hash must be 32 bytes")
    return typed_message(
        domain(chain_id, escrow),
        SUBMISSION,
        {
            "taskId": task_id,
            "slot": slot,
            "worker": checksum(worker),
            "envelopeHash": envelope_hash,
        },
    )
