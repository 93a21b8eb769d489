"""Fees and funding, rounded as the contract rounds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from microtask.escrow import BPS, MAX_FEE_BPS, approval_rate_bps, fee_of, funding_of, per_slot

REWARDS = st.integers(0, 2**128 - 1)
FEES = st.integers(0, MAX_FEE_BPS)


def test_the_fee_rounds_up_and_is_at_least_the_minimum() -> None:
    assert fee_of(10**16, 250) == 25 * 10**13
    assert fee_of(39, 250) == 1  # 0.975 of a unit: a fee set is never silently zero
    assert fee_of(40, 250) == 1
    assert fee_of(41, 250) == 2
    assert fee_of(1_500_000, 1000) == 150_000
    assert fee_of(1, 0) == 0
    assert fee_of(1, 0, minimum_fee=10) == 10  # MTurk's minimum commission
    assert fee_of(10**16, 250, minimum_fee=10) == 25 * 10**13


def test_funding_is_reward_and_fee_per_slot() -> None:
    assert per_slot(39, 250) == 40
    assert funding_of(10**16, 4, 250) == 4 * (10**16 + 25 * 10**13)
    assert funding_of(123, 0, 250) == 0


@given(REWARDS, FEES)
def test_a_fee_is_its_rate_rounded_up(reward: int, fee_bps: int) -> None:
    fee = fee_of(reward, fee_bps)
    assert (fee - 1) * BPS < reward * fee_bps <= fee * BPS  # the rate, rounded up
    assert fee <= -(-reward // 10)  # at most 10%, rounded up (P6)


@given(REWARDS, FEES, st.integers(0, 1_000_000))
def test_funding_is_a_whole_number_of_slots(reward: int, fee_bps: int, slots: int) -> None:
    assert funding_of(reward, slots, fee_bps) == slots * per_slot(reward, fee_bps)


def test_an_approval_rate_in_basis_points() -> None:
    assert approval_rate_bps(0, 0) is None
    assert approval_rate_bps(3, 0) == BPS
    assert approval_rate_bps(2, 1) == 6666
    assert approval_rate_bps(0, 5) == 0
