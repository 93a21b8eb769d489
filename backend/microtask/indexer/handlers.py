"""One handler per escrow event: how each changes the index, mirroring the contract.

Every handler reads only the event, its block's time and rows earlier events wrote, so
replaying the stored events in order rebuilds the same rows (docs/architecture.md, P8). The places
where an event means more than it says, and how each is resolved here:

- ``SlotFreed`` reopens the slot (open_slots + 1) unless the task is cancelled; then a
  ``SlotClosed`` follows in the same call and refunds it. When a claim takes over a lapsed
  slot the contract emits ``SlotFreed(lapsed)`` then ``SlotClaimed`` without touching
  open_slots: the reopen (+1) and the claim of an open slot (-1) cancel out.
- ``SlotsApproved``/``SlotsRejected`` may name receipt slots whose receipt never came on
  chain (their row is absent or open): they count as used receipt slots and start a
  ``direct`` assignment. A ``SlotsApproved`` of basis ``equivocation`` may pay through an
  open claimable slot: it leaves the open slots, with a ``direct`` assignment too.
- ``SlotsApproved(direct)`` pays rewards to the workers' own addresses: each is booked as a
  reward and, at once, a withdrawal to the worker; a ``DirectPaymentFailed`` after it in
  the same call undoes that withdrawal (the reward stayed in the ledger).
- Paying a disputed slot (by review, ruling or timeout) counts a dispute won;
  ``DisputeRuled(paid=false)`` counts one lost.
- ``SlotClosed`` counts a rejection on the worker's record only when the slot was
  rejected or disputed (not when a claim ended on a cancelled task).
- ``TaskCancelled`` also moves the deadline to the block's time if that is earlier.
- Fees go to the treasury current at that event (``TreasuryChanged`` is followed).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Literal

from microtask.content import parse_cid
from microtask.content.errors import InvalidCid
from microtask.db.base import (
    AssignmentSource,
    AssignmentStatus,
    Direction,
    DisputeStatus,
    MovementKind,
    SettlementOutcome,
)
from microtask.db.rows import AssignmentRow, SlotRow, TaskRow
from microtask.escrow import ApprovalBasis, SlotState, Task, available_slots, unused_receipt_slot
from microtask.indexer.decoding import ChainEvent
from microtask.indexer.state import BatchState

_DISPUTE_OUTCOMES = {
    ApprovalBasis.REVIEW: DisputeStatus.SETTLED,
    ApprovalBasis.SILENCE: DisputeStatus.SETTLED,
    ApprovalBasis.ARBITRATION: DisputeStatus.OVERTURNED,
    ApprovalBasis.ARBITRATION_TIMEOUT: DisputeStatus.TIMED_OUT,
    ApprovalBasis.EQUIVOCATION: DisputeStatus.SETTLED,
}

Handler = Callable[[BatchState, ChainEvent], None]


@lru_cache(maxsize=4096)
def cid_text(hex_bytes: str) -> tuple[str, str | None]:
    """A CID's text form, or (0x-hex, why) when the bytes are not a CID."""
    raw = bytes.fromhex(hex_bytes.removeprefix("0x"))
    try:
        return str(parse_cid(raw)), None
    except InvalidCid as error:
        return hex_bytes[:128], f"not a CID: {error}"


def _cid(hex_bytes: str) -> str:
    return cid_text(hex_bytes)[0]


def _available(task: TaskRow) -> int:
    return available_slots(
        open_slots=task["open_slots"],
        receipt_slots=task["receipt_slots"],
        receipt_slots_used=task["receipt_slots_used"],
        cancelled=task["cancelled"],
        receipt_slots_reclaimed=task["receipt_slots_reclaimed"],
    )


def _touch(state: BatchState, task: TaskRow, e: ChainEvent) -> None:
    task["available_slots"] = _available(task)
    task["updated_block"] = e.block_number
    state.tasks.changed((task["task_id"],))


class _Ledger:
    """Appends an event's ledger movements, numbered in order."""

    def __init__(self, state: BatchState, e: ChainEvent) -> None:
        self.state = state
        self.e = e
        self.seq = 0

    def add(
        self,
        token: str,
        account: str,
        amount: int,
        direction: Direction,
        kind: MovementKind,
        *,
        task_id: int | None = None,
        slot: int | None = None,
        counterparty: str | None = None,
    ) -> None:
        self.state.ledger.append(
            {
                "block_number": self.e.block_number,
                "log_index": self.e.log_index,
                "seq": self.seq,
                "token": token,
                "account": account,
                "amount": amount,
                "direction": direction,
                "kind": kind,
                "task_id": task_id,
                "slot": slot,
                "counterparty": counterparty,
                "tx_hash": self.e.tx_hash,
                "at": self.e.block_timestamp,
            }
        )
        self.seq += 1


def _settlement(
    state: BatchState,
    e: ChainEvent,
    slot: SlotRow,
    number: int,
    worker: str,
    outcome: SettlementOutcome,
    *,
    basis: ApprovalBasis | None = None,
    reward: int | None = None,
    fee: int | None = None,
    refunded: int | None = None,
    reason_cid: str | None = None,
) -> None:
    state.settlements.append(
        {
            "block_number": e.block_number,
            "log_index": e.log_index,
            "slot": slot["slot"],
            "task_id": slot["task_id"],
            "assignment": number,
            "worker": worker,
            "outcome": outcome,
            "basis": basis,
            "reward": reward,
            "fee": fee,
            "refunded": refunded,
            "reason_cid": reason_cid,
            "tx_hash": e.tx_hash,
            "at": e.block_timestamp,
        }
    )


def _refund(state: BatchState, e: ChainEvent, ledger: _Ledger, task: TaskRow, amount: int) -> None:
    if amount == 0:
        return
    task["escrow"] -= amount
    task["refunded"] += amount
    account = state.account(task["token"], task["requester"], e.block_number)
    account["balance"] += amount
    account["refunded"] += amount
    ledger.add(
        task["token"], task["requester"], amount, Direction.IN, MovementKind.REFUND,
        task_id=task["task_id"],
    )  # fmt: skip


def _fund(state: BatchState, e: ChainEvent, ledger: _Ledger, task: TaskRow, amount: int) -> None:
    account = state.account(task["token"], task["requester"], e.block_number)
    account["funded"] += amount
    ledger.add(
        task["token"], task["requester"], amount, Direction.OUT, MovementKind.FUNDING,
        task_id=task["task_id"],
    )  # fmt: skip


def _unused_receipt_slot(task: TaskRow, slot: SlotRow) -> bool:
    return unused_receipt_slot(slot["state"], slot["slot"], task["receipt_slots"])


# ---------------------------------------------------------------- requester


def task_created(state: BatchState, e: ChainEvent) -> None:
    created = Task.from_abi(e.args["task"])
    cid, error = cid_text(e.args["manifestCid"])
    state.ensure_manifest(cid, error)
    escrow = created.escrow
    task: TaskRow = {
        "task_id": int(e.args["taskId"]),
        "requester": created.requester,
        "token": created.token,
        "manifest_cid": cid,
        "reward": created.reward,
        "fee_bps": created.fee_bps,
        "slot_count": created.slot_count,
        "receipt_slots": created.receipt_slots,
        "open_slots": created.open_slots,
        "receipt_slots_used": created.receipt_slots_used,
        "deadline": created.deadline,
        "review_period": created.review_period,
        "lease": created.lease,
        "verifier": created.verifier,
        "arbitrator": created.arbitrator,
        "min_approved": created.min_approved,
        "min_approval_bps": created.min_approval_bps,
        "cancelled": created.cancelled,
        "receipt_slots_reclaimed": created.receipt_slots_reclaimed,
        "escrow": escrow,
        "fee": created.fee_per_slot,
        "available_slots": created.available_slots,
        "approved_slots": 0,
        "closed_slots": 0,
        "funded": escrow,
        "paid": 0,
        "fees_paid": 0,
        "refunded": 0,
        "bonuses": 0,
        "created_block": e.block_number,
        "created_at": e.block_timestamp,
        "created_tx": e.tx_hash,
        "cancelled_at": None,
        "updated_block": e.block_number,
    }
    state.tasks.insert(task)
    _fund(state, e, _Ledger(state, e), task, escrow)


def slots_added(state: BatchState, e: ChainEvent) -> None:
    task = state.task(int(e.args["taskId"]))
    funded = int(e.args["funded"])
    task["slot_count"] = e.args["slotCount"]
    task["open_slots"] += e.args["added"]
    task["escrow"] += funded
    task["funded"] += funded
    _fund(state, e, _Ledger(state, e), task, funded)
    _touch(state, task, e)


def deadline_extended(state: BatchState, e: ChainEvent) -> None:
    task = state.task(int(e.args["taskId"]))
    task["deadline"] = e.args["deadline"]
    _touch(state, task, e)


def task_cancelled(state: BatchState, e: ChainEvent) -> None:
    task = state.task(int(e.args["taskId"]))
    task["cancelled"] = True
    task["cancelled_at"] = e.block_timestamp
    task["deadline"] = min(task["deadline"], e.block_timestamp)
    task["open_slots"] = 0
    _refund(state, e, _Ledger(state, e), task, int(e.args["refunded"]))
    _touch(state, task, e)


def receipt_slots_reclaimed(state: BatchState, e: ChainEvent) -> None:
    task = state.task(int(e.args["taskId"]))
    task["receipt_slots_reclaimed"] = True
    _refund(state, e, _Ledger(state, e), task, int(e.args["refunded"]))
    _touch(state, task, e)


def bonus_paid(state: BatchState, e: ChainEvent) -> None:
    task = state.task(int(e.args["taskId"]))
    amount = int(e.args["amount"])
    worker = e.args["worker"]
    ledger = _Ledger(state, e)
    _fund(state, e, ledger, task, amount)
    account = state.account(task["token"], worker, e.block_number)
    account["balance"] += amount
    account["bonuses"] += amount
    ledger.add(
        task["token"], worker, amount, Direction.IN, MovementKind.BONUS, task_id=task["task_id"]
    )
    task["bonuses"] += amount
    _touch(state, task, e)


# ---------------------------------------------------------------- worker


def slot_claimed(state: BatchState, e: ChainEvent) -> None:
    task = state.task(int(e.args["taskId"]))
    slot = state.slot(task["task_id"], e.args["slot"], e.block_number)
    if slot["state"] == SlotState.OPEN:
        task["open_slots"] -= 1
    slot |= {
        "state": SlotState.CLAIMED,
        "worker": e.args["worker"],
        "timestamp": e.args["leaseEnd"],
    }
    state.new_assignment(
        slot,
        e.block_number,
        worker=e.args["worker"],
        source=AssignmentSource.CLAIM,
        status=AssignmentStatus.CLAIMED,
        claimed_at=e.block_timestamp,
        lease_end=e.args["leaseEnd"],
    )
    _touch(state, task, e)


def slot_freed(state: BatchState, e: ChainEvent) -> None:
    task = state.task(int(e.args["taskId"]))
    slot = state.slot(task["task_id"], e.args["slot"], e.block_number)
    assignment = state.current_assignment(slot, e.block_number)
    lapsed = AssignmentStatus.LAPSED if e.args["lapsed"] else AssignmentStatus.RELEASED
    assignment |= {"status": lapsed, "ended_at": e.block_timestamp}
    if not task["cancelled"]:  # on a cancelled task, SlotClosed follows and refunds it
        slot |= {"state": SlotState.OPEN, "worker": None, "timestamp": 0}
        task["open_slots"] += 1
    _touch(state, task, e)


def work_submitted(state: BatchState, e: ChainEvent) -> None:
    slot = state.slot(int(e.args["taskId"]), e.args["slot"], e.block_number)
    slot |= {"state": SlotState.SUBMITTED, "timestamp": e.block_timestamp}
    assignment = state.current_assignment(slot, e.block_number)
    assignment |= {
        "status": AssignmentStatus.SUBMITTED,
        "submitted_at": e.block_timestamp,
        "result_cid": _cid(e.args["resultCid"]),
    }


def receipt_presented(state: BatchState, e: ChainEvent) -> None:
    task = state.task(int(e.args["taskId"]))
    task["receipt_slots_used"] += 1
    slot = state.slot(task["task_id"], e.args["slot"], e.block_number)
    worker = e.args["worker"]
    slot |= {"state": SlotState.SUBMITTED, "worker": worker, "timestamp": e.args["submittedAt"]}
    state.new_assignment(
        slot,
        e.block_number,
        worker=worker,
        source=AssignmentSource.RECEIPT,
        status=AssignmentStatus.SUBMITTED,
        submitted_at=e.args["submittedAt"],
        result_digest=e.args["resultDigest"],
        receipt_signer=e.args["signer"],
    )
    _touch(state, task, e)


def dispute_opened(state: BatchState, e: ChainEvent) -> None:
    task = state.task(int(e.args["taskId"]))
    slot = state.slot(task["task_id"], e.args["slot"], e.block_number)
    slot |= {"state": SlotState.DISPUTED, "timestamp": e.block_timestamp}
    assignment = state.current_assignment(slot, e.block_number)
    assignment["status"] = AssignmentStatus.DISPUTED
    state.disputes.insert(
        {
            "task_id": task["task_id"],
            "slot": slot["slot"],
            "assignment": assignment["number"],
            "worker": e.args["worker"],
            "arbitrator": task["arbitrator"],
            "status": DisputeStatus.OPEN,
            "reason_cid": _cid(e.args["reasonCid"]),
            "opened_at": e.block_timestamp,
            "ruling_cid": None,
            "resolved_at": None,
        },
    )


# ---------------------------------------------------------------- review


def _direct_or_current(
    state: BatchState,
    e: ChainEvent,
    task: TaskRow,
    slot: SlotRow,
    worker: str,
    status: AssignmentStatus,
) -> AssignmentRow:
    """The assignment a settlement applies to: a receipt slot settled without a receipt on
    chain gets a new ``direct`` one (and counts as a used receipt slot)."""
    if _unused_receipt_slot(task, slot):
        task["receipt_slots_used"] += 1
    elif slot["state"] == SlotState.OPEN:  # a claimable slot paying a proven equivocation
        task["open_slots"] -= 1
    else:
        return state.current_assignment(slot, e.block_number)
    return state.new_assignment(
        slot, e.block_number, worker=worker, source=AssignmentSource.DIRECT, status=status
    )


def slots_approved(state: BatchState, e: ChainEvent) -> None:
    task = state.task(int(e.args["taskId"]))
    basis = ApprovalBasis.from_code(e.args["basis"])
    reward = int(e.args["reward"])
    fee = int(e.args["fee"])
    ledger = _Ledger(state, e)
    slots, workers = e.args["slots"], e.args["workers"]
    direct = bool(e.args["direct"])
    for index, worker in zip(slots, workers, strict=True):
        slot = state.slot(task["task_id"], index, e.block_number)
        assignment = _direct_or_current(state, e, task, slot, worker, AssignmentStatus.APPROVED)
        account = state.account(task["token"], worker, e.block_number)
        if slot["state"] == SlotState.DISPUTED:
            account["disputes_won"] += 1
            dispute = state.dispute(task["task_id"], index, assignment["number"])
            if dispute is not None:
                dispute |= {"status": _DISPUTE_OUTCOMES[basis], "resolved_at": e.block_timestamp}
        slot |= {"state": SlotState.APPROVED, "worker": worker, "timestamp": 0}
        assignment |= {
            "status": AssignmentStatus.APPROVED,
            "basis": basis,
            "reward": reward,
            "ended_at": e.block_timestamp,
        }
        account["balance"] += reward
        account["approved"] += 1
        account["earned"] += reward
        ledger.add(
            task["token"], worker, reward, Direction.IN, MovementKind.REWARD,
            task_id=task["task_id"], slot=index,
        )  # fmt: skip
        if direct:  # sent on to the worker's own address in the same call
            account["balance"] -= reward
            account["withdrawn"] += reward
            ledger.add(
                task["token"], worker, reward, Direction.OUT, MovementKind.WITHDRAWAL,
                task_id=task["task_id"], slot=index, counterparty=worker,
            )  # fmt: skip
        _settlement(
            state, e, slot, assignment["number"], worker, SettlementOutcome.APPROVED,
            basis=basis, reward=reward, fee=fee,
        )  # fmt: skip
    count = len(slots)
    task["escrow"] -= count * (reward + fee)
    task["approved_slots"] += count
    task["paid"] += count * reward
    if fee:
        treasury = state.escrow["treasury"]
        task["fees_paid"] += count * fee
        account = state.account(task["token"], treasury, e.block_number)
        account["balance"] += count * fee
        account["fees"] += count * fee
        ledger.add(
            task["token"], treasury, count * fee, Direction.IN, MovementKind.FEE,
            task_id=task["task_id"],
        )  # fmt: skip
    _touch(state, task, e)


def slots_rejected(state: BatchState, e: ChainEvent) -> None:
    task = state.task(int(e.args["taskId"]))
    reason = _cid(e.args["reasonCid"])
    for index, worker in zip(e.args["slots"], e.args["workers"], strict=True):
        slot = state.slot(task["task_id"], index, e.block_number)
        assignment = _direct_or_current(state, e, task, slot, worker, AssignmentStatus.REJECTED)
        slot |= {"state": SlotState.REJECTED, "worker": worker, "timestamp": e.block_timestamp}
        assignment |= {
            "status": AssignmentStatus.REJECTED,
            "rejected_at": e.block_timestamp,
            "rejection_cid": reason,
        }
        _settlement(
            state, e, slot, assignment["number"], worker, SettlementOutcome.REJECTED,
            reason_cid=reason,
        )  # fmt: skip
    _touch(state, task, e)


def dispute_ruled(state: BatchState, e: ChainEvent) -> None:
    task = state.task(int(e.args["taskId"]))
    slot = state.slot(task["task_id"], e.args["slot"], e.block_number)
    assignment = state.current_assignment(slot, e.block_number)
    dispute = state.dispute(task["task_id"], slot["slot"], assignment["number"])
    ruling = _cid(e.args["reasonCid"]) if e.args["reasonCid"] != "0x" else None
    if dispute is not None:
        dispute["ruling_cid"] = ruling
    if not e.args["paid"]:  # SlotClosed follows; a paid ruling is followed by SlotsApproved
        account = state.account(task["token"], e.args["worker"], e.block_number)
        account["disputes_lost"] += 1
        if dispute is not None:
            dispute |= {"status": DisputeStatus.UPHELD, "resolved_at": e.block_timestamp}


def slot_closed(state: BatchState, e: ChainEvent) -> None:
    task = state.task(int(e.args["taskId"]))
    slot = state.slot(task["task_id"], e.args["slot"], e.block_number)
    assignment = state.current_assignment(slot, e.block_number)
    refunded = int(e.args["refunded"])
    worker = e.args["worker"]
    if slot["state"] in (SlotState.REJECTED, SlotState.DISPUTED):
        state.account(task["token"], worker, e.block_number)["rejected"] += 1
        assignment |= {"status": AssignmentStatus.CLOSED, "ended_at": e.block_timestamp}
    assignment["refunded"] = refunded
    slot |= {"state": SlotState.CLOSED, "worker": worker, "timestamp": 0}
    task["closed_slots"] += 1
    _refund(state, e, _Ledger(state, e), task, refunded)
    _settlement(
        state, e, slot, assignment["number"], worker, SettlementOutcome.CLOSED, refunded=refunded
    )
    _touch(state, task, e)


def direct_payment_failed(state: BatchState, e: ChainEvent) -> None:
    """A direct payment the recipient refused: the reward stayed in the ledger (see the
    module's notes on ``SlotsApproved(direct)``)."""
    task = state.task(int(e.args["taskId"]))
    worker, amount = e.args["worker"], int(e.args["amount"])
    account = state.account(task["token"], worker, e.block_number)
    account["balance"] += amount
    account["withdrawn"] -= amount
    _Ledger(state, e).add(
        task["token"], worker, amount, Direction.IN, MovementKind.REWARD,
        task_id=task["task_id"], slot=int(e.args["slot"]),
    )  # fmt: skip


# ---------------------------------------------------------------- ledger and operator


def withdrawn(state: BatchState, e: ChainEvent) -> None:
    token, who, amount = e.args["token"], e.args["account"], int(e.args["amount"])
    account = state.account(token, who, e.block_number)
    account["balance"] -= amount
    account["withdrawn"] += amount
    _Ledger(state, e).add(
        token, who, amount, Direction.OUT, MovementKind.WITHDRAWAL, counterparty=e.args["to"]
    )


OperatorSetting = Literal["fee_bps", "treasury", "default_arbitrator", "pending_owner"]


def _operator(field: OperatorSetting, argument: str) -> Handler:
    """A handler that sets one of the escrow's settings to one of the event's arguments."""

    def handle(state: BatchState, e: ChainEvent) -> None:
        state.escrow[field] = e.args[argument]
        state.escrow_changed()

    return handle


def _paused(value: bool) -> Handler:
    def handle(state: BatchState, e: ChainEvent) -> None:
        state.escrow["paused"] = value
        state.escrow_changed()

    return handle


def escrow_configured(state: BatchState, e: ChainEvent) -> None:
    """The constructor's settings: the same values `initial_escrow_state` starts from, so
    the index needs nothing but events (P8) when the deployment record lacks them."""
    escrow = state.escrow
    escrow["treasury"] = e.args["treasury"]
    escrow["fee_bps"] = int(e.args["feeBps"])
    escrow["default_arbitrator"] = e.args["defaultArbitrator"]
    escrow["dispute_window"] = int(e.args["disputeWindow"])
    escrow["arbitration_timeout"] = int(e.args["arbitrationTimeout"])
    state.escrow_changed()


def ownership_transferred(state: BatchState, e: ChainEvent) -> None:
    state.escrow["owner"] = e.args["newOwner"]
    state.escrow["pending_owner"] = None
    state.escrow_changed()


HANDLERS: dict[str, Handler] = {
    "TaskCreated": task_created,
    "SlotsAdded": slots_added,
    "DeadlineExtended": deadline_extended,
    "TaskCancelled": task_cancelled,
    "ReceiptSlotsReclaimed": receipt_slots_reclaimed,
    "SlotClaimed": slot_claimed,
    "SlotFreed": slot_freed,
    "WorkSubmitted": work_submitted,
    "ReceiptPresented": receipt_presented,
    "SlotsApproved": slots_approved,
    "SlotsRejected": slots_rejected,
    "DisputeOpened": dispute_opened,
    "DisputeRuled": dispute_ruled,
    "SlotClosed": slot_closed,
    "DirectPaymentFailed": direct_payment_failed,
    "BonusPaid": bonus_paid,
    "Withdrawn": withdrawn,
    "EscrowConfigured": escrow_configured,
    "FeeChanged": _operator("fee_bps", "current"),
    "TreasuryChanged": _operator("treasury", "current"),
    "DefaultArbitratorChanged": _operator("default_arbitrator", "current"),
    "OwnershipTransferStarted": _operator("pending_owner", "newOwner"),
    "OwnershipTransferred": ownership_transferred,
    "Paused": _paused(True),
    "Unpaused": _paused(False),
}


def apply(state: BatchState, event: ChainEvent) -> None:
    """Apply one event; events the index does not model (``ReceiptSkipped``,
    ``ApprovalSkipped``, ``EquivocationProven``, ``MinimumFeeChanged``: they change no row
    the index keeps) are only stored."""
    handler = HANDLERS.get(event.name)
    if handler is not None:
        handler(state, event)
