"""A requester's quality rule: every threshold that turns scores into decisions, in one place.

The rule is a plain document (pydantic, frozen, unknown keys refused) so a requester can
keep it in a file, the verifier service can take it from its settings or an API call,
and a decision can name the rule that made it. Every default is written here and nowhere
else.

Each measure has two thresholds, a *reject* line and an *approve* line: a worker below the
first is rejected, at or above the second approved, and in between left for the
requester (undecided). A measure with fewer observations than its ``min_items`` does not
decide anything, since two answers say little about a worker.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SignalAction = Literal["reject", "review", "ignore"]
"""What a fraud signal does to the slots it concerns: reject them, leave them to the
requester (undecided), or only mention it."""

CategoricalMethod = Literal["one_coin_dawid_skene", "dawid_skene", "majority_vote"]


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Band(_Rule):
    reject_below: float = Field(ge=0, le=1)
    approve_at: float = Field(ge=0, le=1)
    min_items: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> _Band:
        if self.reject_below > self.approve_at:
            raise ValueError("reject_below is above approve_at")
        return self


class GoldRule(_Band):
    """Accuracy on gold items: right answers over gold items answered."""

    reject_below: float = Field(default=0.6, ge=0, le=1)
    approve_at: float = Field(default=0.8, ge=0, le=1)
    min_items: int = Field(default=2, ge=1, description="Gold items a worker must meet.")


class AgreementRule(_Band):
    """Agreement with the aggregate: the mean per-item agreement (see `aggregation`)."""

    reject_below: float = Field(default=0.5, ge=0, le=1)
    approve_at: float = Field(default=0.7, ge=0, le=1)
    min_items: int = Field(default=3, ge=1, description="Items compared before it counts.")
    min_other_answers: int = Field(
        default=1,
        ge=1,
        description="An item is compared only when the aggregate rests on at least this many "
        "answers from other workers (so nobody is measured against their own answer alone); "
        "raise it for tasks with high redundancy.",
    )
    overrules_gold: bool = Field(
        default=False,
        description="Whether agreement below reject_below rejects a worker who passed gold. "
        "By default such a slot is left to the requester: gold is the stronger evidence, and "
        "with three answers per item a good worker can be outvoted by chance.",
    )


class TimingRule(_Rule):
    """Too fast: less time than ``min_share_of_estimate`` of the manifest's time estimate
    per item (and never less than ``floor_seconds`` per submission)."""

    min_share_of_estimate: float = Field(default=0.2, gt=0, le=1)
    floor_seconds: int = Field(default=2, ge=0)
    action: SignalAction = "reject"


class CopyingRule(_Rule):
    """Copying: two workers whose answers are identical on nearly every item they share,
    including answers nobody else gave (or that fail gold)."""

    min_shared_items: int = Field(default=4, ge=2)
    min_identical_share: float = Field(default=0.9, gt=0, le=1)
    min_unsupported: int = Field(
        default=3,
        ge=1,
        description="Identical answers that no other worker gave, or that are wrong on gold. "
        "Two good workers agree too; agreeing on the same odd answers is what copying shows.",
    )
    action: SignalAction = "reject"


class StraightLiningRule(_Rule):
    """Straight-lining: one answer to (nearly) every item, where the items' answers vary."""

    min_items: int = Field(default=5, ge=2)
    min_same_share: float = Field(default=1.0, gt=0.5, le=1)
    action: SignalAction = "reject"


class AggregationRule(_Rule):
    """How categorical answers are combined (text always uses ROVER; see `aggregation`).

    ``one_coin_dawid_skene`` (one accuracy per worker) is the default because it stays
    sound with the few answers per worker a small task gives; the full ``dawid_skene``
    (a confusion matrix per worker) needs many answers per worker and per label, and with
    few it can overrule a unanimous item.
    """

    categorical: CategoricalMethod = "one_coin_dawid_skene"
    dawid_skene_iterations: int = Field(default=100, ge=1, le=10_000)


class QualityRule(_Rule):
    """Everything `assess` needs to decide; ``QualityRule()`` is the platform default."""

    gold: GoldRule = GoldRule()
    agreement: AgreementRule = AgreementRule()
    timing: TimingRule = TimingRule()
    copying: CopyingRule = CopyingRule()
    straight_lining: StraightLiningRule = StraightLiningRule()
    aggregation: AggregationRule = AggregationRule()
    missing_item: SignalAction = Field(
        default="reject", description="A slot whose own item is not answered."
    )
    approve_without_evidence: bool = Field(
        default=False,
        description="Approve a slot with no failed check even when neither gold nor agreement "
        "had enough items to judge it; by default such a slot is left to the requester.",
    )
