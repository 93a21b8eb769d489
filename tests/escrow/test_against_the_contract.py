"""The domain's rules against the real contract, on anvil: what a rule says, the contract does.

Each example walks one task through a random history (claims, submissions, rejections,
disputes, receipts, cancels, time jumping to a window's last second or just past it), and at
every point asks the contract, by static calls from the right parties, what it would accept
now: a claim, a submission, a rejection, a dispute, a receipt, a reclaim, a finalize. The
domain's answer must be the contract's, every time. (The state machine of
``tests/contracts/test_invariants.py`` checks the same rules through its model, among
everything else.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError
from web3.types import RPCEndpoint

from microtask.chain.devchain import advance_time, latest_timestamp, revert, snapshot
from microtask.chain.typed_data import Receipt
from microtask.escrow import (
    MAX_FEE_BPS,
    SlotState,
    claimable,
    dispute_end,
    equivocation_window_end,
    finalization,
    funding_of,
    is_open,
    review_end,
    window_end,
)
from tests.world import (
    ARBITRATION_TIMEOUT,
    DISPUTE_WINDOW,
    REASON,
    RESULT,
    World,
)

SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
RECEIPT_SLOT, SLOT = 0, 1
REVIEW, LEASE, DEADLINE = 300, 120, 2_000
ACTIONS = ["act"] * 5 + ["wait"] * 3 + ["cancel", "reclaim"]
STEPS = st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(-2, 2)), min_size=3, max_size=14)


class Chain:
    """The contract tests' world, named shortly in hypothesis's reports."""

    def __init__(self, world: World) -> None:
        self.world = world

    def __repr__(self) -> str:
        return "Chain(anvil)"


@pytest.fixture
def chain(world: World) -> Iterator[Chain]:
    """The world with deterministic time: every new block carries the latest block's
    timestamp, so a call runs at the very moment the static calls before it saw, and only
    the test moves time."""
    w3 = world.w3
    w3.provider.make_request(RPCEndpoint("anvil_setBlockTimestampInterval"), [0])
    try:
        yield Chain(world)
    finally:
        w3.provider.make_request(RPCEndpoint("anvil_removeBlockTimestampInterval"), [])


@contextmanager
def rolled_back(w3: Web3) -> Iterator[None]:
    """One hypothesis example, undone afterwards."""
    taken = snapshot(w3)
    try:
        yield
    finally:
        revert(w3, taken)


def accepted(call: ContractFunction, sender: str) -> bool:
    """Whether the contract would accept ``call`` from ``sender`` now (a static call)."""
    try:
        call.call({"from": sender})
    except ContractLogicError:
        return False
    return True


@given(
    reward=st.integers(1, 10**17),
    slots=st.integers(1, 1_000),
    fee_bps=st.integers(0, MAX_FEE_BPS),
)
@SETTINGS
def test_create_task_collects_exactly_the_funding(
    chain: Chain, reward: int, slots: int, fee_bps: int
) -> None:
    world = chain.world
    with rolled_back(world.w3):
        world.client(world.owner).set_fee(fee_bps)
        params = world.escrow.guarded(world.params(reward=reward, slots=slots)).as_abi()
        create = world.deployment.escrow.functions.createTask(params)
        funding = funding_of(reward, slots, fee_bps)
        sender = world.requester.address
        for value, ok in ((funding, True), (funding - 1, False), (funding + 1, False)):
            try:
                create.call({"from": sender, "value": value})
            except ContractLogicError:
                assert not ok, (reward, slots, fee_bps, value)
            else:
                assert ok, (reward, slots, fee_bps, value)


class Walk:
    """One task (a receipt slot, then a claimable one) and the people around it."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.escrow = world.deployment.escrow.functions
        self.holder, self.other, self.receipt_worker = world.workers[:3]
        self.presented = False
        self.task_id = world.create(
            slots=2,
            receipt_slots=1,
            review_period=REVIEW,
            lease=LEASE,
            deadline=world.now() + DEADLINE,
        )

    def now(self) -> int:
        return latest_timestamp(self.world.w3)

    def wait_until(self, moment: int) -> None:
        now = self.now()
        if moment > now:
            advance_time(self.world.w3, moment - now)

    def check(self) -> None:
        """Every rule the domain states, against what the contract accepts right now."""
        world, escrow, task_id = self.world, self.escrow, self.task_id
        now = self.now()
        task = world.escrow.task(task_id)
        view = world.escrow.slot(task_id, SLOT)
        state, since = view.state, view.timestamp
        stranger = world.workers[4].address

        can_claim = task.takes_claims(now) and claimable(state, since, now)
        assert can_claim == accepted(escrow.claim(task_id, SLOT), self.other.address), (state, now)

        due = finalization(
            state,
            since,
            now,
            review_period=REVIEW,
            dispute_window=DISPUTE_WINDOW,
            arbitration_timeout=ARBITRATION_TIMEOUT,
        )
        finalized = accepted(escrow.finalize(task_id, [SLOT]), stranger)
        assert (due is not None) == finalized, (state, since, now, due)

        if state is SlotState.CLAIMED:
            submit = escrow.submit(task_id, SLOT, RESULT)
            assert is_open(since, now) == accepted(submit, view.worker)
        if state is SlotState.SUBMITTED:
            reject = escrow.reject(task_id, [SLOT], [view.worker], REASON)
            assert is_open(review_end(since, REVIEW), now) == accepted(reject, task.requester)
        if state is SlotState.REJECTED:
            dispute = escrow.dispute(task_id, SLOT, REASON)
            assert is_open(dispute_end(since, DISPUTE_WINDOW), now) == accepted(
                dispute, view.worker
            )

        receipt = world.escrow.slot(task_id, RECEIPT_SLOT)
        if not self.presented:  # stored open: getSlot shows it closed once reclaimed
            assert receipt.state is task.slot_state(RECEIPT_SLOT, SlotState.OPEN)
        if receipt.state is SlotState.OPEN:
            signed = self.signed_receipt(min(now, task.deadline), now + 600)
            present = escrow.presentReceipts([signed[0].message()], [signed[1]])
            assert task.receipt_window_open(now) == accepted(present, stranger)
        reclaim = escrow.reclaimReceiptSlots(task_id)
        window_over = not is_open(
            equivocation_window_end(task.receipt_window_end, DISPUTE_WINDOW), now
        )
        assert (window_over and not task.receipt_slots_reclaimed) == accepted(reclaim, stranger)

        if not task.cancelled:
            shown = [world.escrow.slot(task_id, s).state for s in (RECEIPT_SLOT, SLOT)]
            assert task.available_slots == shown.count(SlotState.OPEN)

    def signed_receipt(self, submitted_at: int, expiry: int) -> tuple[Receipt, bytes]:
        receipt = Receipt(
            self.task_id, RECEIPT_SLOT, self.receipt_worker.address, bytes(32), submitted_at, expiry
        )
        return receipt, self.world.escrow.sign_receipt(receipt)

    def act(self) -> None:
        """The slot's next natural step, if the contract takes it now (else time's)."""
        world, task_id = self.world, self.task_id
        view = world.escrow.slot(task_id, SLOT)
        holder = world.client(self.holder)
        requester = world.escrow
        calls: dict[SlotState, Any] = {
            SlotState.OPEN: lambda: holder.claim(task_id, SLOT),
            SlotState.CLAIMED: lambda: holder.submit(task_id, SLOT, RESULT),
            SlotState.SUBMITTED: lambda: requester.reject(
                task_id, [(SLOT, self.holder.address)], REASON
            ),
            SlotState.REJECTED: lambda: holder.dispute(task_id, SLOT, REASON),
            SlotState.DISPUTED: lambda: world.client(world.arbitrator).rule(
                task_id, SLOT, False, REASON
            ),
        }
        if view.state.final:
            return
        due = finalization(
            view.state,
            view.timestamp,
            self.now(),
            review_period=REVIEW,
            dispute_window=DISPUTE_WINDOW,
            arbitration_timeout=ARBITRATION_TIMEOUT,
        )
        if due is not None:
            world.client(world.workers[4]).finalize(task_id, [SLOT])
        elif view.state is not SlotState.OPEN or world.escrow.task(task_id).takes_claims(
            self.now()
        ):
            calls[view.state]()
        if world.escrow.slot(task_id, RECEIPT_SLOT).state is SlotState.OPEN:
            task = world.escrow.task(task_id)
            if task.receipt_window_open(self.now()):
                signed = self.signed_receipt(min(self.now(), task.deadline), self.now() + 600)
                world.client(self.receipt_worker).present_receipts([signed])
                self.presented = True

    def jump(self, delta: int) -> None:
        """To the last second of the slot's window, or of the deadline, plus ``delta``."""
        view = self.world.escrow.slot(self.task_id, SLOT)
        end = window_end(
            view.state,
            view.timestamp,
            review_period=REVIEW,
            dispute_window=DISPUTE_WINDOW,
            arbitration_timeout=ARBITRATION_TIMEOUT,
        )
        if end is None:
            task = self.world.escrow.task(self.task_id)
            end = task.deadline if view.state is SlotState.OPEN else task.receipt_window_end
        self.wait_until(end + delta)


@given(steps=STEPS)
@SETTINGS
def test_the_rules_say_what_the_contract_accepts_through_a_slots_life(
    chain: Chain, steps: list[tuple[str, int]]
) -> None:
    world = chain.world
    with rolled_back(world.w3):
        walk = Walk(world)
        walk.check()
        for action, delta in steps:
            if action == "act":
                walk.act()
            elif action == "wait":
                walk.jump(delta)
            elif action == "reclaim":
                end = world.escrow.task(walk.task_id).receipt_window_end
                walk.wait_until(equivocation_window_end(end, DISPUTE_WINDOW) + 1 + delta)
                reclaim = world.deployment.escrow.functions.reclaimReceiptSlots(walk.task_id)
                if accepted(reclaim, world.owner.address):
                    world.client(world.owner).reclaim_receipt_slots(walk.task_id)
            elif not world.escrow.task(walk.task_id).cancelled:
                world.escrow.cancel(walk.task_id)
            walk.check()
