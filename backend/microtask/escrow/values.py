"""The escrow's values: a task's parameters, a stored task, a slot, a worker's record.

Each mirrors a struct of ``ITaskEscrow`` field for field, with the Solidity names in
snake case (``slotCount`` is ``slot_count``). Values read from the chain are built **by
field name** (`Task.from_abi`), never by position: a struct whose fields were reordered or
renamed either maps correctly or fails loudly, it never assigns one field's value to
another. The ABI's names come with the value (web3's named tuples, the indexer's decoded
event structs) or from the ABI's component list.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self, TypedDict, get_type_hints

from microtask.escrow.constants import ETH, ZERO_ADDRESS
from microtask.escrow.enums import SlotState
from microtask.escrow.money import funding_of
from microtask.escrow.roles import is_party, reviewers
from microtask.escrow.slots import available_slots, slot_state, unused_receipt_slots
from microtask.escrow.windows import receipt_window_end, receipt_window_open, takes_claims


def abi_name(field: str) -> str:
    """The Solidity name of a Python field: ``min_approval_bps`` is ``minApprovalBps``."""
    head, *rest = field.split("_")
    return head + "".join(word.capitalize() for word in rest)


_FIELDS: dict[type[Any], dict[str, tuple[str, Any]]] = {}


def _abi_fields(cls: type[Any]) -> dict[str, tuple[str, Any]]:
    """Solidity name → (Python field, its type) for a value class."""
    if cls not in _FIELDS:
        hints = get_type_hints(cls)
        _FIELDS[cls] = {abi_name(f.name): (f.name, hints[f.name]) for f in dataclasses.fields(cls)}
    return _FIELDS[cls]


def _converted(kind: Any, value: Any, name: str) -> Any:
    if kind is SlotState:
        return value if isinstance(value, SlotState) else SlotState.from_code(int(value))
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{name} should be a bool, not {value!r}")
        return value
    if kind is int:  # the indexer's wide integers arrive as decimal strings
        return int(value)
    return str(value)


def fields_by_name(cls: type[Any], struct: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` (by Solidity name) as keyword arguments of ``cls``, each converted to its
    field's type; ValueError naming what differs when the names are not exactly the
    struct's."""
    fields = _abi_fields(cls)
    missing, unknown = fields.keys() - values.keys(), values.keys() - fields.keys()
    if missing or unknown:
        raise ValueError(
            f"{struct} does not match {cls.__name__}: missing {sorted(missing)}, "
            f"unknown {sorted(unknown)}"
        )
    return {field: _converted(kind, values[name], name) for name, (field, kind) in fields.items()}


class TaskParamsStruct(TypedDict):
    manifestCid: bytes
    token: str
    reward: int
    slots: int
    receiptSlots: int
    deadline: int
    reviewPeriod: int
    lease: int
    verifier: str
    arbitrator: str
    minApproved: int
    minApprovalBps: int
    maxFee: int
    expectedArbitrator: str


"""``ITaskEscrow.TaskParams`` by its Solidity field names, as web3 encodes a struct."""


@dataclass(frozen=True)
class TaskParams:
    """What a requester asks for; mirrors ``ITaskEscrow.TaskParams``."""

    manifest_cid: bytes
    reward: int
    slots: int
    deadline: int
    review_period: int
    lease: int
    token: str = ETH
    receipt_slots: int = 0
    verifier: str = ZERO_ADDRESS
    arbitrator: str = ZERO_ADDRESS
    min_approved: int = 0
    min_approval_bps: int = 0
    max_fee: int | None = None
    """The highest fee per paid slot the requester accepts; None: the fee the client sees
    when it sends the task (`guarded`), so an owner's change in between reverts it."""
    expected_arbitrator: str | None = None
    """With ``arbitrator`` zero, the default arbitrator the requester expects; None: the one
    the client sees when it sends the task (`guarded`)."""

    def funding(self, fee_bps: int, minimum_fee: int = 0) -> int:
        """What creating the task escrows at ``fee_bps``: (reward + fee) per slot."""
        return funding_of(self.reward, self.slots, fee_bps, minimum_fee)

    def guarded(self, fee: int, default_arbitrator: str) -> TaskParams:
        """These parameters with the front-running guard filled in where left open: at most
        ``fee`` per slot, and (with no arbitrator of their own) ``default_arbitrator``."""
        expected = self.expected_arbitrator
        if expected is None:
            expected = default_arbitrator if self.arbitrator == ZERO_ADDRESS else ZERO_ADDRESS
        return dataclasses.replace(
            self,
            max_fee=fee if self.max_fee is None else self.max_fee,
            expected_arbitrator=expected,
        )

    def as_abi(self) -> TaskParamsStruct:
        """The struct by its Solidity field names, as web3 encodes a tuple argument."""
        return {
            "manifestCid": self.manifest_cid,
            "token": self.token,
            "reward": self.reward,
            "slots": self.slots,
            "receiptSlots": self.receipt_slots,
            "deadline": self.deadline,
            "reviewPeriod": self.review_period,
            "lease": self.lease,
            "verifier": self.verifier,
            "arbitrator": self.arbitrator,
            "minApproved": self.min_approved,
            "minApprovalBps": self.min_approval_bps,
            "maxFee": self.max_fee if self.max_fee is not None else 2**128 - 1,
            "expectedArbitrator": self.expected_arbitrator or ZERO_ADDRESS,
        }


@dataclass(frozen=True)
class Task:
    """A task as stored; mirrors ``ITaskEscrow.Task`` (what ``getTask`` returns and
    ``TaskCreated`` carries)."""

    requester: str
    deadline: int
    slot_count: int
    token: str
    review_period: int
    lease: int
    fee_bps: int
    cancelled: bool
    receipt_slots_reclaimed: bool
    verifier: str
    receipt_slots: int
    open_slots: int
    """Claimable slots (index >= receipt_slots) that nobody holds."""
    receipt_slots_used: int
    """Receipt slots that have left the open state."""
    arbitrator: str
    min_approved: int
    min_approval_bps: int
    reward: int
    escrow: int
    """Funds still held for this task: `per_slot` for every unsettled slot."""
    fee: int
    """The fee per paid slot, fixed at creation (`microtask.escrow.money.fee_of`)."""

    @classmethod
    def from_abi(cls, values: Mapping[str, Any]) -> Self:
        """The task from ``ITaskEscrow.Task``'s fields by name (``slotCount``, ...)."""
        return cls(**fields_by_name(cls, "ITaskEscrow.Task", values))

    @property
    def fee_per_slot(self) -> int:
        """The fee per paid slot, fixed at creation."""
        return self.fee

    @property
    def per_slot(self) -> int:
        """What each unsettled slot holds in escrow."""
        return self.reward + self.fee

    @property
    def receipt_window_end(self) -> int:
        """The last second receipts are taken (see `microtask.escrow.windows`)."""
        return receipt_window_end(self.deadline, self.review_period)

    def receipt_window_open(self, now: int) -> bool:
        """Whether receipts are still taken at ``now``."""
        return receipt_window_open(
            now,
            deadline=self.deadline,
            review_period=self.review_period,
            receipt_slots_reclaimed=self.receipt_slots_reclaimed,
        )

    @property
    def unused_receipt_slots(self) -> int:
        return unused_receipt_slots(
            self.receipt_slots, self.receipt_slots_used, reclaimed=self.receipt_slots_reclaimed
        )

    @property
    def available_slots(self) -> int:
        """How many more workers the task can take (see `available_slots`)."""
        return available_slots(
            open_slots=self.open_slots,
            receipt_slots=self.receipt_slots,
            receipt_slots_used=self.receipt_slots_used,
            cancelled=self.cancelled,
            receipt_slots_reclaimed=self.receipt_slots_reclaimed,
        )

    @property
    def reviewers(self) -> tuple[str, ...]:
        return reviewers(requester=self.requester, verifier=self.verifier)

    def is_party(self, account: str) -> bool:
        return is_party(
            account, requester=self.requester, verifier=self.verifier, arbitrator=self.arbitrator
        )

    def takes_claims(self, now: int) -> bool:
        return takes_claims(now, deadline=self.deadline, cancelled=self.cancelled)

    def slot_state(self, slot: int, stored: SlotState) -> SlotState:
        """What ``getSlot`` shows for slot ``slot`` stored as ``stored``."""
        return slot_state(
            stored,
            slot,
            receipt_slots=self.receipt_slots,
            cancelled=self.cancelled,
            receipt_slots_reclaimed=self.receipt_slots_reclaimed,
        )


@dataclass(frozen=True)
class Slot:
    """A slot as ``getSlot`` returns it; mirrors ``ITaskEscrow.SlotView``."""

    state: SlotState
    worker: str
    """Once final: zero, except on a receipt slot that had a worker on chain (kept, so who
    held it stays provable)."""
    timestamp: int
    """Lease end (claimed), submitted at, rejected at or disputed at; 0 when open or final."""

    @classmethod
    def from_abi(cls, values: Mapping[str, Any]) -> Self:
        return cls(**fields_by_name(cls, "ITaskEscrow.SlotView", values))


@dataclass(frozen=True)
class Reputation:
    """A worker's record in tasks paid in one token; mirrors ``ITaskEscrow.Reputation``."""

    approved: int
    rejected: int
    disputes_won: int
    disputes_lost: int

    @classmethod
    def from_abi(cls, values: Mapping[str, Any]) -> Self:
        return cls(**fields_by_name(cls, "ITaskEscrow.Reputation", values))
