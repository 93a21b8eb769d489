"""What a task costs and what each slot holds: the contract's arithmetic, rounded as it rounds.

Every slot holds ``reward + fee`` of its task's escrow until it is paid (reward to the
worker, fee to the treasury) or closed (both back to the requester), so funding, refunds
and the escrow left are all whole multiples of `per_slot`.
"""

from __future__ import annotations

from microtask.escrow.constants import BPS


def fee_of(reward: int, fee_bps: int) -> int:
    """The fee per paid slot, rounded down; mirrors ``TaskEscrow._fee``."""
    return reward * fee_bps // BPS


def per_slot(reward: int, fee_bps: int) -> int:
    """What one slot holds in escrow, reward plus fee; mirrors ``TaskEscrow._perSlot``."""
    return reward + fee_of(reward, fee_bps)


def funding_of(reward: int, slots: int, fee_bps: int) -> int:
    """What funding ``slots`` slots costs: what ``createTask`` and ``addSlots`` collect."""
    return slots * per_slot(reward, fee_bps)


def approval_rate_bps(approved: int, rejected: int) -> int | None:
    """A record's approved share of its decided slots in basis points, rounded down; None
    without any decided slot. (The contract never divides: see `meets_approval_rate`.)"""
    decided = approved + rejected
    return None if decided == 0 else approved * BPS // decided
