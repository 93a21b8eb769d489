"""The index's rows as typed dicts: what the indexer writes, checked by mypy column by column.

The indexer builds rows as plain dicts and writes them in bulk with Core statements (see
`microtask.indexer.rows`): ORM objects would cost several times the ingestion speed. Typed
dicts keep that speed and let mypy catch a misspelt column or a value of the wrong type.
Each ``XRow`` has exactly the columns of its table in `microtask.db.models`, with the same
Python types (a test holds them to the models); ``XInsert`` rows leave out what the
database fills in itself.
"""

from __future__ import annotations

from typing import Any, TypedDict

from microtask.db.base import (
    AssignmentSource,
    AssignmentStatus,
    Direction,
    DisputeStatus,
    ManifestStatus,
    MovementKind,
    SettlementOutcome,
)
from microtask.escrow import ApprovalBasis, SlotState

# ---------------------------------------------------------------- chain bookkeeping


class EventInsert(TypedDict):
    """An ``events`` row as inserted (the database numbers it: ``id``)."""

    block_number: int
    block_hash: str
    block_timestamp: int
    tx_hash: str
    tx_index: int
    log_index: int
    name: str
    task_id: int | None
    args: dict[str, Any]


class BlockRow(TypedDict):
    number: int
    hash: str
    parent_hash: str
    timestamp: int


class CheckpointRow(TypedDict):
    contract: str
    chain_id: int
    deployment_block: int
    block_number: int
    block_hash: str
    block_timestamp: int
    chain_head: int
    chain_head_timestamp: int
    chain_head_seen_at: float


class EscrowSettings(TypedDict):
    """The escrow's operator settings, as deployed or as events changed them."""

    owner: str
    pending_owner: str | None
    treasury: str
    fee_bps: int
    default_arbitrator: str
    paused: bool
    dispute_window: int
    arbitration_timeout: int


class EscrowRow(EscrowSettings):
    """An ``escrow_state`` row: one escrow's settings."""

    contract: str


# ---------------------------------------------------------------- tasks


class ManifestInsert(TypedDict):
    """A ``manifests`` row as the indexer first writes it (the fetcher fills the rest)."""

    cid: str
    status: ManifestStatus
    error: str | None
    attempts: int


class ManifestFetch(TypedDict):
    """What the manifest fetcher writes after each attempt."""

    status: ManifestStatus
    error: str | None
    attempts: int
    next_attempt_at: float | None
    fetched_at: float | None
    size: int | None


class ManifestSummary(TypedDict):
    """The summary of a valid manifest, which the API filters and shows."""

    title: str | None
    kind: str | None
    language: str | None
    time_estimate_seconds: int | None
    item_count: int | None
    redundancy: int | None
    requester: str | None
    tags: list[str] | None
    document: dict[str, Any] | None


class ManifestTagRow(TypedDict):
    cid: str
    tag: str


class ManifestQualificationRow(TypedDict):
    cid: str
    name: str
    min_score: float | None


class TaskRow(TypedDict):
    task_id: int
    requester: str
    token: str
    manifest_cid: str
    reward: int
    fee_bps: int
    slot_count: int
    receipt_slots: int
    open_slots: int
    receipt_slots_used: int
    deadline: int
    review_period: int
    lease: int
    verifier: str
    arbitrator: str
    min_approved: int
    min_approval_bps: int
    cancelled: bool
    receipt_slots_reclaimed: bool
    escrow: int
    fee: int
    available_slots: int
    approved_slots: int
    closed_slots: int
    funded: int
    paid: int
    fees_paid: int
    refunded: int
    bonuses: int
    created_block: int
    created_at: int
    created_tx: str
    cancelled_at: int | None
    updated_block: int


class SlotRow(TypedDict):
    task_id: int
    slot: int
    state: SlotState
    worker: str | None
    timestamp: int
    assignments: int
    updated_block: int


class AssignmentRow(TypedDict):
    task_id: int
    slot: int
    number: int
    worker: str
    source: AssignmentSource
    status: AssignmentStatus
    claimed_at: int | None
    lease_end: int | None
    submitted_at: int | None
    result_cid: str | None
    result_digest: str | None
    receipt_signer: str | None
    rejected_at: int | None
    rejection_cid: str | None
    basis: ApprovalBasis | None
    reward: int | None
    refunded: int | None
    ended_at: int | None
    started_block: int
    updated_block: int


class SettlementRow(TypedDict):
    block_number: int
    log_index: int
    slot: int
    task_id: int
    assignment: int
    worker: str
    outcome: SettlementOutcome
    basis: ApprovalBasis | None
    reward: int | None
    fee: int | None
    refunded: int | None
    reason_cid: str | None
    tx_hash: str
    at: int


class DisputeRow(TypedDict):
    task_id: int
    slot: int
    assignment: int
    worker: str
    arbitrator: str
    status: DisputeStatus
    reason_cid: str
    opened_at: int
    ruling_cid: str | None
    resolved_at: int | None


# ---------------------------------------------------------------- money


class AccountRow(TypedDict):
    token: str
    address: str
    balance: int
    approved: int
    rejected: int
    disputes_won: int
    disputes_lost: int
    earned: int
    bonuses: int
    fees: int
    refunded: int
    funded: int
    withdrawn: int
    updated_block: int


class LedgerRow(TypedDict):
    block_number: int
    log_index: int
    seq: int
    token: str
    account: str
    amount: int
    direction: Direction
    kind: MovementKind
    task_id: int | None
    slot: int | None
    counterparty: str | None
    tx_hash: str
    at: int


ROWS: dict[type[Any], str] = {
    EventInsert: "events",
    BlockRow: "blocks",
    CheckpointRow: "checkpoints",
    EscrowRow: "escrow_state",
    ManifestInsert: "manifests",
    ManifestFetch: "manifests",
    ManifestSummary: "manifests",
    ManifestTagRow: "manifest_tags",
    ManifestQualificationRow: "manifest_qualifications",
    TaskRow: "tasks",
    SlotRow: "slots",
    AssignmentRow: "assignments",
    SettlementRow: "settlements",
    DisputeRow: "disputes",
    AccountRow: "accounts",
    LedgerRow: "ledger",
}
"""Every typed row, and the table it is (part of) a row of."""
