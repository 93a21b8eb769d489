"""How quality control does on a crowd whose truth is known: what the benchmark prints and
the target tests assert (`bench/quality.py`, `test_targets`).

One `evaluate` assesses a crowd as the verifier would (`assess`, the default rule, one slot
per answer) with a share of its items as gold, and compares it with crowd-kit's majority
vote and Dawid-Skene (given the same gold as known labels) on the items that are not gold.
Planted cheats are not honest workers, whatever their accuracy: a copier of a good worker
is right often, a spammer who always gives a common label too; they count as cheats, and
real crowds have none planted, so there every worker counts.
"""

from __future__ import annotations

import itertools
import time
import warnings
from dataclasses import dataclass

import numpy as np

from microtask.quality import assess
from tests.quality.crowds import Crowd


@dataclass(frozen=True)
class Outcome:
    """One crowd assessed with one share of gold (one draw of the crowd and of its gold)."""

    name: str
    gold: float
    answers: int
    accuracy: float
    majority: float
    dawid_skene: float
    empty: int
    items: int
    rejected_good: int
    good: int
    approved_bad: int
    bad: int
    undecided: int
    rejected: int
    workers: int
    cheats_caught: int
    cheats: int
    ece: float
    seconds: float
    cpu_seconds: float

    @property
    def gap(self) -> float:
        """Accuracy less the better of majority vote and Dawid-Skene."""
        return self.accuracy - max(self.majority, self.dawid_skene)


@dataclass(frozen=True)
class Summary:
    """A crowd and gold share over several draws: means of rates, sums of counts."""

    draws: list[Outcome]

    def mean(self, name: str) -> float:
        return float(np.mean([getattr(o, name) for o in self.draws]))

    def spread(self, name: str) -> float:
        """The standard deviation over the draws (0 for one draw)."""
        return float(np.std([getattr(o, name) for o in self.draws]))

    def total(self, name: str) -> int:
        return sum(int(getattr(o, name)) for o in self.draws)

    @property
    def meets_accuracy(self) -> bool:
        return self.mean("gap") >= -0.01

    @property
    def meets_workers(self) -> bool:
        gold = self.draws[0].gold
        if gold == 0:
            return self.total("rejected_good") == 0
        fair = gold < 0.05 or self.total("rejected_good") <= 0.02 * max(self.total("good"), 1)
        return fair and self.total("approved_bad") == 0


def references(crowd: Crowd, gold: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """crowd-kit's majority vote and Dawid-Skene (gold as known labels) per item."""
    import pandas as pd
    from crowdkit.aggregation import DawidSkene, MajorityVote

    frame = pd.DataFrame(list(crowd.rows), columns=["task", "worker", "label"])
    known = pd.Series({item: crowd.truth[item] for item in gold}, dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        voted = MajorityVote().fit_predict(frame)
        fitted = DawidSkene(n_iter=100).fit(frame, true_labels=known if len(known) else None)
    return (
        {str(k): str(v) for k, v in voted.items()},
        {str(k): str(v) for k, v in fitted.labels_.items()},
    )


def evaluate(crowd: Crowd, share: float, seed: int = 0) -> Outcome:
    gold = crowd.gold_items(share, seed)
    task = crowd.task(gold)
    started, cpu = time.perf_counter(), time.process_time()
    assessment = assess(task.manifest, task.submissions, gold=task.gold, item_ids=task.item_ids)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    majority, dawid_skene = references(crowd, gold)
    scored = [item for item in crowd.items if item not in set(gold)]

    def accuracy(labels: dict[str, str]) -> float:
        return float(np.mean([labels.get(item) == crowd.truth[item] for item in scored]))

    ours: dict[str, str] = {}
    confidence: list[float] = []
    correct: list[bool] = []
    for item in scored:
        aggregate = assessment.aggregates.get(item)
        if aggregate is None or aggregate.answer is None:
            continue
        label = getattr(aggregate.answer, "label", "")
        ours[item] = label
        confidence.append(aggregate.confidence or 0.0)
        correct.append(label == crowd.truth[item])
    outcomes: dict[str, set[str]] = {}
    for decision in assessment.decisions:
        outcomes.setdefault(task.worker_of[decision.worker], set()).add(decision.outcome)
    planted = set(crowd.spammers) | {c for pair in crowd.copiers for c in pair}
    true_accuracy = {w: a for w, a in crowd.worker_accuracy().items() if w not in planted}
    good = [w for w, a in true_accuracy.items() if a >= 0.8]
    bad = [w for w, a in true_accuracy.items() if a < 0.5]
    return Outcome(
        name=crowd.name,
        gold=share,
        answers=len(crowd.rows),
        accuracy=accuracy(ours),
        majority=accuracy(majority),
        dawid_skene=accuracy(dawid_skene),
        empty=len(assessment.coverage.emptied),
        items=len(crowd.truth),
        rejected_good=sum(1 for w in good if "reject" in outcomes.get(w, set())),
        good=len(good),
        approved_bad=sum(1 for w in bad if "approve" in outcomes.get(w, set())),
        bad=len(bad),
        undecided=sum(1 for o in outcomes.values() if "undecided" in o),
        rejected=sum(1 for o in outcomes.values() if "reject" in o),
        workers=len(outcomes),
        cheats_caught=sum(1 for w in planted if "reject" in outcomes.get(w, set())),
        cheats=len(planted),
        ece=calibration_error(np.array(confidence), np.array(correct)),
        seconds=seconds,
        cpu_seconds=cpu,
    )


def calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: the items' mean |confidence - accuracy| by bin."""
    if not len(confidence):
        return 0.0
    edges = np.linspace(0, 1, bins + 1)
    error = 0.0
    for low, high in itertools.pairwise(edges):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            gap = abs(confidence[inside].mean() - correct[inside].mean())
            error += inside.mean() * gap
    return float(error)
