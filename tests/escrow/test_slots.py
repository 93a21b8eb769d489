"""Slot rules: what getSlot shows, who may claim, what finalize does, how many slots are left."""

from __future__ import annotations

import pytest

from microtask.escrow import (
    ApprovalBasis,
    Finalization,
    SlotState,
    approvable,
    available_slots,
    claimable,
    finalization,
    is_receipt_slot,
    lapsed,
    slot_state,
    unused_receipt_slot,
    unused_receipt_slots,
)

WINDOWS = {"review_period": 3_600, "dispute_window": 86_400, "arbitration_timeout": 172_800}


def test_the_first_slots_are_for_receipts_only() -> None:
    assert is_receipt_slot(1, 2)
    assert not is_receipt_slot(2, 2)
    assert unused_receipt_slot(SlotState.OPEN, 0, 1)
    assert not unused_receipt_slot(SlotState.OPEN, 1, 1)  # a claimable slot
    assert not unused_receipt_slot(SlotState.SUBMITTED, 0, 1)  # its receipt came


@pytest.mark.parametrize(
    ("slot", "cancelled", "reclaimed", "shown"),
    [
        (0, False, False, SlotState.OPEN),
        (0, True, False, SlotState.OPEN),  # a cancel leaves receipt slots to the window
        (0, False, True, SlotState.CLOSED),  # reclaimed
        (3, True, False, SlotState.CLOSED),  # a cancel refunds claimable slots at once
        (3, False, True, SlotState.OPEN),
    ],
)
def test_getslot_shows_open_slots_refunded_in_bulk_as_closed(
    slot: int, cancelled: bool, reclaimed: bool, shown: SlotState
) -> None:
    terms = {"receipt_slots": 2, "cancelled": cancelled, "receipt_slots_reclaimed": reclaimed}
    assert slot_state(SlotState.OPEN, slot, **terms) is shown
    for stored in SlotState:
        if stored is not SlotState.OPEN:
            assert slot_state(stored, slot, **terms) is stored  # only open slots change


def test_a_lapsed_claim_can_be_claimed_again() -> None:
    assert claimable(SlotState.OPEN, 0, 10)
    assert not lapsed(SlotState.CLAIMED, 10, 10)
    assert not claimable(SlotState.CLAIMED, 10, 10)
    assert lapsed(SlotState.CLAIMED, 10, 11)
    assert claimable(SlotState.CLAIMED, 10, 11)
    for state in (SlotState.SUBMITTED, SlotState.REJECTED, SlotState.APPROVED):
        assert not claimable(state, 0, 10**9)


def test_a_signed_approval_pays_only_work_under_review() -> None:
    direct = {s for s in SlotState if approvable(s, by_signature=False)}
    signed = {s for s in SlotState if approvable(s, by_signature=True)}
    assert direct == {SlotState.SUBMITTED, SlotState.REJECTED, SlotState.DISPUTED}
    assert signed == {SlotState.SUBMITTED}


@pytest.mark.parametrize(
    ("state", "last_second", "due", "basis"),
    [
        (SlotState.CLAIMED, 1_000, Finalization.LAPSE, None),
        (SlotState.SUBMITTED, 4_600, Finalization.PAY_BY_SILENCE, ApprovalBasis.SILENCE),
        (SlotState.REJECTED, 87_400, Finalization.CLOSE, None),
        (
            SlotState.DISPUTED,
            173_800,
            Finalization.PAY_BY_TIMEOUT,
            ApprovalBasis.ARBITRATION_TIMEOUT,
        ),
    ],
)
def test_finalize_acts_one_second_after_a_window_ends(
    state: SlotState, last_second: int, due: Finalization, basis: ApprovalBasis | None
) -> None:
    assert finalization(state, 1_000, last_second, **WINDOWS) is None
    assert finalization(state, 1_000, last_second + 1, **WINDOWS) is due
    assert due.basis is basis


@pytest.mark.parametrize("state", [SlotState.OPEN, SlotState.APPROVED, SlotState.CLOSED])
def test_time_moves_neither_open_nor_final_slots(state: SlotState) -> None:
    assert finalization(state, 0, 2**63, **WINDOWS) is None


def test_available_slots_are_open_ones_and_unused_receipt_slots() -> None:
    terms = {"open_slots": 3, "receipt_slots": 4, "receipt_slots_used": 1}
    assert available_slots(**terms, cancelled=False, receipt_slots_reclaimed=False) == 6
    assert available_slots(**terms, cancelled=True, receipt_slots_reclaimed=False) == 3
    assert available_slots(**terms, cancelled=False, receipt_slots_reclaimed=True) == 3
    assert unused_receipt_slots(4, 1, reclaimed=False) == 3
    assert unused_receipt_slots(4, 1, reclaimed=True) == 0
