"""MTurk's ids for microtask's things read back to exactly what they name, and anything
else is refused with MTurk's errors (no chain needed)."""

from __future__ import annotations

import re

import pytest
from eth_account import Account
from hypothesis import given
from hypothesis import strategies as st

from microtask.mturk import ids
from microtask.mturk.errors import MTurkError


@given(st.binary(min_size=32, max_size=32).filter(lambda b: 0 < int.from_bytes(b, "big") < 2**255))
def test_a_worker_id_is_an_mturk_customer_id_and_names_its_address(key: bytes) -> None:
    address = Account.from_key(key).address
    worker_id = ids.worker_id(address)
    assert re.fullmatch(r"A[0-9A-F]{40}", worker_id)
    assert ids.address_of_worker(worker_id) == address
    assert ids.address_of_worker("A" + worker_id[1:].lower()) == address  # any case back


@given(st.integers(min_value=0, max_value=2**63), st.integers(min_value=0, max_value=2**32))
def test_hit_and_assignment_ids_name_their_task_and_slot(task_id: int, slot: int) -> None:
    assert ids.task_of_hit(ids.hit_id(task_id)) == task_id
    assert ids.slot_of_assignment(ids.assignment_id(task_id, slot)) == (task_id, slot)


@pytest.mark.parametrize(
    ("read", "text", "code"),
    [
        (ids.task_of_hit, "3XYZHITFROMMTURK", "AWS.MechanicalTurk.HITDoesNotExist"),
        (ids.task_of_hit, "T7S1", "AWS.MechanicalTurk.HITDoesNotExist"),
        (ids.slot_of_assignment, "T7", "AWS.MechanicalTurk.AssignmentDoesNotExist"),
        (ids.address_of_worker, "A1B2C3D4E5F6G7", "AWS.MechanicalTurk.InvalidParameterValue"),
        (ids.address_of_worker, "0x" + "ab" * 20, "AWS.MechanicalTurk.InvalidParameterValue"),
    ],
)
def test_ids_from_elsewhere_are_refused(read: object, text: str, code: str) -> None:
    with pytest.raises(MTurkError) as caught:
        read(text)  # type: ignore[operator]
    assert caught.value.turk_code == code
