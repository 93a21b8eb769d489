"""Copying told apart from agreement: shared probably-wrong answers, beyond what two
independent workers of their accuracies give (issue 13's third pattern)."""

from __future__ import annotations

from microtask.manifests.answers import TaskKind
from microtask.quality import (
    AggregationRule,
    CopyingRule,
    GoldKey,
    WorkerAnswer,
    aggregation,
    copying,
)
from tests.quality.crowds import Crowd, simulate
from tests.quality.scenario import cls

RULE = CopyingRule()


def answers_of(crowd: Crowd) -> list[WorkerAnswer]:
    return [
        WorkerAnswer(worker=worker, item_id=item, answer=cls(label), slot=n, submitted_at=0)
        for n, (item, worker, label) in enumerate(crowd.rows)
    ]


def flagged_pairs(answers: list[WorkerAnswer], gold: GoldKey | None = None) -> set[frozenset[str]]:
    model = aggregation(TaskKind.CLASSIFICATION, answers, AggregationRule(), gold).model
    return {frozenset((s.worker, str(s.other_worker))) for s in copying(answers, RULE, gold, model)}


def test_good_workers_outvoting_a_third_on_three_answers_per_item_are_not_copying() -> None:
    """The crowd of issue 13's first pattern: three answers per item, most items 2 to 1 or
    3 to 0, good workers sharing dozens of items. None of them copies."""
    crowd = simulate("three_per_item")
    assert flagged_pairs(answers_of(crowd)) == set()


def test_planted_copiers_are_found_and_nobody_else() -> None:
    crowd = simulate("copiers")
    assert flagged_pairs(answers_of(crowd)) == {frozenset(pair) for pair in crowd.copiers}


def _table(pattern: dict[str, list[str]]) -> list[WorkerAnswer]:
    return [
        WorkerAnswer(worker=worker, item_id=f"i{n:02d}", answer=cls(label), slot=n, submitted_at=0)
        for worker, labels in pattern.items()
        for n, label in enumerate(labels)
    ]


TRUTH = ["cat", "dog", "bird", "fish", "horse"] * 6


def test_agreeing_on_right_answers_is_not_evidence_of_copying() -> None:
    # a and b agree on all 30 items, and so do c and d: they are right
    pattern = {worker: list(TRUTH) for worker in "abcd"}
    assert flagged_pairs(_table(pattern)) == set()


def test_agreeing_on_wrong_gold_answers_is() -> None:
    wrong = {"cat": "dog", "dog": "bird", "bird": "fish", "fish": "horse", "horse": "cat"}
    pattern = {worker: list(TRUTH) for worker in "cd"}
    # a and b: right on 20 items, the same wrong answer on the 10 gold items
    shared = [wrong[t] if n < 10 else t for n, t in enumerate(TRUTH)]
    pattern["a"] = pattern["b"] = shared
    gold = GoldKey(answers={f"i{n:02d}": cls(TRUTH[n]) for n in range(10)})
    assert flagged_pairs(_table(pattern), gold) == {frozenset("ab")}
