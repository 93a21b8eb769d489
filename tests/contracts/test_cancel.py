"""Cancelling and refunds: nothing held or earned goes back to the requester (P5)."""

from __future__ import annotations

import pytest

from microtask.chain.reverts import TransactionReverted
from microtask.escrow import SlotState, fee_of
from tests.world import DISPUTE_WINDOW, FEE_BPS, LEASE, RESULT, REVIEW_PERIOD, REWARD, World

PER_SLOT = REWARD + fee_of(REWARD, FEE_BPS)


def test_cancel_refunds_unheld_slots_at_once(world: World) -> None:
    task_id = world.create(slots=5)
    world.client(world.workers[0]).claim(task_id, 0)
    world.submitted(task_id, 1, world.workers[1])
    tx = world.escrow.cancel(task_id)
    [event] = world.events(tx, "TaskCancelled")
    assert event["refunded"] == 3 * PER_SLOT
    assert world.escrow.balance(world.requester.address) == 3 * PER_SLOT
    task = world.escrow.task(task_id)
    assert task.cancelled
    assert task.escrow == 2 * PER_SLOT  # backing the claimed and the submitted slot
    assert task.open_slots == 0


def test_held_work_finishes_and_is_paid_after_a_cancel(world: World) -> None:
    task_id = world.create(slots=2)
    worker = world.workers[0]
    world.client(worker).claim(task_id, 0)
    world.escrow.cancel(task_id)
    world.client(worker).submit(task_id, 0, RESULT)  # the lease still holds
    world.advance(REVIEW_PERIOD + 1)
    world.client(worker).finalize(task_id, [0])
    assert world.escrow.balance(worker.address) == REWARD
    assert world.escrow.task(task_id).escrow == 0


def test_lapsed_or_released_claims_are_refunded_after_a_cancel(world: World) -> None:
    task_id = world.create(slots=3)
    world.client(world.workers[0]).claim(task_id, 0)
    world.client(world.workers[1]).claim(task_id, 1)
    world.escrow.cancel(task_id)
    world.client(world.workers[1]).release(task_id, 1)
    assert world.escrow.slot(task_id, 1).state == SlotState.CLOSED
    world.advance(LEASE + 1)
    world.client(world.workers[2]).finalize(task_id, [0])
    assert world.escrow.slot(task_id, 0).state == SlotState.CLOSED
    assert world.escrow.balance(world.requester.address) == 3 * PER_SLOT
    assert world.escrow.task(task_id).escrow == 0
    # lapses and releases are not rejections
    assert world.escrow.reputation(world.workers[0].address).rejected == 0


def test_receipt_slots_stay_funded_until_their_window_closes(world: World) -> None:
    task_id = world.create(slots=3, receipt_slots=2)
    world.escrow.cancel(task_id)
    assert world.escrow.task(task_id).escrow == 2 * PER_SLOT
    # work received before the cancel can still be settled
    world.client(world.verifier).approve(task_id, [(0, world.workers[0].address)])
    # they back receipts whose slot went elsewhere until a dispute window after receipts close
    world.advance(REVIEW_PERIOD + DISPUTE_WINDOW + 1)
    world.client(world.workers[4]).reclaim_receipt_slots(task_id)
    assert world.escrow.task(task_id).escrow == 0
    assert world.escrow.balance(world.requester.address) == 2 * PER_SLOT
    assert world.escrow.balance(world.workers[0].address) == REWARD


def test_cancelled_task_takes_no_new_work(world: World) -> None:
    task_id = world.create(slots=2)
    world.escrow.cancel(task_id)
    with pytest.raises(TransactionReverted) as claim:
        world.client(world.workers[0]).claim(task_id, 0)
    assert claim.value.error == "TaskIsCancelled"
    with pytest.raises(TransactionReverted) as again:
        world.escrow.cancel(task_id)
    assert again.value.error == "TaskIsCancelled"
    with pytest.raises(TransactionReverted) as extend:
        world.escrow.extend_deadline(task_id, world.now() + 10**6)
    assert extend.value.error == "TaskIsCancelled"


def test_only_the_requester_cancels(world: World) -> None:
    task_id = world.create()
    for account in (world.verifier, world.owner, world.workers[0]):
        with pytest.raises(TransactionReverted) as caught:
            world.client(account).cancel(task_id)
        assert caught.value.error == "NotRequester"


def test_an_expired_task_is_cancelled_to_recover_its_funds(world: World) -> None:
    task_id = world.create(slots=2, deadline=world.now() + 50)
    world.advance(100)
    world.escrow.cancel(task_id)
    assert world.escrow.balance(world.requester.address) == 2 * PER_SLOT


def test_bonus_credits_a_worker(world: World) -> None:
    task_id = world.create(slots=1)
    worker = world.workers[0].address
    tx = world.escrow.bonus(task_id, worker, 12345)
    assert world.escrow.balance(worker) == 12345
    [event] = world.events(tx, "BonusPaid")
    assert event["amount"] == 12345
    token_task = world.create(token=world.token.address, reward=10**6, slots=1)
    world.escrow.bonus(token_task, worker, 777)
    assert world.escrow.balance(worker, world.token.address) == 777
    with pytest.raises(TransactionReverted) as zero:
        world.escrow.bonus(task_id, worker, 0)
    assert zero.value.error == "ZeroAmount"
    with pytest.raises(TransactionReverted) as stranger:
        world.client(world.workers[1]).bonus(task_id, worker, 1)
    assert stranger.value.error == "NotRequester"


def test_refunded_slots_read_as_closed(world: World) -> None:
    task_id = world.create(slots=4, receipt_slots=2, deadline=world.now() + 100)
    world.client(world.workers[0]).claim(task_id, 2)
    world.escrow.cancel(task_id)
    assert world.escrow.slot(task_id, 3).state == SlotState.CLOSED  # refunded by the cancel
    assert world.escrow.slot(task_id, 2).state == SlotState.CLAIMED  # still held
    assert world.escrow.slot(task_id, 0).state == SlotState.OPEN  # receipts may still come
    world.advance(REVIEW_PERIOD + DISPUTE_WINDOW + 1)
    world.client(world.workers[4]).reclaim_receipt_slots(task_id)
    assert world.escrow.slot(task_id, 0).state == SlotState.CLOSED
