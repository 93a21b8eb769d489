"""crowd-kit 1.4.2 with the pinned scikit-learn: every method the package, the benchmark or
the tests use runs, and so do the three that failed with scikit-learn 1.9 (issue 13)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
import sklearn

FRAME = pd.DataFrame(
    [(f"t{n}", w, (n + (w == "c" and n % 3 == 0)) % 2) for n in range(12) for w in "abc"],
    columns=["task", "worker", "label"],
)


def test_scikit_learn_is_the_pinned_release() -> None:
    assert sklearn.__version__ == "1.6.1"


@pytest.mark.parametrize("name", ["MajorityVote", "DawidSkene", "Wawa", "ZeroBasedSkill"])
def test_categorical_methods_run(name: str) -> None:
    from crowdkit import aggregation

    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # scikit-learn's deprecation warnings
        labels = getattr(aggregation, name)().fit_predict(FRAME)
    assert len(labels) == 12
    assert labels["t1"] == 1


def test_gold_majority_vote_runs() -> None:
    from crowdkit.aggregation import GoldMajorityVote

    truth = pd.Series({f"t{n}": n % 2 for n in range(12)})
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        labels = GoldMajorityVote().fit_predict(FRAME, truth)
    assert labels["t4"] == 0


def test_rover_runs() -> None:
    from crowdkit.aggregation import ROVER

    frame = pd.DataFrame(
        [("t", "a", "the quick fox"), ("t", "b", "the quick fox"), ("t", "c", "a quick box")],
        columns=["task", "worker", "text"],
    )
    text = ROVER(tokenizer=str.split, detokenizer=" ".join).fit_predict(frame)
    assert text["t"] == "the quick fox"
