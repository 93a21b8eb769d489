"""Each worker's accuracy, with its uncertainty: gold and agreement weighed as one evidence.

A worker's answers are evidence about their accuracy *a* (the chance that an answer of
theirs is right). Every answer counts the same way, whether it was checked on gold or
against the crowd:

- on a gold item the right answer is known, so the answer is right (likelihood *a*) or
  wrong (likelihood proportional to 1 - *a*);
- on any other item, the *other* workers' answers say how likely the worker's answer is
  right: *r*, the label model's posterior of that answer without the worker's own
  (`models.LabelModel.posterior_without`). The answer's likelihood is
  ``a * r + (1 - a) * (1 - r) / (K - 1)``: sure crowds (r near 0 or 1) count almost as
  gold, split ones almost nothing (r = 1/K says nothing at all).

*r* is the model's tempered posterior without its floor (`models`): the floor says the crowd
is wrong on some share of items however sure it looks, but not on which, so it cannot tell
a worker who disagrees because the crowd erred from one who disagrees because they erred;
applied here it would excuse every disagreement a little and lift the weakest workers most
(on a hard simulated crowd it had workers right 48% of the time approved).

Text, multi-label and other kinds without a categorical model use the answer's agreement
with the aggregate as *r* (K = 2). The posterior over *a* (uniform prior: no opinion before
the evidence) is computed on a grid, exactly; a decision then asks how sure it is that *a*
is below the requester's line, or at or above it (`decisions`).

A worker whose answers are few, or mostly on items the crowd splits on, has a wide
posterior and is neither rejected nor approved: the verifier gives them gold items until
the evidence decides (`Decision.wants_gold`).

The lines can follow the task's difficulty: the crowd's accuracy is estimated the same way
(the mean of *r* and of gold results over every judged answer), and the reject line is
never above ``chance + relative_to_crowd * (crowd - chance)``, so on a task where honest
workers are right 60% of the time they are not all rejected for missing a 60% line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from microtask.quality.rules import AccuracyRule

GRID: Final = 400
_POINTS: Final = (np.arange(GRID) + 0.5) / GRID
INTERVAL: Final = 0.9
"""The credible interval a decision shows (5% to 95%)."""


@dataclass(frozen=True, slots=True)
class Judged:
    """One answer as evidence: whose, how likely it is right, and whether gold said so."""

    worker: str
    right: float
    """1 or 0 on a gold item; else the others' probability that the answer is right."""
    gold: bool
    labels: int
    """K, the labels an answer could take (2 for kinds without labels)."""


class Lines(BaseModel):
    """The accuracy lines a task's decisions use, and where they come from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reject_below: float = Field(ge=0, le=1)
    approve_at: float = Field(ge=0, le=1)
    crowd: float | None = Field(ge=0, le=1, description="The crowd's estimated accuracy.")
    chance: float = Field(ge=0, le=1, description="The accuracy of a random answer.")
    relative: bool = Field(description="True when the crowd lowered the reject line.")


class WorkerAccuracy(BaseModel):
    """One worker's estimated accuracy, with the evidence behind it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    worker: str
    gold_checked: int = Field(ge=0)
    gold_correct: int = Field(ge=0)
    compared: int = Field(ge=0, description="Other items judged by other workers' answers.")
    expected_right: float = Field(ge=0, description="Sum over those items of r.")
    mean: float = Field(ge=0, le=1, description="Posterior mean accuracy.")
    low: float = Field(ge=0, le=1, description="5% posterior quantile.")
    high: float = Field(ge=0, le=1, description="95% posterior quantile.")
    below_reject: float = Field(ge=0, le=1, description="P(accuracy < reject line).")
    at_least_approve: float = Field(ge=0, le=1, description="P(accuracy >= approve line).")

    @property
    def evidence(self) -> int:
        return self.gold_checked + self.compared

    @property
    def gold_accuracy(self) -> float | None:
        return None if not self.gold_checked else self.gold_correct / self.gold_checked


def crowd_accuracy(judged: Iterable[Judged]) -> float | None:
    """The mean of *r* over every judged answer: the crowd's accuracy per answer."""
    values = [j.right for j in judged]
    return None if not values else float(np.mean(values))


def lines(rule: AccuracyRule, crowd: float | None, labels: int) -> Lines:
    """The reject and approve lines for a task whose answers take ``labels`` values (0 for
    kinds without labels) and whose crowd is ``crowd`` accurate."""
    chance = 1.0 / labels if labels >= 2 else 0.0
    reject = rule.reject_below
    relative = False
    if rule.relative_to_crowd is not None and crowd is not None:
        bent = chance + rule.relative_to_crowd * max(crowd - chance, 0.0)
        if bent < reject:
            reject, relative = bent, True
    return Lines(
        reject_below=round(reject, 6),
        approve_at=round(max(rule.approve_at, reject), 6),
        crowd=None if crowd is None else round(crowd, 6),
        chance=round(chance, 6),
        relative=relative,
    )


def worker_accuracy(
    judged: Sequence[Judged], task_lines: Lines, workers: Iterable[str] = ()
) -> dict[str, WorkerAccuracy]:
    """Every worker's `WorkerAccuracy` (also, with no evidence, each of ``workers``)."""
    by_worker: dict[str, list[Judged]] = {worker: [] for worker in workers}
    for item in judged:
        by_worker.setdefault(item.worker, []).append(item)
    return {worker: _estimate(worker, own, task_lines) for worker, own in sorted(by_worker.items())}


def posterior(judged: Sequence[Judged]) -> NDArray[np.float64]:
    """The posterior of accuracy on the grid `_POINTS` (sums to 1)."""
    log_density = np.zeros(GRID)
    if judged:
        right = np.array([j.right for j in judged])[:, None]
        spread = np.array([max(j.labels - 1, 1) for j in judged], dtype=float)[:, None]
        a = _POINTS[None, :]
        likelihood = a * right + (1 - a) * (1 - right) / spread
        log_density = np.log(np.clip(likelihood, 1e-300, None)).sum(axis=0)
    density = np.exp(log_density - log_density.max())
    result: NDArray[np.float64] = density / density.sum()
    return result


def _estimate(worker: str, judged: Sequence[Judged], task_lines: Lines) -> WorkerAccuracy:
    density = posterior(judged)
    cumulative = np.cumsum(density)
    gold = [j for j in judged if j.gold]
    soft = [j for j in judged if not j.gold]
    return WorkerAccuracy(
        worker=worker,
        gold_checked=len(gold),
        gold_correct=sum(1 for j in gold if j.right >= 0.5),
        compared=len(soft),
        expected_right=round(sum(j.right for j in soft), 6),
        mean=_unit(float((density * _POINTS).sum())),
        low=_unit(_quantile(cumulative, (1 - INTERVAL) / 2)),
        high=_unit(_quantile(cumulative, (1 + INTERVAL) / 2)),
        below_reject=_unit(_mass_below(density, task_lines.reject_below)),
        at_least_approve=_unit(1.0 - _mass_below(density, task_lines.approve_at)),
    )


def _mass_below(density: NDArray[np.float64], line: float) -> float:
    """P(accuracy < line), the grid cell holding the line split in proportion."""
    position = line * GRID
    whole = int(np.floor(position))
    mass = float(density[:whole].sum())
    if whole < GRID:
        mass += float(density[whole]) * (position - whole)
    return mass


def _quantile(cumulative: NDArray[np.float64], share: float) -> float:
    index = int(np.searchsorted(cumulative, share))
    return float(_POINTS[min(index, GRID - 1)])


def _unit(value: float) -> float:
    return min(1.0, max(0.0, round(value, 6)))


def rejection_chance(
    accuracy: float, gold_items: int, rule: AccuracyRule, labels: int = 2
) -> float:
    """The chance that a worker whose answers are right with probability ``accuracy`` is
    rejected under ``rule`` after ``gold_items`` gold items and nothing else (the table in
    the README): the binomial chance of each number right, summed where the rule rejects."""
    from math import comb

    task_lines = lines(rule, None, labels)
    chance = 0.0
    for correct in range(gold_items + 1):
        judged = [Judged("w", 1.0, True, labels)] * correct + [Judged("w", 0.0, True, labels)] * (
            gold_items - correct
        )
        if _estimate("w", judged, task_lines).below_reject >= rule.reject_confidence:
            chance += (
                comb(gold_items, correct)
                * accuracy**correct
                * (1 - accuracy) ** (gold_items - correct)
            )
    return chance
