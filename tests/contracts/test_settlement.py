"""Batch approval and rejection, silence pays, and where the money goes."""

from __future__ import annotations

import pytest

from microtask.chain.reverts import TransactionReverted
from microtask.escrow import ApprovalBasis, SlotState, fee_of, funding_of
from tests.world import FEE_BPS, REASON, REVIEW_PERIOD, REWARD, World

FEE = fee_of(REWARD, FEE_BPS)


def test_batch_approval_pays_workers_and_treasury(world: World) -> None:
    task_id = world.create(slots=3)
    workers = world.workers[:3]
    for slot, worker in enumerate(workers):
        world.submitted(task_id, slot, worker)
    receipt = world.escrow.approve(task_id, [(i, w.address) for i, w in enumerate(workers)])

    for slot, worker in enumerate(workers):
        assert world.escrow.balance(worker.address) == REWARD
        assert world.escrow.reputation(worker.address).approved == 1
        assert world.escrow.slot(task_id, slot).state == SlotState.APPROVED
    assert world.escrow.balance(world.treasury.address) == 3 * FEE
    assert world.escrow.task(task_id).escrow == 0
    [event] = world.events(receipt, "SlotsApproved")
    assert event["basis"] == ApprovalBasis.REVIEW.code
    assert event["slots"] == [0, 1, 2]
    assert event["workers"] == [w.address for w in workers]
    assert (event["reward"], event["fee"]) == (REWARD, FEE)


def test_token_task_pays_in_the_token(world: World) -> None:
    token = world.token.address
    task_id = world.create(token=token, reward=1_000_000, slots=1)
    worker = world.workers[0]
    world.submitted(task_id, 0, worker)
    world.escrow.approve(task_id, [(0, worker.address)])
    assert world.escrow.balance(worker.address, token) == 1_000_000
    assert world.escrow.balance(worker.address) == 0  # nothing in ETH


def test_verifier_may_approve_and_reject(world: World) -> None:
    task_id = world.create(slots=2)
    world.submitted(task_id, 0, world.workers[0])
    world.submitted(task_id, 1, world.workers[1])
    verifier = world.client(world.verifier)
    verifier.approve(task_id, [(0, world.workers[0].address)])
    verifier.reject(task_id, [(1, world.workers[1].address)], REASON)
    assert world.escrow.slot(task_id, 1).state == SlotState.REJECTED


def test_strangers_cannot_review(world: World) -> None:
    task_id = world.create(slots=1)
    world.submitted(task_id, 0, world.workers[0])
    for action, args in (
        ("approve", (task_id, [(0, world.workers[0].address)])),
        ("reject", (task_id, [(0, world.workers[0].address)], REASON)),
    ):
        with pytest.raises(TransactionReverted) as caught:
            getattr(world.client(world.workers[1]), action)(*args)
        assert caught.value.error == "NotReviewer"


def test_approval_names_the_worker_who_submitted(world: World) -> None:
    task_id = world.create(slots=1)
    world.submitted(task_id, 0, world.workers[0])
    with pytest.raises(TransactionReverted) as caught:
        world.escrow.approve(task_id, [(0, world.workers[1].address)])
    assert caught.value.error == "WorkerMismatch"
    assert caught.value.error_args["holder"] == world.workers[0].address


def test_only_submitted_work_can_be_approved(world: World) -> None:
    task_id = world.create(slots=2)
    world.client(world.workers[0]).claim(task_id, 0)
    for slot in (0, 1):  # claimed, and open
        with pytest.raises(TransactionReverted) as caught:
            world.escrow.approve(task_id, [(slot, world.workers[0].address)])
        assert caught.value.error == "InvalidSlotState"


def test_approving_twice_pays_once(world: World) -> None:
    task_id = world.create(slots=2)
    worker = world.workers[0]
    world.submitted(task_id, 0, worker)
    world.escrow.approve(task_id, [(0, worker.address)])
    receipt = world.escrow.approve(task_id, [(0, worker.address)])
    assert world.escrow.balance(worker.address) == REWARD
    assert world.events(receipt, "SlotsApproved") == []
    assert world.escrow.task(task_id).escrow == REWARD + FEE  # the other slot's


def test_malformed_batches(world: World) -> None:
    task_id = world.create(slots=1)
    contract = world.deployment.escrow.functions
    for call in (
        contract.approve(task_id, [0], [], False),
        contract.approve(task_id, [], [], False),
        contract.reject(task_id, [0, 0], [world.workers[0].address], REASON),
    ):
        with pytest.raises(TransactionReverted) as caught:
            world.escrow.sender.transact(call)
        assert caught.value.error == "InvalidBatch"


def test_rejection_needs_a_reason_and_the_review_period(world: World) -> None:
    task_id = world.create(slots=2)
    world.submitted(task_id, 0, world.workers[0])
    world.submitted(task_id, 1, world.workers[1])
    with pytest.raises(TransactionReverted) as empty:
        world.escrow.reject(task_id, [(0, world.workers[0].address)], b"")
    assert empty.value.error == "EmptyCid"
    receipt = world.escrow.reject(task_id, [(0, world.workers[0].address)], REASON)
    [event] = world.events(receipt, "SlotsRejected")
    assert (event["slots"], event["reasonCid"]) == ([0], REASON)
    world.advance(REVIEW_PERIOD + 1)
    with pytest.raises(TransactionReverted) as late:
        world.escrow.reject(task_id, [(1, world.workers[1].address)], REASON)
    assert late.value.error == "ReviewPeriodOver"


def test_silence_pays_by_anyones_call(world: World) -> None:
    task_id = world.create(slots=3)
    for slot in range(3):
        world.submitted(task_id, slot, world.workers[slot])
    stranger = world.client(world.workers[4])
    with pytest.raises(TransactionReverted) as early:
        stranger.finalize(task_id, [0, 1, 2])
    assert early.value.error == "NothingToFinalize"
    world.advance(REVIEW_PERIOD + 1)
    receipt = stranger.finalize(task_id, [0, 1, 2])
    [event] = world.events(receipt, "SlotsApproved")
    assert event["basis"] == ApprovalBasis.SILENCE.code
    assert event["slots"] == [0, 1, 2]
    for worker in world.workers[:3]:
        assert world.escrow.balance(worker.address) == REWARD
    assert world.escrow.balance(world.treasury.address) == 3 * FEE


def test_finalize_skips_slots_with_nothing_due(world: World) -> None:
    task_id = world.create(slots=3)
    world.submitted(task_id, 0, world.workers[0])
    world.advance(REVIEW_PERIOD + 1)
    world.submitted(task_id, 1, world.workers[1])  # still under review
    receipt = world.client(world.workers[4]).finalize(task_id, [0, 1, 2])
    [event] = world.events(receipt, "SlotsApproved")
    assert event["slots"] == [0]
    assert world.escrow.slot(task_id, 1).state == SlotState.SUBMITTED


def test_requester_may_change_their_mind_about_a_rejection(world: World) -> None:
    task_id = world.create(slots=1)
    worker = world.workers[0]
    world.submitted(task_id, 0, worker)
    world.escrow.reject(task_id, [(0, worker.address)], REASON)
    world.escrow.approve(task_id, [(0, worker.address)])
    assert world.escrow.balance(worker.address) == REWARD
    assert world.escrow.reputation(worker.address).rejected == 0


def test_escrow_accounts_for_every_wei(world: World) -> None:
    task_id = world.create(slots=4)
    for slot in range(3):
        world.submitted(task_id, slot, world.workers[slot])
    world.escrow.approve(task_id, [(0, world.workers[0].address), (1, world.workers[1].address)])
    assert world.escrow.task(task_id).escrow == funding_of(REWARD, 2, FEE_BPS)


def test_records_are_kept_per_payment_token(world: World) -> None:
    worker = world.workers[0]
    token_task = world.create(token=world.token.address, reward=1_000_000, slots=1)
    world.submitted(token_task, 0, worker)
    world.escrow.approve(token_task, [(0, worker.address)])
    assert world.escrow.reputation(worker.address, world.token.address).approved == 1
    assert world.escrow.reputation(worker.address).approved == 0  # the ETH record
    # a qualification reads the record of the task's own token
    eth_task = world.create(slots=1, min_approved=1)
    with pytest.raises(TransactionReverted) as caught:
        world.client(worker).claim(eth_task, 0)
    assert caught.value.error == "NotQualified"
    token_demanding = world.create(token=world.token.address, reward=1_000_000, min_approved=1)
    world.client(worker).claim(token_demanding, 0)
