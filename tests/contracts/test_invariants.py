"""TaskEscrow under random use: a hypothesis state machine checked against a Python model.

Random requesters (two), workers (five dev accounts plus fresh ones funded mid-run), the
verifier, two arbitrators and the owner drive every operation on ETH, MockERC20 and
NoReturnToken (USDT-like) tasks with receipt slots and claimable slots: create (with an
allowance, a permit, or an expired permit), addSlots, extendDeadline, cancel,
reclaimReceiptSlots, bonus, claim, release, submit, presentReceipts (and replays), approve
(including unused receipt slots), approveWithSignature (relayed by the worker it pays, and
replayed), reject, dispute, rule, finalize, withdraw (part, all, too much, nothing), and the
operator's fee, default arbitrator and pause. Time jumps by set amounts, and to the last
second of a lease, review period, dispute window, arbitration timeout, deadline or receipt
window (or the first second after it), where the calls that window decides are tried.

The model predicts each call's outcome: success, or the custom error (with its arguments
where they tell something). A call the model expects to succeed must succeed, one it
expects to fail must fail with that error, and every slot a call pays or closes must be
the one the model expects. After every step (and between the calls of a multi-call step)
the chain is read in one JSON-RPC batch and checked:

- P1 conservation, exact to the wei, per token: the escrow's balance equals the ledger
  balances of every account that could have been credited plus every task's ``escrow``.
- P2 once: every ``SlotsApproved`` and ``SlotClosed`` event is counted per (task, slot);
  none is paid or closed twice, or both; what each task paid out and refunded (from its
  events) never passes what it was funded, and its ``escrow`` is exactly the difference.
- P3 silence pays: every submitted or receipted slot past its review period (and every
  other slot time has decided) can be finalized by a stranger (a static call succeeds), and
  finalizing pays exactly the slots the model says are due, never one a second early.
- P5 no rug-pull: each task's escrow is exactly ``reward + fee`` for every claimable slot
  still open, every claimed, submitted, rejected or disputed slot, and every unused receipt
  slot not yet reclaimed; so a cancel refunds nothing that backs held work, and the
  requester's ledger matches the model's refunds.
- Slot states, workers and timestamps, task fields (fee snapshot included), ledger
  balances and reputation counters all equal the model's.

Time is deterministic: anvil is told to give each new block the latest block's timestamp
(gas estimation and execution then see the same time), so the model knows the exact moment
every call runs at, and time moves only when a rule advances it. Each example runs inside
its own anvil snapshot, reverted in ``teardown``. A scripted tour through the same machine
makes sure every path is taken at least once, whatever hypothesis draws.
"""

from __future__ import annotations

import copy
import functools
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
import requests
from eth_abi.abi import decode, encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.abi import event_abi_to_log_topic, function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import RPCEndpoint, TxReceipt

from microtask.chain.accounts import dev_accounts
from microtask.chain.anvil import AnvilProcess
from microtask.chain.artifacts import CompiledProject
from microtask.chain.devchain import advance_time, revert, snapshot
from microtask.chain.erc20 import erc20
from microtask.chain.reverts import TransactionReverted
from microtask.chain.transactions import TransactionSender
from microtask.chain.typed_data import Approval, Receipt
from microtask.escrow import ETH, ApprovalBasis, SlotState, TaskParams, fee_of
from tests.contracts.conftest import MANIFEST, REASON, RESULT, Deployment, World

ZERO = ETH
BPS = 10_000
MAX_SLOTS = 1_000_000
MAX_FEE_BPS = 1000
MAX_UINT = 2**256 - 1
DIGEST = bytes(range(1, 33))
LIVE = (SlotState.CLAIMED, SlotState.SUBMITTED, SlotState.REJECTED, SlotState.DISPUTED)
SETTLEABLE = (SlotState.SUBMITTED, SlotState.REJECTED, SlotState.DISPUTED)
MAX_TASKS = 7
COVERAGE: Counter[tuple[str, str]] = Counter()

SETTINGS = settings(
    max_examples=18,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
    print_blob=True,
)


# ====================================================================== the model


LIVE_REVIEWABLE = (SlotState.SUBMITTED, SlotState.REJECTED, SlotState.DISPUTED)


class Revert(Exception):
    """The model's prediction that a call reverts with ``error`` (and these arguments)."""

    def __init__(self, error: str, **args: Any) -> None:
        super().__init__(error)
        self.error = error
        self.error_args = args


@dataclass
class SlotModel:
    state: SlotState = SlotState.OPEN
    worker: str = ZERO
    timestamp: int = 0


@dataclass
class TaskModel:
    task_id: int
    requester: str
    token: str
    reward: int
    fee_bps: int
    deadline: int
    review: int
    lease: int
    verifier: str
    arbitrator: str
    min_approved: int
    min_bps: int
    receipt_slots: int
    slots: list[SlotModel]
    open_slots: int
    escrow: int
    cancelled: bool = False
    reclaimed: bool = False
    receipt_used: int = 0

    @property
    def fee(self) -> int:
        return fee_of(self.reward, self.fee_bps)

    @property
    def per_slot(self) -> int:
        return self.reward + self.fee

    @property
    def reviewers(self) -> tuple[str, ...]:
        return (self.requester, self.verifier) if self.verifier != ZERO else (self.requester,)

    def require_not_party(self, account: str) -> None:
        """The requester, verifier and arbitrator are never paid for a task's work."""
        if account in (self.requester, self.verifier, self.arbitrator):
            raise Revert("TaskPartyCannotWork", taskId=self.task_id, account=account)

    def visible_state(self, index: int) -> SlotState:
        """What getSlot shows: open slots refunded in bulk (cancel, reclaim) read as closed."""
        state = self.slots[index].state
        refunded = self.reclaimed if index < self.receipt_slots else self.cancelled
        return SlotState.CLOSED if state == SlotState.OPEN and refunded else state

    def slot(self, index: int) -> SlotModel:
        """A slot as the contract sees it; past the end reads as an empty (open) word."""
        return self.slots[index] if index < len(self.slots) else SlotModel()


@dataclass
class Model:
    """What the escrow should hold, and the rules it should apply, written from the spec."""

    owner: str
    treasury: str
    fee_bps: int
    default_arbitrator: str
    dispute_window: int
    arbitration_timeout: int
    next_task_id: int
    paused: bool = False
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

    def pay(self, task: TaskModel, index: int, worker: str, basis: ApprovalBasis) -> None:
        task.slots[index] = SlotModel(SlotState.APPROVED)
        task.escrow -= task.per_slot
        self.credit(task.token, worker, task.reward)
        self.credit(task.token, self.treasury, task.fee)
        self.record(task.token, worker)[0] += 1
        self.paid_log.append((task.task_id, index, worker, basis))

    def close(self, task: TaskModel, index: int, *, rejected: bool) -> None:
        worker = task.slots[index].worker
        task.slots[index] = SlotModel(SlotState.CLOSED)
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
        if task.reclaimed or now > task.deadline + task.review:
            raise Revert("ReceiptWindowClosed", taskId=task.task_id)

    def require_owner(self, sender: str) -> None:
        if sender != self.owner:
            raise Revert("OwnableUnauthorizedAccount", account=sender)

    # ------------------------------------------------------------ requester

    def create(self, now: int, sender: str, params: TaskParams) -> int:
        if self.paused:
            raise Revert("EnforcedPause")
        if params.slots == 0 or params.receipt_slots > params.slots:
            raise Revert("InvalidSlotCount")
        if params.deadline <= now:
            raise Revert("InvalidDeadline", deadline=params.deadline, currentTime=now)
        task_id = self.next_task_id
        self.next_task_id += 1
        arbitrator = params.arbitrator if params.arbitrator != ZERO else self.default_arbitrator
        task = TaskModel(
            task_id=task_id,
            requester=sender,
            token=params.token,
            reward=params.reward,
            fee_bps=self.fee_bps,
            deadline=params.deadline,
            review=params.review_period,
            lease=params.lease,
            verifier=params.verifier,
            arbitrator=arbitrator,
            min_approved=params.min_approved,
            min_bps=params.min_approval_bps,
            receipt_slots=params.receipt_slots,
            slots=[SlotModel() for _ in range(params.slots)],
            open_slots=params.slots - params.receipt_slots,
            escrow=0,
        )
        task.escrow = params.slots * task.per_slot
        self.tasks[task_id] = task
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
                "InvalidSlotsAdded", taskId=task_id, slotCount=len(task.slots) + count, added=count
            )
        task.slots.extend(SlotModel() for _ in range(count))
        task.open_slots += count
        task.escrow += count * task.per_slot
        return count * task.per_slot

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
        if task.reclaimed:
            raise Revert("ReceiptWindowClosed", taskId=task_id)
        closes_at = task.deadline + task.review
        if now <= closes_at:
            raise Revert("ReceiptWindowOpen", taskId=task_id, closesAt=closes_at)
        task.reclaimed = True
        self.refund(task, (task.receipt_slots - task.receipt_used) * task.per_slot)

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
        if now > task.deadline:
            raise Revert("TaskExpired", taskId=task_id, deadline=task.deadline)
        if index >= len(task.slots):
            raise Revert("SlotOutOfRange", taskId=task_id, slot=index)
        if index < task.receipt_slots:
            raise Revert("SlotReservedForReceipts", taskId=task_id, slot=index)
        task.require_not_party(sender)
        if (task_id, sender) in self.holds:
            raise Revert("AlreadyHoldsSlot", taskId=task_id, worker=sender)
        if not self.qualified(task, sender):
            approved, rejected, _, _ = self.record(task.token, sender)
            raise Revert("NotQualified", worker=sender, approved=approved, rejected=rejected)
        slot = task.slots[index]
        if slot.state == SlotState.CLAIMED and now > slot.timestamp:
            self.holds.discard((task_id, slot.worker))  # the lapsed holder lets go
        elif slot.state == SlotState.OPEN:
            task.open_slots -= 1
        else:
            raise Revert("InvalidSlotState", taskId=task_id, slot=index, state=slot.state.code)
        task.slots[index] = SlotModel(SlotState.CLAIMED, sender, now + task.lease)
        self.holds.add((task_id, sender))

    def qualified(self, task: TaskModel, worker: str) -> bool:
        approved, rejected, _, _ = self.reputation.get((task.token, worker), [0, 0, 0, 0])
        if approved < task.min_approved:
            return False
        decided = approved + rejected
        return not (task.min_bps and decided) or approved * BPS >= task.min_bps * decided

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
        if now > slot.timestamp:
            raise Revert("LeaseExpired", taskId=task_id, slot=index, leaseEnd=slot.timestamp)
        slot.state, slot.timestamp = SlotState.SUBMITTED, now
        self.holds.discard((task_id, sender))

    def present(self, now: int, sender: str, receipts: Sequence[tuple[Receipt, str]]) -> None:
        for receipt, signer in receipts:
            task = self.task(receipt.task_id)
            if now > receipt.expiry:
                raise Revert("SignatureExpired", expiry=receipt.expiry)
            if receipt.slot >= task.receipt_slots:
                raise Revert("SlotNotForReceipts", taskId=task.task_id, slot=receipt.slot)
            if receipt.worker == ZERO:
                raise Revert("ZeroAddress")
            task.require_not_party(receipt.worker)
            if receipt.submitted_at > task.deadline:
                raise Revert(
                    "SubmittedAfterDeadline",
                    submittedAt=receipt.submitted_at,
                    deadline=task.deadline,
                )
            if signer not in task.reviewers:
                raise Revert("InvalidSignature", taskId=task.task_id)
            slot = task.slot(receipt.slot)
            if slot.state != SlotState.OPEN:
                raise Revert(
                    "InvalidSlotState",
                    taskId=task.task_id,
                    slot=receipt.slot,
                    state=slot.state.code,
                )
            self.require_receipt_window(now, task)
            task.receipt_used += 1
            task.slots[receipt.slot] = SlotModel(
                SlotState.SUBMITTED, receipt.worker, receipt.submitted_at
            )

    def dispute(self, now: int, sender: str, task_id: int, index: int, cid: bytes) -> None:
        task = self.task(task_id)
        if not cid:
            raise Revert("EmptyCid")
        slot = self.worker_slot(sender, task, index, SlotState.REJECTED)
        if now > slot.timestamp + self.dispute_window:
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
        if now > approval.expiry:
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
            if slot.state == SlotState.APPROVED:
                continue  # paid already: a relayed batch stays valid
            if slot.state == SlotState.OPEN and index < task.receipt_slots:
                task.require_not_party(worker)
                receipt_slots_used += 1  # work received off chain, never presented
                self.pay(task, index, worker, ApprovalBasis.REVIEW)
                continue
            reviewable = (SlotState.SUBMITTED,) if by_signature else LIVE_REVIEWABLE
            if slot.state not in reviewable:
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
            task.receipt_used += receipt_slots_used

    def reject(
        self, now: int, sender: str, task_id: int, pairs: Sequence[tuple[int, str]], cid: bytes
    ) -> None:
        task = self.reviewer_task(sender, task_id)
        if not cid:
            raise Revert("EmptyCid")
        if not pairs:
            raise Revert("InvalidBatch")
        for index, worker in pairs:
            if worker == ZERO:
                raise Revert("ZeroAddress")
            slot = task.slot(index)
            if slot.state == SlotState.OPEN and index < task.receipt_slots:
                task.require_not_party(worker)
                self.require_receipt_window(now, task)
                task.slots[index] = SlotModel(SlotState.REJECTED, worker, now)
                task.receipt_used += 1
                continue
            if slot.state != SlotState.SUBMITTED:
                raise Revert("InvalidSlotState", taskId=task_id, slot=index, state=slot.state.code)
            if slot.worker != worker:
                raise Revert("WorkerMismatch", slot=index, holder=slot.worker, named=worker)
            if now > slot.timestamp + task.review:
                raise Revert("ReviewPeriodOver", taskId=task_id, slot=index)
            slot.state, slot.timestamp = SlotState.REJECTED, now

    def rule(self, now: int, sender: str, task_id: int, index: int, pay: bool, cid: bytes) -> None:
        task = self.task(task_id)
        if sender != task.arbitrator:
            raise Revert("NotArbitrator", taskId=task_id, caller=sender)
        slot = task.slot(index)
        if slot.state != SlotState.DISPUTED:
            raise Revert("InvalidSlotState", taskId=task_id, slot=index, state=slot.state.code)
        if not pay and not cid:
            raise Revert("EmptyCid")
        if pay:
            self.record(task.token, slot.worker)[2] += 1
            self.pay(task, index, slot.worker, ApprovalBasis.ARBITRATION)
        else:
            self.record(task.token, slot.worker)[3] += 1
            self.close(task, index, rejected=True)

    def due(self, now: int, task: TaskModel, index: int) -> bool:
        """Whether ``finalize`` has something to do for this slot at ``now``."""
        slot = task.slot(index)
        since = slot.timestamp
        return (
            (slot.state == SlotState.CLAIMED and now > since)
            or (slot.state == SlotState.SUBMITTED and now > since + task.review)
            or (slot.state == SlotState.REJECTED and now > since + self.dispute_window)
            or (slot.state == SlotState.DISPUTED and now > since + self.arbitration_timeout)
        )

    def finalize(self, now: int, sender: str, task_id: int, indexes: Sequence[int]) -> None:
        task = self.task(task_id)
        if not indexes:
            raise Revert("InvalidBatch")
        changed = False
        for index in indexes:
            if not self.due(now, task, index):
                continue
            slot = task.slots[index]
            if slot.state == SlotState.CLAIMED:
                self.free_claim(task, index)
            elif slot.state == SlotState.SUBMITTED:
                self.pay(task, index, slot.worker, ApprovalBasis.SILENCE)
            elif slot.state == SlotState.REJECTED:
                self.close(task, index, rejected=True)
            else:
                self.record(task.token, slot.worker)[2] += 1
                self.pay(task, index, slot.worker, ApprovalBasis.ARBITRATION_TIMEOUT)
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
        self.default_arbitrator = arbitrator


# ====================================================================== reading the chain


def _canonical(parameter: dict[str, Any]) -> str:
    kind = str(parameter["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_canonical(c) for c in parameter["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


class CallFailed:
    """A batched call that reverted."""

    def __init__(self, error: Any) -> None:
        self.error = error

    def __repr__(self) -> str:
        return f"CallFailed({self.error!r})"


@functools.cache
def _calldata(signature: str, types: tuple[str, ...], args: tuple[Any, ...]) -> str:
    """The same few hundred reads repeat after every step: encode each once."""
    call_args = [list(a) if isinstance(a, tuple) else a for a in args]
    return "0x" + (function_signature_to_4byte_selector(signature) + encode(types, call_args)).hex()


@functools.cache
def _decoder(out: tuple[str, ...]) -> Callable[[str], Any]:
    def decoder(raw: str) -> Any:
        values = decode(out, bytes.fromhex(raw.removeprefix("0x")))
        return values[0] if len(values) == 1 else values

    return decoder


class Batch:
    """Many reads in one JSON-RPC batch, so checking everything after every step is cheap.

    (web3's contract calls cost milliseconds each in Python; raw batched ``eth_call`` does
    a hundred reads in about the time of three.)
    """

    def __init__(self, w3: Web3, escrow: Contract) -> None:
        self.w3 = w3
        self.escrow = escrow.address
        self.functions = {
            e["name"]: (
                tuple(_canonical(p) for p in e["inputs"]),
                tuple(_canonical(p) for p in e["outputs"]),
            )
            for e in escrow.abi
            if e.get("type") == "function"
        }
        self.requests: list[tuple[str, list[Any]]] = []
        self.decoders: list[Callable[[Any], Any]] = []

    def _add(self, method: str, params: list[Any], decoder: Callable[[Any], Any]) -> int:
        self.requests.append((method, params))
        self.decoders.append(decoder)
        return len(self.requests) - 1

    def _call(
        self,
        to: str,
        signature: str,
        types: tuple[str, ...],
        args: tuple[Any, ...],
        sender: str | None,
        out: tuple[str, ...],
    ) -> int:
        call: dict[str, Any] = {"to": to, "data": _calldata(signature, types, args)}
        if sender is not None:
            call["from"] = sender
        return self._add("eth_call", [call, "latest"], _decoder(out))

    def escrow_call(self, name: str, *args: Any, sender: str | None = None) -> int:
        types, out = self.functions[name]
        hashable = tuple(tuple(a) if isinstance(a, list) else a for a in args)
        return self._call(self.escrow, f"{name}({','.join(types)})", types, hashable, sender, out)

    def token_balance(self, token: str, account: str) -> int:
        if token == ZERO:
            return self._add("eth_getBalance", [account, "latest"], lambda raw: int(raw, 16))
        return self._call(token, "balanceOf(address)", ("address",), (account,), None, ("uint256",))

    def latest_timestamp(self) -> int:
        return self._add(
            "eth_getBlockByNumber", ["latest", False], lambda raw: int(raw["timestamp"], 16)
        )

    def run(self) -> list[Any]:
        responses = self.w3.provider.make_batch_request(self.requests)  # type: ignore[arg-type]
        assert isinstance(responses, list), responses
        responses = sorted(responses, key=lambda r: int(r["id"]))
        results: list[Any] = []
        for response, decoder in zip(responses, self.decoders, strict=True):
            if "error" in response:
                results.append(CallFailed(response["error"]))
            else:
                results.append(decoder(response["result"]))
        return results


# ====================================================================== the world


@dataclass
class Env:
    """What every example shares: the deployment, the people, the tokens."""

    w3: Web3
    world: World
    owner: LocalAccount
    requesters: list[LocalAccount]
    verifier: LocalAccount
    arbitrators: list[LocalAccount]
    treasury: LocalAccount
    workers: list[LocalAccount]
    fresh: list[LocalAccount]  # funded only when an example brings them in
    sink: str  # an address that holds nothing and never sends: withdrawals land exactly
    tokens: list[str]  # ETH, MockERC20 (with permit), NoReturnToken
    topics: dict[bytes, Any]

    @classmethod
    def build(cls, w3: Web3, shared: Deployment, compiled: CompiledProject) -> Env:
        accounts = dev_accounts()

        def rebound(contract: Contract) -> Contract:  # every call through this test's w3
            return w3.eth.contract(address=contract.address, abi=contract.abi)

        deployment = Deployment(
            rebound(shared.escrow),
            rebound(shared.token),
            rebound(shared.no_return_token),
            rebound(shared.fee_token),
            rebound(shared.reentrant_token),
        )
        world = World(
            w3=w3,
            deployment=deployment,
            compiled=compiled,
            owner=accounts[0],
            requester=accounts[1],
            verifier=accounts[2],
            arbitrator=accounts[8],
            treasury=accounts[9],
            workers=list(accounts[3:8]),
        )
        keys = [Web3.keccak(text=f"microtask invariants {i}") for i in range(5)]
        second_requester, second_arbitrator, *fresh = (Account.from_key(k) for k in keys)
        sink = Account.from_key(Web3.keccak(text="microtask invariants sink")).address
        tokens = [ZERO, deployment.token.address, deployment.no_return_token.address]
        owner = TransactionSender(w3, accounts[0])
        # set up once, inside the test's own snapshot: a second funded requester, a second
        # arbitrator, and allowances that never run out, so no client call sends an extra
        # approve
        for account, ether in ((second_requester, 1000), (second_arbitrator, 1)):
            world.fund_worker(account, ether)
        for token in (deployment.token, deployment.no_return_token):
            owner.transact(token.functions.mint(second_requester.address, 10**24))
            for requester in (accounts[1], second_requester):
                TransactionSender(w3, requester).transact(
                    erc20(w3, token.address).functions.approve(
                        deployment.escrow.address, MAX_UINT // 2
                    )
                )
        escrow = deployment.escrow
        topics = {
            event_abi_to_log_topic(e): getattr(escrow.events, e["name"])()
            for e in escrow.abi
            if e.get("type") == "event"
        }
        return cls(
            w3=w3,
            world=world,
            owner=accounts[0],
            requesters=[accounts[1], second_requester],
            verifier=accounts[2],
            arbitrators=[accounts[8], second_arbitrator],
            treasury=accounts[9],
            workers=list(accounts[3:8]),
            fresh=fresh,
            sink=sink,
            tokens=tokens,
            topics=topics,
        )


def _pick(items: Sequence[Any], index: int) -> Any:
    return items[index % len(items)] if items else None


ETH_REWARDS = [1, 39, 10**15 + 7, 10**16]
TOKEN_REWARDS = [1, 39, 1_000_003, 1_500_000]
DEADLINES = [150, 5_000, 100_000, 400_000, 1_000_000]
REVIEWS = [300, 3_600]
LEASES = [120, 600]
STEPS = [1, 30, 121, 301, 601, 3_601, 86_401]


PROGRESS = st.lists(st.integers(0, 255), min_size=1, max_size=5)
TASK_SPECS = st.fixed_dictionaries(
    {
        "who": st.integers(0, 1),
        "token": st.integers(0, 2),
        "funding": st.sampled_from(["allowance"] * 4 + ["permit", "expired permit"]),
        "reward": st.integers(0, 3),
        "slots": st.integers(1, 4),
        "receipt_slots": st.sampled_from([0, 0, 1, 2, 5]),
        "deadline": st.sampled_from(DEADLINES),
        "review": st.sampled_from(REVIEWS),
        "lease": st.sampled_from(LEASES),
        "verifier": st.booleans(),
        "arbitrator": st.integers(0, 2),
        "min_approved": st.sampled_from([0, 0, 0, 1]),
        "min_bps": st.sampled_from([0, 0, 5_000, 9_000]),
    }
)


class EscrowMachine(RuleBasedStateMachine):
    """Drives the escrow; the subclass made by the test supplies ``env``."""

    env: ClassVar[Env]

    def __init__(self) -> None:
        super().__init__()
        env = self.env
        self.w3 = env.w3
        self.snapshot_id = snapshot(self.w3)
        self.workers = list(env.workers)
        self.fresh = list(env.fresh)
        escrow = env.world.client(env.owner)
        self.model = Model(
            owner=env.owner.address,
            treasury=escrow.treasury(),
            fee_bps=escrow.fee_bps(),
            default_arbitrator=escrow.default_arbitrator(),
            dispute_window=escrow.dispute_window(),
            arbitration_timeout=escrow.arbitration_timeout(),
            next_task_id=escrow.task_count() + 1,
        )
        # P2, counted from the chain's own events
        self.paid = Counter[tuple[int, int]]()
        self.closed = Counter[tuple[int, int]]()
        self.funded = Counter[int]()
        self.spent = Counter[int]()
        self.signed_approvals: list[tuple[Approval, bytes, str]] = []
        self.presented: list[tuple[Receipt, bytes, str]] = []
        self.operations = 0  # the operator acts now and then, not all the time
        self.last_error: str | None = None  # of the latest call, for scripted runs
        self.baseline = self._baseline()

    def teardown(self) -> None:
        revert(self.w3, self.snapshot_id)

    # ------------------------------------------------------------ people

    def accounts(self) -> list[LocalAccount]:
        """Everyone who may be credited or may act."""
        env = self.env
        return [
            env.owner,
            *env.requesters,
            env.verifier,
            *env.arbitrators,
            env.treasury,
            *self.workers,
        ]

    def addresses(self) -> list[str]:
        return [a.address for a in self.accounts()] + [self.env.sink]

    def account(self, address: str) -> LocalAccount:
        return next(a for a in self.accounts() if a.address == address)

    def anyone(self, index: int) -> LocalAccount:
        return _pick(self.accounts(), index)

    def worker(self, index: int) -> LocalAccount:
        """Mostly workers; sometimes a requester, the verifier or an arbitrator."""
        if index % 8 == 7:
            return self.anyone(index // 8)
        return _pick(self.workers, index)

    def client(self, account: LocalAccount) -> Any:
        return self.env.world.client(account)

    # ------------------------------------------------------------ chain access

    def now(self) -> int:
        block = self.w3.provider.make_request("eth_getBlockByNumber", ["latest", False])  # type: ignore[arg-type]
        return int(block["result"]["timestamp"], 16)

    def _baseline(self) -> dict[str, int]:
        """Per token, whatever the escrow held before this example that no tracked account
        or task of ours accounts for (zero on a fresh deployment); it must stay constant."""
        batch = Batch(self.w3, self.env.world.deployment.escrow)
        holdings = {
            t: batch.token_balance(t, self.env.world.deployment.escrow.address)
            for t in self.env.tokens
        }
        ledgers = {
            (t, a): batch.escrow_call("balanceOf", t, a)
            for t in self.env.tokens
            for a in self.addresses()
        }
        results = batch.run()
        for (token, account), index in ledgers.items():
            if results[index]:
                self.model.ledger[(token, account)] = results[index]
        return {
            t: results[i] - sum(results[j] for (tok, _), j in ledgers.items() if tok == t)
            for t, i in holdings.items()
        }

    def do(
        self,
        label: str,
        predict: Callable[[Model, int], Any],
        send: Callable[[], TxReceipt],
        expected_error: str | None = None,
    ) -> tuple[TxReceipt | None, Any]:
        """Run ``send`` and hold its outcome to the model's prediction."""
        at = self.now()
        trial = copy.deepcopy(self.model)
        trial.paid_log, trial.closed_log = [], []
        expected: Revert | None = None
        result = None
        try:
            result = predict(trial, at)
        except Revert as revert_:
            expected = revert_
        else:  # P2 in the model itself: no call it accepts pays out more than a task holds
            for task in trial.tasks.values():
                assert task.escrow >= 0, f"{label}: the model overdraws task {task.task_id}"
        if expected_error is not None and expected is None:
            expected = Revert(expected_error)  # what the model cannot know: a token's error
        reverted: TransactionReverted | None = None
        try:
            receipt = send()
        except TransactionReverted as caught:
            reverted = caught
        COVERAGE[(label, reverted.error if reverted else "ok")] += 1
        self.last_error = reverted.error if reverted else None
        if reverted is not None:
            assert expected is not None, (
                f"{label} at {at}: the model expected success, the escrow said {reverted}"
            )
            assert reverted.error == expected.error, (
                f"{label} at {at}: expected {expected.error}{expected.error_args}, got {reverted}"
            )
            for key, value in expected.error_args.items():
                assert reverted.error_args.get(key) == value, (
                    f"{label}: {reverted.error}.{key} is {reverted.error_args.get(key)}, "
                    f"expected {value}"
                )
            return None, None
        assert expected is None, (
            f"{label} at {at}: the escrow accepted what the model refuses: "
            f"{expected.error}{expected.error_args}"
        )
        block = self.w3.eth.get_block(receipt["blockNumber"])
        assert block["timestamp"] == at, "the call ran at an unexpected time"
        self.absorb(label, receipt, trial)
        self.model = trial
        return receipt, result

    def absorb(self, label: str, receipt: TxReceipt, trial: Model) -> None:
        """Count the escrow's events (P2) and hold them to what the model expected."""
        escrow = self.env.world.deployment.escrow.address
        paid: list[tuple[int, int, str, ApprovalBasis]] = []
        closed: list[tuple[int, int, str]] = []
        for log in receipt["logs"]:
            if log["address"] != escrow:
                continue
            event = self.env.topics[bytes(log["topics"][0])].process_log(log)
            name, args = event["event"], event["args"]
            if name == "TaskCreated":
                self.funded[args["taskId"]] += args["task"]["escrow"]
            elif name == "SlotsAdded":
                self.funded[args["taskId"]] += args["funded"]
            elif name in ("TaskCancelled", "ReceiptSlotsReclaimed", "SlotClosed"):
                self.spent[args["taskId"]] += args["refunded"]
            if name == "SlotClosed":
                key = (args["taskId"], args["slot"])
                self.closed[key] += 1
                closed.append((args["taskId"], args["slot"], args["worker"]))
                task = trial.tasks[args["taskId"]]
                assert args["refunded"] == task.per_slot
            if name == "SlotsApproved":
                task = trial.tasks[args["taskId"]]
                assert (args["reward"], args["fee"]) == (task.reward, task.fee), label
                assert len(args["slots"]) == len(args["workers"]) > 0, label
                self.spent[args["taskId"]] += len(args["slots"]) * task.per_slot
                for slot, worker in zip(args["slots"], args["workers"], strict=True):
                    self.paid[(args["taskId"], slot)] += 1
                    paid.append(
                        (args["taskId"], slot, worker, ApprovalBasis.from_code(args["basis"]))
                    )
                    COVERAGE[("paid", ApprovalBasis.from_code(args["basis"]).name)] += 1
        assert Counter(paid) == Counter(trial.paid_log), (
            f"{label}: paid {paid}, the model expected {trial.paid_log}"
        )
        assert Counter(closed) == Counter(trial.closed_log), (
            f"{label}: closed {closed}, the model expected {trial.closed_log}"
        )

    # ------------------------------------------------------------ choosing

    def task_ids(self) -> list[int]:
        return sorted(self.model.tasks)

    def pick_task(self, index: int) -> TaskModel:
        return self.model.tasks[_pick(self.task_ids(), index)]

    def has_tasks(self) -> bool:
        return bool(self.model.tasks)

    def slots_in(self, *states: SlotState) -> list[tuple[TaskModel, int]]:
        return [
            (task, index)
            for task in self.model.tasks.values()
            for index, slot in enumerate(task.slots)
            if slot.state in states
        ]

    def _all_slots(self) -> list[tuple[TaskModel, int]]:
        return [(t, i) for t in self.model.tasks.values() for i in range(len(t.slots))]

    def open_receipt_slots(self, task: TaskModel) -> list[int]:
        return [i for i in range(task.receipt_slots) if task.slots[i].state == SlotState.OPEN]

    def settleable(self, states: tuple[SlotState, ...] = SETTLEABLE) -> bool:
        """Whether some slot is in ``states``, or some receipt slot is unused."""
        return any(
            slot.state in states or (index < task.receipt_slots and slot.state == SlotState.OPEN)
            for task in self.model.tasks.values()
            for index, slot in enumerate(task.slots)
        )

    def settle_pairs(
        self,
        task: TaskModel,
        picks: list[int],
        mismatch: bool,
        wild: bool,
        states: tuple[SlotState, ...] = SETTLEABLE,
    ) -> list[tuple[int, str]]:
        """(slot, worker) pairs a reviewer might settle: slots in ``states`` with their
        workers, unused receipt slots with a worker of our choosing, or (``wild``) any slot,
        one past the end included; ``mismatch`` names someone else for the first."""
        held = [(i, s.worker) for i, s in enumerate(task.slots) if s.state in states]
        candidates = held + [(i, "") for i in self.open_receipt_slots(task)]
        pairs = []
        for pick in picks:
            if wild or not candidates:
                index = pick % (len(task.slots) + 1)
                worker = task.slot(index).worker
            else:
                index, worker = _pick(candidates, pick)
            if not worker or worker == ZERO:
                worker = self.worker(pick // 3).address
            pairs.append((index, worker))
        if mismatch:
            index, worker = pairs[0]
            pairs[0] = (index, next(w.address for w in self.workers if w.address != worker))
        return pairs

    # ================================================================ operations
    # Each sends one call through ``do``; the rules below choose what to send.

    def _create(self, requester: LocalAccount, params: TaskParams, funding: str) -> int | None:
        client = self.client(requester)
        permit = funding != "allowance"
        token = erc20(self.w3, params.token) if params.token != ZERO else None
        sender = TransactionSender(self.w3, requester)
        if permit:
            assert token is not None
            sender.transact(token.functions.approve(client.address, 0))
        before = self._wallet(params.token, requester.address)
        expected_error = None
        if funding == "expired permit" and not self.model.paused:
            # the escrow ignores a failed permit; with no allowance the token refuses
            expected_error = "ERC20InsufficientAllowance"

        def send() -> TxReceipt:
            if permit:
                deadline = self.now() + (-1 if funding == "expired permit" else 3_600)
                return client.create_task_with_permit(params, deadline)[1]
            return client.create_task(params)[1]

        receipt, task_id = self.do(
            "createTaskWithPermit" if permit else "createTask",
            lambda m, at: m.create(at, requester.address, params),
            send,
            expected_error,
        )
        if permit:
            assert token is not None
            if receipt is not None:  # the permit allowed exactly the funding, all spent
                assert token.functions.allowance(requester.address, client.address).call() == 0
            sender.transact(token.functions.approve(client.address, MAX_UINT // 2))
        if receipt is None:
            return None
        [event] = client.contract.events.TaskCreated().process_receipt(receipt, errors=DISCARD)
        assert event["args"]["taskId"] == task_id
        task = self.model.tasks[task_id]
        spent = before - self._wallet(params.token, requester.address)
        assert spent == len(task.slots) * task.per_slot + self._gas(receipt, params.token)
        return int(task_id)

    def _wallet(self, token: str, address: str) -> int:
        if token == ZERO:
            return int(self.w3.eth.get_balance(address))  # type: ignore[arg-type]
        return int(erc20(self.w3, token).functions.balanceOf(address).call())

    def _gas(self, receipt: TxReceipt, token: str) -> int:
        if token != ZERO:
            return 0
        return int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])

    def _claim(self, task: TaskModel, index: int, account: LocalAccount) -> TxReceipt | None:
        return self.do(
            "claim",
            lambda m, at: m.claim(at, account.address, task.task_id, index),
            lambda: self.client(account).claim(task.task_id, index),
        )[0]

    def _release(self, task: TaskModel, index: int, account: LocalAccount) -> TxReceipt | None:
        return self.do(
            "release",
            lambda m, at: m.release(at, account.address, task.task_id, index),
            lambda: self.client(account).release(task.task_id, index),
        )[0]

    def _submit(
        self, task: TaskModel, index: int, account: LocalAccount, cid: bytes
    ) -> TxReceipt | None:
        return self.do(
            "submit",
            lambda m, at: m.submit(at, account.address, task.task_id, index, cid),
            lambda: self.client(account).submit(task.task_id, index, cid),
        )[0]

    def _receipt(
        self,
        task: TaskModel,
        index: int,
        worker: LocalAccount,
        signer: LocalAccount,
        submitted_at: int,
        expiry: int,
    ) -> tuple[Receipt, bytes, str]:
        receipt = Receipt(task.task_id, index, worker.address, DIGEST, max(submitted_at, 0), expiry)
        return receipt, self.client(signer).sign_receipt(receipt), signer.address

    def _present(
        self, signed: list[tuple[Receipt, bytes, str]], presenter: LocalAccount
    ) -> TxReceipt | None:
        receipt, _ = self.do(
            "presentReceipts",
            lambda m, at: m.present(at, presenter.address, [(r, s) for r, _, s in signed]),
            lambda: self.client(presenter).present_receipts([(r, sig) for r, sig, _ in signed]),
        )
        if receipt is not None:
            self.presented.extend(signed)
        return receipt

    def _dispute(
        self, task: TaskModel, index: int, account: LocalAccount, cid: bytes
    ) -> TxReceipt | None:
        return self.do(
            "dispute",
            lambda m, at: m.dispute(at, account.address, task.task_id, index, cid),
            lambda: self.client(account).dispute(task.task_id, index, cid),
        )[0]

    def _approve(
        self, task: TaskModel, pairs: list[tuple[int, str]], account: LocalAccount
    ) -> TxReceipt | None:
        return self.do(
            "approve",
            lambda m, at: m.approve(at, account.address, task.task_id, pairs),
            lambda: self.client(account).approve(task.task_id, pairs),
        )[0]

    def _sign_approval(
        self, task: TaskModel, pairs: list[tuple[int, str]], signer: LocalAccount, expiry: int
    ) -> tuple[Approval, bytes, str]:
        approval = Approval(
            task.task_id, tuple(i for i, _ in pairs), tuple(w for _, w in pairs), expiry
        )
        return approval, self.client(signer).sign_approval(approval), signer.address

    def _relay(
        self, signed: tuple[Approval, bytes, str], relayer: LocalAccount
    ) -> TxReceipt | None:
        approval, signature, signer = signed
        receipt, _ = self.do(
            "approveWithSignature",
            lambda m, at: m.approve_signed(at, relayer.address, approval, signer),
            lambda: self.client(relayer).approve_with_signature(approval, signature),
        )
        if receipt is not None:
            self.signed_approvals.append(signed)
        return receipt

    def _reject(
        self, task: TaskModel, pairs: list[tuple[int, str]], account: LocalAccount, cid: bytes
    ) -> TxReceipt | None:
        return self.do(
            "reject",
            lambda m, at: m.reject(at, account.address, task.task_id, pairs, cid),
            lambda: self.client(account).reject(task.task_id, pairs, cid),
        )[0]

    def _rule(
        self, task: TaskModel, index: int, account: LocalAccount, pay: bool, cid: bytes
    ) -> TxReceipt | None:
        return self.do(
            "rule",
            lambda m, at: m.rule(at, account.address, task.task_id, index, pay, cid),
            lambda: self.client(account).rule(task.task_id, index, pay, cid),
        )[0]

    def _finalize(
        self, task: TaskModel, indexes: list[int], account: LocalAccount
    ) -> TxReceipt | None:
        return self.do(
            "finalize",
            lambda m, at: m.finalize(at, account.address, task.task_id, indexes),
            lambda: self.client(account).finalize(task.task_id, indexes),
        )[0]

    # ------------------------------------------------------------ choosing parties

    def _stranger(self, task: TaskModel) -> LocalAccount:
        """A worker with no role in the task."""
        return next(a for a in self.workers if a.address not in (task.requester, task.verifier))

    def _requester_or_stranger(self, task: TaskModel, stranger: bool) -> LocalAccount:
        return self._stranger(task) if stranger else self.account(task.requester)

    def _reviewer(self, task: TaskModel, kind: str) -> LocalAccount:
        """The requester, the verifier (who may have no role in this task) or a stranger."""
        if kind == "requester":
            return self.account(task.requester)
        if kind == "verifier":
            return self.env.verifier
        return self._stranger(task)

    def _holder(self, task: TaskModel, index: int, holder: bool) -> LocalAccount:
        worker = task.slots[index].worker
        if holder:
            return self.account(worker)
        return next(a for a in self.workers if a.address != worker)

    def _free_worker(self, task: TaskModel, choice: int) -> LocalAccount:
        """A worker who may claim on this task: no role in it and no slot held."""
        parties = (task.requester, task.verifier, task.arbitrator)
        free = [
            a
            for a in self.workers
            if a.address not in parties
            and (task.task_id, a.address) not in self.model.holds
            and self.model.qualified(task, a.address)
        ]
        return _pick(free, choice) or self.worker(choice)

    # ================================================================ rules: requester

    def _create_from(self, spec: dict[str, Any]) -> int | None:
        token, funding = spec["token"], spec["funding"]
        if funding != "allowance":
            token = 1  # permits fund MockERC20 tasks
        slots, receipt_slots = spec["slots"], spec["receipt_slots"]
        arbitrator = spec["arbitrator"]
        params = TaskParams(
            manifest_cid=MANIFEST,
            token=self.env.tokens[token],
            reward=(ETH_REWARDS if token == 0 else TOKEN_REWARDS)[spec["reward"]],
            slots=slots,
            # 5 asks for one receipt slot more than there are slots: refused
            receipt_slots=min(receipt_slots, slots + (receipt_slots == 5)),
            deadline=self.now() + spec["deadline"],
            review_period=spec["review"],
            lease=spec["lease"],
            verifier=self.env.verifier.address if spec["verifier"] else ZERO,
            arbitrator=ZERO if arbitrator == 0 else self.env.arbitrators[arbitrator - 1].address,
            min_approved=spec["min_approved"],
            min_approval_bps=spec["min_bps"],
        )
        return self._create(self.env.requesters[spec["who"]], params, funding)

    @initialize(spec=TASK_SPECS)
    def first_task(self, spec: dict[str, Any]) -> None:
        self._create_from(spec)

    @initialize(spec=TASK_SPECS)
    def second_task(self, spec: dict[str, Any]) -> None:
        self._create_from(spec)

    @precondition(lambda self: len(self.model.tasks) < MAX_TASKS)
    @rule(spec=TASK_SPECS)
    def create(self, spec: dict[str, Any]) -> None:
        """Create a task: ETH or a token, funded by allowance or permit (an expired permit
        is ignored and the token then refuses), with receipt and claimable slots."""
        self._create_from(spec)

    @precondition(has_tasks)
    @rule(
        task=st.integers(0, 63),
        action=st.sampled_from(
            [
                "add slots",
                "add no slots",
                "extend",
                "extend to the same deadline",
                "bonus",
                "bonus of nothing",
                "reclaim receipt slots",
            ]
        ),
        stranger=st.sampled_from([False, False, True]),
        worker=st.integers(0, 63),
    )
    def manage(self, task: int, action: str, stranger: bool, worker: int) -> None:
        """The requester (or a stranger) adds slots, extends the deadline or pays a bonus;
        anyone reclaims unused receipt slots (mostly of a task whose window closed)."""
        chosen = self.pick_task(task)
        caller = self._requester_or_stranger(chosen, stranger)
        if action.startswith("add"):
            self._add_slots(chosen, 0 if action == "add no slots" else 1 + worker % 2, caller)
        elif action.startswith("extend"):
            delay = 0 if "same" in action else (1, 3_600, 200_000)[worker % 3]
            self._extend(chosen, chosen.deadline + delay, caller)
        elif action.startswith("bonus"):
            amount = 0 if action == "bonus of nothing" else 1 + 12_344 * (worker % 2)
            self._bonus(chosen, self.worker(worker), amount, caller)
        else:
            now = self.now()
            closed = [
                t
                for t in self.model.tasks.values()
                if now > t.deadline + t.review and not t.reclaimed
            ]
            self._reclaim(
                _pick(closed, task) if closed and worker % 4 else chosen, self.anyone(worker)
            )

    def _add_slots(self, task: TaskModel, count: int, caller: LocalAccount) -> TxReceipt | None:
        return self.do(
            "addSlots",
            lambda m, at: m.add_slots(at, caller.address, task.task_id, count),
            lambda: self.client(caller).add_slots(task.task_id, count),
        )[0]

    def _extend(self, task: TaskModel, deadline: int, caller: LocalAccount) -> TxReceipt | None:
        return self.do(
            "extendDeadline",
            lambda m, at: m.extend_deadline(at, caller.address, task.task_id, deadline),
            lambda: self.client(caller).extend_deadline(task.task_id, deadline),
        )[0]

    def _bonus(
        self, task: TaskModel, worker: LocalAccount, amount: int, caller: LocalAccount
    ) -> TxReceipt | None:
        return self.do(
            "bonus",
            lambda m, at: m.bonus(at, caller.address, task.task_id, worker.address, amount),
            lambda: self.client(caller).bonus(task.task_id, worker.address, amount),
        )[0]

    def _reclaim(self, task: TaskModel, caller: LocalAccount) -> TxReceipt | None:
        return self.do(
            "reclaimReceiptSlots",
            lambda m, at: m.reclaim(at, caller.address, task.task_id),
            lambda: self.client(caller).reclaim_receipt_slots(task.task_id),
        )[0]

    def _cancel(self, task: TaskModel, caller: LocalAccount) -> TxReceipt | None:
        return self.do(
            "cancel",
            lambda m, at: m.cancel(at, caller.address, task.task_id),
            lambda: self.client(caller).cancel(task.task_id),
        )[0]

    @precondition(lambda self: any(not t.cancelled for t in self.model.tasks.values()))
    @rule(task=st.integers(0, 63), who=st.sampled_from(["requester", "stranger", "again"]))
    def cancel(self, task: int, who: str) -> None:
        """Cancel a live task (or a stranger tries, or the requester cancels twice)."""
        live = [t for t in self.model.tasks.values() if not t.cancelled]
        cancelled = [t for t in self.model.tasks.values() if t.cancelled]
        pool = cancelled if who == "again" and cancelled else live
        chosen = _pick(pool, task) if pool else self.pick_task(task)
        self._cancel(chosen, self._requester_or_stranger(chosen, who == "stranger"))

    # ================================================================ rules: worker

    def claimable(self) -> list[tuple[TaskModel, int]]:
        """Open or lapsed claimable slots of tasks still taking claims."""
        now = self.now()
        return [
            (task, index)
            for task in self.model.tasks.values()
            if not task.cancelled and now <= task.deadline
            for index, slot in enumerate(task.slots)
            if index >= task.receipt_slots
            and (
                slot.state == SlotState.OPEN
                or (slot.state == SlotState.CLAIMED and now > slot.timestamp)
            )
        ]

    @precondition(has_tasks)
    @rule(
        pick=st.integers(0, 63),
        worker=st.integers(0, 63),
        which=st.sampled_from(["open", "open", "open", "closed to claims", "any slot"]),
    )
    def claim(self, pick: int, worker: int, which: str) -> None:
        """Claim an open (or lapsed) claimable slot; or try one of a task that is past its
        deadline or cancelled; or any slot of any task."""
        claimable = self.claimable()
        now = self.now()
        closed = [t for t in self.model.tasks.values() if t.cancelled or now > t.deadline]
        if which == "open" and claimable:
            chosen, index = _pick(claimable, pick)
        else:
            chosen = _pick(closed, pick) if which != "any slot" and closed else None
            chosen = chosen or self.pick_task(pick)
            index = worker % (len(chosen.slots) + 1)
        self._claim(chosen, index, self.worker(worker))

    @precondition(lambda self: self.slots_in(SlotState.CLAIMED))
    @rule(
        pick=st.integers(0, 63),
        action=st.sampled_from(["submit", "submit", "submit nothing", "release"]),
        holder=st.sampled_from([True, True, True, False]),
    )
    def finish_claim(self, pick: int, action: str, holder: bool) -> None:
        """The holder (or someone else) submits a result, an empty one, or releases."""
        task, index = _pick(self.slots_in(SlotState.CLAIMED), pick)
        account = self._holder(task, index, holder)
        if action == "release":
            self._release(task, index, account)
        else:
            self._submit(task, index, account, b"" if action == "submit nothing" else RESULT)

    @precondition(lambda self: any(t.receipt_slots for t in self.model.tasks.values()))
    @rule(
        task=st.integers(0, 63),
        picks=st.lists(st.integers(0, 63), min_size=1, max_size=2),
        worker=st.integers(0, 63),
        signer=st.sampled_from(["requester", "requester", "verifier", "verifier", "worker"]),
        submitted=st.sampled_from(["now", "now", "old", "deadline", "late", "future"]),
        expired=st.sampled_from([False, False, False, True]),
        presenter=st.integers(0, 63),
        replay=st.sampled_from([False, False, False, True]),
    )
    def present_receipts(
        self,
        task: int,
        picks: list[int],
        worker: int,
        signer: str,
        submitted: str,
        expired: bool,
        presenter: int,
        replay: bool,
    ) -> None:
        """Present one or two receipts (or replay one already presented)."""
        if replay and self.presented:
            self._present([_pick(self.presented, task)], self.anyone(presenter))
            return
        chosen = _pick([t for t in self.model.tasks.values() if t.receipt_slots], task)
        now = self.now()
        unused = self.open_receipt_slots(chosen)
        submitted_at = {
            "now": now,
            "old": now - chosen.review - 1,  # its review period is over already
            "deadline": chosen.deadline,
            "late": chosen.deadline + 1,
            "future": min(now + 100, chosen.deadline),
        }[submitted]
        signed = []
        for n, pick in enumerate(picks):
            # mostly an unused receipt slot; else any receipt slot, or the first claimable one
            use_unused = unused and pick % 5
            index = _pick(unused, pick) if use_unused else pick % (chosen.receipt_slots + 1)
            account = self.worker(worker + n)
            signing = {
                "requester": self.account(chosen.requester),
                "verifier": self.env.verifier,
                "worker": account,
            }[signer]
            expiry = now - 1 if expired else now + 3_600
            signed.append(self._receipt(chosen, index, account, signing, submitted_at, expiry))
        self._present(signed, self.anyone(presenter))

    @precondition(lambda self: self.slots_in(SlotState.REJECTED, SlotState.DISPUTED))
    @rule(
        pick=st.integers(0, 63),
        holder=st.sampled_from([True, True, True, False]),
        cid=st.sampled_from([REASON, REASON, REASON, b""]),
    )
    def dispute(self, pick: int, holder: bool, cid: bytes) -> None:
        """Dispute a rejection (sometimes one already disputed)."""
        rejected = self.slots_in(SlotState.REJECTED)
        pool = rejected if rejected and pick % 6 else self.slots_in(SlotState.DISPUTED) or rejected
        task, index = _pick(pool, pick)
        self._dispute(task, index, self._holder(task, index, holder), cid)

    # ================================================================ rules: review

    @precondition(lambda self: self.settleable())
    @rule(
        task=st.integers(0, 63),
        picks=st.lists(st.integers(0, 63), min_size=1, max_size=3),
        reviewer=st.sampled_from(["requester", "requester", "verifier", "verifier", "stranger"]),
        mismatch=st.sampled_from([False, False, False, True]),
        wild=st.sampled_from([False, False, False, True]),
    )
    def approve(
        self, task: int, picks: list[int], reviewer: str, mismatch: bool, wild: bool
    ) -> None:
        """Approve a batch: submitted, rejected, disputed or unused receipt slots."""
        chosen = self.pick_task(task)
        pairs = self.settle_pairs(chosen, picks, mismatch, wild)
        self._approve(chosen, pairs, self._reviewer(chosen, reviewer))

    @precondition(lambda self: self.settleable())
    @rule(
        task=st.integers(0, 63),
        picks=st.lists(st.integers(0, 63), min_size=1, max_size=3),
        signer=st.sampled_from(["requester", "requester", "verifier", "verifier", "stranger"]),
        expired=st.sampled_from([False, False, False, True]),
        mismatch=st.sampled_from([False, False, False, True]),
        replay=st.sampled_from([False, False, False, True]),
        relayer=st.integers(0, 63),
    )
    def approve_with_signature(
        self,
        task: int,
        picks: list[int],
        signer: str,
        expired: bool,
        mismatch: bool,
        replay: bool,
        relayer: int,
    ) -> None:
        """A signed approval relayed by the worker it pays (or a relayed one, relayed again:
        it pays nobody twice)."""
        if replay and self.signed_approvals:
            self._relay(_pick(self.signed_approvals, task), self.anyone(relayer))
            return
        chosen = self.pick_task(task)
        pairs = self.settle_pairs(chosen, picks, mismatch, wild=False)
        now = self.now()
        signed = self._sign_approval(
            chosen, pairs, self._reviewer(chosen, signer), now - 1 if expired else now + 3_600
        )
        payee = next((a for a in self.accounts() if a.address == pairs[0][1]), self.workers[0])
        self._relay(signed, payee)

    @precondition(lambda self: self.settleable((SlotState.SUBMITTED,)))
    @rule(
        task=st.integers(0, 63),
        picks=st.lists(st.integers(0, 63), min_size=1, max_size=2),
        reviewer=st.sampled_from(["requester", "requester", "verifier", "verifier", "stranger"]),
        mismatch=st.sampled_from([False, False, False, True]),
        wild=st.sampled_from([False, False, False, True]),
        cid=st.sampled_from([REASON, REASON, REASON, b""]),
    )
    def reject(
        self, task: int, picks: list[int], reviewer: str, mismatch: bool, wild: bool, cid: bytes
    ) -> None:
        """Reject a batch: submitted or unused receipt slots (or, ``wild``, anything)."""
        chosen = self.pick_task(task)
        pairs = self.settle_pairs(chosen, picks, mismatch, wild, states=(SlotState.SUBMITTED,))
        self._reject(chosen, pairs, self._reviewer(chosen, reviewer), cid)

    @precondition(lambda self: self.slots_in(SlotState.DISPUTED))
    @rule(
        pick=st.integers(0, 63),
        pay=st.booleans(),
        caller=st.sampled_from(["arbitrator", "arbitrator", "arbitrator", "requester"]),
        cid=st.sampled_from([REASON, REASON, b""]),
        undisputed=st.sampled_from([False, False, False, True]),
    )
    def rule_on_dispute(
        self, pick: int, pay: bool, caller: str, cid: bytes, undisputed: bool
    ) -> None:
        """The arbitrator rules (or someone else tries to; or on a slot not disputed)."""
        others = [(t, i) for t, i in self._all_slots() if t.slots[i].state != SlotState.DISPUTED]
        pool = others if undisputed and others else self.slots_in(SlotState.DISPUTED)
        task, index = _pick(pool, pick)
        if caller == "arbitrator" and task.arbitrator != ZERO:
            account = self.account(task.arbitrator)
        else:
            account = self.account(task.requester)
        self._rule(task, index, account, pay, cid)

    @precondition(has_tasks)
    @rule(
        task=st.integers(0, 63),
        which=st.sampled_from(["due", "due", "all", "one"]),
        caller=st.integers(0, 63),
    )
    def finalize(self, task: int, which: str, caller: int) -> None:
        """Anyone applies what time decided: the due slots, every slot (one twice) or one."""
        now = self.now()
        with_due = [
            t
            for t in self.model.tasks.values()
            if any(self.model.due(now, t, i) for i in range(len(t.slots)))
        ]
        chosen = _pick(with_due, task) if with_due and which == "due" else self.pick_task(task)
        everything = list(range(len(chosen.slots)))
        due = [i for i in everything if self.model.due(now, chosen, i)]
        indexes = {
            "due": due or everything[:1],
            "all": everything + everything[:1],  # a duplicate is skipped, not paid twice
            "one": [caller % (len(chosen.slots) + 1)],
        }[which]
        self._finalize(chosen, indexes, self.anyone(caller))

    # ================================================================ rules: a slot's life

    def _movable(self, states: tuple[SlotState, ...]) -> list[tuple[int, int]]:
        """Slots in ``states`` that can still move: held ones, open claimable slots of tasks
        taking claims, and unused receipt slots while receipts are open."""
        now = self.now()

        def movable(task: TaskModel, index: int, slot: SlotModel) -> bool:
            if slot.state not in states:
                return False
            if slot.state != SlotState.OPEN:
                return True
            if index < task.receipt_slots:
                return not task.reclaimed and now <= task.deadline + task.review
            return not (task.cancelled or self.model.paused or now > task.deadline)

        return [
            (task.task_id, index)
            for task in self.model.tasks.values()
            for index, slot in enumerate(task.slots)
            if movable(task, index, slot)
        ]

    def _progress(
        self,
        states: tuple[SlotState, ...],
        fallback: tuple[SlotState, ...],
        pick: int,
        choices: list[int],
        *,
        contest: bool = False,
    ) -> None:
        """Take one slot in ``states`` (else ``fallback``, else any) up to five steps along
        its natural life (claim, submit or present, approve, reject, dispute, rule, or wait
        for a window to close and finalize); the checks run after each call, not only at
        the end of the step. ``contest``: reviewers reject and workers dispute."""
        candidates = (
            self._movable(states)
            or self._movable(fallback)
            or self._movable((*LIVE, SlotState.OPEN))
        )
        if not candidates:
            return
        task_id, index = _pick(candidates, pick)
        for n, choice in enumerate(choices):
            if n:
                self.escrow_matches_the_model()
            if not self._progress_once(self.model.tasks[task_id], index, choice, contest):
                return

    # Three rules drive slots through their lives, so that long sequences (claim, submit,
    # reject, dispute, rule) are common even when swarm testing switches some rules off.

    @precondition(has_tasks)
    @rule(pick=st.integers(0, 255), choices=PROGRESS)
    def work_on_a_slot(self, pick: int, choices: list[int]) -> None:
        """From an open or claimed slot: claims, submissions, receipts, lapses."""
        self._progress((SlotState.OPEN, SlotState.CLAIMED), LIVE, pick, choices)

    @precondition(has_tasks)
    @rule(pick=st.integers(0, 255), choices=PROGRESS)
    def review_a_slot(self, pick: int, choices: list[int]) -> None:
        """From a submitted slot: approvals (direct or relayed), rejections, silence."""
        self._progress((SlotState.SUBMITTED,), (SlotState.CLAIMED,), pick, choices)

    @precondition(has_tasks)
    @rule(pick=st.integers(0, 255), choices=st.lists(st.integers(0, 255), min_size=3, max_size=5))
    def contest_a_slot(self, pick: int, choices: list[int]) -> None:
        """Rejections and disputes: rulings, timeouts, changes of mind."""
        self._progress(
            (SlotState.REJECTED, SlotState.DISPUTED),
            (SlotState.SUBMITTED,),
            pick,
            choices,
            contest=True,
        )

    def _progress_once(self, task: TaskModel, index: int, choice: int, contest: bool) -> bool:
        """One natural step for this slot; False once it has nowhere to go."""
        slot = task.slots[index]
        state = slot.state
        if state in (SlotState.APPROVED, SlotState.CLOSED) or (
            state == SlotState.OPEN and (task.cancelled or task.reclaimed)
        ):
            return False
        receipt_slot = index < task.receipt_slots
        COVERAGE[("progress", state.name + (" receipt" if receipt_slot else ""))] += 1
        now = self.now()
        step, who = choice % 4, choice // 4
        due = self.model.due(now, task, index)
        anyone = self.anyone(who)
        reviewer = self.account(_pick(task.reviewers, who))
        worker = self.account(slot.worker) if state in LIVE else self._free_worker(task, who)
        pair = [(index, worker.address)]
        if state == SlotState.OPEN and receipt_slot:
            if contest and step != 3:
                self._reject(task, pair, reviewer, REASON)  # work received off chain, refused
            elif step in (0, 1):
                at = now - (task.review + 1 if who % 3 == 0 else 0)  # maybe long unreviewed
                signed = self._receipt(
                    task, index, worker, reviewer, min(at, task.deadline), now + 3_600
                )
                self._present([signed], worker if step else anyone)
            elif step == 2:
                self._approve(task, pair, reviewer)
            else:
                self._reject(task, pair, reviewer, REASON)
        elif state == SlotState.OPEN:
            self._claim(task, index, worker)
        elif due and not (contest and state == SlotState.REJECTED and step == 0):
            self._finalize(task, [index], anyone)  # lapse, silence, no dispute, no ruling
        elif state == SlotState.CLAIMED:
            if step == 0 and not contest:
                self._wait_past(task, index, slot.timestamp)  # the lease lapses
            elif step == 3:
                self._release(task, index, worker)
            else:
                self._submit(task, index, worker, RESULT)
        elif state == SlotState.SUBMITTED:
            if (contest and step != 3) or step == 2:
                self._reject(task, pair, reviewer, REASON)
            elif step == 0:
                self._approve(task, pair, reviewer)
            elif step == 1:
                signed = self._sign_approval(task, pair, reviewer, now + 600)
                self._relay(signed, worker)
            else:
                self._wait_past(task, index, slot.timestamp + task.review)  # silence
        elif state == SlotState.REJECTED:
            if (contest and step != 3) or step in (0, 1):
                self._dispute(task, index, worker, REASON)
            elif step == 2:
                self._wait_past(task, index, slot.timestamp + self.model.dispute_window)
            else:
                self._approve(task, pair, reviewer)  # a change of mind
        elif step in (0, 1) and task.arbitrator != ZERO:  # disputed
            self._rule(task, index, self.account(task.arbitrator), step == 0, REASON)
        elif step == 2 or task.arbitrator == ZERO:
            self._wait_past(task, index, slot.timestamp + self.model.arbitration_timeout)
        else:
            self._approve(task, pair, reviewer)
        return True

    def _wait_until(self, moment: int) -> None:
        now = self.now()
        if moment > now:
            advance_time(self.w3, moment - now)

    def _wait_past(self, task: TaskModel, index: int, edge: int) -> None:
        """Let a window run out: at its last second finalizing the slot does nothing (the
        model says so, the escrow must agree); one second later it is due."""
        self._wait_until(edge)
        if self.now() == edge:
            self._finalize(task, [index], self.env.owner)
        self._wait_until(edge + 1)

    # ================================================================ rules: ledger

    @precondition(lambda self: any(self.model.ledger.values()))
    @rule(
        who=st.integers(0, 63),
        token=st.integers(0, 2),
        amount=st.sampled_from(["all", "all", "half", "one", "more", "zero"]),
        to=st.sampled_from(["self", "sink", "sink", "other"]),
    )
    def withdraw(self, who: int, token: int, amount: str, to: str) -> None:
        """Withdraw all, part, more than the balance, or nothing, to oneself or elsewhere."""
        token_address = self.env.tokens[token]
        holders = [a for a in self.accounts() if self.model.balance(token_address, a.address)]
        account = _pick(holders, who) if holders and who % 8 else self.anyone(who)
        balance = self.model.balance(token_address, account.address)
        value = {
            "all": balance,
            "half": balance // 2,
            "one": 1,
            "more": balance + 1,
            "zero": 0,
        }[amount]
        elsewhere = self.env.verifier if account != self.env.verifier else self.env.owner
        destination = {
            "self": account.address,
            "sink": self.env.sink,
            "other": elsewhere.address,
        }[to]
        self._withdraw(account, token_address, value, destination)

    def _withdraw(
        self, account: LocalAccount, token: str, value: int, destination: str
    ) -> TxReceipt | None:
        """Withdraw, and check the destination got exactly that (less gas if it paid)."""
        before = self._wallet(token, destination)
        receipt, _ = self.do(
            "withdraw",
            lambda m, at: m.withdraw(at, account.address, token, value, destination),
            lambda: self.client(account).withdraw(value, destination, token),
        )
        if receipt is not None:
            gained = self._wallet(token, destination) - before
            gas = self._gas(receipt, token) if destination == account.address else 0
            assert gained == value - gas, f"withdrew {value}, {destination} got {gained}"
        return receipt

    # ================================================================ rules: time and operator

    @rule(seconds=st.sampled_from(STEPS))
    def pass_time(self, seconds: int) -> None:
        """Time jumps by a set amount: a second, a lease, a review period, a day."""
        advance_time(self.w3, seconds)

    @precondition(has_tasks)
    @rule(
        kind=st.sampled_from(["deadline", "receipts", "lease", "review", "dispute", "arbitration"]),
        pick=st.integers(0, 255),
        offset=st.sampled_from([0, 1]),
    )
    def reach_an_edge(self, kind: str, pick: int, offset: int) -> None:
        """Time jumps so that the next calls run at a window's last second (offset 0) or
        the first second after it (offset 1), and the calls that window decides are tried
        right there: the model knows which side of the edge they are on."""
        model = self.model
        edges: list[tuple[int, TaskModel, int]]
        if kind in ("deadline", "receipts"):
            edges = [
                (t.deadline + (t.review if kind == "receipts" else 0), t, -1)
                for t in model.tasks.values()
            ]
        else:
            state, length = {
                "lease": (SlotState.CLAIMED, lambda t: 0),
                "review": (SlotState.SUBMITTED, lambda t: t.review),
                "dispute": (SlotState.REJECTED, lambda t: model.dispute_window),
                "arbitration": (SlotState.DISPUTED, lambda t: model.arbitration_timeout),
            }[kind]
            edges = [(t.slots[i].timestamp + length(t), t, i) for t, i in self.slots_in(state)]
        now = self.now()
        edges = [(edge + offset, t, i) for edge, t, i in edges if edge + offset > now]
        if not edges:
            return
        moment, task, index = _pick(edges, pick)
        advance_time(self.w3, moment - now)
        probes = self._probes(kind, task, index, pick)
        for n, probe in enumerate(probes if pick % 2 else reversed(probes)):
            if n:
                self.escrow_matches_the_model()
            probe()

    def _probes(
        self, kind: str, task: TaskModel, index: int, pick: int
    ) -> list[Callable[[], object]]:
        """The calls a window decides: the action it allows, and what time does after it."""
        anyone = self.anyone(pick)
        slot = task.slot(index)
        worker = self.account(slot.worker) if index >= 0 else self._free_worker(task, pick)
        reviewer = self.account(_pick(task.reviewers, pick))
        unused = self.open_receipt_slots(task)
        finalize = lambda: self._finalize(task, [index], anyone)  # noqa: E731
        if kind == "deadline":
            claimable = [
                i
                for i in range(task.receipt_slots, len(task.slots))
                if task.slots[i].state == SlotState.OPEN
            ]
            claim_at = _pick(claimable, pick) if claimable else task.receipt_slots
            probes: list[Callable[[], object]] = [lambda: self._claim(task, claim_at, worker)]
            if unused:  # a receipt for work that arrived at the very deadline
                signed = self._receipt(
                    task, unused[0], worker, reviewer, task.deadline, task.deadline + 3_600
                )
                probes.append(lambda: self._present([signed], anyone))
            return probes
        if kind == "receipts":
            probes = [lambda: self._reclaim(task, anyone)]
            if unused:
                probes.append(lambda: self._approve(task, [(unused[0], worker.address)], reviewer))
            return probes
        if kind == "lease":
            return [lambda: self._submit(task, index, worker, RESULT), finalize]
        if kind == "review":
            return [
                lambda: self._reject(task, [(index, worker.address)], reviewer, REASON),
                finalize,
            ]
        if kind == "dispute":
            return [lambda: self._dispute(task, index, worker, REASON), finalize]
        return [finalize]  # an unanswered dispute

    @precondition(lambda self: self.operations < 6)
    @rule(
        action=st.sampled_from(
            [
                "fee 0",
                "fee 250",
                "fee 1000",
                "fee 1001",
                "fee by a stranger",
                "arbitrator 0",
                "arbitrator 1",
                "no arbitrator",
                "pause or unpause",
                "pause twice",
                "pause by a stranger",
            ]
        )
    )
    def operate(self, action: str) -> None:
        """The owner (or a stranger) sets the fee or default arbitrator, pauses or unpauses."""
        self.operations += 1
        owner = self.env.owner
        account = self.workers[0] if "stranger" in action else owner
        client = self.client(account)
        if action.startswith("fee"):
            fee = 250 if "stranger" in action else int(action.split()[1])
            self.do(
                "setFee",
                lambda m, at: m.set_fee(at, account.address, fee),
                lambda: client.set_fee(fee),
            )
        elif "arbitrator" in action:
            arbitrator = (
                ZERO
                if action == "no arbitrator"
                else self.env.arbitrators[int(action.split()[1])].address
            )
            self.do(
                "setDefaultArbitrator",
                lambda m, at: m.set_default_arbitrator(at, owner.address, arbitrator),
                lambda: client.set_default_arbitrator(arbitrator),
            )
        else:
            pause = self.model.paused if action == "pause twice" else not self.model.paused
            self.do(
                "pause" if pause else "unpause",
                lambda m, at: m.set_paused(at, account.address, pause),
                client.pause if pause else client.unpause,
            )

    @precondition(lambda self: self.fresh)
    @rule()
    def new_worker(self) -> None:
        """A brand-new account, with gas and nothing else, joins the workers."""
        account = self.fresh.pop(0)
        self.env.world.fund_worker(account)
        self.workers.append(account)

    # ================================================================ invariants

    @invariant()
    def escrow_matches_the_model(self) -> None:
        env, model = self.env, self.model
        COVERAGE[("step", "")] += 1
        escrow_address = env.world.deployment.escrow.address
        batch = Batch(self.w3, env.world.deployment.escrow)
        latest = batch.latest_timestamp()
        holdings = {t: batch.token_balance(t, escrow_address) for t in env.tokens}
        addresses = self.addresses()
        ledgers = {
            (t, a): batch.escrow_call("balanceOf", t, a) for t in env.tokens for a in addresses
        }
        records = {
            (t, a): batch.escrow_call("reputationOf", a, t) for t in env.tokens for a in addresses
        }
        tasks = {i: batch.escrow_call("getTask", i) for i in model.tasks}
        slots = {
            (i, s): batch.escrow_call("getSlot", i, s)
            for i, task in model.tasks.items()
            for s in range(len(task.slots))
        }
        count = batch.escrow_call("taskCount")
        results = batch.run()
        now = results[latest]
        assert results[count] == model.next_task_id - 1

        # P1: conservation, exact to the wei, with the chain's own numbers
        for token, index in holdings.items():
            ledger_sum = sum(results[i] for (t, _), i in ledgers.items() if t == token)
            escrow_sum = sum(
                results[tasks[task_id]][-1]
                for task_id, task in model.tasks.items()
                if task.token == token
            )
            assert results[index] == self.baseline[token] + ledger_sum + escrow_sum, (
                f"P1 broken for {token}: holds {results[index]}, ledgers {ledger_sum}, "
                f"escrows {escrow_sum}"
            )

        for (token, account), index in ledgers.items():
            assert results[index] == model.balance(token, account), (
                f"ledger of {account} in {token}: {results[index]}, "
                f"model {model.balance(token, account)}"
            )
        for (token, account), index in records.items():
            expected = tuple(model.reputation.get((token, account), [0, 0, 0, 0]))
            assert tuple(results[index]) == expected, f"record of {account} in {token}"

        for task_id, task in model.tasks.items():
            chain = results[tasks[task_id]]
            (
                requester,
                deadline,
                slot_count,
                token,
                review,
                lease,
                fee_bps,
                cancelled,
                reclaimed,
                verifier,
                receipt_slots,
                open_slots,
                receipt_used,
                arbitrator,
                min_approved,
                min_bps,
                reward,
                escrow,
            ) = chain
            assert (to_checksum_address(requester), to_checksum_address(token)) == (
                task.requester,
                task.token,
            )
            assert (deadline, slot_count, review, lease, fee_bps) == (
                task.deadline,
                len(task.slots),
                task.review,
                task.lease,
                task.fee_bps,
            ), f"task {task_id}"
            assert (cancelled, reclaimed, receipt_slots, receipt_used, open_slots) == (
                task.cancelled,
                task.reclaimed,
                task.receipt_slots,
                task.receipt_used,
                task.open_slots,
            ), f"task {task_id} flags and counters"
            assert (to_checksum_address(verifier), to_checksum_address(arbitrator)) == (
                task.verifier,
                task.arbitrator,
            )
            assert (min_approved, min_bps, reward) == (task.min_approved, task.min_bps, task.reward)
            assert escrow == task.escrow, f"task {task_id} escrow {escrow}, model {task.escrow}"

            states = []
            for index in range(slot_count):
                state, worker, timestamp = results[slots[(task_id, index)]]
                expected_slot = task.slots[index]
                assert (SlotState.from_code(state), to_checksum_address(worker), timestamp) == (
                    task.visible_state(index),
                    expected_slot.worker,
                    expected_slot.timestamp,
                ), f"task {task_id} slot {index}"
                states.append(SlotState.from_code(state))

            # P5: escrow backs exactly the open, held and unused-receipt slots
            held = sum(state in LIVE for state in states)
            unused = 0 if reclaimed else receipt_slots - receipt_used
            per_slot = reward + fee_of(reward, fee_bps)
            assert escrow == per_slot * (open_slots + held + unused), (
                f"P5: task {task_id} holds {escrow}, backing {open_slots} open, {held} held, "
                f"{unused} unused receipt slots at {per_slot}"
            )
            claimable_open = sum(s == SlotState.OPEN for s in states[receipt_slots:])
            assert open_slots == (0 if cancelled else claimable_open), f"task {task_id} open"

            # P2: from the events alone
            assert self.spent[task_id] <= self.funded[task_id], f"P2: task {task_id} overpaid"
            assert escrow == self.funded[task_id] - self.spent[task_id], f"P2: task {task_id}"
        for key in self.paid.keys() | self.closed.keys():
            assert self.paid[key] + self.closed[key] <= 1, f"P2: slot {key} settled twice"

        # P3: silence pays; a stranger can finalize a submission left unreviewed, and
        # likewise whatever else time has decided (lapses, undisputed rejections,
        # unanswered disputes): nothing waits on anyone's goodwill
        due = [
            (task.task_id, index, task.slots[index].state)
            for task, index in self._all_slots()
            if model.due(now, task, index)
        ]
        if due:
            calls = Batch(self.w3, env.world.deployment.escrow)
            indexes = [calls.escrow_call("finalize", t, [i], sender=env.sink) for t, i, _ in due]
            outcomes = calls.run()
            for (task_id, index, state), i in zip(due, indexes, strict=True):
                assert not isinstance(outcomes[i], CallFailed), (
                    f"P3: slot {index} of task {task_id} ({state.name}) is due, yet a "
                    f"stranger cannot finalize it: {outcomes[i]}"
                )


@pytest.fixture
def escrow_env(
    anvil_process: AnvilProcess, deployment: Deployment, compiled: CompiledProject
) -> Iterator[Env]:
    """The shared deployment with deterministic time, restored afterwards. (Not
    ``anvil_w3``: each example takes and reverts its own snapshot.)"""
    # the escrow client asks for the chain id before every transaction, and requests looks
    # for proxy settings before every request: neither can change here, so skip both
    session = requests.Session()
    session.trust_env = False
    provider = Web3.HTTPProvider(
        anvil_process.url,
        session=session,
        cache_allowed_requests=True,
        cacheable_requests={RPCEndpoint("eth_chainId")},
    )
    w3 = Web3(provider)
    outer = snapshot(w3)
    w3.provider.make_request("anvil_setBlockTimestampInterval", [0])  # type: ignore[arg-type]
    try:
        yield Env.build(w3, deployment, compiled)
    finally:
        w3.provider.make_request("anvil_removeBlockTimestampInterval", [])  # type: ignore[arg-type]
        revert(w3, outer)


def test_escrow_keeps_its_properties_under_random_use(escrow_env: Env) -> None:
    COVERAGE.clear()
    machine = type("EscrowRun", (EscrowMachine,), {"env": escrow_env})
    run_state_machine_as_test(machine, settings=SETTINGS)
    # what the run exercised (shown with -s, or on failure)
    for key, count in sorted(COVERAGE.items()):
        print(*key, count)


def test_a_scripted_tour_meets_the_model_on_every_path(escrow_env: Env) -> None:
    """One fixed run through every path, checked like the random runs after each call: so
    every operation, window and settlement basis is exercised whatever hypothesis draws."""
    COVERAGE.clear()
    machine = type("EscrowTour", (EscrowMachine,), {"env": escrow_env})()
    env, check = escrow_env, machine.escrow_matches_the_model
    first, second = env.requesters
    workers = machine.workers
    try:
        check()

        def task(spec: dict[str, Any]) -> TaskModel:
            defaults = {
                "who": 0,
                "token": 0,
                "funding": "allowance",
                "reward": 3,
                "slots": 4,
                "receipt_slots": 0,
                "deadline": 1_000_000,
                "review": 3_600,
                "lease": 600,
                "verifier": True,
                "arbitrator": 0,
                "min_approved": 0,
                "min_bps": 0,
            }
            task_id = machine._create_from(defaults | spec)
            assert task_id is not None
            check()
            return machine.model.tasks[task_id]

        def ok(receipt: TxReceipt | None) -> None:
            assert receipt is not None
            check()

        eth = task({"receipt_slots": 2})
        usd = task({"who": 1, "funding": "permit", "slots": 2, "receipt_slots": 1})
        usdt = task({"token": 2, "slots": 2, "arbitrator": 2, "verifier": False})
        assert (
            machine._create_from(
                {
                    **dict.fromkeys(["who", "token", "reward"], 0),
                    "funding": "expired permit",
                    "slots": 1,
                    "receipt_slots": 0,
                    "deadline": 5_000,
                    "review": 300,
                    "lease": 120,
                    "verifier": False,
                    "arbitrator": 0,
                    "min_approved": 0,
                    "min_bps": 0,
                }
            )
            is None
        )
        now = machine.now()

        # ETH task: a presented receipt, a receipt slot approved without one, a claim
        # approved through a relayed signature (relayed twice), a rejection ruled unpaid
        receipt = machine._receipt(eth, 0, workers[0], env.verifier, now, now + 600)
        ok(machine._present([receipt], workers[4]))
        assert machine._present([receipt], workers[4]) is None  # no replay
        ok(machine._approve(eth, [(1, workers[1].address)], first))
        ok(machine._claim(eth, 2, workers[2]))
        ok(machine._submit(eth, 2, workers[2], RESULT))
        signed = machine._sign_approval(eth, [(2, workers[2].address)], env.verifier, now + 60)
        ok(machine._relay(signed, workers[2]))
        ok(machine._relay(signed, workers[3]))  # pays nobody twice
        ok(machine._claim(eth, 3, workers[3]))
        ok(machine._submit(eth, 3, workers[3], RESULT))
        ok(machine._reject(eth, [(3, workers[3].address)], env.verifier, REASON))
        ok(machine._dispute(eth, 3, workers[3], REASON))
        ok(machine._rule(eth, 3, env.arbitrators[0], False, REASON))

        # MockERC20 task (funded by permit): a dispute the arbitrator leaves unanswered,
        # and a receipt slot rejected directly whose rejection is never disputed
        ok(machine._claim(usd, 1, workers[0]))
        ok(machine._submit(usd, 1, workers[0], RESULT))
        ok(machine._reject(usd, [(1, workers[0].address), (0, workers[4].address)], second, REASON))
        ok(machine._dispute(usd, 1, workers[0], REASON))
        machine._wait_until(machine.now() + machine.model.dispute_window + 1)
        ok(machine._finalize(usd, [0, 1], workers[1]))  # closes the undisputed rejection
        machine._wait_until(
            machine.model.tasks[usd.task_id].slots[1].timestamp
            + machine.model.arbitration_timeout
            + 1
        )
        ok(machine._finalize(usd, [1], workers[1]))  # the unanswered dispute pays

        # NoReturnToken task: silence pays; a claim held through a cancel lapses to a refund
        ok(machine._claim(usdt, 0, workers[1]))
        ok(machine._submit(usdt, 0, workers[1], RESULT))
        ok(machine._claim(usdt, 1, workers[2]))
        ok(machine._cancel(usdt, env.requesters[0]))
        assert machine.model.tasks[usdt.task_id].cancelled
        machine._wait_until(machine.now() + usdt.lease + usdt.review + 1)
        ok(machine._finalize(usdt, [0, 1], workers[3]))  # silence, and the lapse refunds

        # the requester's side: slots added, deadline extended, a bonus, a win by arbitration
        # after the slot was rejected, then the unused receipt slot reclaimed
        ok(machine._add_slots(eth, 1, first))
        ok(machine._extend(eth, eth.deadline + 3_600, first))
        ok(machine._bonus(eth, workers[1], 12_345, first))
        eth = machine.model.tasks[eth.task_id]
        ok(machine._claim(eth, 4, workers[4]))
        ok(machine._submit(eth, 4, workers[4], RESULT))
        ok(machine._reject(eth, [(4, workers[4].address)], first, REASON))
        ok(machine._dispute(eth, 4, workers[4], REASON))
        ok(machine._rule(eth, 4, env.arbitrators[0], True, REASON))
        eth = machine.model.tasks[eth.task_id]
        machine._wait_until(eth.deadline + eth.review + 1)
        ok(machine._reclaim(eth, workers[0]))
        assert machine.model.tasks[eth.task_id].reclaimed

        # everyone withdraws: half to themselves, then the rest elsewhere, in every token
        for token in env.tokens:
            for account in machine.accounts():
                balance = machine.model.balance(token, account.address)
                if balance > 1:
                    ok(machine._withdraw(account, token, balance // 2, account.address))
                if balance:
                    left = machine.model.balance(token, account.address)
                    ok(machine._withdraw(account, token, left, env.sink))
        assert not any(machine.model.ledger.values())

        expected = {("paid", basis.name) for basis in ApprovalBasis} | {
            (label, "ok")
            for label in (
                "createTask",
                "createTaskWithPermit",
                "presentReceipts",
                "approve",
                "approveWithSignature",
                "claim",
                "submit",
                "reject",
                "dispute",
                "rule",
                "finalize",
                "cancel",
                "addSlots",
                "extendDeadline",
                "bonus",
                "reclaimReceiptSlots",
                "withdraw",
            )
        }
        assert expected <= set(COVERAGE), expected - set(COVERAGE)
    finally:
        machine.teardown()


def test_every_window_closes_after_its_last_second(escrow_env: Env) -> None:
    """Each window, walked to its last second and the one after, with the calls it decides
    (expected errors named here, not only by the model); then signers, holds and pause."""
    machine = type("EscrowEdges", (EscrowMachine,), {"env": escrow_env})()
    env, check = escrow_env, machine.escrow_matches_the_model
    requester, w = env.requesters[0], machine.workers

    def ok(receipt: TxReceipt | None) -> None:
        assert receipt is not None, machine.last_error
        check()

    def refused(receipt: TxReceipt | None, error: str) -> None:
        assert receipt is None
        assert machine.last_error == error
        check()

    def at(moment: int) -> None:
        machine._wait_until(moment)
        assert machine.now() == moment

    try:
        start = machine.now()
        task_id = machine._create(
            requester,
            TaskParams(
                manifest_cid=MANIFEST,
                reward=10**16,
                slots=5,
                receipt_slots=1,
                deadline=start + 5_000,
                review_period=3_600,
                lease=600,
                verifier=env.verifier.address,
            ),
            "allowance",
        )
        assert task_id is not None

        def task() -> TaskModel:
            return machine.model.tasks[task_id]

        t0 = machine.now()
        for slot, worker in ((1, w[0]), (2, w[1]), (3, w[2])):
            ok(machine._claim(task(), slot, worker))
        # lease: submit at its last second; a second later it has lapsed
        at(t0 + 600)
        ok(machine._submit(task(), 1, w[0], RESULT))
        refused(machine._finalize(task(), [2], w[4]), "NothingToFinalize")
        at(t0 + 601)
        refused(machine._submit(task(), 2, w[1], RESULT), "LeaseExpired")
        ok(machine._finalize(task(), [2], w[4]))  # the lapse
        ok(machine._claim(task(), 2, w[3]))
        ok(machine._submit(task(), 2, w[3], RESULT))
        ok(machine._claim(task(), 4, w[3]))  # submitting let go of the hold
        # review: rejectable and not yet due at its last second; then silence pays
        at(t0 + 600 + 3_600)
        refused(machine._finalize(task(), [1], w[4]), "NothingToFinalize")
        at(t0 + 600 + 3_601)
        refused(machine._reject(task(), [(1, w[0].address)], requester, REASON), "ReviewPeriodOver")
        ok(machine._finalize(task(), [1], w[4]))  # silence
        ok(machine._reject(task(), [(2, w[3].address)], env.verifier, REASON))  # its last second
        rejected_at = machine.now()
        # deadline: a lapsed claim is taken over at its last second; nothing after it
        at(start + 5_000)
        ok(machine._claim(task(), 3, w[4]))
        ok(machine._submit(task(), 3, w[4], RESULT))
        ok(machine._reject(task(), [(3, w[4].address)], requester, REASON))
        late = machine._receipt(task(), 0, w[1], env.verifier, start + 5_001, start + 9_999)
        at(start + 5_001)
        refused(machine._claim(task(), 4, w[0]), "TaskExpired")  # lapsed, but too late
        refused(machine._present([late], w[1]), "SubmittedAfterDeadline")
        # signatures: only the requester's or the verifier's count
        for signer in (w[1], env.arbitrators[0], env.owner, env.treasury):
            forged = machine._receipt(task(), 0, w[1], signer, start + 5_000, start + 9_999)
            refused(machine._present([forged], w[1]), "InvalidSignature")
            approval = machine._sign_approval(task(), [(0, w[1].address)], signer, start + 9_999)
            refused(machine._relay(approval, w[1]), "InvalidSignature")
        # receipt window: open at its last second, closed after it
        at(start + 5_000 + 3_600)
        refused(machine._reclaim(task(), w[4]), "ReceiptWindowOpen")
        ok(machine._approve(task(), [(0, w[1].address)], env.verifier))
        at(start + 5_000 + 3_601)
        ok(machine._reclaim(task(), w[4]))
        # dispute window: a dispute at its last second stands; a second late it is over
        at(rejected_at + machine.model.dispute_window)
        refused(machine._finalize(task(), [2], w[4]), "NothingToFinalize")
        ok(machine._dispute(task(), 2, w[3], REASON))
        disputed_at = machine.now()
        at(start + 5_000 + machine.model.dispute_window + 1)
        refused(machine._dispute(task(), 3, w[4], REASON), "DisputeWindowOver")
        ok(machine._finalize(task(), [3], w[4]))  # closed for good
        # arbitration timeout: unanswered at its last second; the worker wins after it
        at(disputed_at + machine.model.arbitration_timeout)
        refused(machine._finalize(task(), [2], w[4]), "NothingToFinalize")
        at(disputed_at + machine.model.arbitration_timeout + 1)
        ok(machine._finalize(task(), [2], w[4]))
        states = [slot.state for slot in task().slots]
        assert states == [
            SlotState.APPROVED,
            SlotState.APPROVED,
            SlotState.APPROVED,
            SlotState.CLOSED,
            SlotState.CLAIMED,
        ]

        # pause stops new tasks and claims, never settlement, refunds or withdrawals
        machine.operate(action="pause or unpause")
        refused(machine._claim(task(), 4, w[1]), "EnforcedPause")
        machine.operate(action="pause twice")
        assert machine.last_error == "EnforcedPause"
        ok(machine._release(task(), 4, w[3]))
        ok(machine._cancel(task(), requester))
        balance = machine.model.balance(ETH, w[3].address)
        ok(machine._withdraw(w[3], ETH, balance, env.sink))
        machine.operate(action="pause or unpause")
        assert not machine.model.paused
    finally:
        machine.teardown()
