"""The verifier's own tables: what it promised, decided and sent.

The indexer is the only writer of the index tables (`microtask.db.models`), which it can
rebuild from chain events alone. The verifier's state cannot be rebuilt that way: a
reservation, a receipt it signed but nobody presented yet, its assessments and the
transactions it is about to send exist nowhere else. So they live here, in tables of their
own in the same database (one migration, one backup, and the API reads them in the same
transactions as the index), written only by `microtask.verifier`:

- ``verifier_slots``: one row per receipt slot of each task the verifier serves, made
  ``free`` when the task's first claim arrives: reserved for a worker until ``lease_end``,
  then receipted (the receipt's fields and signature). The primary key (task, slot) and
  the one-way move from ``reserved`` to ``receipted`` are what make a slot's receipt
  unique, across restarts and processes. Two partial indexes keep claims cheap at any size:
  the slots not receipted yet (``ix_verifier_slots_open``: the next free slot is found
  there, not among the receipted ones), and at most one live reservation per worker and
  task (``ix_verifier_slots_held``, unique: two processes cannot both hand one worker a
  second slot).
- ``verifier_arrivals``: one row per receipt not yet seen by the verifier's loop, which
  reads them (whatever process issued the receipt), folds them into what it knows of each
  task and deletes them: how the loop learns what changed without re-reading every
  receipted slot (`microtask.verifier.progress`).
- ``verifier_requests``: the digest of every signed slot request used, so a replayed
  request gets its own answer again, never a second slot.
- ``verifier_policies``: requesters' signed policies (allow and block lists, quality rule,
  gold salts): private, never served by the read API.
- ``verifier_decisions``, ``verifier_worker_tasks``, ``verifier_results``: the latest
  assessment of each task: a decision per slot and how it was settled, each worker's
  scores in the task (the reputation's raw material), the sealed result set's CID.
- ``verifier_settlements``: each settlement transaction, persisted signed before it is
  broadcast, so a restart finds it and never sends a second one for the same slots.
- ``verifier_messages``: what requesters wrote to workers who did their work (MTurk's
  ``NotifyWorkers``), kept for each worker's inbox; ``command`` is the digest of the
  requester's signed command, so the same message sent twice is kept once.

Times are chain seconds (``*_at`` ints) unless they are wall-clock floats (``*_wall``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from microtask.db.base import Base, BigId, text_enum
from microtask.db.types import Address

HASH = String(66)
CID_TEXT = String(128)
SIGNATURE = String(132)


class SlotHold(StrEnum):
    """Where a receipt slot stands with the verifier."""

    FREE = "free"  # no one holds it (never reserved, or a lapsed reservation given back)
    RESERVED = "reserved"  # a worker holds it until lease_end (free again after that)
    RECEIPTED = "receipted"  # the verifier signed a receipt for it (final)


class Outcome(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    UNDECIDED = "undecided"


class Settled(StrEnum):
    """What became of a decision on chain."""

    PENDING = "pending"  # decided, not settled yet
    APPROVED = "approved"  # the verifier approved it
    REJECTED = "rejected"  # the verifier rejected it
    EXTERNAL = "external"  # someone else settled the slot first (requester, finalize, ...)
    LEFT = "left"  # undecided: left to the requester
    MISSED = "missed"  # the window to settle it closed (the worker's receipt pays by silence)


class IntentKind(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class IntentStatus(StrEnum):
    SIGNED = "signed"  # persisted, maybe not broadcast
    SENT = "sent"  # broadcast, not mined yet
    MINED = "mined"  # mined and succeeded
    FAILED = "failed"  # mined and reverted
    DROPPED = "dropped"  # its nonce went to another transaction; it will never be mined


class VerifierSlot(Base):
    """A receipt slot of a task the verifier serves (see the module's note).

    ``worker``, ``request_digest``, ``reserved_at`` and ``lease_end`` are empty while the
    slot is free."""

    __tablename__ = "verifier_slots"

    task_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    slot: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    item_index: Mapped[int]
    worker: Mapped[str | None] = mapped_column(Address)
    status: Mapped[SlotHold] = mapped_column(text_enum(SlotHold))
    request_digest: Mapped[str | None] = mapped_column(HASH)
    reserved_at: Mapped[int | None]
    lease_end: Mapped[int | None]
    envelope_cid: Mapped[str | None] = mapped_column(CID_TEXT)
    result_digest: Mapped[str | None] = mapped_column(HASH)
    submitted_at: Mapped[int | None]
    receipt_expiry: Mapped[int | None]
    signature: Mapped[str | None] = mapped_column(SIGNATURE)
    opened: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The answers the hand-in check opened, sealed with a key only the verifier's key
    derives (`microtask.verifier.opened`): an assessment in any process reads them
    instead of opening the envelope again; never plaintext at rest."""

    __table_args__ = (
        Index(None, "task_id", "worker"),
        Index(None, "worker", "status"),
        Index(
            "ix_verifier_slots_open",
            "task_id",
            "slot",
            sqlite_where=text("status != 'receipted'"),
            postgresql_where=text("status != 'receipted'"),
        ),
        Index(
            "ix_verifier_slots_held",
            "task_id",
            "worker",
            unique=True,
            sqlite_where=text("status = 'reserved'"),
            postgresql_where=text("status = 'reserved'"),
        ),
    )


class VerifierArrival(Base):
    """A receipt the verifier's loop has not seen yet (see the module's note)."""

    __tablename__ = "verifier_arrivals"

    task_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    slot: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    submitted_at: Mapped[int]


class VerifierRequest(Base):
    """A signed slot request that was used, by its EIP-712 digest."""

    __tablename__ = "verifier_requests"
    __table_args__ = (Index(None, "expiry"),)

    digest: Mapped[str] = mapped_column(HASH, primary_key=True)
    task_id: Mapped[int]
    slot: Mapped[int]
    worker: Mapped[str] = mapped_column(Address)
    expiry: Mapped[int]


class VerifierPolicy(Base):
    """A requester's policy for one task, or for all their tasks (``task_id`` 0)."""

    __tablename__ = "verifier_policies"

    requester: Mapped[str] = mapped_column(Address, primary_key=True)
    task_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    issued_at: Mapped[int]
    signature: Mapped[str] = mapped_column(SIGNATURE)


class VerifierDecision(Base):
    """The latest decision on one slot and what became of it."""

    __tablename__ = "verifier_decisions"
    __table_args__ = (
        Index(None, "task_id", "settled"),
        Index(None, "worker"),
        Index(None, "task_id", "worker", "outcome"),
    )

    task_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    slot: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    worker: Mapped[str] = mapped_column(Address)
    envelope_cid: Mapped[str | None] = mapped_column(CID_TEXT)
    outcome: Mapped[Outcome] = mapped_column(text_enum(Outcome))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    checks: Mapped[list[str]] = mapped_column(JSON)
    """Each check in one line with its numbers (`quality.Decision.explain`)."""
    run: Mapped[int] = mapped_column(Integer)
    assessed_at: Mapped[int]
    settled: Mapped[Settled] = mapped_column(text_enum(Settled))
    settle_tx: Mapped[str | None] = mapped_column(HASH)


class VerifierWorkerTask(Base):
    """One worker's scores in one task's latest assessment: what reputation sums up."""

    __tablename__ = "verifier_worker_tasks"
    __table_args__ = (Index(None, "worker", "kind"), Index(None, "assessed_at"))

    task_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    worker: Mapped[str] = mapped_column(Address, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    gold_checked: Mapped[int] = mapped_column(Integer)
    gold_correct: Mapped[int] = mapped_column(Integer)
    agreement_items: Mapped[int] = mapped_column(Integer)
    agreement_sum: Mapped[float] = mapped_column(Float)
    """The sum of per-item agreement (mean agreement x items), so tasks add up exactly."""
    slots: Mapped[int] = mapped_column(Integer)
    approved: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    undecided: Mapped[int] = mapped_column(Integer)
    assessed_at: Mapped[int]


class VerifierResult(Base):
    """A task's latest published result set: sealed to the requester, by CID."""

    __tablename__ = "verifier_results"

    task_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    requester: Mapped[str] = mapped_column(Address)
    run: Mapped[int] = mapped_column(Integer)
    cid: Mapped[str] = mapped_column(CID_TEXT)
    items: Mapped[int] = mapped_column(Integer)
    method: Mapped[str | None] = mapped_column(String(40))
    submissions: Mapped[int] = mapped_column(Integer)
    approved: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    undecided: Mapped[int] = mapped_column(Integer)
    assessed_at: Mapped[int]
    emptied_items: Mapped[list[int] | None] = mapped_column(JSON)
    """The items (by index) whose every answer was rejected: their free slots go first."""


class VerifierSettlement(Base):
    """One settlement transaction, persisted signed before it is broadcast."""

    __tablename__ = "verifier_settlements"
    __table_args__ = (Index(None, "status"), Index(None, "task_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    task_id: Mapped[int]
    kind: Mapped[IntentKind] = mapped_column(text_enum(IntentKind))
    slots: Mapped[list[int]] = mapped_column(JSON)
    workers: Mapped[list[str]] = mapped_column(JSON)
    reason_cid: Mapped[str | None] = mapped_column(CID_TEXT)
    sender: Mapped[str] = mapped_column(Address)
    nonce: Mapped[int]
    tx_hash: Mapped[str] = mapped_column(HASH, unique=True)
    raw_tx: Mapped[str] = mapped_column(Text)
    status: Mapped[IntentStatus] = mapped_column(text_enum(IntentStatus))
    created_wall: Mapped[float] = mapped_column(Float)
    block_number: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)


class VerifierMessage(Base):
    """A requester's message to one worker, for the worker's inbox."""

    __tablename__ = "verifier_messages"
    __table_args__ = (
        Index(None, "worker", "id"),
        UniqueConstraint("command", "worker"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    requester: Mapped[str] = mapped_column(Address)
    worker: Mapped[str] = mapped_column(Address)
    subject: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[int]
    command: Mapped[str] = mapped_column(HASH)
