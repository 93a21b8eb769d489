"""Slot rules: what ``getSlot`` shows, which slots a worker may claim, what ``finalize`` does.

A task's first ``receipt_slots`` slots are filled through signed receipts only; on-chain
claims take the others, so the two never collide. A slot's stored state changes only by a
call; time alone changes nothing on chain, but it decides what the next call may do: a
claimed slot whose lease ended may be claimed by someone else, and every live slot whose
window ended is due for ``finalize`` (`finalization`).
"""

from __future__ import annotations

from enum import Enum

from microtask.escrow.enums import ApprovalBasis, SlotState
from microtask.escrow.windows import has_ended, window_end


class Finalization(Enum):
    """What ``finalize`` does to a slot whose window ended."""

    LAPSE = "lapse"
    """A claim whose lease ended: freed (``SlotFreed`` with ``lapsed``), open again, or
    closed and refunded on a cancelled task."""
    PAY_BY_SILENCE = "pay by silence"
    """A submission nobody rejected within the review period: paid (basis ``Silence``)."""
    CLOSE = "close"
    """A rejection nobody disputed within the dispute window: closed, refunded, counted as
    rejected on the worker's record."""
    PAY_BY_TIMEOUT = "pay by timeout"
    """A dispute the arbitrator left unanswered: paid (basis ``ArbitrationTimeout``), a
    dispute won."""

    @property
    def basis(self) -> ApprovalBasis | None:
        """Why the slot is paid, for the two that pay."""
        return _BASES.get(self)


_BASES = {
    Finalization.PAY_BY_SILENCE: ApprovalBasis.SILENCE,
    Finalization.PAY_BY_TIMEOUT: ApprovalBasis.ARBITRATION_TIMEOUT,
}
_FINALIZATIONS = {
    SlotState.CLAIMED: Finalization.LAPSE,
    SlotState.SUBMITTED: Finalization.PAY_BY_SILENCE,
    SlotState.REJECTED: Finalization.CLOSE,
    SlotState.DISPUTED: Finalization.PAY_BY_TIMEOUT,
}


def is_receipt_slot(slot: int, receipt_slots: int) -> bool:
    """Whether ``slot`` is filled through signed receipts only (never claimed on chain)."""
    return slot < receipt_slots


def slot_state(
    stored: SlotState,
    slot: int,
    *,
    receipt_slots: int,
    cancelled: bool,
    receipt_slots_reclaimed: bool,
) -> SlotState:
    """The state ``getSlot`` shows for a slot stored as ``stored``: open slots refunded in
    bulk (a cancelled task's claimable slots, reclaimed receipt slots) read as closed."""
    refunded = receipt_slots_reclaimed if is_receipt_slot(slot, receipt_slots) else cancelled
    return SlotState.CLOSED if stored == SlotState.OPEN and refunded else stored


def lapsed(state: SlotState, timestamp: int, now: int) -> bool:
    """Whether a claim's lease ended by ``now`` (a claimed slot's timestamp is its lease
    end): the worker can no longer submit, and anyone may claim the slot or finalize it."""
    return state == SlotState.CLAIMED and has_ended(timestamp, now)


def claimable(state: SlotState, timestamp: int, now: int) -> bool:
    """Whether ``claim`` takes a claimable slot in this state at ``now``: open, or claimed
    under a lease that lapsed (the claim frees it on the way). The task must also take
    claims (`microtask.escrow.windows.takes_claims`) and the slot must not be a receipt
    slot."""
    return state == SlotState.OPEN or lapsed(state, timestamp, now)


def unused_receipt_slot(state: SlotState, slot: int, receipt_slots: int) -> bool:
    """A receipt slot whose receipt never came on chain: ``approve`` and ``reject`` settle
    it directly, naming the worker, while the receipt window is open."""
    return state == SlotState.OPEN and is_receipt_slot(slot, receipt_slots)


def approvable(state: SlotState, *, by_signature: bool) -> bool:
    """Whether ``approve`` pays a slot in this state (unused receipt slots aside): work
    under review; a direct call may also overturn a rejection or settle a dispute, while a
    signed approval cannot (a rejection made after signing revokes it)."""
    if state == SlotState.SUBMITTED:
        return True
    return not by_signature and state in (SlotState.REJECTED, SlotState.DISPUTED)


def finalization(
    state: SlotState,
    timestamp: int,
    now: int,
    *,
    review_period: int,
    dispute_window: int,
    arbitration_timeout: int,
) -> Finalization | None:
    """What ``finalize`` does to this slot at ``now``, or None when nothing is due (its
    window has not ended, or no time moves it: open and final slots)."""
    end = window_end(
        state,
        timestamp,
        review_period=review_period,
        dispute_window=dispute_window,
        arbitration_timeout=arbitration_timeout,
    )
    if end is None or not has_ended(end, now):
        return None
    return _FINALIZATIONS[state]


def unused_receipt_slots(receipt_slots: int, receipt_slots_used: int, *, reclaimed: bool) -> int:
    """Receipt slots still funded and never used: what ``reclaimReceiptSlots`` refunds
    (none once reclaimed)."""
    return 0 if reclaimed else receipt_slots - receipt_slots_used


def available_slots(
    *,
    open_slots: int,
    receipt_slots: int,
    receipt_slots_used: int,
    cancelled: bool,
    receipt_slots_reclaimed: bool,
) -> int:
    """How many more workers the task can take: claimable slots nobody holds (the
    contract's ``openSlots``, zero once cancelled) plus receipt slots still unused (none
    once the task is cancelled or they were reclaimed)."""
    unused = 0
    if not cancelled:
        unused = unused_receipt_slots(
            receipt_slots, receipt_slots_used, reclaimed=receipt_slots_reclaimed
        )
    return open_slots + unused
