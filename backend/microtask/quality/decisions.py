"""Decisions: approve, reject or leave each slot to the requester, and say why.

`decide` applies a `QualityRule` to the scores, per slot, in a fixed order of checks:

1. **gold** (worker-wide): accuracy below ``gold.reject_below`` rejects (``gold_failed``);
   below ``gold.approve_at`` leaves undecided; at or above passes. Fewer than
   ``gold.min_items`` gold answers: gold does not decide.
2. **agreement** (worker-wide): the same with ``agreement.*`` (``incorrect``), except that
   a worker who passed gold is not rejected for agreement alone but left undecided (unless
   ``agreement.overrules_gold``): the two kinds of evidence disagree, so a person decides.
3. **signals** (the slots each concerns): a signal whose action is ``reject`` rejects with
   its code, ``review`` leaves undecided, ``ignore`` is only noted.

A slot is rejected if any check fails, else undecided if any check is borderline, else
approved if gold or agreement passed, else (no evidence either way) undecided unless the
rule says ``approve_without_evidence``. Every decision lists each check's line and the
numbers behind it, so a requester or an arbitrator can redo it by hand; the same inputs
always give the same decisions.

Gold items are never named in a rejection: the review is public, and naming gold items
would teach workers which items are gold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from microtask.manifests.limits import MAX_REJECTION_REASONS, MAX_REVIEWS_PER_BATCH
from microtask.manifests.review import RejectionReason, Review, ReviewBatch
from microtask.quality.aggregation import Agreement
from microtask.quality.errors import ReviewUnavailable
from microtask.quality.fraud import FraudSignal
from microtask.quality.gold import GoldScore
from microtask.quality.rules import QualityRule
from microtask.quality.submissions import Submission

Outcome = Literal["approve", "reject", "undecided"]
Verdict = Literal["pass", "fail", "borderline", "not_judged"]


class Check(BaseModel):
    """One line of a decision: what was measured, against what, and what it says."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="gold, agreement, or a signal name.")
    verdict: Verdict
    line: str = Field(description="The check in one sentence with its numbers.")
    reason: RejectionReason | None = Field(default=None, description="Set when it fails.")


class Decision(BaseModel):
    """The verdict on one slot, with every check that led to it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slot: int
    worker: str
    submission: str | None = Field(description="The envelope CID, when it was given.")
    outcome: Outcome
    checks: tuple[Check, ...]
    numbers: dict[str, float | int | None] = Field(
        description="gold_checked, gold_correct, gold_accuracy, agreement_items, agreement, "
        "and each signal's measurements (prefixed by the signal's name)."
    )
    gold_score: float | None = Field(ge=0, le=1)

    @property
    def reasons(self) -> tuple[RejectionReason, ...]:
        """The rejection reasons, one per failed check (empty unless rejected)."""
        return tuple(c.reason for c in self.checks if c.verdict == "fail" and c.reason)

    def explain(self) -> str:
        """The decision and its checks as lines of text (for logs, the CLI, feedback)."""
        lines = [f"slot {self.slot} ({self.worker}): {self.outcome}"]
        lines += [f"  {c.verdict:>10}  {c.name}: {c.line}" for c in self.checks]
        return "\n".join(lines)


def _percent(value: float) -> str:
    return f"{value:.0%}"


def _gold_check(score: GoldScore | None, rule: QualityRule) -> Check:
    band = rule.gold
    if score is None or score.checked < band.min_items or score.accuracy is None:
        checked = 0 if score is None else score.checked
        return Check(
            name="gold",
            verdict="not_judged",
            line=f"{checked} gold item(s) answered, fewer than the {band.min_items} needed",
        )
    line = (
        f"{score.correct} of {score.checked} gold items right ({_percent(score.accuracy)}); "
        f"reject below {_percent(band.reject_below)}, approve from {_percent(band.approve_at)}"
    )
    if score.accuracy < band.reject_below:
        reason = RejectionReason(code="gold_failed", detail=line)
        return Check(name="gold", verdict="fail", line=line, reason=reason)
    verdict: Verdict = "pass" if score.accuracy >= band.approve_at else "borderline"
    return Check(name="gold", verdict=verdict, line=line)


def _agreement_check(agreement: Agreement | None, gold: Check, rule: QualityRule) -> Check:
    band = rule.agreement
    if agreement is None or agreement.compared < band.min_items or agreement.score is None:
        compared = 0 if agreement is None else agreement.compared
        return Check(
            name="agreement",
            verdict="not_judged",
            line=f"{compared} item(s) comparable with other workers' answers, fewer than the "
            f"{band.min_items} needed",
        )
    line = (
        f"agreement with the crowd's aggregate {_percent(agreement.score)} over "
        f"{agreement.compared} items ({len(agreement.disagreed)} disagreeing); reject below "
        f"{_percent(band.reject_below)}, approve from {_percent(band.approve_at)}"
    )
    if agreement.score < band.reject_below:
        if gold.verdict == "pass" and not band.overrules_gold:
            line += "; gold passed, so a person decides"
            return Check(name="agreement", verdict="borderline", line=line)
        reason = RejectionReason(code="incorrect", detail=line)
        return Check(name="agreement", verdict="fail", line=line, reason=reason)
    verdict: Verdict = "pass" if agreement.score >= band.approve_at else "borderline"
    return Check(name="agreement", verdict=verdict, line=line)


def signal_action(signal: FraudSignal, rule: QualityRule) -> str:
    """What ``rule`` does with ``signal``: reject, review or ignore."""
    match signal.signal:
        case "too_fast":
            return rule.timing.action
        case "copying":
            return rule.copying.action
        case "straight_lining":
            return rule.straight_lining.action
        case "missing_item":
            return rule.missing_item


def _signal_check(signal: FraudSignal, rule: QualityRule) -> Check:
    action = signal_action(signal, rule)
    if action == "reject":
        reason = RejectionReason(code=signal.code, detail=signal.detail)
        return Check(name=signal.signal, verdict="fail", line=signal.detail, reason=reason)
    verdict: Verdict = "borderline" if action == "review" else "not_judged"
    return Check(name=signal.signal, verdict=verdict, line=signal.detail)


def _outcome(checks: Sequence[Check], rule: QualityRule) -> Outcome:
    verdicts = {check.verdict for check in checks}
    if "fail" in verdicts:
        return "reject"
    if "borderline" in verdicts:
        return "undecided"
    judged = any(c.verdict == "pass" for c in checks if c.name in ("gold", "agreement"))
    return "approve" if judged or rule.approve_without_evidence else "undecided"


def decide(
    submissions: Iterable[Submission],
    *,
    gold: Mapping[str, GoldScore],
    agreement: Mapping[str, Agreement],
    signals: Iterable[FraudSignal],
    rule: QualityRule | None = None,
) -> list[Decision]:
    """One `Decision` per submission, sorted by slot (see the module's note for the rule)."""
    rule = rule or QualityRule()
    by_slot: dict[int, list[FraudSignal]] = {}
    for signal in signals:
        for slot in signal.slots:
            by_slot.setdefault(slot, []).append(signal)
    decisions: list[Decision] = []
    for submission in sorted(submissions, key=lambda s: s.slot):
        worker = submission.worker
        score = gold.get(worker)
        agreed = agreement.get(worker)
        own_signals = [s for s in by_slot.get(submission.slot, []) if s.worker == worker]
        gold_check = _gold_check(score, rule)
        checks = [gold_check, _agreement_check(agreed, gold_check, rule)]
        checks += [_signal_check(signal, rule) for signal in own_signals]
        numbers: dict[str, float | int | None] = {
            "gold_checked": score.checked if score else 0,
            "gold_correct": score.correct if score else 0,
            "gold_accuracy": score.accuracy if score else None,
            "agreement_items": agreed.compared if agreed else 0,
            "agreement": agreed.score if agreed else None,
        }
        for signal in own_signals:
            for name, value in signal.numbers.items():
                numbers[f"{signal.signal}_{name}"] = value
        decisions.append(
            Decision(
                slot=submission.slot,
                worker=worker,
                submission=submission.cid,
                outcome=_outcome(checks, rule),
                checks=tuple(checks),
                numbers=numbers,
                gold_score=score.accuracy if score else None,
            )
        )
    return decisions


def review_of(
    decision: Decision, *, task_id: int, reviewer: str, reviewed_at: int, feedback: str = ""
) -> Review:
    """The `Review` document for an approved or rejected slot.

    Raises `ReviewUnavailable` for an undecided slot (the requester decides it) or one whose
    submission CID was not given (a review must name what it reviewed).
    """
    if decision.outcome == "undecided":
        raise ReviewUnavailable(f"slot {decision.slot} is left to the requester")
    if decision.submission is None:
        raise ReviewUnavailable(f"slot {decision.slot}: no submission CID to review")
    return Review(
        task_id=task_id,
        slot=decision.slot,
        submission=decision.submission,
        reviewer=reviewer,
        decision="approved" if decision.outcome == "approve" else "rejected",
        reasons=list(decision.reasons[:MAX_REJECTION_REASONS]),
        feedback=feedback,
        gold_score=decision.gold_score,
        reviewed_at=reviewed_at,
    )


def rejection_batches(
    decisions: Iterable[Decision],
    *,
    task_id: int,
    reviewer: str,
    reviewed_at: int,
    limit: int = MAX_REVIEWS_PER_BATCH,
) -> list[ReviewBatch]:
    """The `ReviewBatch` documents behind batch rejections: the rejected slots, in slot
    order, at most ``limit`` per batch (one batch per rejection transaction)."""
    reviews = [
        review_of(d, task_id=task_id, reviewer=reviewer, reviewed_at=reviewed_at)
        for d in sorted(decisions, key=lambda d: d.slot)
        if d.outcome == "reject"
    ]
    return [
        ReviewBatch(task_id=task_id, reviewer=reviewer, reviews=reviews[i : i + limit])
        for i in range(0, len(reviews), limit)
    ]
