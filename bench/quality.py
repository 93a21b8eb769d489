"""Quality control on real crowds and on simulated ones, against majority vote and Dawid-Skene.

Each crowd is assessed as the verifier assesses a task (`microtask.quality.assess` with the
default `QualityRule`, one slot per answer), with no gold and with 2% and 5% of its items
as gold (drawn with a fixed seed), and compared with crowd-kit's majority vote and
Dawid-Skene (given the same gold as known labels) on the items that are not gold:

- accuracy: the published result set's (an item quality control left without an answer
  counts as wrong), majority vote's, Dawid-Skene's; gap: the first less the better of the
  other two, in points, with its spread over the draws (the issue's target: -1 or more);
- empty: items whose every answer was rejected;
- rejected >= 0.8: workers right on at least 80% of their answers with a rejected slot (the
  targets: none without gold, at most 2% with 5% gold);
- approved < 0.5: workers right on fewer than half their answers with an approved slot
  (the target: none when there is gold);
- rejected, undecided: workers with a rejected slot, with an undecided one (the verifier
  asks those for gold);
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
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.quality

from tests.quality.crowds import REAL_SETS, SIMULATED, real, shared_available, simulate
from tests.quality.measure import Outcome, Summary, evaluate

from microtask.quality import AccuracyRule, QualityRule, rejection_chance

GOLD_SHARES = (0.0, 0.02, 0.05)


def table(summaries: list[Summary]) -> Table:
    result = Table(
        "crowd",
        "gold",
        "draws",
        "answers",
        "accuracy",
        "MV",
        "DS",
        "gap ± sd",
        "empty",
        "rejected ≥0.8",
        "approved <0.5",
        "rejected",
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
            f"{summary.mean('gap') * 100:+.2f} ± {summary.spread('gap') * 100:.2f}",
            f"{summary.total('empty')}/{summary.total('items')}",
            f"{summary.total('rejected_good')}/{summary.total('good')}",
            f"{summary.total('approved_bad')}/{summary.total('bad')}",
            f"{summary.total('rejected')}/{summary.total('workers')}",
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
        "--draws", type=int, default=5, help="simulations, and gold draws, per crowd and share"
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
