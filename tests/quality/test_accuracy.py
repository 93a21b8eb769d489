"""A worker's accuracy from gold and agreement: the posterior, and the README's table."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from scipy.stats import beta

from microtask.quality import AccuracyRule, Judged, lines, rejection_chance, worker_accuracy
from microtask.quality.accuracy import posterior

README = Path(__file__).resolve().parents[2] / "README.md"
FIXED = lines(AccuracyRule(), None, 2)


def estimate(judged: list[Judged]):  # type: ignore[no-untyped-def]
    return worker_accuracy(judged, FIXED, workers=["w"])["w"]


@pytest.mark.parametrize(("right", "wrong"), [(0, 0), (3, 1), (0, 4), (17, 3), (40, 35)])
def test_gold_alone_gives_the_beta_posterior_of_a_uniform_prior(right: int, wrong: int) -> None:
    judged = [Judged("w", 1.0, True, 2)] * right + [Judged("w", 0.0, True, 2)] * wrong
    found = estimate(judged)
    exact = beta(right + 1, wrong + 1)
    assert found.below_reject == pytest.approx(exact.cdf(0.6), abs=2e-3)
    assert found.at_least_approve == pytest.approx(exact.sf(0.6), abs=2e-3)
    assert found.mean == pytest.approx(exact.mean(), abs=2e-3)
    assert found.low == pytest.approx(exact.ppf(0.05), abs=5e-3)
    assert found.high == pytest.approx(exact.ppf(0.95), abs=5e-3)


def test_an_answer_the_others_are_split_on_says_nothing() -> None:
    for labels in (2, 3, 5):
        judged = [Judged("w", 1.0 / labels, False, labels)] * 50
        density = posterior(judged)
        assert density.max() == pytest.approx(density.min())  # flat: the prior alone


def test_an_answer_the_others_are_sure_of_counts_almost_as_gold() -> None:
    sure = estimate([Judged("w", 0.99, False, 2)] * 10)
    gold = estimate([Judged("w", 1.0, True, 2)] * 10)
    unsure = estimate([Judged("w", 0.7, False, 2)] * 10)
    assert gold.low > sure.low > unsure.low
    assert sure.low == pytest.approx(gold.low, abs=0.03)


def test_more_labels_make_a_wrong_answer_less_likely_by_chance() -> None:
    # the others are sure the answer is wrong: with K labels a worker of accuracy a gives
    # that one wrong label with probability (1 - a) / (K - 1), the same evidence whatever K
    two = estimate([Judged("w", 0.0, False, 2)] * 6)
    five = estimate([Judged("w", 0.0, False, 5)] * 6)
    assert two.mean == pytest.approx(five.mean, abs=1e-6)
    # but an answer the others think is right a quarter of the time is evidence against
    # the worker with two labels (chance is a half) and for them with five (chance is 1/5)
    assert estimate([Judged("w", 0.25, False, 2)] * 20).mean < 0.5
    assert estimate([Judged("w", 0.25, False, 5)] * 20).mean > 0.5


def test_honest_workers_are_rarely_rejected_on_gold_alone() -> None:
    rule = AccuracyRule()
    for gold in (2, 3, 5, 10, 20, 50):
        assert rejection_chance(0.8, gold, rule) <= 0.01, gold
        assert rejection_chance(0.9, gold, rule) <= 0.001, gold
    assert rejection_chance(0.9, 2, rule) == 0.0  # never on two gold items, as issue 13 asks
    assert rejection_chance(0.3, 20, rule) >= 0.8
    assert rejection_chance(0.3, 50, rule) >= 0.99


def test_the_readme_table_is_what_the_default_rule_does() -> None:
    """README "Quality control" tabulates the chance of a rejection after n gold items for
    a worker of true accuracy a: every cell must be what `rejection_chance` computes."""
    text = README.read_text()
    section = text[text.index("chance that a worker of true accuracy") :]
    header = next(line for line in section.splitlines() if line.startswith("| true accuracy"))
    sizes = [int(n) for n in re.findall(r"n = (\d+)", header)]
    following = section.splitlines()[section.splitlines().index(header) + 2 :]
    rows = list(itertools.takewhile(lambda line: line.startswith("| "), following))
    assert sizes
    assert len(rows) >= 5
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        accuracy = int(cells[0].rstrip("%")) / 100
        for size, cell in zip(sizes, cells[1:], strict=True):
            expected = f"{rejection_chance(accuracy, size, AccuracyRule()):.1%}"
            assert cell == expected, (accuracy, size)
