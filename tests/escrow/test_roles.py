"""Parties, reviewers and qualification thresholds, as the contract's claim checks them."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from microtask.escrow import (
    BPS,
    ZERO_ADDRESS,
    is_party,
    meets_approval_rate,
    meets_min_approved,
    qualifies,
    reviewers,
)

REQUESTER, VERIFIER, ARBITRATOR, WORKER = "0xR", "0xV", "0xA", "0xW"
COUNTS = st.integers(0, 2**32 - 1)


def test_the_requester_verifier_and_arbitrator_are_parties() -> None:
    terms = {"requester": REQUESTER, "verifier": VERIFIER, "arbitrator": ARBITRATOR}
    assert all(is_party(who, **terms) for who in (REQUESTER, VERIFIER, ARBITRATOR))
    assert not is_party(WORKER, **terms)


def test_a_task_without_a_verifier_has_one_reviewer() -> None:
    assert reviewers(requester=REQUESTER, verifier=VERIFIER) == (REQUESTER, VERIFIER)
    assert reviewers(requester=REQUESTER, verifier=ZERO_ADDRESS) == (REQUESTER,)


def test_thresholds() -> None:
    assert meets_min_approved(3, 3)
    assert not meets_min_approved(2, 3)
    assert meets_approval_rate(0, 0, 9_000)  # no history passes
    assert meets_approval_rate(0, 9, 0)  # no rate asked
    assert meets_approval_rate(9, 1, 9_000)
    assert not meets_approval_rate(8, 1, 9_000)
    assert not qualifies(0, 0, min_approved=1, min_approval_bps=0)
    assert qualifies(9, 1, min_approved=9, min_approval_bps=9_000)
    assert not qualifies(9, 2, min_approved=9, min_approval_bps=9_000)


@given(COUNTS, COUNTS, st.integers(1, BPS))
def test_the_rate_compares_exactly_without_division(
    approved: int, rejected: int, min_bps: int
) -> None:
    decided = approved + rejected
    expected = decided == 0 or Fraction(approved, decided) >= Fraction(min_bps, BPS)
    assert meets_approval_rate(approved, rejected, min_bps) is expected
