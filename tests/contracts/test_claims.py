"""Claiming, releasing and submitting slots on chain."""

from __future__ import annotations

import pytest
from eth_account.signers.local import LocalAccount
from web3.exceptions import Web3RPCError

from microtask.chain.reverts import TransactionReverted
from microtask.escrow import SlotState
from tests.world import LEASE, RESULT, World


def reverted(
    world: World, account: LocalAccount, action: str, *args: object
) -> TransactionReverted:
    with pytest.raises(TransactionReverted) as caught:
        getattr(world.client(account), action)(*args)
    return caught.value


def test_claim_holds_the_slot_for_the_lease(world: World) -> None:
    task_id = world.create(slots=2)
    worker = world.workers[0]
    receipt = world.client(worker).claim(task_id, 1)
    slot = world.escrow.slot(task_id, 1)
    block_time = world.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert slot.state == SlotState.CLAIMED
    assert slot.worker == worker.address
    assert slot.timestamp == block_time + LEASE
    assert world.escrow.task(task_id).open_slots == 1
    [event] = world.events(receipt, "SlotClaimed")
    assert event["leaseEnd"] == block_time + LEASE


def test_submit_before_the_lease_ends(world: World) -> None:
    task_id = world.create(slots=1)
    worker = world.workers[0]
    world.client(worker).claim(task_id, 0)
    receipt = world.client(worker).submit(task_id, 0, RESULT)
    slot = world.escrow.slot(task_id, 0)
    assert slot.state == SlotState.SUBMITTED
    assert slot.timestamp == world.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    [event] = world.events(receipt, "WorkSubmitted")
    assert event["resultCid"] == RESULT


def test_one_open_slot_per_worker_per_task(world: World) -> None:
    task_id = world.create(slots=3)
    worker = world.workers[0]
    world.client(worker).claim(task_id, 0)
    assert reverted(world, worker, "claim", task_id, 1).error == "AlreadyHoldsSlot"
    world.client(worker).submit(task_id, 0, RESULT)
    world.client(worker).claim(task_id, 1)  # after submitting, another slot is fine


def test_a_held_slot_cannot_be_claimed_again(world: World) -> None:
    task_id = world.create(slots=2)
    world.client(world.workers[0]).claim(task_id, 0)
    error = reverted(world, world.workers[1], "claim", task_id, 0)
    assert error.error == "InvalidSlotState"
    assert error.error_args["state"] == SlotState.CLAIMED.code


def test_slot_index_rules(world: World) -> None:
    task_id = world.create(slots=3, receipt_slots=1)
    worker = world.workers[0]
    assert reverted(world, worker, "claim", task_id, 3).error == "SlotOutOfRange"
    assert reverted(world, worker, "claim", task_id, 0).error == "SlotReservedForReceipts"


@pytest.mark.parametrize("party", ["requester", "verifier", "arbitrator"])
def test_task_parties_cannot_work_on_it(world: World, party: str) -> None:
    task_id = world.create()
    assert (
        reverted(world, getattr(world, party), "claim", task_id, 0).error == "TaskPartyCannotWork"
    )


def test_qualification_thresholds(world: World) -> None:
    seasoned, newcomer = world.workers[0], world.workers[1]
    warmup = world.create(slots=2)
    world.submitted(warmup, 0, seasoned)
    world.escrow.approve(warmup, [(0, seasoned.address)])

    demanding = world.create(slots=2, min_approved=1)
    world.client(seasoned).claim(demanding, 0)
    error = reverted(world, newcomer, "claim", demanding, 1)
    assert error.error == "NotQualified"
    assert error.error_args == {
        "taskId": demanding,
        "worker": newcomer.address,
        "approved": 0,
        "rejected": 0,
    }


def test_approval_rate_threshold(world: World) -> None:
    worker = world.workers[0]
    history = world.create(slots=2)
    world.submitted(history, 0, worker)
    world.submitted(history, 1, world.workers[1])
    world.escrow.approve(history, [(0, worker.address)])
    # one approved, then one rejected for good: a 50% record
    second = world.create(slots=1)
    world.submitted(second, 0, worker)
    world.escrow.reject(second, [(0, worker.address)], b"reason")
    world.advance(24 * 3600 + 1)
    world.client(world.workers[4]).finalize(second, [0])
    assert world.escrow.reputation(worker.address).rejected == 1

    picky = world.create(slots=2, min_approval_bps=6000)
    assert reverted(world, worker, "claim", picky, 0).error == "NotQualified"
    lenient = world.create(slots=2, min_approval_bps=5000)
    world.client(worker).claim(lenient, 0)
    # a worker without any history passes a rate threshold
    world.client(world.workers[2]).claim(picky, 0)


def test_claims_stop_at_the_deadline_but_leases_run_on(world: World) -> None:
    task_id = world.create(slots=2, deadline=world.now() + 100)
    worker = world.workers[0]
    world.client(worker).claim(task_id, 0)
    world.advance(150)
    assert reverted(world, world.workers[1], "claim", task_id, 1).error == "TaskExpired"
    world.client(worker).submit(task_id, 0, RESULT)  # the lease granted before still holds


def test_late_submission_is_refused(world: World) -> None:
    task_id = world.create(slots=1)
    worker = world.workers[0]
    world.client(worker).claim(task_id, 0)
    world.advance(LEASE + 1)
    error = reverted(world, worker, "submit", task_id, 0, RESULT)
    assert error.error == "LeaseExpired"


def test_submit_needs_the_holder_and_a_cid(world: World) -> None:
    task_id = world.create(slots=1)
    world.client(world.workers[0]).claim(task_id, 0)
    assert reverted(world, world.workers[1], "submit", task_id, 0, RESULT).error == "NotSlotWorker"
    assert reverted(world, world.workers[0], "submit", task_id, 0, b"").error == "EmptyCid"
    assert (
        reverted(world, world.workers[0], "submit", task_id, 1, RESULT).error == "InvalidSlotState"
    )


def test_release_reopens_the_slot(world: World) -> None:
    task_id = world.create(slots=1)
    worker = world.workers[0]
    world.client(worker).claim(task_id, 0)
    assert reverted(world, world.workers[1], "release", task_id, 0).error == "NotSlotWorker"
    receipt = world.client(worker).release(task_id, 0)
    assert world.escrow.slot(task_id, 0).state == SlotState.OPEN
    assert world.escrow.task(task_id).open_slots == 1
    [event] = world.events(receipt, "SlotFreed")
    assert event["lapsed"] is False
    world.client(world.workers[1]).claim(task_id, 0)


def test_lapsed_lease_is_freed_by_anyone(world: World) -> None:
    task_id = world.create(slots=1)
    first = world.workers[0]
    world.client(first).claim(task_id, 0)
    world.advance(LEASE + 1)
    receipt = world.client(world.workers[4]).finalize(task_id, [0])
    [event] = world.events(receipt, "SlotFreed")
    assert event["lapsed"] is True
    assert world.escrow.slot(task_id, 0).state == SlotState.OPEN
    world.client(first).claim(task_id, 0)  # the lapsed worker no longer counts as holding one


def test_claiming_a_lapsed_slot_frees_it_on_the_way(world: World) -> None:
    task_id = world.create(slots=1)
    world.client(world.workers[0]).claim(task_id, 0)
    world.advance(LEASE + 1)
    receipt = world.client(world.workers[1]).claim(task_id, 0)
    freed = world.events(receipt, "SlotFreed")
    assert [e["worker"] for e in freed] == [world.workers[0].address]
    assert world.escrow.slot(task_id, 0).worker == world.workers[1].address
    assert world.escrow.task(task_id).open_slots == 0


def test_paused_escrow_refuses_claims_but_not_submissions(world: World) -> None:
    task_id = world.create(slots=2)
    world.client(world.workers[0]).claim(task_id, 0)
    world.client(world.owner).pause()
    assert reverted(world, world.workers[1], "claim", task_id, 1).error == "EnforcedPause"
    world.client(world.workers[0]).submit(task_id, 0, RESULT)


def test_slots_are_read_in_one_batch_as_getslot_reads_each(world: World) -> None:
    from microtask.chain import escrow as escrow_module

    task_id = world.create(slots=5)
    world.client(world.workers[0]).claim(task_id, 1)
    world.client(world.workers[1]).claim(task_id, 3)
    wanted = [4, 3, 1, 0, 3]  # any order, repeats allowed
    one_by_one = [world.escrow.slot(task_id, slot) for slot in wanted]
    assert world.escrow._batches  # anvil takes JSON-RPC batches
    assert world.escrow.slots(task_id, wanted) == one_by_one
    assert [view.worker for view in one_by_one[1:3]] == [
        world.workers[1].address,
        world.workers[0].address,
    ]
    original = escrow_module.SLOTS_PER_BATCH
    escrow_module.SLOTS_PER_BATCH = 2  # several batches, in order
    try:
        assert world.escrow.slots(task_id, wanted) == one_by_one
    finally:
        escrow_module.SLOTS_PER_BATCH = original
    assert world.escrow.slots(task_id, []) == []
    with pytest.raises(Web3RPCError, match="getSlot"):  # a slot the task does not have
        world.escrow.slots(task_id, [0, 5])
