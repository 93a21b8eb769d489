"""`assess`: the whole quality check of one task's submissions, in one deterministic call.

The order matters, because cheats must not shape the crowd's answer they are then judged
against:

1. gold scores and fraud signals, which need no aggregate;
2. the aggregate of every answer except those already condemned: all answers of workers
   below the gold reject line, and the slots of signals whose action is ``reject``;
3. each worker's agreement with that aggregate (the condemned are measured against the
   others, never against themselves);
4. the decisions (`decisions.decide`);
5. the published aggregate, recomputed without every rejected slot.

The verifier service opens envelopes, builds `Submission`s and a `GoldKey`, calls this,
settles the decisions and uploads `Assessment.results()`.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from microtask.manifests.answers import TaskKind, check_answer
from microtask.manifests.task import TaskManifest
from microtask.quality.aggregation import (
    Agreement,
    ItemAggregate,
    aggregate,
    agreement,
    method_for,
)
from microtask.quality.decisions import Decision, Outcome, decide, signal_action
from microtask.quality.errors import QualityError
from microtask.quality.fraud import (
    FraudSignal,
    copying,
    missing_items,
    straight_lining,
    too_fast,
)
from microtask.quality.gold import GoldKey, GoldScore, score_gold
from microtask.quality.results import ResultSet, result_set
from microtask.quality.rules import QualityRule
from microtask.quality.submissions import (
    Submission,
    WorkerAnswer,
    expected_items,
    worker_answers,
)


class Assessment(BaseModel):
    """Everything `assess` found: scores, signals, aggregates and the decision per slot."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: TaskKind
    method: str | None
    rule: QualityRule
    item_ids: tuple[str, ...] | None
    gold: dict[str, GoldScore]
    signals: tuple[FraudSignal, ...]
    agreement: dict[str, Agreement]
    aggregates: dict[str, ItemAggregate]
    decisions: tuple[Decision, ...]

    def decision(self, slot: int) -> Decision:
        """The decision on ``slot`` (KeyError if no submission for it was assessed)."""
        for decision in self.decisions:
            if decision.slot == slot:
                return decision
        raise KeyError(slot)

    def slots(self, outcome: Outcome) -> tuple[int, ...]:
        """The slots with ``outcome`` (approve, reject, undecided), in order."""
        return tuple(d.slot for d in self.decisions if d.outcome == outcome)

    def results(self) -> ResultSet:
        """The aggregated result set (JSON Lines and CSV) for the requester."""
        return result_set(self.aggregates, self.item_ids)


def assess(
    manifest: TaskManifest,
    submissions: Sequence[Submission],
    *,
    gold: GoldKey | None = None,
    rule: QualityRule | None = None,
    item_ids: Sequence[str] | None = None,
) -> Assessment:
    """Score, aggregate and decide every submission of one task.

    ``gold``: the task's `GoldKey` (`GoldKey.from_manifest`); none means no gold scoring.
    ``item_ids``: the task's items in order, needed to check each slot answers its own item
    when the manifest's items are in a file (inline items are read from the manifest).

    Every answer must fit the manifest's answer schema, as `open_submission` with the
    manifest ensures; one that does not raises `QualityError` naming its slot (a
    submission that cannot be opened or does not fit is the service's to reject, before
    quality control).
    """
    rule = rule or QualityRule()
    _check_fits(manifest, submissions)
    ids = list(item_ids) if item_ids is not None else expected_items(manifest)
    answers = worker_answers(submissions, ids)
    key = gold or GoldKey()
    gold_scores = score_gold(answers, key)
    signals = [
        *too_fast(submissions, manifest.time_estimate_seconds, rule.timing),
        *copying(answers, rule.copying, key),
        *straight_lining(answers, rule.straight_lining, key),
        *(missing_items(submissions, ids) if ids is not None else []),
    ]
    condemned_workers = {
        worker
        for worker, score in gold_scores.items()
        if score.checked >= rule.gold.min_items
        and score.accuracy is not None
        and score.accuracy < rule.gold.reject_below
    }
    condemned_slots = {
        slot for s in signals if signal_action(s, rule) == "reject" for slot in s.slots
    }
    first = aggregate(
        manifest.kind,
        _keep(answers, condemned_workers, condemned_slots),
        rule.aggregation,
        key,
    )
    agreements = agreement(answers, first, min_other_answers=rule.agreement.min_other_answers)
    decisions = decide(
        submissions, gold=gold_scores, agreement=agreements, signals=signals, rule=rule
    )
    rejected = {d.slot for d in decisions if d.outcome == "reject"}
    final = aggregate(manifest.kind, _keep(answers, set(), rejected), rule.aggregation, key)
    return Assessment(
        kind=manifest.kind,
        method=method_for(manifest.kind, rule.aggregation),
        rule=rule,
        item_ids=None if ids is None else tuple(ids),
        gold=gold_scores,
        signals=tuple(signals),
        agreement=agreements,
        aggregates=final,
        decisions=tuple(decisions),
    )


def _check_fits(manifest: TaskManifest, submissions: Sequence[Submission]) -> None:
    seen: set[int] = set()
    for submission in submissions:
        if submission.slot in seen:
            raise QualityError(f"two submissions for slot {submission.slot}")
        seen.add(submission.slot)
        for item in submission.answers:
            try:
                check_answer(manifest.answer_schema, item.answer)
            except ValueError as error:
                raise QualityError(
                    f"slot {submission.slot}, item {item.item_id!r}: {error}"
                ) from None


def _keep(
    answers: Sequence[WorkerAnswer], workers: set[str], slots: set[int]
) -> list[WorkerAnswer]:
    return [a for a in answers if a.worker not in workers and a.slot not in slots]
