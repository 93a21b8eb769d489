"""A requester's quality rule: every line and confidence that turns evidence into decisions.

The rule is a plain document (pydantic, frozen, unknown keys refused) so a requester can
keep it in a file, the verifier service can take it from its settings or an API call,
and a decision can name the rule that made it. Every default is written here and nowhere
else.

Workers are judged on one number, their accuracy, estimated from gold and agreement
together with its uncertainty (`accuracy`). The rule draws two lines and says how sure
the evidence must be: a worker is rejected only when it is at least ``reject_confidence``
sure their accuracy is below ``reject_below``, approved when it is at least
``approve_confidence`` sure it is at or above ``approve_at``, and otherwise left undecided
(the verifier then asks them for gold items). The README tabulates the chance of a
rejection under the defaults, by true accuracy and gold items answered.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from microtask.quality.models import CategoricalMethod

SignalAction = Literal["reject", "review", "ignore"]
"""What a fraud signal does to the slots it concerns: reject them, leave them to the
requester (undecided), or only mention it."""


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AccuracyRule(_Rule):
    """When a worker's estimated accuracy rejects or approves their slots.

    The defaults reject only on strong evidence (95% sure of an accuracy under 60%) and
    approve on good evidence (80% sure of 60% or more: a slot left undecided is paid by
    silence anyway once its receipt's review period ends, so approving is the lesser
    commitment); on hard tasks the reject line follows the crowd down
    (``relative_to_crowd``), the approve line does not.
    """

    reject_below: float = Field(default=0.6, ge=0, le=1, description="The reject line.")
    approve_at: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="The approve line; above reject_below, accuracies in between are left "
        "to the requester however sure the evidence is.",
    )
    reject_confidence: float = Field(
        default=0.95,
        gt=0.5,
        lt=1,
        description="How sure the evidence must be that accuracy is below the reject line.",
    )
    approve_confidence: float = Field(
        default=0.8,
        gt=0.5,
        lt=1,
        description="How sure the evidence must be that accuracy reaches the approve line.",
    )
    relative_to_crowd: float | None = Field(
        default=0.75,
        ge=0,
        le=1,
        description="Lower the reject line to chance + this share of the way from chance "
        "to the crowd's estimated accuracy, when that is lower; null keeps it fixed.",
    )
    min_other_answers: int = Field(
        default=1,
        ge=1,
        description="An item that is not gold counts for a worker only when at least this "
        "many other workers answered it (nobody is judged by their own answer).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> AccuracyRule:
        if self.reject_below > self.approve_at:
            raise ValueError("reject_below is above approve_at")
        return self


class TimingRule(_Rule):
    """Too fast: less time than ``min_share_of_estimate`` of the manifest's time estimate
    per item (and never less than ``floor_seconds`` per submission)."""

    min_share_of_estimate: float = Field(default=0.2, gt=0, le=1)
    floor_seconds: int = Field(default=2, ge=0)
    action: SignalAction = "reject"


class CopyingRule(_Rule):
    """Copying: two workers who give the same answers far more often than two independent
    workers of their accuracies would, above all the same *wrong* answers (`copying`).

    For labels the test is statistical; for text and other kinds without a label model it
    counts identical answers that nobody else gave (``min_identical_share``,
    ``min_unsupported``).
    """

    min_shared_items: int = Field(default=4, ge=2, description="Items both must answer.")
    min_copied_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="The estimated share of their shared answers that one took from the "
        "other must be at least this.",
    )
    false_alarm: float = Field(
        default=0.05,
        gt=0,
        lt=1,
        description="The chance, if nobody copies, that any pair of the task is flagged.",
    )
    min_identical_share: float = Field(default=0.9, gt=0, le=1)
    min_unsupported: int = Field(
        default=3,
        ge=1,
        description="Text and other kinds: identical answers that no other worker gave, or "
        "that are wrong on gold.",
    )
    action: SignalAction = "reject"


class StraightLiningRule(_Rule):
    """Straight-lining: one answer to (nearly) every item, where the items' answers vary
    so that no honest worker would plausibly give it."""

    min_items: int = Field(default=5, ge=2)
    min_same_share: float = Field(default=1.0, gt=0.5, le=1)
    false_alarm: float = Field(
        default=0.05,
        gt=0,
        lt=1,
        description="The chance that an honest worker who happens to give one answer to "
        "every item is flagged (see `fraud.straight_lining`).",
    )
    max_common_share: float = Field(
        default=0.6,
        gt=0,
        le=1,
        description="Flag only an answer that makes up less than this share of the task's "
        "answers: saying 'no' to every item of a task where most answers are 'no' is an "
        "accurate worker's shortcut, not a reason to reject them (their accuracy says what "
        "their answers are worth).",
    )
    action: SignalAction = "reject"


class AggregationRule(_Rule):
    """How categorical answers are combined (text always uses ROVER; see `aggregation`
    and `models`, which says why the hierarchical model is the default)."""

    categorical: CategoricalMethod = "hierarchical_dawid_skene"
    dawid_skene_iterations: int = Field(default=100, ge=1, le=10_000)


class QualityRule(_Rule):
    """Everything `assess` needs to decide; ``QualityRule()`` is the platform default."""

    accuracy: AccuracyRule = AccuracyRule()
    timing: TimingRule = TimingRule()
    copying: CopyingRule = CopyingRule()
    straight_lining: StraightLiningRule = StraightLiningRule()
    aggregation: AggregationRule = AggregationRule()
    missing_item: SignalAction = Field(
        default="reject", description="A slot whose own item is not answered."
    )
    approve_without_evidence: bool = Field(
        default=False,
        description="Approve a slot with no failed check even when the evidence is too thin "
        "to approve it; by default such a slot is left to the requester.",
    )
