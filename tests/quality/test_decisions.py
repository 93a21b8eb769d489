"""The requester's rule: accuracy with its uncertainty, signal actions, review documents."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from microtask.manifests import Review
from microtask.quality import (
    AccuracyRule,
    Decision,
    FraudSignal,
    Judged,
    Lines,
    QualityRule,
    ReviewUnavailable,
    decide,
    lines,
    rejection_batches,
    review_of,
    worker_accuracy,
)
from tests.quality.scenario import VERIFIER, WORKERS, cls, submission

G1 = WORKERS["G1"].address
SLOT = 4
FIXED = lines(AccuracyRule(), None, 2)  # 60% / 60%, the crowd not consulted


def judged(gold_right: int = 0, gold_wrong: int = 0, soft: tuple[float, ...] = ()) -> list[Judged]:
    """G1's evidence: gold answers right and wrong, and items judged by other workers with
    these probabilities of being right."""
    return [
        *[Judged(G1, 1.0, True, 2)] * gold_right,
        *[Judged(G1, 0.0, True, 2)] * gold_wrong,
        *[Judged(G1, r, False, 2) for r in soft],
    ]


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
    evidence: list[Judged] | None = None,
    signals: list[FraudSignal] | None = None,
    rule: QualityRule | None = None,
    task_lines: Lines = FIXED,
) -> Decision:
    (decision,) = decide(
        [submission("G1", SLOT, cls("cat"))],
        accuracy=worker_accuracy(evidence or [], task_lines, workers=[G1]),
        lines=task_lines,
        signals=signals or [],
        rule=rule,
    )
    return decision


@pytest.mark.parametrize(
    ("right", "wrong", "outcome"),
    [
        (5, 0, "approve"),  # 5 of 5: 97% sure of at least 60%
        (4, 0, "approve"),  # 4 of 4: 92% sure
        (3, 0, "approve"),  # 3 of 3: 87% sure
        (2, 0, "undecided"),  # 78% sure, short of 80%
        (1, 1, "undecided"),  # the old rule rejected one miss in two
        (0, 2, "undecided"),  # 94% sure of under 60%, short of 95%
        (0, 3, "reject"),  # 97% sure
        (1, 4, "reject"),
        (9, 1, "approve"),
        (8, 2, "approve"),  # 88% sure
        (6, 3, "undecided"),  # 60% sure
        (3, 2, "undecided"),
    ],
)
def test_gold_alone_decides_only_with_enough_evidence(right: int, wrong: int, outcome: str) -> None:
    decision = one(judged(right, wrong))
    assert decision.outcome == outcome
    assert decision.numbers["gold_checked"] == right + wrong
    assert decision.numbers["gold_correct"] == right
    if outcome == "reject":
        (reason,) = decision.reasons
        assert reason.code == "gold_failed"
        assert f"{right} of {right + wrong} gold items right" in (reason.detail or "")
    else:
        assert decision.reasons == ()


def test_gold_and_agreement_are_weighed_together_both_ways() -> None:
    # two gold misses alone are not enough to reject; agreement that points the same way is
    assert one(judged(0, 2)).outcome == "undecided"
    assert one(judged(0, 2, soft=(0.02, 0.05, 0.1))).outcome == "reject"
    # and two gold misses do not outweigh many answers the crowd is sure are right
    assert one(judged(0, 2, soft=(0.98,) * 20)).outcome == "approve"
    # agreement alone decides the same way gold does
    assert one(judged(soft=(0.99,) * 5)).outcome == "approve"
    assert one(judged(soft=(0.01,) * 4)).outcome == "reject"


def test_answers_the_crowd_is_unsure_about_say_little() -> None:
    unsure = one(judged(soft=(0.5,) * 200))
    assert unsure.outcome == "undecided"
    assert unsure.wants_gold
    assert unsure.numbers["accuracy_low"] < 0.1  # type: ignore[operator]
    assert unsure.numbers["accuracy_high"] > 0.9  # type: ignore[operator]


def test_a_rejection_without_failed_gold_is_incorrect() -> None:
    decision = one(judged(2, 0, soft=(0.01,) * 12))
    assert decision.outcome == "reject"
    assert [r.code for r in decision.reasons] == ["incorrect"]


def test_every_decision_shows_its_numbers_and_lines() -> None:
    decision = one(judged(3, 1, soft=(0.9, 0.8)))
    numbers = decision.numbers
    assert (numbers["gold_checked"], numbers["gold_correct"], numbers["compared"]) == (4, 3, 2)
    assert numbers["gold_accuracy"] == 0.75
    assert numbers["expected_right"] == pytest.approx(1.7)
    assert numbers["reject_line"] == numbers["approve_line"] == 0.6
    assert 0 < numbers["accuracy_low"] < numbers["accuracy"] < numbers["accuracy_high"] < 1  # type: ignore[operator]
    (check,) = decision.checks
    assert check.name == "accuracy"
    assert "from 3 of 4 gold items right and 2 item(s) judged by other workers" in check.line
    assert "reject when 95% sure it is below 60%, approve when 80% sure it reaches 60%" in (
        check.line
    )


def test_the_reject_line_follows_a_hard_crowd_down_but_not_the_approve_line() -> None:
    rule = AccuracyRule()
    assert lines(rule, 0.95, 2).reject_below == 0.6  # an easy task: the fixed line
    hard = lines(rule, 0.55, 4)  # four labels, the crowd right 55% of the time
    assert hard.reject_below == pytest.approx(0.25 + 0.75 * 0.30)
    assert hard.relative
    assert hard.approve_at == 0.6
    fixed = lines(rule.model_copy(update={"relative_to_crowd": None}), 0.55, 4)
    assert fixed.reject_below == 0.6
    # a worker right 55% of the time on 1,000 answers: rejected on the fixed line only
    evidence = judged(550, 450)
    assert one(evidence, task_lines=fixed).outcome == "reject"
    decision = one(evidence, task_lines=hard)
    assert decision.outcome == "undecided"
    assert "the reject line follows the crowd: 25% by chance, 55% for the crowd" in (
        decision.checks[0].line
    )
    assert not decision.wants_gold  # confidently between the lines: a person decides


def test_no_evidence_is_left_to_the_requester_unless_the_rule_approves_it() -> None:
    nothing = one()
    assert nothing.outcome == "undecided"
    assert nothing.checks[0].verdict == "not_judged"
    assert nothing.wants_gold
    assert one(judged(soft=(1.0,))).outcome == "undecided"  # one item: too few
    lenient = QualityRule(approve_without_evidence=True)
    assert one(rule=lenient).outcome == "approve"
    assert one(judged(0, 3), rule=lenient).outcome == "reject"  # evidence still rejects


def test_stricter_confidence_rejects_less_and_approves_less() -> None:
    strict = QualityRule.model_validate(
        {"accuracy": {"reject_confidence": 0.99, "approve_confidence": 0.99}}
    )
    assert one(judged(0, 3), rule=strict).outcome == "undecided"
    assert one(judged(0, 5), rule=strict).outcome == "reject"
    assert one(judged(5, 0), rule=strict).outcome == "undecided"
    assert one(judged(9, 0), rule=strict).outcome == "approve"
    assert one(judged(3, 0)).outcome == "approve"  # the default: 80% sure is enough


def test_a_signal_rejects_reviews_or_is_only_noted_as_the_rule_says() -> None:
    evidence = judged(5, 0)
    rejected = one(evidence, signals=[too_fast_signal()])
    assert rejected.outcome == "reject"
    (reason,) = rejected.reasons
    assert (reason.code, reason.detail) == ("spam", "slot 4 was submitted 1 s after it was started")
    assert rejected.numbers["too_fast_seconds"] == 1
    review = QualityRule.model_validate({"timing": {"action": "review"}})
    reviewed = one(evidence, signals=[too_fast_signal()], rule=review)
    assert reviewed.outcome == "undecided"
    assert not reviewed.wants_gold  # the accuracy is settled: gold would not help
    ignore = QualityRule.model_validate({"timing": {"action": "ignore"}})
    noted = one(evidence, signals=[too_fast_signal()], rule=ignore)
    assert noted.outcome == "approve"
    assert noted.checks[-1].name == "too_fast"
    assert noted.checks[-1].verdict == "not_judged"


def test_a_signal_about_another_slot_does_not_touch_this_one() -> None:
    assert one(judged(5, 0), signals=[too_fast_signal(slot=SLOT + 1)]).outcome == "approve"


def test_a_rejection_lists_every_failed_check() -> None:
    decision = one(judged(0, 4), signals=[too_fast_signal()])
    assert [r.code for r in decision.reasons] == ["gold_failed", "spam"]
    lines_of = decision.explain().splitlines()
    assert lines_of[0] == f"slot {SLOT} ({G1}): reject"
    assert [line.split()[0] for line in lines_of[1:]] == ["fail", "fail"]


def test_reviews_of_decided_slots() -> None:
    approved = one(judged(5, 0))
    review = review_of(approved, task_id=3, reviewer=VERIFIER.address, reviewed_at=100)
    assert isinstance(review, Review)
    assert (review.decision, review.reasons, review.gold_score) == ("approved", [], 1.0)
    assert review.submission == approved.submission
    rejected = one(judged(0, 4))
    review = review_of(rejected, task_id=3, reviewer=VERIFIER.address, reviewed_at=100)
    assert review.decision == "rejected"
    assert [r.code for r in review.reasons] == ["gold_failed"]


def test_no_review_for_an_undecided_slot_or_without_a_submission_cid() -> None:
    with pytest.raises(ReviewUnavailable, match="left to the requester"):
        review_of(one(), task_id=3, reviewer=VERIFIER.address, reviewed_at=100)
    nameless = one(judged(0, 4)).model_copy(update={"submission": None})
    with pytest.raises(ReviewUnavailable, match="no submission CID"):
        review_of(nameless, task_id=3, reviewer=VERIFIER.address, reviewed_at=100)


def test_rejections_are_batched_within_the_limit() -> None:
    subs = [submission("G1", slot, cls("cat")) for slot in range(5)]
    failing = worker_accuracy(judged(0, 4), FIXED)
    decisions = decide(subs, accuracy=failing, lines=FIXED)
    batches = rejection_batches(
        decisions, task_id=3, reviewer=VERIFIER.address, reviewed_at=100, limit=2
    )
    assert [[r.slot for r in b.reviews] for b in batches] == [[0, 1], [2, 3], [4]]
    passing = worker_accuracy(judged(5, 0), FIXED)
    approved = decide(subs, accuracy=passing, lines=FIXED)
    assert rejection_batches(approved, task_id=3, reviewer=VERIFIER.address, reviewed_at=1) == []


def test_a_rule_is_a_strict_document() -> None:
    rule = QualityRule.model_validate({"accuracy": {"reject_below": 0.5, "approve_at": 0.9}})
    assert rule.accuracy.reject_below == 0.5
    assert rule.copying == QualityRule().copying
    assert QualityRule.model_validate_json(rule.model_dump_json()) == rule
    with pytest.raises(ValidationError, match="reject_below is above approve_at"):
        QualityRule.model_validate({"accuracy": {"reject_below": 0.9, "approve_at": 0.5}})
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        QualityRule.model_validate({"gold": {"reject_below": 0.5}})  # the old bands
    with pytest.raises(ValidationError):
        QualityRule.model_validate({"timing": {"action": "shrug"}})
    with pytest.raises(ValidationError):
        QualityRule.model_validate({"accuracy": {"reject_confidence": 0.4}})
