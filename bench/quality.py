"""Quality control on real crowds and on simulated ones, against majority vote and Dawid-Skene.

Each crowd is assessed as the verifier assesses a task (`microtask.quality.assess` with the
default `QualityRule`, one slot per answer), with no gold and with 2% and 5% of its items
as gold (drawn with a fixed seed), and compared with crowd-kit's majority vote and
Dawid-Skene (given the same gold as known labels) on the items that are not gold:

- accuracy: the published result set's (an item quality control left without an answer
  counts as wrong), majority vote's, Dawid-Skene's, and whether the first is at least the
  better of the other two minus one point (the issue's target);
- empty: items whose every answer was rejected;
- rejected >= 0.8: workers right on at least 80% of their answers with a rejected slot (the
  targets: none without gold, at most 2% with 5% gold);
- approved < 0.5: workers right on fewer than half their answers with an approved slot
  (the target: none when there is gold);
- undecided: workers with an undecided slot (the verifier asks them for gold);
- cheats: planted spammers and copiers rejected, of those planted;
- ECE: the expected calibration error of the published confidence (10 bins), how far the
  confidence is from the share of items it gets right;
- seconds: the `assess` call, wall clock and (in brackets) this process's CPU time, which
  other work on a shared machine does not inflate.

Simulated crowds are drawn ``--draws`` times (seeds 0, 1, ...) and the gold items of each
real crowd too: one draw of a random crowd is an anecdote (on a hard crowd a handful of
tied items swing the accuracy by a point), so rates are means over the draws and counts
are sums; the targets are checked on those.

Real crowds are read from ``../shared/crowd-data`` (beside the repository; or where
``MICROTASK_CROWD_DATA`` says) when present; nothing is fetched. The second table is the
chance that a worker of true accuracy *a* is rejected after *n* gold items and nothing
else, under the default rule (the README's).

    make bench NAME=quality              (or: scripts/dev.sh bench quality)
    make bench NAME=quality ARGS="--sets rte,copiers --gold 0.05 --draws 1"
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.quality.crowds

from tests.quality.crowds import (
    REAL_SETS,
    SIMULATED,
    Crowd,
    real,
    shared_available,
    simulate,
)

from microtask.quality import AccuracyRule, QualityRule, assess, rejection_chance

GOLD_SHARES = (0.0, 0.02, 0.05)


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
    # planted cheats are not honest workers, whatever their accuracy (a copier of a good
    # worker is right often, a spammer always giving the common label too): they are counted
    # under "cheats"; real crowds have none planted, so every worker counts there
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


def table(summaries: list[Summary]) -> Table:
    result = Table(
        "crowd",
        "gold",
        "draws",
        "answers",
        "accuracy",
        "MV",
        "DS",
        "gap",
        "empty",
        "rejected ≥0.8",
        "approved <0.5",
        "undecided",
        "cheats caught",
        "ECE",
        "seconds (cpu)",
        "targets",
        title="quality control, default rule: means over the draws (accuracy on the items "
        "that are not gold), counts summed",
    )
    for summary in summaries:
        first = summary.draws[0]
        met = summary.meets_accuracy and summary.meets_workers
        result.add_row(
            first.name,
            f"{first.gold:.0%}",
            str(len(summary.draws)),
            f"{first.answers:,}",
            f"{summary.mean('accuracy'):.2%}",
            f"{summary.mean('majority'):.2%}",
            f"{summary.mean('dawid_skene'):.2%}",
            f"{summary.mean('gap') * 100:+.2f}",
            f"{summary.total('empty')}/{summary.total('items')}",
            f"{summary.total('rejected_good')}/{summary.total('good')}",
            f"{summary.total('approved_bad')}/{summary.total('bad')}",
            f"{summary.total('undecided')}/{summary.total('workers')}",
            f"{summary.total('cheats_caught')}/{summary.total('cheats')}" if first.cheats else "-",
            f"{summary.mean('ece'):.3f}",
            f"{summary.mean('seconds'):.2f} ({summary.mean('cpu_seconds'):.2f})",
            "met" if met else "MISSED",
        )
    return result


def chances(rule: AccuracyRule) -> Table:
    """The chance of a rejection by gold alone (the README's table)."""
    sizes = (2, 3, 5, 10, 20, 50)
    result = Table(
        "true accuracy",
        *(f"n = {n}" for n in sizes),
        title=f"chance of rejection after n gold items (binary labels; reject when "
        f"{rule.reject_confidence:.0%} sure accuracy < {rule.reject_below:.0%})",
    )
    for accuracy in (0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
        result.add_row(
            f"{accuracy:.0%}",
            *(f"{rejection_chance(accuracy, n, QualityRule().accuracy):.1%}" for n in sizes),
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="", help="comma-separated crowds (default: all)")
    parser.add_argument("--gold", default="", help="comma-separated gold shares")
    parser.add_argument(
        "--draws", type=int, default=3, help="simulations, and gold draws, per crowd and share"
    )
    args = parser.parse_args()
    console = Console(width=220)
    names = [n for n in args.sets.split(",") if n] or [*REAL_SETS, *SIMULATED]
    shares = [float(s) for s in args.gold.split(",") if s] or list(GOLD_SHARES)
    summaries: list[Summary] = []
    for name in names:
        if name in REAL_SETS and not shared_available():
            console.print(f"[yellow]{name}: ../shared/crowd-data is not here; skipped")
            continue
        for share in shares:
            draws: list[Outcome] = []
            for draw in range(args.draws):
                if name in REAL_SETS:
                    if share == 0 and draw:
                        break  # the real crowd without gold: nothing to draw
                    crowd = real(name)
                else:
                    crowd = simulate(name, draw)
                draws.append(evaluate(crowd, share, draw))
            summaries.append(Summary(draws))
    console.print(table(summaries))
    console.print(chances(QualityRule().accuracy))


if __name__ == "__main__":
    main()
