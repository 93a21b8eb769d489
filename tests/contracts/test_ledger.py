"""The ledger: balances per token and account, withdrawn whenever and wherever."""

from __future__ import annotations

import pytest

from microtask.chain.reverts import TransactionReverted
from microtask.escrow import fee_of
from tests.world import FEE_BPS, REWARD, World


def paid(world: World, **overrides: object) -> str:
    task_id = world.create(slots=1, **overrides)
    worker = world.workers[0]
    world.submitted(task_id, 0, worker)
    world.escrow.approve(task_id, [(0, worker.address)])
    return worker.address


def test_withdraw_part_then_the_rest_to_another_address(world: World) -> None:
    worker = paid(world)
    client = world.client(world.workers[0])
    destination = world.workers[4].address
    before = world.eth_balance(destination)
    tx = client.withdraw(REWARD // 4, destination)
    assert world.eth_balance(destination) - before == REWARD // 4
    assert world.escrow.balance(worker) == REWARD - REWARD // 4
    [event] = world.events(tx, "Withdrawn")
    assert (event["account"], event["to"], event["amount"]) == (worker, destination, REWARD // 4)
    client.withdraw(REWARD - REWARD // 4, destination)
    assert world.escrow.balance(worker) == 0


def test_withdraw_tokens(world: World) -> None:
    token = world.token
    worker = paid(world, token=token.address, reward=2_000_000)
    world.client(world.workers[0]).withdraw(2_000_000, token=token.address)
    assert world.token_balance(token, worker) == 2_000_000


def test_treasury_withdraws_fees(world: World) -> None:
    paid(world)
    fee = fee_of(REWARD, FEE_BPS)
    destination = world.workers[4].address
    before = world.eth_balance(destination)
    world.client(world.treasury).withdraw(fee, destination)
    assert world.escrow.balance(world.treasury.address) == 0
    assert world.eth_balance(destination) - before == fee


def test_withdraw_refusals(world: World) -> None:
    worker = paid(world)
    client = world.client(world.workers[0])
    with pytest.raises(TransactionReverted) as too_much:
        client.withdraw(REWARD + 1)
    assert too_much.value.error == "InsufficientBalance"
    assert too_much.value.error_args["balance"] == REWARD
    with pytest.raises(TransactionReverted) as zero:
        client.withdraw(0)
    assert zero.value.error == "ZeroAmount"
    with pytest.raises(TransactionReverted) as nowhere:
        client.withdraw(1, "0x" + "00" * 20)
    assert nowhere.value.error == "ZeroAddress"
    assert world.escrow.balance(worker) == REWARD


def test_withdrawals_work_while_paused(world: World) -> None:
    paid(world)
    world.client(world.owner).pause()
    world.client(world.workers[0]).withdraw(REWARD)
    assert world.escrow.balance(world.workers[0].address) == 0
