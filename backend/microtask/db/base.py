"""The declarative base every table shares, and the small enums the tables store.

Constraint names follow one convention, so Alembic migrations name them the same way on
SQLite and PostgreSQL. Enums are stored as their lower-case values in plain text columns
(no native PostgreSQL enum types): readable in SQL, and a new value needs no type migration.
The contract's own enums (a slot's state, why a slot was paid) are the escrow domain's,
`microtask.escrow.SlotState` and `microtask.escrow.ApprovalBasis`, stored by their text;
the enums here are the index's own.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import BigInteger, Enum, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

BigId = BigInteger().with_variant(Integer(), "sqlite")
"""A 64-bit surrogate key that is SQLite's rowid there (so it autoincrements)."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {int: BigInteger()}


def text_enum(enum: type[StrEnum]) -> Enum:
    """An enum column holding the members' values as text, with no database enum type."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=max(len(member.value) for member in enum),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class AssignmentSource(StrEnum):
    """How an assignment reached its worker."""

    CLAIM = "claim"  # claimed on chain (SlotClaimed)
    RECEIPT = "receipt"  # a signed receipt was presented (ReceiptPresented)
    DIRECT = "direct"  # a receipt slot settled without a receipt on chain (approve/reject)


class AssignmentStatus(StrEnum):
    """Where one assignment stands; a slot moves to a new assignment after release or lapse."""

    CLAIMED = "claimed"
    RELEASED = "released"  # the worker gave the slot back
    LAPSED = "lapsed"  # the lease ended without a submission
    SUBMITTED = "submitted"
    REJECTED = "rejected"
    DISPUTED = "disputed"
    APPROVED = "approved"
    CLOSED = "closed"  # rejected for good (undisputed, or the arbitrator upheld it)


class SettlementOutcome(StrEnum):
    APPROVED = "approved"  # paid (SlotsApproved)
    REJECTED = "rejected"  # rejected, still disputable (SlotsRejected)
    CLOSED = "closed"  # ended unpaid, funds back to the requester (SlotClosed)


class DisputeStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"  # the arbitrator upheld the rejection: the worker lost
    OVERTURNED = "overturned"  # the arbitrator ruled for the worker: paid
    TIMED_OUT = "timed_out"  # the arbitrator did not rule in time: paid
    SETTLED = "settled"  # the reviewer approved the slot after all: paid


class Direction(StrEnum):
    """Money into an account's ledger balance, or out of the account."""

    IN = "in"
    OUT = "out"


class MovementKind(StrEnum):
    REWARD = "reward"  # in: a paid slot's reward, to the worker
    FEE = "fee"  # in: a paid slot's fee, to the treasury current at settlement
    REFUND = "refund"  # in: escrow back to the requester (cancel, close, reclaim)
    BONUS = "bonus"  # in: a bonus, to the worker
    WITHDRAWAL = "withdrawal"  # out: ledger balance sent out of the contract
    FUNDING = "funding"  # out: the requester's wallet into escrow (task, slots, bonus)


class ManifestStatus(StrEnum):
    PENDING = "pending"  # not fetched yet
    OK = "ok"  # fetched and valid; the summary columns are filled
    INVALID = "invalid"  # not a CID, too large, or not a valid task manifest (final)
    UNREACHABLE = "unreachable"  # the content store does not have it (yet); retried


def enum_values(enum: type[StrEnum]) -> list[Any]:
    return [member.value for member in enum]
