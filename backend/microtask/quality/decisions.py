"""Decisions: approve, reject or leave each slot to the requester, and say why.

`decide` applies a `QualityRule` per slot:

1. **accuracy** (worker-wide): the worker's accuracy estimated from gold and agreement as
   one evidence (`accuracy`). At least ``reject_confidence`` sure it is below the reject
   line rejects (``gold_failed`` when the worker's gold record alone is under the line,
   else ``incorrect``); at least ``approve_confidence`` sure it reaches the approve line
   passes; otherwise borderline. The lines and the numbers behind them are in the line.
2. **signals** (the slots each concerns): a signal whose action is ``reject`` rejects with
   its code, ``review`` leaves undecided, ``ignore`` is only noted.

A slot is rejected if any check fails, else undecided if a signal asks for review, else
approved if accuracy passed (or the rule says ``approve_without_evidence``), else
undecided. An undecided slot whose worker's evidence could still go either way (the
credible interval crosses a line) *wants gold*: the verifier gives that worker gold items
in their next slots and decides again. Every decision lists its checks with their
numbers, so a requester or an arbitrator can redo it by hand; the same inputs always give
the same decisions.

Gold items are never named in a rejection: the review is public, and naming gold items
would teach workers which items are gold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from microtask.manifests.limits import MAX_REJECTION_REASONS, MAX_REVIEWS_PER_BATCH
from microtask.manifests.review import ReasonCode, RejectionReason, Review, ReviewBatch
from microtask.quality.accuracy import Lines, WorkerAccuracy
from microtask.quality.aggregation import Agreement
from microtask.quality.errors import ReviewUnavailable
from microtask.quality.fraud import FraudSignal
from microtask.quality.rules import QualityRule
from microtask.quality.submissions import Submission

Outcome = Literal["approve", "reject", "undecided"]
Verdict = Literal["pass", "fail", "borderline", "not_judged"]


class Check(BaseModel):
    """One line of a decision: what was measured, against what, and what it says."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="accuracy, or a signal name.")
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
        description="gold_checked, gold_correct, gold_accuracy, compared, expected_right, "
        "agreement_items, agreement, accuracy (its mean, low and high), the lines and the "
        "chances of being under and over them, and each signal's measurements (prefixed by "
        "the signal's name)."
    )
    gold_score: float | None = Field(ge=0, le=1)
    wants_gold: bool = Field(
        default=False,
        description="Undecided because the evidence is thin: more gold items would decide.",
    )

    @property
    def reasons(self) -> tuple[RejectionReason, ...]:
        """The rejection reasons, one per failed check (empty unless rejected)."""
        return tuple(c.reason for c in self.checks if c.verdict == "fail" and c.reason)

    def explain(self) -> str:
        """The decision and its checks as lines of text (for logs, the CLI, feedback)."""
        lines = [f"slot {self.slot} ({self.worker}): {self.outcome}"]
        lines += [f"  {c.verdict:>10}  {c.name}: {c.line}" for c in self.checks]
        if self.wants_gold:
            lines.append("  more gold items would decide it")
        return "\n".join(lines)


def _percent(value: float) -> str:
    return f"{value:.0%}"


def _lines_text(task_lines: Lines, rule: QualityRule) -> str:
    text = (
        f"reject when {_percent(rule.accuracy.reject_confidence)} sure it is below "
        f"{_percent(task_lines.reject_below)}, approve when "
        f"{_percent(rule.accuracy.approve_confidence)} sure it reaches "
        f"{_percent(task_lines.approve_at)}"
    )
    if task_lines.relative and task_lines.crowd is not None:
        text += (
            f" (the reject line follows the crowd: {_percent(task_lines.chance)} by chance, "
            f"{_percent(task_lines.crowd)} for the crowd)"
        )
    return text


def _accuracy_check(estimate: WorkerAccuracy | None, task_lines: Lines, rule: QualityRule) -> Check:
    if estimate is None or estimate.evidence == 0:
        return Check(
            name="accuracy",
            verdict="not_judged",
            line="no gold item and no item other workers answered: nothing to judge by",
        )
    gold = (
        f"{estimate.gold_correct} of {estimate.gold_checked} gold items right"
        if estimate.gold_checked
        else "no gold item"
    )
    line = (
        f"accuracy {_percent(estimate.mean)} (90% sure between {_percent(estimate.low)} and "
        f"{_percent(estimate.high)}) from {gold} and {estimate.compared} item(s) judged by "
        f"other workers' answers ({estimate.expected_right:.1f} likely right); "
        f"{_percent(estimate.below_reject)} sure it is below the reject line, "
        f"{_percent(estimate.at_least_approve)} sure it reaches the approve line; "
        + _lines_text(task_lines, rule)
    )
    if estimate.below_reject >= rule.accuracy.reject_confidence:
        gold_accuracy = estimate.gold_accuracy
        code: ReasonCode = (
            "gold_failed"
            if gold_accuracy is not None and gold_accuracy < task_lines.reject_below
            else "incorrect"
        )
        reason = RejectionReason(code=code, detail=line)
        return Check(name="accuracy", verdict="fail", line=line, reason=reason)
    if estimate.at_least_approve >= rule.accuracy.approve_confidence:
        return Check(name="accuracy", verdict="pass", line=line)
    return Check(name="accuracy", verdict="borderline", line=line)


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
    if len(checks) == 1:  # accuracy alone, most slots
        verdict = checks[0].verdict
        if verdict == "fail":
            return "reject"
        return "approve" if verdict == "pass" or rule.approve_without_evidence else "undecided"
    if any(c.verdict == "fail" for c in checks):
        return "reject"
    if any(c.verdict == "borderline" and c.name != "accuracy" for c in checks):
        return "undecided"
    passed = checks[0].verdict == "pass"  # the accuracy check comes first
    return "approve" if passed or rule.approve_without_evidence else "undecided"


def _wants_gold(
    outcome: Outcome, check: Check, estimate: WorkerAccuracy | None, task_lines: Lines
) -> bool:
    """Undecided, and the accuracy check did not decide, with an interval that still
    reaches past a line (a worker surely between the lines is the requester's to judge)."""
    if outcome != "undecided" or check.verdict in ("pass", "fail"):
        return False
    if estimate is None or estimate.evidence == 0:
        return True
    return estimate.low < task_lines.reject_below or estimate.high >= task_lines.approve_at


def decide(
    submissions: Iterable[Submission],
    *,
    accuracy: Mapping[str, WorkerAccuracy],
    lines: Lines,
    signals: Iterable[FraudSignal] = (),
    rule: QualityRule | None = None,
    agreement: Mapping[str, Agreement] | None = None,
) -> list[Decision]:
    """One `Decision` per submission, sorted by slot (see the module's note for the rule).

    ``agreement``: each worker's mean agreement with the aggregate, shown in the numbers
    (it does not decide: ``accuracy`` holds the evidence).
    """
    rule = rule or QualityRule()
    by_slot: dict[int, list[FraudSignal]] = {}
    for found in signals:
        for slot in found.slots:
            by_slot.setdefault(slot, []).append(found)
    shared: dict[str, tuple[Check, dict[str, float | int | None]]] = {}
    decisions: list[Decision] = []
    for submission in sorted(submissions, key=lambda s: s.slot):
        worker = submission.worker
        estimate = accuracy.get(worker)
        if worker not in shared:
            shared[worker] = (
                _accuracy_check(estimate, lines, rule),
                _numbers(estimate, (agreement or {}).get(worker), lines),
            )
        check, base = shared[worker]
        own_signals = [s for s in by_slot.get(submission.slot, []) if s.worker == worker]
        checks = (check, *(_signal_check(s, rule) for s in own_signals))
        numbers = dict(base)
        for found in own_signals:
            for name, value in found.numbers.items():
                numbers[f"{found.signal}_{name}"] = value
        outcome = _outcome(checks, rule)
        # every part was validated when it was made; 25,000 slots need not be again
        decisions.append(
            Decision.model_construct(
                slot=submission.slot,
                worker=worker,
                submission=submission.cid,
                outcome=outcome,
                checks=checks,
                numbers=numbers,
                gold_score=estimate.gold_accuracy if estimate else None,
                wants_gold=_wants_gold(outcome, check, estimate, lines),
            )
        )
    return decisions


def _numbers(
    estimate: WorkerAccuracy | None, agreed: Agreement | None, lines: Lines
) -> dict[str, float | int | None]:
    return {
        "gold_checked": estimate.gold_checked if estimate else 0,
        "gold_correct": estimate.gold_correct if estimate else 0,
        "gold_accuracy": estimate.gold_accuracy if estimate else None,
        "compared": estimate.compared if estimate else 0,
        "expected_right": estimate.expected_right if estimate else 0.0,
        "agreement_items": agreed.compared if agreed else 0,
        "agreement": agreed.score if agreed else None,
        "accuracy": estimate.mean if estimate else None,
        "accuracy_low": estimate.low if estimate else None,
        "accuracy_high": estimate.high if estimate else None,
        "below_reject_line": estimate.below_reject if estimate else None,
        "at_least_approve_line": estimate.at_least_approve if estimate else None,
        "reject_line": lines.reject_below,
        "approve_line": lines.approve_at,
        "crowd_accuracy": lines.crowd,
    }


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
