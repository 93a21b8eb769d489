"""`Review`: a requester's or verifier's verdict on one submission, with reasons.

A rejection on chain carries the CID of a Review (P4: a rejection must say why), and the
worker reads it to decide whether to dispute. An approval may carry feedback too.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field, model_validator

from microtask.manifests.answers import Strict
from microtask.manifests.fields import Address, CidText, Identifier, Uint256
from microtask.manifests.limits import MAX_FEEDBACK_CHARS, MAX_REJECTION_REASONS

REVIEW_TYPE: Final = "microtask/review"

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
