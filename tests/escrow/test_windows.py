"""Windows include their last second: the contract refuses only when now > end."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microtask.escrow import (
    SlotState,
    arbitration_end,
    dispute_end,
    has_ended,
    is_open,
    lease_end,
    receipt_window_end,
    receipt_window_open,
    review_end,
    takes_claims,
    window_end,
)

TIMES = st.integers(0, 2**64 - 1)


@given(TIMES, TIMES)
def test_a_window_is_open_until_its_last_second_and_over_one_second_later(
    end: int, now: int
) -> None:
    assert is_open(end, now) is (now <= end)
    assert has_ended(end, now) is not is_open(end, now)
    assert is_open(end, end)
    assert has_ended(end, end + 1)


def test_each_window_runs_from_the_event_that_opens_it() -> None:
    assert lease_end(1_000, 600) == 1_600
    assert review_end(1_000, 3_600) == 4_600
    assert dispute_end(1_000, 86_400) == 87_400
    assert arbitration_end(1_000, 172_800) == 173_800
    assert receipt_window_end(5_000, 3_600) == 8_600


def test_receipts_are_taken_until_the_window_ends_or_they_are_reclaimed() -> None:
    terms = {"deadline": 5_000, "review_period": 3_600}
    assert receipt_window_open(8_600, **terms, receipt_slots_reclaimed=False)
    assert not receipt_window_open(8_601, **terms, receipt_slots_reclaimed=False)
    assert not receipt_window_open(0, **terms, receipt_slots_reclaimed=True)


def test_a_task_takes_claims_until_its_deadline_unless_cancelled() -> None:
    assert takes_claims(5_000, deadline=5_000, cancelled=False)
    assert not takes_claims(5_001, deadline=5_000, cancelled=False)
    assert not takes_claims(0, deadline=5_000, cancelled=True)


@pytest.mark.parametrize(
    ("state", "end"),
    [
        (SlotState.OPEN, None),
        (SlotState.CLAIMED, 1_000),  # the timestamp is the lease end itself
        (SlotState.SUBMITTED, 1_000 + 3_600),
        (SlotState.REJECTED, 1_000 + 86_400),
        (SlotState.DISPUTED, 1_000 + 172_800),
        (SlotState.APPROVED, None),
        (SlotState.CLOSED, None),
    ],
)
def test_the_window_a_slot_is_in_follows_its_state(state: SlotState, end: int | None) -> None:
    assert (
        window_end(
            state, 1_000, review_period=3_600, dispute_window=86_400, arbitration_timeout=172_800
        )
        == end
    )
