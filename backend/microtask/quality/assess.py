"""`assess`: the whole quality check of one task's submissions, in one deterministic call.

The order matters, because cheats must not shape the crowd's answer they are then judged
against:

1. gold scores and the fraud signals that need no aggregate (too fast, straight-lining,
   a missing item);
2. the aggregate (for labels, the label model, `models`) of every answer except the slots
   those signals reject;
3. copying, tested with that model; when it rejects more slots, the model is refitted
   without them (with the settings it chose);
4. each worker's accuracy from gold and from the other workers' answers, as one evidence
   (`accuracy`): the condemned are judged by the others, never by themselves;
5. the decisions (`decisions.decide`);
6. the published aggregate, refitted without every rejected slot, and its coverage: the
   items that lost every answer to rejections are named, never silently dropped.

The verifier service opens envelopes, builds `Submission`s and a `GoldKey`, calls this,
settles the decisions, asks undecided workers for gold, and uploads
`Assessment.results()`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from microtask.manifests.answers import TaskKind, check_answer
from microtask.manifests.task import TaskManifest
from microtask.quality.accuracy import (
    Judged,
    Lines,
    WorkerAccuracy,
    crowd_accuracy,
    lines,
    worker_accuracy,
)
from microtask.quality.aggregation import (
    Aggregation,
    Agreement,
    ItemAggregate,
    ModelSettings,
    aggregation,
    agreement,
    item_agreement,
    method_for,
)
from microtask.quality.compare import vote_of
from microtask.quality.copying import copying
from microtask.quality.decisions import Decision, Outcome, decide, signal_action
from microtask.quality.errors import QualityError
from microtask.quality.fraud import (
    FraudSignal,
    missing_items,
    straight_lining,
    too_fast,
)
from microtask.quality.gold import GoldKey, GoldScore, score_gold
from microtask.quality.models import LabelModel
from microtask.quality.results import ResultSet, result_set
from microtask.quality.rules import QualityRule
from microtask.quality.submissions import (
    Submission,
    WorkerAnswer,
    expected_items,
    worker_answers,
)


class Coverage(BaseModel):
    """How many items the published result set answers, and which it cannot."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    items: int = Field(ge=0, description="The task's items (those answered, if unknown).")
    answered: int = Field(ge=0, description="Items with at least one accepted answer.")
    emptied: tuple[str, ...] = Field(
        description="Items that had answers, every one of them rejected: no result."
    )
    unanswered: tuple[str, ...] = Field(description="Items nobody answered (yet).")

    @property
    def share(self) -> float:
        """The share of items the result set answers (1.0 for a task of no items)."""
        return 1.0 if not self.items else self.answered / self.items

    def summary(self) -> str:
        text = f"{self.answered} of {self.items} items answered ({self.share:.0%})"
        if self.emptied:
            text += f"; {len(self.emptied)} lost every answer to rejections"
        if self.unanswered:
            text += f"; {len(self.unanswered)} not answered"
        return text


class ModelSummary(BaseModel):
    """The label model behind a categorical aggregate, as it was chosen."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: str
    labels: int = Field(ge=0)
    shrinkage: float | None = Field(
        description="Prior strength toward the crowd's confusion matrix, in answers per true "
        "label; None when every worker shares the crowd's matrix."
    )
    temperature: float = Field(gt=0, le=1)
    floor: float = Field(ge=0, lt=1)


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
    accuracy: dict[str, WorkerAccuracy]
    lines: Lines
    model: ModelSummary | None
    aggregates: dict[str, ItemAggregate]
    decisions: tuple[Decision, ...]
    coverage: Coverage

    def decision(self, slot: int) -> Decision:
        """The decision on ``slot`` (KeyError if no submission for it was assessed)."""
        for decision in self.decisions:
            if decision.slot == slot:
                return decision
        raise KeyError(slot)

    def slots(self, outcome: Outcome) -> tuple[int, ...]:
        """The slots with ``outcome`` (approve, reject, undecided), in order."""
        return tuple(d.slot for d in self.decisions if d.outcome == outcome)

    def wanting_gold(self) -> tuple[str, ...]:
        """The workers whose undecided slots more gold items would decide, sorted."""
        return tuple(sorted({d.worker for d in self.decisions if d.wants_gold}))

    def results(self) -> ResultSet:
        """The aggregated result set (JSON Lines and CSV) for the requester."""
        return result_set(self.aggregates, self.item_ids, emptied=self.coverage.emptied)


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
        *straight_lining(answers, rule.straight_lining, key),
        *(missing_items(submissions, ids) if ids is not None else []),
    ]
    condemned = _rejected_by(signals, rule)
    first = aggregation(manifest.kind, _keep(answers, condemned), rule.aggregation, key)
    settings = ModelSettings.of(first.model) if first.model is not None else None
    copied = copying(_keep(answers, condemned), rule.copying, key, model=first.model)
    signals += copied
    if _rejected_by(copied, rule) - condemned:
        condemned = _rejected_by(signals, rule)
        first = aggregation(
            manifest.kind, _keep(answers, condemned), rule.aggregation, key, settings
        )
    judged, labels = _judge(answers, first, key, rule)
    kept = [j for j, answer in zip(judged, answers, strict=True) if answer.slot not in condemned]
    task_lines = lines(rule.accuracy, crowd_accuracy(j for j in kept if j is not None), labels)
    estimates = worker_accuracy(
        [j for j in judged if j is not None], task_lines, workers={a.worker for a in answers}
    )
    agreements = agreement(
        answers, first.aggregates, min_other_answers=rule.accuracy.min_other_answers
    )
    decisions = decide(
        submissions,
        accuracy=estimates,
        lines=task_lines,
        signals=signals,
        rule=rule,
        agreement=agreements,
    )
    rejected = {d.slot for d in decisions if d.outcome == "reject"}
    final = (
        first
        if rejected == condemned
        else aggregation(manifest.kind, _keep(answers, rejected), rule.aggregation, key, settings)
    )
    return Assessment(
        kind=manifest.kind,
        method=method_for(manifest.kind, rule.aggregation),
        rule=rule,
        item_ids=None if ids is None else tuple(ids),
        gold=gold_scores,
        signals=tuple(signals),
        agreement=agreements,
        accuracy=estimates,
        lines=task_lines,
        model=None if first.model is None else _summary(first.model),
        aggregates=final.aggregates,
        decisions=tuple(decisions),
        coverage=_coverage(ids, answers, final.aggregates),
    )


def _judge(
    answers: Sequence[WorkerAnswer], fitted: Aggregation, key: GoldKey, rule: QualityRule
) -> tuple[list[Judged | None], int]:
    """Each answer as evidence of its worker's accuracy (None: nothing judges it), and the
    number of labels an answer can take (0 for kinds without labels)."""
    needed = rule.accuracy.min_other_answers
    if fitted.model is not None:
        return _judge_labels(answers, fitted.model, key, needed), len(fitted.model.table.labels)
    judged: list[Judged | None] = []
    for answer in answers:
        if answer.item_id in key:
            right = 1.0 if key.check(answer.item_id, answer.answer) else 0.0
            judged.append(Judged(answer.worker, right, True, 2))
            continue
        item = fitted.aggregates.get(answer.item_id)
        others = 0 if item is None else sum(1 for w in item.workers if w != answer.worker)
        if item is None or item.answer is None or others < needed:
            judged.append(None)
            continue
        judged.append(Judged(answer.worker, item_agreement(item.answer, answer.answer), False, 2))
    return judged, 0


def _judge_labels(
    answers: Sequence[WorkerAnswer], model: LabelModel, key: GoldKey, needed: int
) -> list[Judged | None]:
    table = model.table
    labels = len(table.labels)
    item_code = {item: n for n, item in enumerate(table.items)}
    label_code = {label: n for n, label in enumerate(table.labels)}
    row_of = {
        (table.items[i], table.workers[w]): n
        for n, (i, w) in enumerate(zip(table.item.tolist(), table.worker.tolist(), strict=True))
    }
    per_item = table.answers_per_item()
    inside = [row_of.get((a.item_id, a.worker)) for a in answers]
    rows = np.array([r for r in inside if r is not None], dtype=np.intp)
    without = model.posterior_without(rows, floor=False) if len(rows) else np.zeros((0, labels))
    position = {int(row): n for n, row in enumerate(rows)}
    full = model.posterior(floor=False)
    judged: list[Judged | None] = []
    for answer, row in zip(answers, inside, strict=True):
        if answer.item_id in key:
            right = 1.0 if key.check(answer.item_id, answer.answer) else 0.0
            judged.append(Judged(answer.worker, right, True, labels))
            continue
        item = item_code.get(answer.item_id)
        if item is None:
            judged.append(None)
            continue
        others = int(per_item[item]) - (row is not None)
        if others < needed:
            judged.append(None)
            continue
        code = label_code.get(str(vote_of(answer.answer)))
        if code is None:
            right = 0.0  # a label no counted answer gave: the others said otherwise
        elif row is not None:
            right = float(without[position[row], code])
        else:
            right = float(full[item, code])
        judged.append(Judged(answer.worker, min(1.0, max(0.0, right)), False, labels))
    return judged


def _summary(model: LabelModel) -> ModelSummary:
    shrinkage = model.shrinkage
    return ModelSummary(
        method=model.method,
        labels=len(model.table.labels),
        shrinkage=None if shrinkage is None or math.isinf(shrinkage) else shrinkage,
        temperature=model.temperature,
        floor=model.floor,
    )


def _coverage(
    ids: Sequence[str] | None,
    answers: Sequence[WorkerAnswer],
    aggregates: dict[str, ItemAggregate],
) -> Coverage:
    answered_items = {a.item_id for a in answers}
    kept = set(aggregates)
    emptied = sorted(answered_items - kept)
    everything = list(ids) if ids is not None else sorted(answered_items)
    return Coverage(
        items=len(everything),
        answered=len(kept & set(everything)),
        emptied=tuple(emptied),
        unanswered=tuple(item for item in everything if item not in answered_items),
    )


def _rejected_by(signals: Sequence[FraudSignal], rule: QualityRule) -> set[int]:
    return {slot for s in signals if signal_action(s, rule) == "reject" for slot in s.slots}


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


def _keep(answers: Sequence[WorkerAnswer], slots: set[int]) -> list[WorkerAnswer]:
    return [a for a in answers if a.slot not in slots]
