"""What must hold after every step: the whole escrow, read from the chain, against the model.

Everything is read in one JSON-RPC batch (`tests.contracts.chain_reads`) and checked:

- P1 conservation, exact to the wei, per token: the escrow's balance equals the ledger
  balances of every account that could have been credited plus every task's ``escrow``.
- P2 once: no slot is paid or closed twice (counted from the chain's own events), what each
  task paid out and refunded never passes what it was funded, and its ``escrow`` is exactly
  the difference.
- P3 silence pays: every slot time has decided (a lapse, an unreviewed submission, an
  undisputed rejection, an unanswered dispute) can be finalized by a stranger.
- P5 no rug-pull: each task's escrow is exactly one slot's worth for every claimable slot
  still open, every held slot and every unused receipt slot not yet reclaimed.
- Tasks (fee snapshot included), slots as ``getSlot`` shows them, ledger balances and
  records all equal the model's.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from eth_utils.address import to_checksum_address

from microtask.escrow import Reputation, Slot, SlotState, Task, unused_receipt_slots
from tests.contracts.chain_reads import Batch, CallFailed
from tests.contracts.driver import COVERAGE

if TYPE_CHECKING:
    from tests.contracts.driver import Driver
    from tests.contracts.model import TaskModel


def _task_matches(task_id: int, chain: Task, task: TaskModel) -> None:
    assert (to_checksum_address(chain.requester), to_checksum_address(chain.token)) == (
        task.requester,
        task.token,
    )
    assert (chain.deadline, chain.slot_count, chain.review_period, chain.lease, chain.fee_bps) == (
        task.deadline,
        len(task.slots),
        task.review_period,
        task.lease,
        task.fee_bps,
    ), f"task {task_id}"
    assert (
        chain.cancelled,
        chain.receipt_slots_reclaimed,
        chain.receipt_slots,
        chain.receipt_slots_used,
        chain.open_slots,
    ) == (
        task.cancelled,
        task.receipt_slots_reclaimed,
        task.receipt_slots,
        task.receipt_slots_used,
        task.open_slots,
    ), f"task {task_id} flags and counters"
    assert (to_checksum_address(chain.verifier), to_checksum_address(chain.arbitrator)) == (
        task.verifier,
        task.arbitrator,
    )
    assert (chain.min_approved, chain.min_approval_bps, chain.reward) == (
        task.min_approved,
        task.min_approval_bps,
        task.reward,
    )
    assert chain.escrow == task.escrow, f"task {task_id} escrow {chain.escrow}, model {task.escrow}"
    assert chain.fee == task.fee, f"task {task_id} fee {chain.fee}, model {task.fee}"


def escrow_matches_the_model(machine: Driver) -> None:
    env, model = machine.env, machine.model
    COVERAGE[("step", "")] += 1
    escrow_address = env.world.deployment.escrow.address
    batch = Batch(machine.w3, env.world.deployment.escrow)
    latest = batch.latest_timestamp()
    holdings = {t: batch.token_balance(t, escrow_address) for t in env.tokens}
    addresses = machine.addresses()
    ledgers = {(t, a): batch.escrow_call("balanceOf", t, a) for t in env.tokens for a in addresses}
    records = {
        (t, a): batch.escrow_struct("reputationOf", a, t) for t in env.tokens for a in addresses
    }
    tasks = {i: batch.escrow_struct("getTask", i) for i in model.tasks}
    slots = {
        (i, s): batch.escrow_struct("getSlot", i, s)
        for i, task in model.tasks.items()
        for s in range(len(task.slots))
    }
    count = batch.escrow_call("taskCount")
    results = batch.run()
    now = results[latest]
    assert results[count] == model.next_task_id - 1
    on_chain = {task_id: Task.from_abi(results[index]) for task_id, index in tasks.items()}

    # P1: conservation, exact to the wei, with the chain's own numbers
    for token, index in holdings.items():
        ledger_sum = sum(results[i] for (t, _), i in ledgers.items() if t == token)
        escrow_sum = sum(
            on_chain[task_id].escrow for task_id, task in model.tasks.items() if task.token == token
        )
        assert results[index] == machine.baseline[token] + ledger_sum + escrow_sum, (
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
        record = dataclasses.astuple(Reputation.from_abi(results[index]))
        assert record == expected, f"record of {account} in {token}"

    for task_id, task in model.tasks.items():
        chain = on_chain[task_id]
        _task_matches(task_id, chain, task)

        states = []
        for index in range(chain.slot_count):
            slot = Slot.from_abi(results[slots[(task_id, index)]])
            expected_slot = task.slots[index]
            assert (slot.state, to_checksum_address(slot.worker), slot.timestamp) == (
                task.visible_state(index),
                expected_slot.worker,
                expected_slot.timestamp,
            ), f"task {task_id} slot {index}"
            states.append(slot.state)

        # P5: escrow backs exactly the open, held and unused-receipt slots
        held = sum(state.held for state in states)
        unused = unused_receipt_slots(
            chain.receipt_slots, chain.receipt_slots_used, reclaimed=chain.receipt_slots_reclaimed
        )
        backed = chain.open_slots + held + unused
        assert chain.escrow == backed * chain.per_slot, (
            f"P5: task {task_id} holds {chain.escrow}, backing {chain.open_slots} open, "
            f"{held} held, {unused} unused receipt slots at {chain.per_slot}"
        )
        claimable_open = sum(s == SlotState.OPEN for s in states[chain.receipt_slots :])
        assert chain.open_slots == (0 if chain.cancelled else claimable_open), (
            f"task {task_id} open"
        )

        # P2: from the events alone
        assert machine.spent[task_id] <= machine.funded[task_id], f"P2: task {task_id} overpaid"
        assert chain.escrow == machine.funded[task_id] - machine.spent[task_id], (
            f"P2: task {task_id}"
        )
    for key in machine.paid.keys() | machine.closed.keys():
        assert machine.paid[key] + machine.closed[key] <= 1, f"P2: slot {key} settled twice"

    # P3: silence pays; a stranger can finalize a submission left unreviewed, and
    # likewise whatever else time has decided (lapses, undisputed rejections,
    # unanswered disputes): nothing waits on anyone's goodwill
    due = [
        (task.task_id, index, task.slots[index].state)
        for task, index in machine._all_slots()
        if model.due(now, task, index)
    ]
    if due:
        calls = Batch(machine.w3, env.world.deployment.escrow)
        indexes = [calls.escrow_call("finalize", t, [i], sender=env.sink) for t, i, _ in due]
        outcomes = calls.run()
        for (task_id, index, state), i in zip(due, indexes, strict=True):
            assert not isinstance(outcomes[i], CallFailed), (
                f"P3: slot {index} of task {task_id} ({state.name}) is due, yet a "
                f"stranger cannot finalize it: {outcomes[i]}"
            )
