"""Review batches and dispute reasons: what a rejection or a dispute puts in the content store.

A rejection on chain carries one CID for many slots: a `ReviewBatch`, one `Review` per
slot, so each worker finds why their own slot was rejected. These builders are pure (no
key, no I/O), for any front end: the CLI, or a web server preparing what the requester's
wallet will send.

Example::

    batch = rejection_batch(3, [(1, worker)], {1: envelope_cid}, reviewer=me,
                            reason="incorrect", detail="item 4 is a dog", reviewed_at=now)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import get_args

from microtask.client.errors import NoSubmission, Refused
from microtask.manifests import RejectionReason, Review, ReviewBatch
from microtask.manifests.review import ReasonCode

REASON_CODES: tuple[str, ...] = get_args(ReasonCode)
"""Why a slot may be rejected (`manifests.review.ReasonCode`)."""


def check_reason_code(reason: str) -> ReasonCode:
    """``reason`` if it is one of `REASON_CODES`; `Refused` otherwise."""
    if reason not in REASON_CODES:
        raise Refused(f"--reason must be one of {', '.join(REASON_CODES)}")
    return reason  # type: ignore[return-value]  # checked against the Literal's values


def rejection_batch(
    task_id: int,
    pairs: Sequence[tuple[int, str]],
    submissions: Mapping[int, str],
    *,
    reviewer: str,
    reason: str,
    detail: str | None = None,
    feedback: str = "",
    reviewed_at: int,
) -> ReviewBatch:
    """One rejection per (slot, worker) in ``pairs``, citing the slot's submission CID
    (``submissions``: slot to envelope CID); `NoSubmission` for a slot without one (work
    through receipts is rejected by its verifier, which holds the envelopes)."""
    code = check_reason_code(reason)
    reviews = []
    for slot, _ in pairs:
        submission = submissions.get(slot)
        if submission is None:
            raise NoSubmission(slot)
        reviews.append(
            Review(
                task_id=task_id,
                slot=slot,
                submission=submission,
                reviewer=reviewer,
                decision="rejected",
                reasons=[RejectionReason(code=code, detail=detail)],
                feedback=feedback,
                reviewed_at=reviewed_at,
            )
        )
    return ReviewBatch(task_id=task_id, reviewer=reviewer, reviews=reviews)


def check_dispute_reason(reason: str) -> bytes:
    """A dispute's reason as stored (UTF-8); `Refused` when it says nothing."""
    if not reason.strip():
        raise Refused("--reason must say why")
    return reason.encode("utf-8")


def check_ruling(pay: bool, reason: str) -> bytes | None:
    """A ruling's reason as stored (None when there is none); upholding needs one."""
    if not pay and not reason.strip():
        raise Refused("upholding a rejection needs --reason")
    return reason.encode("utf-8") if reason.strip() else None
