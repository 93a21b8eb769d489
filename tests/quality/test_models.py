"""Label models: crowd-kit's methods reproduced, the default chosen on held-out answers,
gold as known labels, and a confidence that means what it says."""

from __future__ import annotations

import random
import warnings

import numpy as np
import pandas as pd
import pytest
from crowdkit.aggregation import DawidSkene, MajorityVote

from microtask.quality import VoteTable, fit
from microtask.quality.models import (
    DEFAULT_SHRINKAGE,
    MIN_ANSWERS_TO_SELECT,
    SHRINKAGE_GRID,
    TEMPERATURE_GRID,
    select,
)
from tests.quality.crowds import REAL_SETS, Crowd, real, shared_available, simulate
from tests.quality.measure import calibration_error

NEEDS_SHARED = pytest.mark.skipif(
    not shared_available(),
    reason="the shared crowd data sets are not at ../shared/crowd-data (beside the repository)",
)


def table_of(crowd: Crowd, gold: list[str] | None = None) -> VoteTable:
    return VoteTable.build(crowd.rows, {item: crowd.truth[item] for item in gold or []})


def accuracy(table: VoteTable, crowd: Crowd, posterior: np.ndarray) -> float:
    labels = np.array(table.labels)[posterior.argmax(axis=1)]
    free = table.known < 0
    truth = np.array([crowd.truth[item] for item in table.items])
    return float((labels == truth)[free].mean())


def crowdkit_labels(crowd: Crowd) -> tuple[dict[str, str], dict[str, str]]:
    frame = pd.DataFrame(list(crowd.rows), columns=["task", "worker", "label"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        voted = MajorityVote().fit_predict(frame)
        modelled = DawidSkene(n_iter=100).fit_predict(frame)
    return (
        {str(k): str(v) for k, v in voted.items()},
        {str(k): str(v) for k, v in modelled.items()},
    )


def share_alike(table: VoteTable, ours: np.ndarray, theirs: dict[str, str]) -> float:
    labels = np.array(table.labels)[ours.argmax(axis=1)]
    return float(np.mean([labels[n] == theirs[item] for n, item in enumerate(table.items)]))


def test_dawid_skene_gives_crowd_kits_labels_on_a_simulated_crowd() -> None:
    crowd = simulate("spammers")
    table = table_of(crowd)
    _, theirs = crowdkit_labels(crowd)
    assert share_alike(table, fit(table, "dawid_skene").posterior(), theirs) >= 0.995


@NEEDS_SHARED
@pytest.mark.parametrize("name", REAL_SETS)
def test_dawid_skene_and_majority_vote_give_crowd_kits_labels_on_real_crowds(name: str) -> None:
    crowd = real(name)
    table = table_of(crowd)
    voted, modelled = crowdkit_labels(crowd)
    assert share_alike(table, fit(table, "dawid_skene").posterior(), modelled) >= 0.995
    majority = fit(table, "majority_vote").posterior()
    assert share_alike(table, majority, voted) >= 0.995  # ties may go either way


@pytest.mark.parametrize("name", ["imbalanced_dense", "spammers", "copiers"])
def test_the_default_is_as_good_as_the_better_of_majority_vote_and_dawid_skene(
    name: str,
) -> None:
    crowd = simulate(name)
    table = table_of(crowd)
    voted, modelled = crowdkit_labels(crowd)
    truth = crowd.truth
    best = max(
        np.mean([voted[i] == truth[i] for i in table.items]),
        np.mean([modelled[i] == truth[i] for i in table.items]),
    )
    assert accuracy(table, crowd, fit(table).posterior()) >= best - 0.01


def test_one_coin_is_misled_where_workers_lean_to_the_common_class() -> None:
    """Issue 13's second pattern: a binary task, one class 60% of items, and many workers
    who say it far too often. One accuracy per worker cannot tell "leans to the common
    class" from "careless"; a confusion matrix per worker can."""
    crowd = simulate("imbalanced_dense")
    table = table_of(crowd)
    one_coin = accuracy(table, crowd, fit(table, "one_coin_dawid_skene").posterior())
    majority = accuracy(table, crowd, fit(table, "majority_vote").posterior())
    default = accuracy(table, crowd, fit(table).posterior())
    assert default >= max(one_coin, majority) + 0.05


def test_the_same_answers_in_any_order_give_the_same_model() -> None:
    crowd = simulate("hard_four")
    rows = list(crowd.rows)
    random.Random(3).shuffle(rows)
    first, again = fit(table_of(crowd)), fit(VoteTable.build(rows))
    assert (first.shrinkage, first.temperature, first.floor) == (
        again.shrinkage,
        again.temperature,
        again.floor,
    )
    assert np.array_equal(first.posterior(), again.posterior())


def test_the_strength_is_chosen_on_held_out_answers_when_there_are_enough() -> None:
    crowd = simulate("spammers")
    big = table_of(crowd)
    chosen = select(big)
    assert chosen[0] in SHRINKAGE_GRID
    assert chosen[1] in TEMPERATURE_GRID
    assert select(big) == chosen
    few = VoteTable.build(crowd.rows[: MIN_ANSWERS_TO_SELECT - 1])
    assert select(few) == (DEFAULT_SHRINKAGE, 1.0)


def test_gold_labels_are_known_and_anchor_the_model() -> None:
    crowd = simulate("hard_four")
    gold = crowd.gold_items(0.05)
    table = table_of(crowd, gold)
    model = fit(table)
    posterior = model.posterior()
    known = np.flatnonzero(table.known >= 0)
    assert len(known) == len(gold)
    assert np.all(posterior[known, table.known[known]] == 1.0)
    # judged without a gold item's own answer, the gold item still has its known label
    rows = np.flatnonzero(np.isin(table.item, known))
    without = model.posterior_without(rows)
    assert np.all(without[np.arange(len(rows)), table.known[table.item[rows]]] == 1.0)


def test_the_confidence_is_calibrated_where_workers_err_independently() -> None:
    """Checked the way the benchmark does: the expected calibration error (10 bins) of
    each item's published confidence against whether the item is right."""
    crowd = simulate("spammers")
    table = table_of(crowd)
    posterior = fit(table).posterior()
    truth = np.array([table.labels.index(crowd.truth[item]) for item in table.items])
    correct = posterior.argmax(axis=1) == truth
    assert calibration_error(posterior.max(axis=1), correct) < 0.03


def test_gold_teaches_the_model_how_often_a_hard_crowd_is_wrong() -> None:
    """Where workers err together (hard items), the model is sure of wrong answers; a floor
    fitted on gold items it was not told about brings its confidence down toward its
    accuracy."""
    crowd = simulate("hard_four")
    gold = crowd.gold_items(0.05)
    plain, anchored = fit(table_of(crowd)), fit(table_of(crowd, gold))
    assert plain.floor == 0.0
    assert anchored.floor > 0.0
    table = table_of(crowd, gold)
    free = table.known < 0
    truth = np.array([table.labels.index(crowd.truth[item]) for item in table.items])
    for model in (plain, anchored):
        assert (
            model.posterior().max(axis=1)[free].mean()
            > (model.posterior().argmax(axis=1) == truth)[free].mean()
        )  # still overconfident, as any model of independent workers is
    overconfidence = [
        model.posterior().max(axis=1)[free].mean()
        - (model.posterior().argmax(axis=1) == truth)[free].mean()
        for model in (plain, anchored)
    ]
    assert overconfidence[1] < overconfidence[0]


def test_a_workers_own_answer_is_left_out_of_their_matrix() -> None:
    # w answered once: without that answer, their matrix is the crowd's
    rows = [(f"i{n}", worker, "a" if n % 2 else "b") for n in range(20) for worker in "xyz"]
    rows.append(("i0", "w", "a"))
    table = VoteTable.build(rows)
    model = fit(table, "dawid_skene")
    row = int(np.flatnonzero(table.worker == table.workers.index("w"))[0])
    (alone,) = model.own_label_without(np.array([row]))
    others = model.own_label_without(np.flatnonzero(table.worker == table.workers.index("x")))
    assert alone[table.labels.index("b")] < 0.2  # the crowd rarely says a for a b item
    assert alone[table.labels.index("a")] > 0.8
    assert others.shape == (20, 2)
