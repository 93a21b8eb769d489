"""A receipt slot's rejection proof needs the receipt this verifier issued for it."""

from __future__ import annotations

import pytest

from microtask.verifier.errors import SettlementError
from tests.quality.scenario import crowd
from tests.verifier.conftest import Platform


def test_a_batch_with_a_slot_never_receipted_here_has_no_proofs(platform: Platform) -> None:
    task_id, _ = platform.work_crowd(crowd(7))
    settler = platform.verifier.settler
    [proof] = settler.rejection_proofs(task_id, [0])
    assert (proof.receipt.task_id, proof.receipt.slot) == (task_id, 0)
    with pytest.raises(SettlementError, match=f"slot 10000 of task {task_id} has no receipt"):
        settler.rejection_proofs(task_id, [0, 10_000])
