"""What the verifier's routes take and answer (``/verifier``), with examples.

Signatures are 0x-hex, 65 bytes (r, s, v) as eth-account makes them. Times are chain
seconds. Requests carry every field the signer signed, so the verifier can recover the
signer and check it against the address named.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field

from microtask.api.params import Address
from microtask.api.schemas import EXAMPLE_CID, EXAMPLE_WORKER, ChecksumAddress
from microtask.verifier import ANY_SLOT, Policy

EXAMPLE_SIGNATURE: Final = "0x" + "ab" * 65
Signature = Annotated[
    str,
    Field(
        pattern="^0x[0-9a-fA-F]{130}$",
        description="An EIP-712 signature, 0x and 65 bytes in hex.",
        examples=[EXAMPLE_SIGNATURE],
    ),
]
Uint64 = Annotated[int, Field(ge=0, le=2**64 - 1)]
TaskIdField = Annotated[int, Field(ge=0, le=2**63 - 1, examples=[2])]
SlotField = Annotated[int, Field(ge=0, le=2**32 - 1, examples=[4])]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VerifierInfo(BaseModel):
    verifier: ChecksumAddress
    public_key: str = Field(description="Seal submissions to this key (0x04...).")
    chain_id: int = Field(examples=[31337])
    escrow: ChecksumAddress


class ClaimRequest(_Body):
    """A worker's signed `SlotRequest` (EIP-712): ask for a receipt slot, no gas needed."""

    task_id: TaskIdField
    slot: SlotField = Field(
        default=ANY_SLOT, description=f"The slot wanted; {ANY_SLOT} (default): any free one."
    )
    worker: Address
    nonce: Uint64 = Field(examples=[8151029])
    expiry: Uint64 = Field(description="Unix seconds; at most a day ahead.", examples=[1767139800])
    signature: Signature


class GrantPublic(BaseModel):
    """A receipt slot reserved for the worker until ``lease_end``."""

    task_id: int = Field(examples=[2])
    slot: int = Field(examples=[4])
    item_index: int = Field(examples=[4])
    item_id: str = Field(examples=["review-4"])
    worker: ChecksumAddress = Field(examples=[EXAMPLE_WORKER])
    reserved_at: int
    lease_end: int
    replayed: bool = Field(description="True when this request had been granted before.")


class SubmissionRequest(_Body):
    """A reserved slot's envelope, uploaded first (``POST /content``)."""

    task_id: TaskIdField
    slot: SlotField
    envelope_cid: str = Field(min_length=1, max_length=200, examples=[EXAMPLE_CID])


class ReceiptPublic(BaseModel):
    """The verifier's EIP-712 receipt: the worker can present it on chain
    (``presentReceipts``) before ``expiry`` and be paid by silence if nobody rejects it."""

    task_id: int
    slot: int
    worker: ChecksumAddress
    result_digest: str = Field(description="The envelope CID's sha2-256 digest (0x-hex).")
    submitted_at: int
    expiry: int
    signature: str
    envelope_cid: str
    verifier: ChecksumAddress


class PolicyRequest(_Body):
    """A requester's signed policy (`VerifierCommand` with action ``policy``)."""

    requester: Address
    task_id: TaskIdField = Field(description="0: all the requester's tasks.")
    policy: Policy
    issued_at: Uint64
    signature: Signature


class PolicyStored(BaseModel):
    requester: ChecksumAddress
    task_id: int
    issued_at: int


class AssessRequest(_Body):
    """The task's requester's signed ``assess`` command, good for ten minutes."""

    issued_at: Uint64
    signature: Signature


class TaskReportPublic(BaseModel):
    task_id: int
    reason: str = Field(examples=["every slot is in"])
    run: int | None
    submissions: int
    outcomes: dict[str, int] = Field(examples=[{"approve": 14, "reject": 3, "undecided": 1}])
    results_cid: str | None
    settled: dict[str, int] = Field(examples=[{"approved": 14, "rejected": 3}])
    coverage: dict[str, Any] = Field(
        default_factory=dict,
        description="items, answered, emptied (the items whose every answer was rejected: "
        "no result for them) and unanswered.",
        examples=[{"items": 20, "answered": 19, "emptied": ["photo-07"], "unanswered": 0}],
    )


class DecisionPublic(BaseModel):
    slot: int
    worker: ChecksumAddress
    outcome: str = Field(examples=["reject"])
    settled: str = Field(examples=["rejected"])
    reasons: list[dict[str, Any]]
    checks: list[str]
    settle_tx: str | None


class SettlementPublic(BaseModel):
    kind: str = Field(examples=["approve"])
    slots: list[int]
    tx_hash: str
    status: str = Field(examples=["mined"])
    reason_cid: str | None


class VerifierTaskStatus(BaseModel):
    task_id: int
    verifier: ChecksumAddress
    receipt_slots: int
    reserved: int = Field(description="Live reservations now.")
    receipted: int
    submitted_on_chain: int
    run: int | None = Field(description="The latest assessment (null: none yet).")
    assessed_at: int | None
    results_cid: str | None
    decisions: list[DecisionPublic]
    transactions: list[SettlementPublic]


class ReceiptRow(ReceiptPublic):
    reserved_at: int = Field(description="When the slot was reserved for the worker.")


class ReceiptPage(BaseModel):
    """A task's receipts by slot; ask again with ``after`` = ``next_after`` for more."""

    data: list[ReceiptRow]
    next_after: int | None = Field(description="The last slot listed, when more may follow.")


class MessageRequest(_Body):
    """A requester's signed message (`VerifierCommand` with action ``message`` over the
    hash of the canonical JSON of ``{subject, text, workers}``)."""

    requester: Address
    workers: list[Address] = Field(min_length=1, max_length=100)
    subject: str = Field(min_length=1, max_length=200, examples=["A bonus for your work"])
    text: str = Field(min_length=1, max_length=4096)
    issued_at: Uint64
    signature: Signature


class MessageDelivery(BaseModel):
    sent: list[ChecksumAddress] = Field(description="The workers whose inbox holds it.")
    refused: dict[str, str] = Field(description="Each worker it was not sent to, and why.")


class InboxRequest(_Body):
    """A worker's signed request for their messages (``inbox``, good for ten minutes)."""

    worker: Address
    issued_at: Uint64
    signature: Signature
    before: int | None = Field(default=None, ge=1, description="Only messages older than this id.")


class MessagePublic(BaseModel):
    id: int
    requester: ChecksumAddress
    subject: str
    text: str
    sent_at: int


class Inbox(BaseModel):
    worker: ChecksumAddress
    data: list[MessagePublic] = Field(description="Newest first, at most 100.")
