"""The owner's controls, and what pausing must never stop (P6, P7)."""

from __future__ import annotations

import pytest

from microtask.chain.reverts import TransactionReverted
from microtask.escrow import MAX_PERIOD
from tests.world import REASON, REVIEW_PERIOD, World


def test_fee_is_capped_at_ten_percent(world: World) -> None:
    owner = world.client(world.owner)
    tx = owner.set_fee(1000)
    [event] = world.events(tx, "FeeChanged")
    assert event["current"] == 1000
    with pytest.raises(TransactionReverted) as caught:
        owner.set_fee(1001)
    assert caught.value.error == "FeeTooHigh"
    assert caught.value.error_args == {"feeBps": 1001, "maxFeeBps": 1000}


def test_treasury_and_default_arbitrator(world: World) -> None:
    owner = world.client(world.owner)
    owner.set_treasury(world.workers[0].address)
    assert owner.treasury() == world.workers[0].address
    with pytest.raises(TransactionReverted) as caught:
        owner.set_treasury("0x" + "00" * 20)
    assert caught.value.error == "ZeroAddress"
    owner.set_default_arbitrator(world.workers[1].address)
    assert world.escrow.task(world.create()).arbitrator == world.workers[1].address


def test_only_the_owner_operates(world: World) -> None:
    stranger = world.client(world.requester)
    for action, args in (
        ("set_fee", (0,)),
        ("set_treasury", (world.requester.address,)),
        ("set_default_arbitrator", (world.requester.address,)),
        ("pause", ()),
        ("unpause", ()),
    ):
        with pytest.raises(TransactionReverted) as caught:
            getattr(stranger, action)(*args)
        assert caught.value.error == "OwnableUnauthorizedAccount"


def test_ownership_moves_in_two_steps(world: World) -> None:
    escrow = world.deployment.escrow
    new_owner = world.workers[0]
    world.client(world.owner).sender.transact(escrow.functions.transferOwnership(new_owner.address))
    assert escrow.functions.owner().call() == world.owner.address  # not yet
    with pytest.raises(TransactionReverted) as caught:
        world.client(world.workers[1]).sender.transact(escrow.functions.acceptOwnership())
    assert caught.value.error == "OwnableUnauthorizedAccount"
    world.client(new_owner).sender.transact(escrow.functions.acceptOwnership())
    assert escrow.functions.owner().call() == new_owner.address


def test_pause_never_stops_settlement_refunds_or_disputes(world: World) -> None:
    task_id = world.create(slots=4)
    for slot in range(3):
        world.submitted(task_id, slot, world.workers[slot])
    world.client(world.owner).pause()
    world.escrow.approve(task_id, [(0, world.workers[0].address)])
    world.escrow.reject(task_id, [(1, world.workers[1].address)], REASON)
    world.client(world.workers[1]).dispute(task_id, 1, REASON)
    world.client(world.arbitrator).rule(task_id, 1, True)
    world.advance(REVIEW_PERIOD + 1)
    world.client(world.workers[2]).finalize(task_id, [2])
    world.escrow.cancel(task_id)
    assert world.escrow.task(task_id).escrow == 0
    world.client(world.owner).unpause()
    world.create()


def test_deployment_announces_its_settings(world: World) -> None:
    escrow = world.deployment.escrow
    [configured] = escrow.events.EscrowConfigured().get_logs(from_block=0)
    args = configured["args"]
    assert (args["treasury"], args["feeBps"], args["defaultArbitrator"]) == (
        world.treasury.address,
        escrow.functions.feeBps().call(),
        world.arbitrator.address,
    )
    assert (args["disputeWindow"], args["arbitrationTimeout"]) == (
        escrow.functions.disputeWindow().call(),
        escrow.functions.arbitrationTimeout().call(),
    )


@pytest.mark.parametrize(
    ("window", "timeout", "error", "args"),
    [
        (0, 3600, "InvalidDisputeWindow", {"disputeWindow": 0}),
        (MAX_PERIOD + 1, 3600, "InvalidDisputeWindow", {"disputeWindow": MAX_PERIOD + 1}),
        (3600, 0, "InvalidArbitrationTimeout", {"arbitrationTimeout": 0}),
        (3600, MAX_PERIOD + 1, "InvalidArbitrationTimeout", {"arbitrationTimeout": MAX_PERIOD + 1}),
    ],
)
def test_a_deployment_refuses_windows_out_of_range_each_with_its_own_error(
    world: World, window: int, timeout: int, error: str, args: dict[str, int]
) -> None:
    artifact = world.compiled.get("TaskEscrow")
    factory = world.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    owner = world.client(world.owner).sender
    constructor = factory.constructor(
        world.owner.address, world.treasury.address, 0, world.arbitrator.address, window, timeout
    )
    with pytest.raises(TransactionReverted) as caught:
        owner.transact(constructor)
    assert (caught.value.error, caught.value.error_args) == (error, args)
