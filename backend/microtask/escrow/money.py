"""What a task costs and what each slot holds: the contract's arithmetic, rounded as it rounds.

Every slot holds ``reward + fee`` of its task's escrow until it is paid (reward to the
worker, fee to the treasury) or closed (both back to the requester), so funding, refunds
and the escrow left are all whole multiples of `per_slot`.
"""

from __future__ import annotations

from microtask.escrow.constants import BPS


def fee_of(reward: int, fee_bps: int, minimum_fee: int = 0) -> int:
    """The fee per paid slot of a new task; mirrors ``TaskEscrowBase._feeFor``.

    The rate is rounded up, so a fee that is set is never silently zero (a reward of a few
    units of a token with few decimals still pays one unit), and it is at least the token's
    minimum fee (``setMinimumFee``), so every approval, which counts on the worker's record,
    costs its payer real money. The task keeps the result (``Task.fee``)."""
    return max(-(-reward * fee_bps // BPS), minimum_fee)


def per_slot(reward: int, fee_bps: int, minimum_fee: int = 0) -> int:
    """What one slot holds in escrow, reward plus fee; mirrors ``TaskEscrowBase._perSlot``."""
    return reward + fee_of(reward, fee_bps, minimum_fee)


def funding_of(reward: int, slots: int, fee_bps: int, minimum_fee: int = 0) -> int:
    """What funding ``slots`` slots costs: what ``createTask`` collects."""
    return slots * per_slot(reward, fee_bps, minimum_fee)


def approval_rate_bps(approved: int, rejected: int) -> int | None:
    """A record's approved share of its decided slots in basis points, rounded down; None
    without any decided slot. (The contract never divides: see `meets_approval_rate`.)"""
    decided = approved + rejected
    return None if decided == 0 else approved * BPS // decided
