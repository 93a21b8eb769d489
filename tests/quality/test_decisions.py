"""The requester's rule: thresholds, borderline bands, signal actions, and review documents."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from microtask.manifests import Review
from microtask.quality import (
    Agreement,
    Decision,
    FraudSignal,
    GoldScore,
    QualityRule,
    ReviewUnavailable,
    decide,
    rejection_batches,
    review_of,
)
from tests.quality.scenario import VERIFIER, WORKERS, cls, submission

G1 = WORKERS["G1"].address
SLOT = 4


def gold(correct: int, checked: int) -> dict[str, GoldScore]:
    missed = tuple(f"g{n}" for n in range(checked - correct))
    accuracy = None if checked == 0 else correct / checked
    return {
        G1: GoldScore(worker=G1, checked=checked, correct=correct, accuracy=accuracy, missed=missed)
    }


def agreed(score: float | None, compared: int) -> dict[str, Agreement]:
    return {G1: Agreement(worker=G1, compared=compared, score=score, disagreed=())}


def too_fast_signal(slot: int = SLOT) -> FraudSignal:
    return FraudSignal(
        signal="too_fast",
        code="spam",
        worker=G1,
        slots=(slot,),
        detail="slot 4 was submitted 1 s after it was started",
        numbers={"seconds": 1, "min_seconds": 6, "items": 1},
    )


def one(
    gold_scores: dict[str, GoldScore] | None = None,
    agreement: dict[str, Agreement] | None = None,
    signals: list[FraudSignal] | None = None,
    rule: QualityRule | None = None,
) -> Decision:
    (decision,) = decide(
        [submission("G1", SLOT, cls("cat"))],
        gold=gold_scores or {},
        agreement=agreement or {},
        signals=signals or [],
        rule=rule,
    )
    return decision


@pytest.mark.parametrize(
    ("correct", "checked", "outcome"),
    [
        (5, 5, "approve"),
        (4, 5, "approve"),  # 80%: the approve line is inclusive
        (3, 4, "undecided"),  # 75%
        (3, 5, "undecided"),  # 60%: the reject line is exclusive
        (1, 2, "reject"),  # 50%
        (0, 3, "reject"),
    ],
)
def test_gold_accuracy_bands(correct: int, checked: int, outcome: str) -> None:
    decision = one(gold(correct, checked))
    assert decision.outcome == outcome
    assert decision.numbers["gold_checked"] == checked
    assert decision.numbers["gold_correct"] == correct
    if outcome == "reject":
        (reason,) = decision.reasons
        assert reason.code == "gold_failed"
        assert f"{correct} of {checked} gold items right" in (reason.detail or "")
        assert decision.gold_score == correct / checked
    else:
        assert decision.reasons == ()


def test_too_few_gold_items_decide_nothing() -> None:
    decision = one(gold(0, 1))
    assert decision.outcome == "undecided"
    assert decision.checks[0].verdict == "not_judged"
    assert decision.checks[0].line == "1 gold item(s) answered, fewer than the 2 needed"
    assert one(gold(0, 1), rule=QualityRule.model_validate({"gold": {"min_items": 1}})).outcome == (
        "reject"
    )


@pytest.mark.parametrize(
    ("score", "outcome", "code"),
    [
        (0.9, "approve", None),
        (0.7, "approve", None),
        (0.6, "undecided", None),
        (0.4, "reject", "incorrect"),
    ],
)
def test_agreement_bands(score: float, outcome: str, code: str | None) -> None:
    decision = one(agreement=agreed(score, 5))
    assert decision.outcome == outcome
    assert [r.code for r in decision.reasons] == ([code] if code else [])
    assert decision.numbers["agreement"] == score
    assert decision.numbers["agreement_items"] == 5


def test_low_agreement_does_not_overrule_passed_gold_unless_the_rule_says_so() -> None:
    decision = one(gold(5, 5), agreed(0.2, 6))
    assert decision.outcome == "undecided"
    assert decision.checks[1].verdict == "borderline"
    assert decision.checks[1].line.endswith("gold passed, so a person decides")
    strict = QualityRule.model_validate({"agreement": {"overrules_gold": True}})
    assert one(gold(5, 5), agreed(0.2, 6), rule=strict).outcome == "reject"


def test_no_evidence_is_left_to_the_requester_unless_the_rule_approves_it() -> None:
    assert one().outcome == "undecided"
    assert one(agreement=agreed(1.0, 2)).outcome == "undecided"  # 2 < 3 items
    lenient = QualityRule(approve_without_evidence=True)
    assert one(rule=lenient).outcome == "approve"


def test_a_signal_rejects_reviews_or_is_only_noted_as_the_rule_says() -> None:
    evidence = gold(5, 5)
    rejected = one(evidence, signals=[too_fast_signal()])
    assert rejected.outcome == "reject"
    (reason,) = rejected.reasons
    assert (reason.code, reason.detail) == ("spam", "slot 4 was submitted 1 s after it was started")
    assert rejected.numbers["too_fast_seconds"] == 1
    review = QualityRule.model_validate({"timing": {"action": "review"}})
    assert one(evidence, signals=[too_fast_signal()], rule=review).outcome == "undecided"
    ignore = QualityRule.model_validate({"timing": {"action": "ignore"}})
    noted = one(evidence, signals=[too_fast_signal()], rule=ignore)
    assert noted.outcome == "approve"
    assert noted.checks[-1].name == "too_fast"
    assert noted.checks[-1].verdict == "not_judged"


def test_a_signal_about_another_slot_does_not_touch_this_one() -> None:
    assert one(gold(5, 5), signals=[too_fast_signal(slot=SLOT + 1)]).outcome == "approve"


def test_a_rejection_lists_every_failed_check() -> None:
    decision = one(gold(0, 4), agreed(0.1, 4), [too_fast_signal()])
    assert [r.code for r in decision.reasons] == ["gold_failed", "incorrect", "spam"]
    lines = decision.explain().splitlines()
    assert lines[0] == f"slot {SLOT} ({G1}): reject"
    assert [line.split()[0] for line in lines[1:]] == ["fail", "fail", "fail"]


def test_reviews_of_decided_slots() -> None:
    approved = one(gold(5, 5))
    review = review_of(approved, task_id=3, reviewer=VERIFIER.address, reviewed_at=100)
    assert isinstance(review, Review)
    assert (review.decision, review.reasons, review.gold_score) == ("approved", [], 1.0)
    assert review.submission == approved.submission
    rejected = one(gold(0, 4))
    review = review_of(rejected, task_id=3, reviewer=VERIFIER.address, reviewed_at=100)
    assert review.decision == "rejected"
    assert [r.code for r in review.reasons] == ["gold_failed"]


def test_no_review_for_an_undecided_slot_or_without_a_submission_cid() -> None:
    with pytest.raises(ReviewUnavailable, match="left to the requester"):
        review_of(one(), task_id=3, reviewer=VERIFIER.address, reviewed_at=100)
    nameless = one(gold(0, 4)).model_copy(update={"submission": None})
    with pytest.raises(ReviewUnavailable, match="no submission CID"):
        review_of(nameless, task_id=3, reviewer=VERIFIER.address, reviewed_at=100)


def test_rejections_are_batched_within_the_limit() -> None:
    subs = [submission("G1", slot, cls("cat")) for slot in range(5)]
    decisions = decide(subs, gold=gold(0, 4), agreement={}, signals=[])
    batches = rejection_batches(
        decisions, task_id=3, reviewer=VERIFIER.address, reviewed_at=100, limit=2
    )
    assert [[r.slot for r in b.reviews] for b in batches] == [[0, 1], [2, 3], [4]]
    approved = decide(subs, gold=gold(4, 4), agreement={}, signals=[])
    assert rejection_batches(approved, task_id=3, reviewer=VERIFIER.address, reviewed_at=1) == []


def test_a_rule_is_a_strict_document() -> None:
    rule = QualityRule.model_validate({"gold": {"reject_below": 0.5, "approve_at": 0.9}})
    assert rule.gold.reject_below == 0.5
    assert rule.agreement == QualityRule().agreement
    assert QualityRule.model_validate_json(rule.model_dump_json()) == rule
    with pytest.raises(ValidationError, match="reject_below is above approve_at"):
        QualityRule.model_validate({"gold": {"reject_below": 0.9, "approve_at": 0.5}})
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        QualityRule.model_validate({"gold": {"threshold": 0.5}})
    with pytest.raises(ValidationError):
        QualityRule.model_validate({"timing": {"action": "shrug"}})
