"""Rejections, disputes, rulings and their timeouts (docs/architecture.md, P4)."""

from __future__ import annotations

import pytest

from microtask.chain.reverts import TransactionReverted
from microtask.escrow import ApprovalBasis, Reputation, SlotState, fee_of
from tests.world import (
    ARBITRATION_TIMEOUT,
    DISPUTE_WINDOW,
    FEE_BPS,
    REASON,
    REWARD,
    World,
)

PER_SLOT = REWARD + fee_of(REWARD, FEE_BPS)


def rejected(world: World) -> tuple[int, str]:
    task_id = world.create(slots=1)
    worker = world.workers[0]
    world.submitted(task_id, 0, worker)
    world.escrow.reject(task_id, [(0, worker.address)], REASON)
    return task_id, worker.address


def test_worker_disputes_within_the_window(world: World) -> None:
    task_id, _ = rejected(world)
    receipt = world.client(world.workers[0]).dispute(task_id, 0, REASON)
    assert world.escrow.slot(task_id, 0).state == SlotState.DISPUTED
    [event] = world.events(receipt, "DisputeOpened")
    assert event["reasonCid"] == REASON


def test_dispute_rules(world: World) -> None:
    task_id, _ = rejected(world)
    with pytest.raises(TransactionReverted) as stranger:
        world.client(world.workers[1]).dispute(task_id, 0, REASON)
    assert stranger.value.error == "NotSlotWorker"
    with pytest.raises(TransactionReverted) as empty:
        world.client(world.workers[0]).dispute(task_id, 0, b"")
    assert empty.value.error == "EmptyCid"
    world.advance(DISPUTE_WINDOW + 1)
    with pytest.raises(TransactionReverted) as late:
        world.client(world.workers[0]).dispute(task_id, 0, REASON)
    assert late.value.error == "DisputeWindowOver"


def test_arbitrator_rules_for_the_worker(world: World) -> None:
    task_id, worker = rejected(world)
    world.client(world.workers[0]).dispute(task_id, 0, REASON)
    receipt = world.client(world.arbitrator).rule(task_id, 0, True)
    assert world.escrow.balance(worker) == REWARD
    assert world.escrow.reputation(worker) == Reputation(1, 0, 1, 0)
    [ruled] = world.events(receipt, "DisputeRuled")
    assert ruled["paid"] is True
    [approved] = world.events(receipt, "SlotsApproved")
    assert approved["basis"] == ApprovalBasis.ARBITRATION.code


def test_arbitrator_upholds_the_rejection(world: World) -> None:
    task_id, worker = rejected(world)
    world.client(world.workers[0]).dispute(task_id, 0, REASON)
    arbitrator = world.client(world.arbitrator)
    with pytest.raises(TransactionReverted) as reasonless:
        arbitrator.rule(task_id, 0, False)
    assert reasonless.value.error == "EmptyCid"
    receipt = arbitrator.rule(task_id, 0, False, REASON)
    assert world.escrow.balance(worker) == 0
    assert world.escrow.balance(world.requester.address) == PER_SLOT
    assert world.escrow.reputation(worker) == Reputation(0, 1, 0, 1)
    assert world.escrow.slot(task_id, 0).state == SlotState.CLOSED
    [closed] = world.events(receipt, "SlotClosed")
    assert closed["refunded"] == PER_SLOT


def test_only_the_arbitrator_rules_and_only_on_disputes(world: World) -> None:
    task_id, _ = rejected(world)
    arbitrator = world.client(world.arbitrator)
    with pytest.raises(TransactionReverted) as undisputed:
        arbitrator.rule(task_id, 0, True)
    assert undisputed.value.error == "InvalidSlotState"
    world.client(world.workers[0]).dispute(task_id, 0, REASON)
    for party in (world.requester, world.owner, world.workers[0]):
        with pytest.raises(TransactionReverted) as caught:
            world.client(party).rule(task_id, 0, True)
        assert caught.value.error == "NotArbitrator"


def test_unanswered_dispute_pays_the_worker(world: World) -> None:
    task_id, worker = rejected(world)
    world.client(world.workers[0]).dispute(task_id, 0, REASON)
    anyone = world.client(world.workers[3])
    with pytest.raises(TransactionReverted):
        anyone.finalize(task_id, [0])
    world.advance(ARBITRATION_TIMEOUT + 1)
    receipt = anyone.finalize(task_id, [0])
    [event] = world.events(receipt, "SlotsApproved")
    assert event["basis"] == ApprovalBasis.ARBITRATION_TIMEOUT.code
    assert world.escrow.balance(worker) == REWARD
    assert world.escrow.reputation(worker) == Reputation(1, 0, 1, 0)


def test_undisputed_rejection_closes_after_the_window(world: World) -> None:
    task_id, worker = rejected(world)
    world.advance(DISPUTE_WINDOW + 1)
    world.client(world.workers[3]).finalize(task_id, [0])
    assert world.escrow.balance(world.requester.address) == PER_SLOT
    assert world.escrow.reputation(worker) == Reputation(0, 1, 0, 0)
    assert world.escrow.task(task_id).escrow == 0


def test_requester_may_concede_a_dispute(world: World) -> None:
    task_id, worker = rejected(world)
    world.client(world.workers[0]).dispute(task_id, 0, REASON)
    world.escrow.approve(task_id, [(0, worker)])
    assert world.escrow.balance(worker) == REWARD
    assert world.escrow.reputation(worker).disputes_won == 1
