"""Who may do what on a task: its parties, its reviewers, and the workers it admits."""

from __future__ import annotations

from microtask.escrow.constants import BPS, ZERO_ADDRESS


def is_party(account: str, *, requester: str, verifier: str, arbitrator: str) -> bool:
    """Whether ``account`` reviews, signs or rules on the task's work, and so may never be
    paid for doing it; mirrors ``TaskEscrow._requireNotParty``."""
    return account in (requester, verifier, arbitrator)


def reviewers(*, requester: str, verifier: str) -> tuple[str, ...]:
    """Who may approve, reject and sign receipts or approvals: the requester, and the
    verifier when the task has one (``approve``, ``_requireReviewerSignature``)."""
    return (requester,) if verifier == ZERO_ADDRESS else (requester, verifier)


def meets_min_approved(approved: int, min_approved: int) -> bool:
    """Whether a record's approved slots reach the task's ``minApproved``."""
    return approved >= min_approved


def meets_approval_rate(approved: int, rejected: int, min_approval_bps: int) -> bool:
    """Whether a record's approved / (approved + rejected) reaches ``min_approval_bps``,
    compared without division as the contract compares it; a worker without decided slots
    passes, and so does everyone when the task asks no rate."""
    decided = approved + rejected
    if min_approval_bps == 0 or decided == 0:
        return True
    return approved * BPS >= min_approval_bps * decided


def qualifies(approved: int, rejected: int, *, min_approved: int, min_approval_bps: int) -> bool:
    """Whether a worker with this record in the task's token may claim; mirrors
    ``TaskEscrow._requireQualified``."""
    return meets_min_approved(approved, min_approved) and meets_approval_rate(
        approved, rejected, min_approval_bps
    )
