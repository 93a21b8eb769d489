"""The escrow's windows: when each one ends, and which side of its end a moment is on.

Every window includes its last second: the contract refuses a call only when
``block.timestamp > end``. So a claim at the deadline stands, a rejection at the last second
of the review period stands, and a slot becomes due for ``finalize`` one second after its
window ends (`is_open`, `has_ended`).
"""

from __future__ import annotations

from microtask.escrow.enums import SlotState


def is_open(end: int, now: int) -> bool:
    """Whether a window ending at ``end`` still admits a call at ``now`` (its last second
    included)."""
    return now <= end


def has_ended(end: int, now: int) -> bool:
    """Whether ``now`` is past a window ending at ``end``: the contract's ``now > end``."""
    return now > end


def lease_end(claimed_at: int, lease: int) -> int:
    """When a claim made at ``claimed_at`` lapses: ``claim`` stores it as the slot's
    timestamp; ``submit`` takes work up to it."""
    return claimed_at + lease


def review_end(submitted_at: int, review_period: int) -> int:
    """The last second a submission may be rejected (``reject``); after it, silence pays
    (``finalize``)."""
    return submitted_at + review_period


def dispute_end(rejected_at: int, dispute_window: int) -> int:
    """The last second a rejection may be disputed (``dispute``); after it the slot closes
    (``finalize``)."""
    return rejected_at + dispute_window


def arbitration_end(disputed_at: int, arbitration_timeout: int) -> int:
    """The last second the arbitrator may leave a dispute unanswered; after it the worker is
    paid (``finalize``)."""
    return disputed_at + arbitration_timeout


def receipt_window_end(deadline: int, review_period: int) -> int:
    """The last second receipts may be presented or receipt slots settled without one;
    mirrors ``TaskEscrowBase._receiptWindowEnd``."""
    return deadline + review_period


def equivocation_window_end(receipt_window_end: int, dispute_window: int) -> int:
    """The last second a receipt whose slot went to another worker can still be proven
    (``proveEquivocation``), and so the last second unused receipt slots stay funded to pay
    it: a dispute window after the receipt window; mirrors
    ``TaskEscrowBase._equivocationWindowEnd``. ``reclaimReceiptSlots`` works after it."""
    return receipt_window_end + dispute_window


def receipt_window_open(
    now: int, *, deadline: int, review_period: int, receipt_slots_reclaimed: bool
) -> bool:
    """Whether receipts are still taken; mirrors ``TaskEscrow._requireReceiptWindow``."""
    return not receipt_slots_reclaimed and is_open(receipt_window_end(deadline, review_period), now)


def takes_claims(now: int, *, deadline: int, cancelled: bool) -> bool:
    """Whether the task takes new work at ``now``: not cancelled, deadline not passed (what
    ``claim`` checks first; pausing is the whole escrow's, not the task's)."""
    return not cancelled and is_open(deadline, now)


def window_end(
    state: SlotState,
    timestamp: int,
    *,
    review_period: int,
    dispute_window: int,
    arbitration_timeout: int,
) -> int | None:
    """The end of the window a live slot is in, from its ``getSlot`` timestamp: the lease
    (claimed), the review period (submitted), the dispute window (rejected) or the
    arbitration timeout (disputed). None for open and final slots, which no time moves."""
    if state == SlotState.CLAIMED:
        return timestamp  # the lease end itself
    if state == SlotState.SUBMITTED:
        return review_end(timestamp, review_period)
    if state == SlotState.REJECTED:
        return dispute_end(timestamp, dispute_window)
    if state == SlotState.DISPUTED:
        return arbitration_end(timestamp, arbitration_timeout)
    return None
