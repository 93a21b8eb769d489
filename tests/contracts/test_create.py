"""Creating and funding tasks, adding slots, extending deadlines."""

from __future__ import annotations

import pytest

from microtask.chain.reverts import TransactionReverted
from microtask.escrow import ETH, MAX_SLOTS, SlotState, fee_of, funding_of
from tests.world import FEE_BPS, MANIFEST, REWARD, TOKEN_REWARD, World


def test_eth_task_escrows_reward_and_fee(world: World) -> None:
    before = world.eth_balance(world.deployment.escrow.address)
    task_id, receipt = world.escrow.create_task(world.params(slots=4))
    task = world.escrow.task(task_id)
    expected = funding_of(REWARD, 4, FEE_BPS)
    assert expected == 4 * (REWARD + REWARD * 250 // 10_000)
    assert task.escrow == expected
    assert world.eth_balance(world.deployment.escrow.address) - before == expected
    assert task.requester == world.requester.address
    assert task.fee_bps == FEE_BPS
    assert task.open_slots == 4
    assert task.arbitrator == world.arbitrator.address  # the default, as none was given
    [event] = world.events(receipt, "TaskCreated")
    assert event["manifestCid"] == MANIFEST
    assert event["token"] == ETH
    assert event["task"]["escrow"] == expected
    assert world.escrow.slot(task_id, 3).state == SlotState.OPEN


def test_erc20_task_pulls_exactly_the_funding(world: World) -> None:
    token = world.token
    before = world.token_balance(token, world.requester.address)
    task_id = world.create(token=token.address, reward=TOKEN_REWARD, slots=5)
    expected = funding_of(TOKEN_REWARD, 5, FEE_BPS)
    assert world.token_balance(token, world.requester.address) == before - expected
    assert world.token_balance(token, world.deployment.escrow.address) == expected
    assert world.escrow.task(task_id).escrow == expected


def test_permit_funds_a_task_in_one_transaction(world: World) -> None:
    token = world.token
    assert token.functions.allowance(world.requester.address, world.escrow.address).call() == 0
    params = world.params(token=token.address, reward=TOKEN_REWARD, slots=2)
    height = world.w3.eth.block_number
    task_id, _ = world.escrow.create_task_with_permit(params, world.now() + 3600)
    assert world.w3.eth.block_number == height + 1  # no separate approve
    assert world.escrow.task(task_id).escrow == funding_of(TOKEN_REWARD, 2, FEE_BPS)


def test_explicit_arbitrator_and_qualifications_are_stored(world: World) -> None:
    task_id = world.create(
        arbitrator=world.workers[4].address, min_approved=3, min_approval_bps=9000, receipt_slots=1
    )
    task = world.escrow.task(task_id)
    assert task.arbitrator == world.workers[4].address
    assert (task.min_approved, task.min_approval_bps) == (3, 9000)
    assert (task.receipt_slots, task.open_slots) == (1, 2)


def test_fee_is_snapshotted_at_creation(world: World) -> None:
    task_id = world.create(slots=1)
    world.client(world.owner).set_fee(1000)
    later = world.create(slots=1)
    assert world.escrow.task(task_id).fee_bps == FEE_BPS
    assert world.escrow.task(later).fee_bps == 1000


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"manifest_cid": b""}, "EmptyManifest"),
        ({"reward": 0}, "InvalidReward"),
        ({"slots": 0}, "InvalidSlotCount"),
        ({"slots": 1_000_001}, "InvalidSlotCount"),
        ({"slots": 2, "receipt_slots": 3}, "InvalidSlotCount"),
        ({"review_period": 0}, "InvalidPeriod"),
        ({"lease": 0}, "InvalidPeriod"),
        ({"lease": 366 * 24 * 3600}, "InvalidPeriod"),
        ({"min_approval_bps": 10_001}, "InvalidApprovalRate"),
    ],
)
def test_invalid_parameters_are_refused(
    world: World, overrides: dict[str, object], error: str
) -> None:
    params = world.params(**overrides)
    with pytest.raises(TransactionReverted) as caught:
        world.escrow.sender.transact(
            world.deployment.escrow.functions.createTask(world.escrow.guarded(params).as_abi()),
            value=0,
        )
    assert caught.value.error == error


def test_a_token_must_be_a_contract(world: World) -> None:
    params = world.params(token=world.workers[0].address, reward=TOKEN_REWARD)
    with pytest.raises(TransactionReverted) as caught:
        world.escrow.create_task(params, approve_token=False)
    assert caught.value.error == "TokenNotAContract"


def test_permits_are_for_token_tasks(world: World) -> None:
    call = world.deployment.escrow.functions.createTaskWithPermit(
        world.escrow.guarded(world.params()).as_abi(), world.now() + 3600, 27, bytes(32), bytes(32)
    )
    with pytest.raises(TransactionReverted) as caught:
        world.escrow.sender.transact(call)
    assert caught.value.error == "PermitForEthTask"


def test_past_deadline_is_refused(world: World) -> None:
    with pytest.raises(TransactionReverted) as caught:
        world.create(deadline=world.now() - 1)
    assert caught.value.error == "InvalidDeadline"


def test_wrong_eth_amount_is_refused(world: World) -> None:
    params = world.escrow.guarded(world.params(slots=2))
    call = world.deployment.escrow.functions.createTask(params.as_abi())
    with pytest.raises(TransactionReverted) as caught:
        world.escrow.sender.transact(call, value=2 * REWARD)  # forgot the fee
    assert caught.value.error == "WrongPayment"
    assert caught.value.error_args == {
        "expected": funding_of(REWARD, 2, FEE_BPS),
        "received": 2 * REWARD,
    }


def test_eth_sent_with_a_token_task_is_refused(world: World) -> None:
    params = world.params(token=world.token.address, reward=TOKEN_REWARD)
    world.escrow.create_task(params)  # sets the allowance
    call = world.deployment.escrow.functions.createTask(world.escrow.guarded(params).as_abi())
    with pytest.raises(TransactionReverted) as caught:
        world.escrow.sender.transact(call, value=1)
    assert caught.value.error == "WrongPayment"


def test_missing_allowance_reads_as_the_tokens_error(world: World) -> None:
    params = world.params(token=world.token.address, reward=TOKEN_REWARD)
    with pytest.raises(TransactionReverted) as caught:
        world.escrow.create_task(params, approve_token=False)
    assert caught.value.error == "ERC20InsufficientAllowance"


def test_paused_escrow_refuses_new_tasks(world: World) -> None:
    world.client(world.owner).pause()
    with pytest.raises(TransactionReverted) as caught:
        world.create()
    assert caught.value.error == "EnforcedPause"


def test_add_slots_funds_and_opens_them(world: World) -> None:
    task_id = world.create(slots=2)
    world.escrow.add_slots(task_id, 3)
    task = world.escrow.task(task_id)
    assert (task.slot_count, task.open_slots) == (5, 5)
    assert task.escrow == funding_of(REWARD, 5, FEE_BPS)
    token_task = world.create(token=world.token.address, reward=TOKEN_REWARD, slots=1)
    world.escrow.add_slots(token_task, 2)
    assert world.escrow.task(token_task).escrow == funding_of(TOKEN_REWARD, 3, FEE_BPS)


def test_add_slots_is_for_the_requester_of_a_live_task(world: World) -> None:
    task_id = world.create(slots=1)
    with pytest.raises(TransactionReverted) as stranger:
        world.client(world.workers[0]).add_slots(task_id, 1)
    assert stranger.value.error == "NotRequester"
    with pytest.raises(TransactionReverted) as none:
        world.escrow.add_slots(task_id, 0)
    assert (none.value.error, none.value.error_args) == (
        "InvalidSlotsAdded",
        {"taskId": task_id, "added": 0, "slotCount": 1},
    )
    cheap = world.create(slots=1, reward=1)  # so funding a million slots is affordable
    with pytest.raises(TransactionReverted) as too_many:
        world.escrow.add_slots(cheap, MAX_SLOTS)
    assert (too_many.value.error, too_many.value.error_args) == (
        "InvalidSlotsAdded",
        {"taskId": cheap, "added": MAX_SLOTS, "slotCount": MAX_SLOTS + 1},
    )
    world.escrow.cancel(task_id)
    with pytest.raises(TransactionReverted) as cancelled:
        world.escrow.add_slots(task_id, 1)
    assert cancelled.value.error == "TaskIsCancelled"


def test_extend_deadline_only_later(world: World) -> None:
    task_id = world.create()
    deadline = world.escrow.task(task_id).deadline
    world.escrow.extend_deadline(task_id, deadline + 10)
    assert world.escrow.task(task_id).deadline == deadline + 10
    with pytest.raises(TransactionReverted) as caught:
        world.escrow.extend_deadline(task_id, deadline)
    assert caught.value.error == "DeadlineNotLater"
    with pytest.raises(TransactionReverted) as stranger:
        world.client(world.workers[0]).extend_deadline(task_id, deadline + 100)
    assert stranger.value.error == "NotRequester"


def test_unknown_task(world: World) -> None:
    with pytest.raises(TransactionReverted) as caught:
        world.escrow.claim(999, 0)
    assert caught.value.error == "TaskNotFound"
    assert caught.value.error_args == {"taskId": 999}


def test_fee_rounds_up_so_a_fee_set_is_never_zero(world: World) -> None:
    assert fee_of(REWARD, FEE_BPS) == REWARD // 40
    assert fee_of(39, 250) == 1  # 0.975 of a unit: once zero, now one
    assert funding_of(39, 10, 250) == 400
    assert world.escrow.fee_for(ETH, 39) == 1
    task_id = world.create(reward=39, slots=10)
    assert world.escrow.task(task_id).fee == 1
    assert world.escrow.task(task_id).escrow == 400
    world.client(world.owner).set_fee(0)
    assert world.escrow.fee_for(ETH, 39) == 0  # no rate, no minimum: no fee
