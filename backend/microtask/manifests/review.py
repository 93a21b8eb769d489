"""`Review`: a requester's or verifier's verdict on one submission, with reasons.

A rejection on chain carries the CID of a Review (P4: a rejection must say why), and the
worker reads it to decide whether to dispute. An approval may carry feedback too. The
escrow rejects many slots in one transaction with one reason CID, so a batch rejection
points at a `ReviewBatch`: one Review per slot, each worker finding their own by slot.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field, model_validator

from microtask.manifests.answers import Strict
from microtask.manifests.fields import Address, CidText, Identifier, Uint256
from microtask.manifests.limits import (
    MAX_FEEDBACK_CHARS,
    MAX_REJECTION_REASONS,
    MAX_REVIEWS_PER_BATCH,
)

REVIEW_TYPE: Final = "microtask/review"
REVIEW_BATCH_TYPE: Final = "microtask/review-batch"

ReasonCode = Literal[
    "incorrect",
    "incomplete",
    "gold_failed",
    "off_instructions",
    "spam",
    "duplicate",
    "other",
]


class RejectionReason(Strict):
    code: ReasonCode
    item_id: Identifier | None = Field(default=None, description="The item it concerns, if one.")
    detail: str | None = Field(default=None, max_length=2_000)


class Review(Strict):
    type: Literal["microtask/review"] = REVIEW_TYPE
    schema_version: Literal[1] = 1
    task_id: Uint256
    slot: Uint256
    submission: CidText = Field(description="The CID of the submission envelope reviewed.")
    reviewer: Address = Field(description="The requester or the task's verifier.")
    decision: Literal["approved", "rejected"]
    reasons: list[RejectionReason] = Field(default_factory=list, max_length=MAX_REJECTION_REASONS)
    feedback: str = Field(default="", max_length=MAX_FEEDBACK_CHARS, description="Markdown.")
    gold_score: float | None = Field(default=None, ge=0, le=1)
    reviewed_at: int = Field(ge=0, description="Unix seconds.")

    @model_validator(mode="after")
    def _reasons_match_the_decision(self) -> Review:
        if self.decision == "rejected" and not self.reasons:
            raise ValueError("a rejection needs at least one reason")
        if self.decision == "approved" and self.reasons:
            raise ValueError("an approval has no rejection reasons")
        return self


class ReviewBatch(Strict):
    """The reviews behind one batch rejection on chain: one per slot, one task, one reviewer."""

    type: Literal["microtask/review-batch"] = REVIEW_BATCH_TYPE
    schema_version: Literal[1] = 1
    task_id: Uint256
    reviewer: Address
    reviews: list[Review] = Field(min_length=1, max_length=MAX_REVIEWS_PER_BATCH)

    @model_validator(mode="after")
    def _one_task_one_reviewer_one_review_per_slot(self) -> ReviewBatch:
        slots: set[int] = set()
        for review in self.reviews:
            if review.task_id != self.task_id:
                raise ValueError(
                    f"a review for task {review.task_id} in a batch for task {self.task_id}"
                )
            if review.reviewer != self.reviewer:
                raise ValueError(f"a review by {review.reviewer} in a batch by {self.reviewer}")
            if review.slot in slots:
                raise ValueError(f"two reviews of slot {review.slot}")
            slots.add(review.slot)
        return self

    def for_slot(self, slot: int) -> Review | None:
        """The review of ``slot``, if the batch has one."""
        return next((review for review in self.reviews if review.slot == slot), None)
