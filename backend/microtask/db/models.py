"""The tables: what the indexer writes and the API reads.

Three groups:

- **Chain bookkeeping**: ``events`` (every escrow log, decoded; ``id`` is the live feed's
  event id), ``reorgs`` (the event ids each reorganisation dropped), ``blocks`` (hash and
  time of each block that carried events: how reorganisations are detected),
  ``checkpoints`` (how far the index has got, and the chain head last seen),
  ``escrow_state`` (owner, fee, treasury, arbitrator, paused).
- **Tasks**: ``tasks`` (the contract's Task struct plus running totals), ``slots`` (only
  slots something happened to: a task's slot without a row is open), ``assignments`` (each
  time a slot reached a worker: a claim, a presented receipt, or a receipt slot settled
  directly; with its submission and outcome), ``settlements`` (one row per slot approved,
  rejected or closed), ``disputes``.
- **Money and people**: ``accounts`` (per token and address: the contract's balance and
  record, plus running totals), ``ledger`` (every movement of money), ``manifests``,
  ``manifest_tags`` and ``manifest_qualifications`` (each manifest's fetch status and the
  summary the API filters on).

The verifier's own tables (reservations, receipts, assessments, scores, settlement intents)
are in `microtask.db.verifier_models`: the same database, written only by the verifier.

Everything but the manifest tables is derived from events alone, in order, and
rebuilt from ``events`` after a reorganisation (see `microtask.indexer.reorg`). Derived
rows are keyed by chain positions (block number, log index) or by counters that only
events advance (an assignment's number within its slot), never by a sequence, so a
rebuild or a restart after ``kill -9`` produces byte-identical rows.

Chain times (deadlines, submitted at, created at) are unix seconds from block headers and
events; wall-clock times (``*_at`` on checkpoints and manifests) are unix seconds as floats.
Token amounts are `Amount` (exact uint256), addresses `Address` (checksummed).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from microtask.db.base import (
    AssignmentSource,
    AssignmentStatus,
    Base,
    BigId,
    Direction,
    DisputeStatus,
    ManifestStatus,
    MovementKind,
    SettlementOutcome,
    text_enum,
)
from microtask.db.types import Address, Amount
from microtask.escrow import ApprovalBasis, SlotState

HASH = String(66)
CID_TEXT = String(128)
"""A CID as text, or ``0x``-hex of bytes that are not a CID (see `Task.manifest_cid`)."""


# ---------------------------------------------------------------- chain bookkeeping


class Event(Base):
    """One escrow log, decoded. The API's live feed serves these in ``id`` order."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("block_hash", "log_index"),
        Index(None, "block_number", "log_index"),
        Index(None, "task_id", "id"),
        # ids are never reused, even after a reorganisation deletes the newest rows
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    block_number: Mapped[int]
    block_hash: Mapped[str] = mapped_column(HASH)
    block_timestamp: Mapped[int]
    tx_hash: Mapped[str] = mapped_column(HASH)
    tx_index: Mapped[int] = mapped_column(Integer)
    log_index: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(40))
    task_id: Mapped[int | None]
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The event's arguments by their Solidity names: uint128/uint256 values as decimal
    strings (JSON numbers lose precision past 2**53), bytes as 0x-hex, addresses
    checksummed, the TaskCreated ``task`` struct as an object."""


class Reorg(Base):
    """A reorganisation the indexer rolled back: which event ids it dropped, so the live feed
    can tell a client that saw them (``event: reorg``). Not chain state: a fresh index has
    none, and a rollback keeps them (they are about ids the feed has served)."""

    __tablename__ = "reorgs"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    fork_block: Mapped[int]
    """The newest block still canonical (below the deployment block when none is)."""
    first_event_id: Mapped[int]
    last_event_id: Mapped[int]
    """Every stored event with an id in this range was dropped (ids only grow, and the
    dropped events are the newest, so the range holds no event that stays)."""
    dropped: Mapped[int]
    detected_at: Mapped[float] = mapped_column(Float)
    """Wall clock, unix seconds."""


class Block(Base):
    """A block that carried escrow events: its hash is how a reorganisation is noticed (the
    checkpoint holds the newest indexed block's). Only blocks with events are kept, so the
    table is the same however the blocks were batched."""

    __tablename__ = "blocks"

    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(HASH, unique=True)
    parent_hash: Mapped[str] = mapped_column(HASH)
    timestamp: Mapped[int]


class Checkpoint(Base):
    """How far the index of one escrow has got, written with the rows it covers."""

    __tablename__ = "checkpoints"

    contract: Mapped[str] = mapped_column(Address, primary_key=True)
    chain_id: Mapped[int]
    deployment_block: Mapped[int]
    block_number: Mapped[int]
    """Every event up to and including this block is indexed."""
    block_hash: Mapped[str] = mapped_column(HASH)
    block_timestamp: Mapped[int]
    chain_head: Mapped[int]
    """The chain's latest block when last polled (for the API's lag in /health)."""
    chain_head_timestamp: Mapped[int]
    chain_head_seen_at: Mapped[float] = mapped_column(Float)
    """Wall-clock time of that poll."""


class EscrowState(Base):
    """The contract's operator settings, from the constructor and operator events."""

    __tablename__ = "escrow_state"

    contract: Mapped[str] = mapped_column(Address, primary_key=True)
    owner: Mapped[str] = mapped_column(Address)
    pending_owner: Mapped[str | None] = mapped_column(Address)
    treasury: Mapped[str] = mapped_column(Address)
    fee_bps: Mapped[int] = mapped_column(Integer)
    default_arbitrator: Mapped[str] = mapped_column(Address)
    paused: Mapped[bool] = mapped_column(Boolean)
    dispute_window: Mapped[int]
    arbitration_timeout: Mapped[int]


# ---------------------------------------------------------------- tasks


class Manifest(Base):
    """A task manifest by CID: fetched and validated off the ingest path, retried."""

    __tablename__ = "manifests"
    __table_args__ = (Index(None, "status", "next_attempt_at"),)

    cid: Mapped[str] = mapped_column(CID_TEXT, primary_key=True)
    status: Mapped[ManifestStatus] = mapped_column(text_enum(ManifestStatus))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[float | None] = mapped_column(Float)
    fetched_at: Mapped[float | None] = mapped_column(Float)
    size: Mapped[int | None]
    # the summary the API filters and shows (filled when status is ok)
    title: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str | None] = mapped_column(String(32), index=True)
    language: Mapped[str | None] = mapped_column(String(35), index=True)
    time_estimate_seconds: Mapped[int | None]
    item_count: Mapped[int | None]
    redundancy: Mapped[int | None] = mapped_column(Integer)
    requester: Mapped[str | None] = mapped_column(Address)
    tags: Mapped[list[str] | None] = mapped_column(JSON)
    document: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The validated manifest (gold answers are hashed or encrypted in it already)."""


class ManifestTag(Base):
    """One tag of a valid manifest: ``tags=x`` filters join here by index."""

    __tablename__ = "manifest_tags"

    cid: Mapped[str] = mapped_column(
        CID_TEXT, ForeignKey("manifests.cid", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class ManifestQualification(Base):
    """One qualification a valid manifest asks of workers (name and minimum score):
    ``eligible_for=`` joins here by index to leave out tasks a worker does not qualify for.
    The scores themselves are the verifier's (`microtask.reputation`)."""

    __tablename__ = "manifest_qualifications"

    cid: Mapped[str] = mapped_column(
        CID_TEXT, ForeignKey("manifests.cid", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    min_score: Mapped[float | None] = mapped_column(Float)


class Task(Base):
    """A task: the contract's ``Task`` struct field for field, plus what the API sums."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index(None, "requester", "task_id"),
        Index(None, "token", "reward", "task_id"),
        Index(None, "reward", "task_id"),
        Index(None, "deadline", "task_id"),
        Index(None, "cancelled", "deadline", "available_slots"),
        # Task listings: the status columns first, then what the filters compare (eligible_for
        # included), so a filtered count of open tasks reads this index alone (3-6x faster
        # at 100k tasks); the narrower one above stays for the unfiltered count
        Index(
            "ix_tasks_listing",
            "cancelled",
            "deadline",
            "available_slots",
            "token",
            "reward",
            "requester",
            "manifest_cid",
            "verifier",
            "arbitrator",
            "min_approved",
            "min_approval_bps",
        ),
    )

    task_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    requester: Mapped[str] = mapped_column(Address)
    token: Mapped[str] = mapped_column(Address)
    manifest_cid: Mapped[str] = mapped_column(CID_TEXT, ForeignKey("manifests.cid"), index=True)
    reward: Mapped[int] = mapped_column(Amount)
    fee_bps: Mapped[int] = mapped_column(Integer)
    slot_count: Mapped[int]
    receipt_slots: Mapped[int]
    open_slots: Mapped[int]
    """Claimable slots (index >= receipt_slots) nobody holds, as the contract counts them."""
    receipt_slots_used: Mapped[int]
    deadline: Mapped[int]
    review_period: Mapped[int]
    lease: Mapped[int]
    verifier: Mapped[str] = mapped_column(Address)
    arbitrator: Mapped[str] = mapped_column(Address)
    min_approved: Mapped[int]
    min_approval_bps: Mapped[int] = mapped_column(Integer)
    cancelled: Mapped[bool] = mapped_column(Boolean)
    receipt_slots_reclaimed: Mapped[bool] = mapped_column(Boolean)
    escrow: Mapped[int] = mapped_column(Amount)
    """Funds still held: (reward + fee) per unsettled slot."""
    # derived, for the API
    fee: Mapped[int] = mapped_column(Amount)
    """The fee per paid slot."""
    available_slots: Mapped[int]
    """open_slots plus receipt slots still unused (0 once reclaimed or cancelled): how
    many more workers the task can take."""
    approved_slots: Mapped[int]
    closed_slots: Mapped[int]
    funded: Mapped[int] = mapped_column(Amount)
    paid: Mapped[int] = mapped_column(Amount)
    """Rewards paid to workers (bonuses excluded)."""
    fees_paid: Mapped[int] = mapped_column(Amount)
    refunded: Mapped[int] = mapped_column(Amount)
    bonuses: Mapped[int] = mapped_column(Amount)
    created_block: Mapped[int]
    created_at: Mapped[int]
    created_tx: Mapped[str] = mapped_column(HASH)
    cancelled_at: Mapped[int | None]
    updated_block: Mapped[int]


class Slot(Base):
    """A slot something happened to. ``state``, ``worker`` and ``timestamp`` are what
    ``getSlot`` returns, except that a final slot keeps its last worker here (the contract
    zeroes worker and timestamp once a slot is approved or closed)."""

    __tablename__ = "slots"
    __table_args__ = (Index(None, "worker", "state"),)

    task_id: Mapped[int] = mapped_column(
        ForeignKey("tasks.task_id", ondelete="CASCADE"), primary_key=True
    )
    slot: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    state: Mapped[SlotState] = mapped_column(text_enum(SlotState))
    worker: Mapped[str | None] = mapped_column(Address)
    timestamp: Mapped[int]
    """Lease end, submitted at, rejected at or disputed at; 0 when open or final."""
    assignments: Mapped[int] = mapped_column(Integer)
    """How many assignments the slot has had; the current one is number assignments - 1."""
    updated_block: Mapped[int]


class Assignment(Base):
    """One worker's turn at a slot, from claim (or receipt) to its outcome."""

    __tablename__ = "assignments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["task_id", "slot"], ["slots.task_id", "slots.slot"], ondelete="CASCADE"
        ),
        Index(None, "worker", "task_id"),
        Index(None, "status"),
    )

    task_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    slot: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    worker: Mapped[str] = mapped_column(Address)
    source: Mapped[AssignmentSource] = mapped_column(text_enum(AssignmentSource))
    status: Mapped[AssignmentStatus] = mapped_column(text_enum(AssignmentStatus))
    claimed_at: Mapped[int | None]
    lease_end: Mapped[int | None]
    submitted_at: Mapped[int | None]
    result_cid: Mapped[str | None] = mapped_column(CID_TEXT)
    """The submission envelope's CID (on-chain submissions)."""
    result_digest: Mapped[str | None] = mapped_column(HASH)
    """The digest a presented receipt vouches for."""
    receipt_signer: Mapped[str | None] = mapped_column(Address)
    rejected_at: Mapped[int | None]
    rejection_cid: Mapped[str | None] = mapped_column(CID_TEXT)
    basis: Mapped[ApprovalBasis | None] = mapped_column(text_enum(ApprovalBasis))
    reward: Mapped[int | None] = mapped_column(Amount)
    """Paid to the worker, once approved."""
    refunded: Mapped[int | None] = mapped_column(Amount)
    """Back to the requester, when the slot closed during this assignment."""
    ended_at: Mapped[int | None]
    started_block: Mapped[int]
    updated_block: Mapped[int]


class Settlement(Base):
    """One slot approved, rejected or closed by one event."""

    __tablename__ = "settlements"
    __table_args__ = (Index(None, "task_id", "slot"), Index(None, "worker", "block_number"))

    block_number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    slot: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    task_id: Mapped[int]
    assignment: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(Address)
    outcome: Mapped[SettlementOutcome] = mapped_column(text_enum(SettlementOutcome))
    basis: Mapped[ApprovalBasis | None] = mapped_column(text_enum(ApprovalBasis))
    reward: Mapped[int | None] = mapped_column(Amount)
    fee: Mapped[int | None] = mapped_column(Amount)
    refunded: Mapped[int | None] = mapped_column(Amount)
    reason_cid: Mapped[str | None] = mapped_column(CID_TEXT)
    tx_hash: Mapped[str] = mapped_column(HASH)
    at: Mapped[int]


class Dispute(Base):
    """A worker's dispute of a rejection: at most one per assignment."""

    __tablename__ = "disputes"
    __table_args__ = (Index(None, "worker"), Index(None, "status"))

    task_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    slot: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    assignment: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    worker: Mapped[str] = mapped_column(Address)
    arbitrator: Mapped[str] = mapped_column(Address)
    status: Mapped[DisputeStatus] = mapped_column(text_enum(DisputeStatus))
    reason_cid: Mapped[str] = mapped_column(CID_TEXT)
    opened_at: Mapped[int]
    ruling_cid: Mapped[str | None] = mapped_column(CID_TEXT)
    resolved_at: Mapped[int | None]


# ---------------------------------------------------------------- money


class Account(Base):
    """An address in one token: the contract's ledger word, plus running totals."""

    __tablename__ = "accounts"
    __table_args__ = (Index(None, "address", "token"),)

    token: Mapped[str] = mapped_column(Address, primary_key=True)
    address: Mapped[str] = mapped_column(Address, primary_key=True)
    balance: Mapped[int] = mapped_column(Amount)
    approved: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    disputes_won: Mapped[int] = mapped_column(Integer)
    disputes_lost: Mapped[int] = mapped_column(Integer)
    earned: Mapped[int] = mapped_column(Amount)
    """Rewards for approved slots."""
    bonuses: Mapped[int] = mapped_column(Amount)
    fees: Mapped[int] = mapped_column(Amount)
    """Fees credited (the treasury's income)."""
    refunded: Mapped[int] = mapped_column(Amount)
    funded: Mapped[int] = mapped_column(Amount)
    """Paid into escrow from the wallet: tasks, added slots, bonuses."""
    withdrawn: Mapped[int] = mapped_column(Amount)
    updated_block: Mapped[int]


class LedgerMovement(Base):
    """One movement of money for one account; ``seq`` numbers those of one event."""

    __tablename__ = "ledger"
    __table_args__ = (Index(None, "account", "token", "block_number"), Index(None, "task_id"))

    block_number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(Address)
    account: Mapped[str] = mapped_column(Address)
    amount: Mapped[int] = mapped_column(Amount)
    direction: Mapped[Direction] = mapped_column(text_enum(Direction))
    kind: Mapped[MovementKind] = mapped_column(text_enum(MovementKind))
    task_id: Mapped[int | None]
    slot: Mapped[int | None]
    counterparty: Mapped[str | None] = mapped_column(Address)
    """Where a withdrawal went."""
    tx_hash: Mapped[str] = mapped_column(HASH)
    at: Mapped[int]


DERIVED_TABLES = (
    "ledger",
    "settlements",
    "disputes",
    "assignments",
    "slots",
    "tasks",
    "accounts",
    "escrow_state",
)
"""Tables rebuilt from ``events`` alone, children first (the order to delete them in)."""


def table(name: str) -> Table:
    """A table by name, typed for Core statements (``Model.__table__`` is a FromClause)."""
    return Base.metadata.tables[name]
