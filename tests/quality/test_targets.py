"""Issue 13's targets, with the default rule, on real crowds and simulated ones.

On every real set: result-set accuracy at least that of the better of majority vote and
Dawid-Skene (crowd-kit's, with the same gold as known labels) minus one point; no worker
whose true accuracy is 0.8 or more rejected without gold, at most 2% of them with 5% gold;
no worker below 0.5 approved when there is gold; no item left without an answer.

The real sets are read from ``<repo>/../shared/crowd-data`` (`crowds.SHARED`); these tests
skip, saying so, when it is not there. Simulated crowds are checked on the same worker
targets, and on accuracy where one draw says something (on the hard crowd, where a handful
of tied items swing a point, `bench/quality.py` averages draws instead).
"""

from __future__ import annotations

import pytest

from tests.quality.crowds import REAL_SETS, real, shared_available, simulate
from tests.quality.measure import Outcome, evaluate

NEEDS_SHARED = pytest.mark.skipif(
    not shared_available(),
    reason="the shared crowd data sets are not at ../shared/crowd-data (beside the repository)",
)


def check_workers(outcome: Outcome) -> None:
    if outcome.gold == 0:
        assert outcome.rejected_good == 0, "a worker right 80% of the time was rejected"
    else:
        assert outcome.rejected_good <= 0.02 * outcome.good
        assert outcome.approved_bad == 0, "a worker right under half the time was approved"


@NEEDS_SHARED
@pytest.mark.parametrize("share", [0.0, 0.02, 0.05])
@pytest.mark.parametrize("name", REAL_SETS)
def test_real_crowds_meet_the_targets(name: str, share: float) -> None:
    outcome = evaluate(real(name), share)
    assert outcome.accuracy >= max(outcome.majority, outcome.dawid_skene) - 0.01
    check_workers(outcome)
    assert outcome.empty == 0


@pytest.mark.parametrize(
    ("name", "share"),
    [
        ("three_per_item", 0.0),  # 25,000 answers: gold shares are the benchmark's
        *[
            (name, share)
            for name in ("imbalanced_dense", "spammers", "copiers", "hard_four")
            for share in (0.0, 0.05)
        ],
    ],
)
def test_simulated_crowds_meet_the_worker_targets(name: str, share: float) -> None:
    crowd = simulate(name)
    outcome = evaluate(crowd, share)
    check_workers(outcome)
    if name != "hard_four":
        assert outcome.accuracy >= max(outcome.majority, outcome.dawid_skene) - 0.01
    if crowd.copiers:
        assert outcome.cheats_caught == outcome.cheats  # every copier, and every spammer
    assert outcome.empty <= 0.002 * outcome.items  # an item emptied is reported, and rare
