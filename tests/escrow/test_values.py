"""Values built from the contract's structs by field name, never by position."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from microtask.chain.artifacts import CompiledProject
from microtask.escrow import (
    ETH,
    Reputation,
    Slot,
    SlotState,
    Task,
    TaskParams,
    TaskParamsStruct,
    abi_name,
)

REQUESTER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
VERIFIER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
ARBITRATOR = "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f"

STRUCT: dict[str, Any] = {
    "requester": REQUESTER,
    "deadline": 1_800_000_000,
    "slotCount": 5,
    "token": ETH,
    "reviewPeriod": 3600,
    "lease": 600,
    "feeBps": 250,
    "cancelled": False,
    "receiptSlotsReclaimed": False,
    "verifier": VERIFIER,
    "receiptSlots": 2,
    "openSlots": 3,
    "receiptSlotsUsed": 0,
    "arbitrator": ARBITRATOR,
    "minApproved": 1,
    "minApprovalBps": 9000,
    "reward": 10**16,
    "escrow": 5 * (10**16 + 25 * 10**13),
    "fee": 25 * 10**13,
}


def components(compiled: CompiledProject, kind: str, name: str) -> list[str]:
    """The field names of the struct function/event ``name`` takes or returns."""
    abi = compiled.get("TaskEscrow").abi
    [entry] = [e for e in abi if e.get("type") == kind and e.get("name") == name]
    if kind == "event":
        [struct] = [i for i in entry["inputs"] if i["type"] == "tuple"]
    elif name == "createTask":
        [struct] = entry["inputs"]
    else:
        [struct] = entry["outputs"]
    return [c["name"] for c in struct["components"]]


@pytest.mark.parametrize(
    ("value", "kind", "name"),
    [
        (Task, "function", "getTask"),
        (Task, "event", "TaskCreated"),
        (Slot, "function", "getSlot"),
        (Reputation, "function", "reputationOf"),
        (TaskParams, "function", "createTask"),
    ],
)
def test_every_value_has_exactly_the_structs_fields(
    compiled: CompiledProject, value: type[Any], kind: str, name: str
) -> None:
    fields = [abi_name(f.name) for f in dataclasses.fields(value)]
    assert sorted(fields) == sorted(components(compiled, kind, name))
    if value is TaskParams:  # and what goes out, field for field
        assert list(TaskParamsStruct.__annotations__) == components(compiled, kind, name)


def test_a_task_is_built_by_field_name_whatever_the_order() -> None:
    reordered = dict(reversed(list(STRUCT.items())))
    task = Task.from_abi(reordered)
    assert task == Task.from_abi(STRUCT)
    assert (task.slot_count, task.receipt_slots, task.open_slots) == (5, 2, 3)
    assert (task.min_approved, task.min_approval_bps) == (1, 9000)
    assert (task.verifier, task.arbitrator) == (VERIFIER, ARBITRATOR)


def test_wide_integers_stored_as_decimal_text_come_back_as_ints() -> None:
    task = Task.from_abi(STRUCT | {"reward": str(10**16), "escrow": str(STRUCT["escrow"])})
    assert (task.reward, task.escrow) == (10**16, STRUCT["escrow"])


def test_a_struct_with_a_missing_or_unknown_field_is_refused() -> None:
    renamed = {k: v for k, v in STRUCT.items() if k != "slotCount"} | {"slots": 5}
    with pytest.raises(ValueError, match=r"missing \['slotCount'\], unknown \['slots'\]"):
        Task.from_abi(renamed)
    with pytest.raises(ValueError, match="cancelled should be a bool"):
        Task.from_abi(STRUCT | {"cancelled": "false"})


def test_a_slot_and_a_record_by_name() -> None:
    slot = Slot.from_abi({"timestamp": 99, "worker": REQUESTER, "state": 3})
    assert slot == Slot(SlotState.REJECTED, REQUESTER, 99)
    record = Reputation.from_abi(
        {"disputesLost": 4, "disputesWon": 3, "rejected": 2, "approved": 1}
    )
    assert record == Reputation(approved=1, rejected=2, disputes_won=3, disputes_lost=4)


def test_task_params_go_out_by_field_name() -> None:
    params = TaskParams(b"\x12\x20", reward=7, slots=3, deadline=9, review_period=60, lease=30)
    assert params.as_abi() == {
        "manifestCid": b"\x12\x20",
        "token": ETH,
        "reward": 7,
        "slots": 3,
        "receiptSlots": 0,
        "deadline": 9,
        "reviewPeriod": 60,
        "lease": 30,
        "verifier": ETH,
        "arbitrator": ETH,
        "minApproved": 0,
        "minApprovalBps": 0,
        "maxFee": 2**128 - 1,  # no guard until `guarded` fills it in
        "expectedArbitrator": ETH,
    }
    assert params.funding(250) == 3 * 8  # the fee on 7 rounds up to one unit
    assert params.funding(250, minimum_fee=5) == 3 * 12
    guarded = params.guarded(1, ARBITRATOR)
    assert (guarded.max_fee, guarded.expected_arbitrator) == (1, ARBITRATOR)
    own = TaskParams(b"\x12\x20", 7, 3, 9, 60, 30, arbitrator=VERIFIER).guarded(1, ARBITRATOR)
    assert own.expected_arbitrator == ETH  # its own arbitrator: no default to expect


def test_a_task_answers_the_rules_with_its_own_terms() -> None:
    task = Task.from_abi(STRUCT)
    assert task.fee_per_slot == 25 * 10**13
    assert task.per_slot == 10**16 + 25 * 10**13
    assert task.receipt_window_end == STRUCT["deadline"] + 3600
    assert task.receipt_window_open(task.receipt_window_end)
    assert not task.receipt_window_open(task.receipt_window_end + 1)
    assert (task.unused_receipt_slots, task.available_slots) == (2, 5)
    assert task.reviewers == (REQUESTER, VERIFIER)
    assert task.is_party(ARBITRATOR)
    assert not task.is_party(ETH)
    assert task.takes_claims(STRUCT["deadline"])
    assert not task.takes_claims(STRUCT["deadline"] + 1)
    assert task.slot_state(0, SlotState.OPEN) is SlotState.OPEN
    cancelled = dataclasses.replace(task, cancelled=True)
    assert cancelled.slot_state(4, SlotState.OPEN) is SlotState.CLOSED
    assert cancelled.slot_state(0, SlotState.OPEN) is SlotState.OPEN  # receipts still come
    assert cancelled.available_slots == 3  # the contract zeroes open_slots itself on cancel
