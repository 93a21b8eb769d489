"""A Python model of TaskEscrow: what each call should do, or which custom error it raises.

The model keeps what the contract keeps (tasks, slots, ledger balances, records, who holds
a slot) and applies the contract's rules to it, one method per external function, taking
the moment the call runs at (``now``) and its sender. A method either changes the model
and returns, or raises `Revert` naming the custom error the contract must raise (with the
arguments worth checking). `tests.contracts.driver` runs each call on a copy of the model
and on the chain, and holds the two to each other.

Every rule comes from the escrow domain (`microtask.escrow`: fees, windows, slot states,
claims, finalization, qualification), the one place the package writes them; what is left
here is bookkeeping. So the random runs check the domain's rules against the contract on
every step, as much as they check the contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from microtask.chain.typed_data import Approval, Receipt
from microtask.escrow import (
    MAX_FEE_BPS,
    MAX_SLOTS,
    ZERO_ADDRESS,
    ApprovalBasis,
    Finalization,
    SlotState,
    TaskParams,
    approvable,
    arbitration_end,
    dispute_end,
    equivocation_window_end,
    fee_of,
    finalization,
    has_ended,
    is_open,
    is_party,
    is_receipt_slot,
    lapsed,
    lease_end,
    qualifies,
    receipt_window_end,
    receipt_window_open,
    review_end,
    reviewers,
    slot_state,
    unused_receipt_slot,
    unused_receipt_slots,
    window_end,
)

ZERO = ZERO_ADDRESS


class Revert(Exception):
    """The model's prediction that a call reverts with ``error`` (and these arguments)."""

    def __init__(self, error: str, **args: Any) -> None:
        super().__init__(error)
        self.error = error
        self.error_args = args


@dataclass
class SlotModel:
    """A slot as stored: open, or held by ``worker`` since (or until) ``timestamp``."""

    state: SlotState = SlotState.OPEN
    worker: str = ZERO
    timestamp: int = 0


@dataclass
class TaskModel:
    """A task as stored, with its slots; fields named as `microtask.escrow.Task` names them."""

    task_id: int
    requester: str
    token: str
    reward: int
    fee_bps: int
    deadline: int
    review_period: int
    lease: int
    verifier: str
    arbitrator: str
    min_approved: int
    min_approval_bps: int
    receipt_slots: int
    slots: list[SlotModel]
    open_slots: int
    escrow: int
    fee: int
    cancelled: bool = False
    receipt_slots_reclaimed: bool = False
    receipt_slots_used: int = 0

    @property
    def per_slot(self) -> int:
        return self.reward + self.fee

    @property
    def reviewers(self) -> tuple[str, ...]:
        return reviewers(requester=self.requester, verifier=self.verifier)

    @property
    def receipt_window_end(self) -> int:
        return receipt_window_end(self.deadline, self.review_period)

    def receipt_window_open(self, now: int) -> bool:
        return receipt_window_open(
            now,
            deadline=self.deadline,
            review_period=self.review_period,
            receipt_slots_reclaimed=self.receipt_slots_reclaimed,
        )

    @property
    def unused_receipt_slots(self) -> int:
        return unused_receipt_slots(
            self.receipt_slots,
            self.receipt_slots_used,
            reclaimed=self.receipt_slots_reclaimed,
        )

    def require_not_party(self, account: str) -> None:
        """The requester, verifier and arbitrator are never paid for a task's work."""
        parties = {"requester": self.requester, "verifier": self.verifier}
        if is_party(account, **parties, arbitrator=self.arbitrator):
            raise Revert("TaskPartyCannotWork", taskId=self.task_id, account=account)

    def visible_state(self, index: int) -> SlotState:
        """What getSlot shows: open slots refunded in bulk (cancel, reclaim) read as closed."""
        return slot_state(
            self.slots[index].state,
            index,
            receipt_slots=self.receipt_slots,
            cancelled=self.cancelled,
            receipt_slots_reclaimed=self.receipt_slots_reclaimed,
        )

    def slot(self, index: int) -> SlotModel:
        """A slot as the contract sees it; past the end reads as an empty (open) word."""
        return self.slots[index] if index < len(self.slots) else SlotModel()


@dataclass
class Model:
    """What the escrow should hold, and the rules it should apply."""

    owner: str
    treasury: str
    fee_bps: int
    default_arbitrator: str
    dispute_window: int
    arbitration_timeout: int
    next_task_id: int
    paused: bool = False
    minimum_fees: dict[str, int] = field(default_factory=dict)
    equivocation_paid: set[tuple[int, int, str]] = field(default_factory=set)
    tasks: dict[int, TaskModel] = field(default_factory=dict)
    ledger: dict[tuple[str, str], int] = field(default_factory=dict)
    reputation: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    holds: set[tuple[int, str]] = field(default_factory=set)
    # what the current call should announce: (task, slot, worker, basis) and (task, slot, worker)
    paid_log: list[tuple[int, int, str, ApprovalBasis]] = field(default_factory=list)
    closed_log: list[tuple[int, int, str]] = field(default_factory=list)

    # ------------------------------------------------------------ helpers

    def task(self, task_id: int) -> TaskModel:
        if task_id not in self.tasks:
            raise Revert("TaskNotFound", taskId=task_id)
        return self.tasks[task_id]

    def balance(self, token: str, account: str) -> int:
        return self.ledger.get((token, account), 0)

    def credit(self, token: str, account: str, amount: int) -> None:
        self.ledger[(token, account)] = self.balance(token, account) + amount

    def record(self, token: str, worker: str) -> list[int]:
        """approved, rejected, disputes won, disputes lost."""
        return self.reputation.setdefault((token, worker), [0, 0, 0, 0])

    def refund(self, task: TaskModel, amount: int) -> None:
        task.escrow -= amount
        self.credit(task.token, task.requester, amount)

    def settled_slot(self, task: TaskModel, index: int, state: SlotState) -> SlotModel:
        """A slot once final: a receipt slot keeps the worker its word held (so who held it
        stays provable), a claimable slot's word is gone."""
        keep = is_receipt_slot(index, task.receipt_slots) and index < len(task.slots)
        return SlotModel(state, task.slots[index].worker if keep else ZERO)

    def pay(self, task: TaskModel, index: int, worker: str, basis: ApprovalBasis) -> None:
        task.slots[index] = self.settled_slot(task, index, SlotState.APPROVED)
        task.escrow -= task.per_slot
        self.credit(task.token, worker, task.reward)
        self.credit(task.token, self.treasury, task.fee)
        self.record(task.token, worker)[0] += 1
        self.paid_log.append((task.task_id, index, worker, basis))

    def close(self, task: TaskModel, index: int, *, rejected: bool) -> None:
        worker = task.slots[index].worker
        task.slots[index] = self.settled_slot(task, index, SlotState.CLOSED)
        self.refund(task, task.per_slot)
        if rejected:
            self.record(task.token, worker)[1] += 1
        self.closed_log.append((task.task_id, index, worker))

    def free_claim(self, task: TaskModel, index: int) -> None:
        self.holds.discard((task.task_id, task.slots[index].worker))
        if task.cancelled:
            self.close(task, index, rejected=False)
        else:
            task.slots[index] = SlotModel()
            task.open_slots += 1

    def require_receipt_window(self, now: int, task: TaskModel) -> None:
        if not task.receipt_window_open(now):
            raise Revert("ReceiptWindowClosed", taskId=task.task_id)

    def require_owner(self, sender: str) -> None:
        if sender != self.owner:
            raise Revert("OwnableUnauthorizedAccount", account=sender)

    def qualified(self, task: TaskModel, worker: str) -> bool:
        approved, rejected, _, _ = self.reputation.get((task.token, worker), [0, 0, 0, 0])
        return qualifies(
            approved,
            rejected,
            min_approved=task.min_approved,
            min_approval_bps=task.min_approval_bps,
        )

    # ------------------------------------------------------------ requester

    def create(self, now: int, sender: str, params: TaskParams) -> int:
        if self.paused:
            raise Revert("EnforcedPause")
        if params.slots == 0 or params.receipt_slots > params.slots:
            raise Revert("InvalidSlotCount")
        if params.deadline <= now:
            raise Revert("InvalidDeadline", deadline=params.deadline, currentTime=now)
        fee = fee_of(params.reward, self.fee_bps, self.minimum_fees.get(params.token, 0))
        assert params.max_fee is not None
        assert params.expected_arbitrator is not None
        if fee > params.max_fee:
            raise Revert("FeeAboveMaximum", fee=fee, maxFee=params.max_fee)
        arbitrator, expected = params.arbitrator, params.expected_arbitrator
        if arbitrator == ZERO:
            arbitrator = self.default_arbitrator
            if expected != arbitrator:
                raise Revert("ArbitratorChanged", expected=expected, current=arbitrator)
        elif expected not in (ZERO, arbitrator):
            raise Revert("ArbitratorChanged", expected=expected, current=arbitrator)
        if arbitrator in (sender, params.verifier):
            raise Revert("ArbitratorIsParty", arbitrator=arbitrator)
        task_id = self.next_task_id
        self.next_task_id += 1
        self.tasks[task_id] = TaskModel(
            task_id=task_id,
            requester=sender,
            token=params.token,
            reward=params.reward,
            fee_bps=self.fee_bps,
            deadline=params.deadline,
            review_period=params.review_period,
            lease=params.lease,
            verifier=params.verifier,
            arbitrator=arbitrator,
            min_approved=params.min_approved,
            min_approval_bps=params.min_approval_bps,
            receipt_slots=params.receipt_slots,
            slots=[SlotModel() for _ in range(params.slots)],
            open_slots=params.slots - params.receipt_slots,
            escrow=params.slots * (params.reward + fee),
            fee=fee,
        )
        return task_id

    def requester_task(self, sender: str, task_id: int) -> TaskModel:
        task = self.task(task_id)
        if sender != task.requester:
            raise Revert("NotRequester", taskId=task_id, caller=sender)
        return task

    def add_slots(self, now: int, sender: str, task_id: int, count: int) -> int:
        if self.paused:
            raise Revert("EnforcedPause")
        task = self.requester_task(sender, task_id)
        if task.cancelled:
            raise Revert("TaskIsCancelled", taskId=task_id)
        if count == 0 or len(task.slots) + count > MAX_SLOTS:
            raise Revert(
                "InvalidSlotsAdded", taskId=task_id, added=count, slotCount=len(task.slots) + count
            )
        funded = count * task.per_slot
        task.slots.extend(SlotModel() for _ in range(count))
        task.open_slots += count
        task.escrow += funded
        return funded

    def extend_deadline(self, now: int, sender: str, task_id: int, deadline: int) -> None:
        task = self.requester_task(sender, task_id)
        if task.cancelled:
            raise Revert("TaskIsCancelled", taskId=task_id)
        if deadline <= task.deadline:
            raise Revert("DeadlineNotLater", current=task.deadline, requested=deadline)
        task.deadline = deadline

    def cancel(self, now: int, sender: str, task_id: int) -> None:
        task = self.requester_task(sender, task_id)
        if task.cancelled:
            raise Revert("TaskIsCancelled", taskId=task_id)
        task.cancelled = True
        task.deadline = min(task.deadline, now)
        refund = task.open_slots * task.per_slot
        task.open_slots = 0
        self.refund(task, refund)

    def reclaim(self, now: int, sender: str, task_id: int) -> None:
        task = self.task(task_id)
        if task.receipt_slots_reclaimed:
            raise Revert("ReceiptWindowClosed", taskId=task_id)
        closes_at = equivocation_window_end(task.receipt_window_end, self.dispute_window)
        if is_open(closes_at, now):
            raise Revert("ReceiptWindowOpen", taskId=task_id, closesAt=closes_at)
        refund = task.unused_receipt_slots * task.per_slot
        task.receipt_slots_reclaimed = True
        self.refund(task, refund)

    def bonus(self, now: int, sender: str, task_id: int, worker: str, amount: int) -> None:
        task = self.requester_task(sender, task_id)
        if worker == ZERO:
            raise Revert("ZeroAddress")
        if amount == 0:
            raise Revert("ZeroAmount")
        self.credit(task.token, worker, amount)

    # ------------------------------------------------------------ worker

    def claim(self, now: int, sender: str, task_id: int, index: int) -> None:
        if self.paused:
            raise Revert("EnforcedPause")
        task = self.task(task_id)
        if task.cancelled:
            raise Revert("TaskIsCancelled", taskId=task_id)
        if has_ended(task.deadline, now):
            raise Revert("TaskExpired", taskId=task_id, deadline=task.deadline)
        if index >= len(task.slots):
            raise Revert("SlotOutOfRange", taskId=task_id, slot=index)
        if is_receipt_slot(index, task.receipt_slots):
            raise Revert("SlotReservedForReceipts", taskId=task_id, slot=index)
        task.require_not_party(sender)
        if (task_id, sender) in self.holds:
            raise Revert("AlreadyHoldsSlot", taskId=task_id, worker=sender)
        if not self.qualified(task, sender):
            approved, rejected, _, _ = self.record(task.token, sender)
            raise Revert("NotQualified", worker=sender, approved=approved, rejected=rejected)
        slot = task.slots[index]
        if lapsed(slot.state, slot.timestamp, now):
            self.holds.discard((task_id, slot.worker))  # the lapsed holder lets go
        elif slot.state == SlotState.OPEN:
            task.open_slots -= 1
        else:
            raise Revert("InvalidSlotState", taskId=task_id, slot=index, state=slot.state.code)
        task.slots[index] = SlotModel(SlotState.CLAIMED, sender, lease_end(now, task.lease))
        self.holds.add((task_id, sender))

    def worker_slot(
        self, sender: str, task: TaskModel, index: int, expected: SlotState
    ) -> SlotModel:
        slot = task.slot(index)
        if slot.state != expected:
            raise Revert("InvalidSlotState", taskId=task.task_id, slot=index, state=slot.state.code)
        if slot.worker != sender:
            raise Revert("NotSlotWorker", taskId=task.task_id, slot=index, caller=sender)
        return slot

    def release(self, now: int, sender: str, task_id: int, index: int) -> None:
        task = self.task(task_id)
        self.worker_slot(sender, task, index, SlotState.CLAIMED)
        self.free_claim(task, index)

    def submit(self, now: int, sender: str, task_id: int, index: int, cid: bytes) -> None:
        task = self.task(task_id)
        if not cid:
            raise Revert("EmptyCid")
        slot = self.worker_slot(sender, task, index, SlotState.CLAIMED)
        if has_ended(slot.timestamp, now):  # a claimed slot's timestamp is its lease end
            raise Revert("LeaseExpired", taskId=task_id, slot=index, leaseEnd=slot.timestamp)
        slot.state, slot.timestamp = SlotState.SUBMITTED, now
        self.holds.discard((task_id, sender))

    def require_receipt(self, task: TaskModel, receipt: Receipt, signer: str) -> None:
        """A receipt good for its task (``TaskEscrowBase._requireReceipt``)."""
        if receipt.worker == ZERO:
            raise Revert("ZeroAddress")
        task.require_not_party(receipt.worker)
        if has_ended(task.deadline, receipt.submitted_at):
            raise Revert(
                "SubmittedAfterDeadline", submittedAt=receipt.submitted_at, deadline=task.deadline
            )
        if signer not in task.reviewers:
            raise Revert("InvalidSignature", taskId=task.task_id)

    def present(self, now: int, sender: str, receipts: Sequence[tuple[Receipt, str]]) -> int:
        """Present receipts; how many were skipped (their slot no longer open)."""
        skipped = 0
        for receipt, signer in receipts:
            task = self.task(receipt.task_id)
            if not is_receipt_slot(receipt.slot, task.receipt_slots):
                raise Revert("SlotNotForReceipts", taskId=task.task_id, slot=receipt.slot)
            self.require_receipt(task, receipt, signer)
            if task.slot(receipt.slot).state != SlotState.OPEN:
                skipped += 1  # presented already, or settled: the batch goes on
                continue
            if has_ended(receipt.expiry, now):
                raise Revert("SignatureExpired", expiry=receipt.expiry)
            self.require_receipt_window(now, task)
            task.receipt_slots_used += 1
            task.slots[receipt.slot] = SlotModel(
                SlotState.SUBMITTED, receipt.worker, receipt.submitted_at
            )
        return skipped

    def prove_equivocation(
        self, now: int, sender: str, receipt: Receipt, signer: str, paid_slot: int
    ) -> None:
        """A receipt whose slot another worker holds on chain (the live-word case) is paid
        through ``paid_slot``, an open slot of the task still funded."""
        task = self.task(receipt.task_id)
        if not is_receipt_slot(receipt.slot, task.receipt_slots):
            raise Revert("SlotNotForReceipts", taskId=task.task_id, slot=receipt.slot)
        if has_ended(equivocation_window_end(task.receipt_window_end, self.dispute_window), now):
            raise Revert("EquivocationWindowClosed", taskId=task.task_id)
        self.require_receipt(task, receipt, signer)
        slot = task.slot(receipt.slot)
        holder = slot.worker
        if holder == ZERO and slot.state == SlotState.APPROVED:
            # paid in a batch without its receipt: the batch must be shown (the machine
            # shows none; tests/contracts/test_receipts.py shows one)
            raise Revert("InvalidBatch")
        key = (task.task_id, receipt.slot, receipt.worker)
        if holder in (ZERO, receipt.worker) or key in self.equivocation_paid:
            raise Revert("NotEquivocation", taskId=task.task_id, slot=receipt.slot)
        receipt_slot = is_receipt_slot(paid_slot, task.receipt_slots)
        funded = not (task.receipt_slots_reclaimed if receipt_slot else task.cancelled)
        if (
            paid_slot >= len(task.slots)
            or task.slot(paid_slot).state != SlotState.OPEN
            or not funded
        ):
            raise Revert("FundingSlotUnavailable", taskId=task.task_id, slot=paid_slot)
        self.equivocation_paid.add(key)
        if receipt_slot:
            task.receipt_slots_used += 1
        else:
            task.open_slots -= 1
        self.pay(task, paid_slot, receipt.worker, ApprovalBasis.EQUIVOCATION)

    def dispute(self, now: int, sender: str, task_id: int, index: int, cid: bytes) -> None:
        task = self.task(task_id)
        if not cid:
            raise Revert("EmptyCid")
        slot = self.worker_slot(sender, task, index, SlotState.REJECTED)
        if has_ended(dispute_end(slot.timestamp, self.dispute_window), now):
            raise Revert("DisputeWindowOver", taskId=task_id, slot=index)
        slot.state, slot.timestamp = SlotState.DISPUTED, now

    # ------------------------------------------------------------ review

    def reviewer_task(self, sender: str, task_id: int) -> TaskModel:
        task = self.task(task_id)
        if sender not in task.reviewers:
            raise Revert("NotReviewer", taskId=task_id, caller=sender)
        return task

    def approve(
        self, now: int, sender: str, task_id: int, pairs: Sequence[tuple[int, str]]
    ) -> None:
        self.settle(now, self.reviewer_task(sender, task_id), pairs, by_signature=False)

    def approve_signed(self, now: int, sender: str, approval: Approval, signer: str) -> None:
        if has_ended(approval.expiry, now):
            raise Revert("SignatureExpired", expiry=approval.expiry)
        task = self.task(approval.task_id)
        if signer not in task.reviewers:
            raise Revert("InvalidSignature", taskId=task.task_id)
        pairs = list(zip(approval.slots, approval.workers, strict=True))
        self.settle(now, task, pairs, by_signature=True)

    def settle(
        self, now: int, task: TaskModel, pairs: Sequence[tuple[int, str]], *, by_signature: bool
    ) -> None:
        """Approve ``(slot, worker)`` pairs: what ``approve`` and relayed approvals share.

        A signed approval only pays work under review: a rejection after signing revokes it.
        """
        if not pairs:
            raise Revert("InvalidBatch")
        receipt_slots_used = 0
        for index, worker in pairs:
            if worker == ZERO:
                raise Revert("ZeroAddress")
            slot = task.slot(index)
            if unused_receipt_slot(slot.state, index, task.receipt_slots):
                task.require_not_party(worker)
                receipt_slots_used += 1  # work received off chain, never presented
                self.pay(task, index, worker, ApprovalBasis.REVIEW)
                continue
            if slot.state.final:
                continue  # settled already: a relayed or retried batch stays valid
            if by_signature and slot.state in (SlotState.REJECTED, SlotState.DISPUTED):
                continue  # a rejection since the signing revoked it
            if not approvable(slot.state, by_signature=by_signature):
                raise Revert(
                    "InvalidSlotState", taskId=task.task_id, slot=index, state=slot.state.code
                )
            if slot.worker != worker:
                raise Revert("WorkerMismatch", slot=index, holder=slot.worker, named=worker)
            if slot.state == SlotState.DISPUTED:
                self.record(task.token, worker)[2] += 1
            self.pay(task, index, worker, ApprovalBasis.REVIEW)
        if receipt_slots_used:
            self.require_receipt_window(now, task)
            task.receipt_slots_used += receipt_slots_used

    def reject(
        self, now: int, sender: str, task_id: int, pairs: Sequence[tuple[int, str]], cid: bytes
    ) -> None:
        task = self.reviewer_task(sender, task_id)
        if not cid:
            raise Revert("EmptyCid")
        if not pairs:
            raise Revert("InvalidBatch")
        for index, worker in pairs:
            slot = task.slot(index)
            if unused_receipt_slot(slot.state, index, task.receipt_slots):
                raise Revert("ReceiptProofRequired", taskId=task_id, slot=index)
            self.reject_submitted(now, task, index, worker)

    def reject_submitted(self, now: int, task: TaskModel, index: int, worker: str) -> None:
        """Reject a slot submitted on chain or by a presented receipt (``_rejectSubmitted``)."""
        task_id = task.task_id
        if worker == ZERO:
            raise Revert("ZeroAddress")
        slot = task.slot(index)
        if slot.state != SlotState.SUBMITTED:
            raise Revert("InvalidSlotState", taskId=task_id, slot=index, state=slot.state.code)
        if slot.worker != worker:
            raise Revert("WorkerMismatch", slot=index, holder=slot.worker, named=worker)
        if has_ended(review_end(slot.timestamp, task.review_period), now):
            raise Revert("ReviewPeriodOver", taskId=task_id, slot=index)
        slot.state, slot.timestamp = SlotState.REJECTED, now

    def reject_receipts(
        self,
        now: int,
        sender: str,
        task_id: int,
        rejections: Sequence[tuple[Receipt, str, bool]],
        cid: bytes,
    ) -> None:
        """Reject receipt slots with their proof: each (receipt, its signer, whether the
        worker's own submission signature is genuine)."""
        task = self.reviewer_task(sender, task_id)
        if not cid:
            raise Revert("EmptyCid")
        if not rejections:
            raise Revert("InvalidBatch")
        for receipt, signer, genuine in rejections:
            index, worker = receipt.slot, receipt.worker
            if receipt.task_id != task_id:
                raise Revert("ReceiptForAnotherTask")
            if not is_receipt_slot(index, task.receipt_slots):
                raise Revert("SlotNotForReceipts", taskId=task_id, slot=index)
            if not genuine:
                raise Revert("InvalidWorkerSignature", taskId=task_id, slot=index, worker=worker)
            if task.slot(index).state == SlotState.OPEN:
                self.require_receipt(task, receipt, signer)
                self.require_receipt_window(now, task)
                task.slots[index] = SlotModel(SlotState.REJECTED, worker, now)
                task.receipt_slots_used += 1
            else:
                self.reject_submitted(now, task, index, worker)

    def rule(self, now: int, sender: str, task_id: int, index: int, pay: bool, cid: bytes) -> None:
        task = self.task(task_id)
        if sender != task.arbitrator:
            raise Revert("NotArbitrator", taskId=task_id, caller=sender)
        slot = task.slot(index)
        if slot.state != SlotState.DISPUTED:
            raise Revert("InvalidSlotState", taskId=task_id, slot=index, state=slot.state.code)
        if has_ended(arbitration_end(slot.timestamp, self.arbitration_timeout), now):
            raise Revert("ArbitrationTimedOut", taskId=task_id, slot=index)
        if not pay and not cid:
            raise Revert("EmptyCid")
        if pay:
            self.record(task.token, slot.worker)[2] += 1
            self.pay(task, index, slot.worker, ApprovalBasis.ARBITRATION)
        else:
            self.record(task.token, slot.worker)[3] += 1
            self.close(task, index, rejected=True)

    def finalization(self, now: int, task: TaskModel, index: int) -> Finalization | None:
        """What ``finalize`` does to this slot at ``now``, if anything."""
        slot = task.slot(index)
        return finalization(
            slot.state,
            slot.timestamp,
            now,
            review_period=task.review_period,
            dispute_window=self.dispute_window,
            arbitration_timeout=self.arbitration_timeout,
        )

    def window_end(self, task: TaskModel, index: int) -> int | None:
        """The last second of the window the slot is in (None for open and final slots)."""
        slot = task.slot(index)
        return window_end(
            slot.state,
            slot.timestamp,
            review_period=task.review_period,
            dispute_window=self.dispute_window,
            arbitration_timeout=self.arbitration_timeout,
        )

    def due(self, now: int, task: TaskModel, index: int) -> bool:
        """Whether ``finalize`` has something to do for this slot at ``now``."""
        return self.finalization(now, task, index) is not None

    def finalize(self, now: int, sender: str, task_id: int, indexes: Sequence[int]) -> None:
        task = self.task(task_id)
        if not indexes:
            raise Revert("InvalidBatch")
        changed = False
        for index in indexes:
            action = self.finalization(now, task, index)
            if action is None:
                continue
            worker = task.slots[index].worker
            if action is Finalization.LAPSE:
                self.free_claim(task, index)
            elif action is Finalization.CLOSE:
                self.close(task, index, rejected=True)
            else:
                if action is Finalization.PAY_BY_TIMEOUT:
                    self.record(task.token, worker)[2] += 1  # a dispute won
                assert action.basis is not None
                self.pay(task, index, worker, action.basis)
            changed = True
        if not changed:
            raise Revert("NothingToFinalize", taskId=task_id)

    # ------------------------------------------------------------ ledger and operator

    def withdraw(self, now: int, sender: str, token: str, amount: int, to: str) -> None:
        if to == ZERO:
            raise Revert("ZeroAddress")
        if amount == 0:
            raise Revert("ZeroAmount")
        balance = self.balance(token, sender)
        if balance < amount:
            raise Revert("InsufficientBalance", balance=balance, needed=amount)
        self.ledger[(token, sender)] = balance - amount

    def set_fee(self, now: int, sender: str, fee_bps: int) -> None:
        self.require_owner(sender)
        if fee_bps > MAX_FEE_BPS:
            raise Revert("FeeTooHigh", feeBps=fee_bps)
        self.fee_bps = fee_bps

    def set_paused(self, now: int, sender: str, paused: bool) -> None:
        self.require_owner(sender)
        if paused and self.paused:
            raise Revert("EnforcedPause")
        if not paused and not self.paused:
            raise Revert("ExpectedPause")
        self.paused = paused

    def set_default_arbitrator(self, now: int, sender: str, arbitrator: str) -> None:
        self.require_owner(sender)
        if arbitrator == ZERO:
            raise Revert("ZeroAddress")
        self.default_arbitrator = arbitrator

    def set_minimum_fee(self, now: int, sender: str, token: str, amount: int) -> None:
        self.require_owner(sender)
        self.minimum_fees[token] = amount
