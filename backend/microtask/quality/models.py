"""Label models: what each item's true label probably is, and how each worker answers.

Every categorical method is one model here: a class prior and, per worker, a confusion
matrix (the chance of answering each label when the truth is each label), fitted by
expectation-maximisation from the vote shares, with gold labels held fixed (known). From a
model come an item's posterior over labels, the same *without* one answer (how the other
workers' answers judge it: `LabelModel.posterior_without`) or without two (the copying test's
independent baseline), and the workers' estimated confusion.

================================  ==========================================================
method                            worker model
================================  ==========================================================
``hierarchical_dawid_skene``      a confusion matrix per worker, pulled toward the crowd's
(default)                         pooled matrix by a prior worth ``s`` answers per true label;
                                  ``s`` and a temperature chosen by held-out answers
``dawid_skene``                   a confusion matrix per worker, nothing pooled (Dawid and
                                  Skene 1979, as crowd-kit's ``DawidSkene``)
``one_coin_dawid_skene``          one accuracy per worker, errors spread evenly
``majority_vote``                 one accuracy for everyone; the published confidence is the
                                  vote share
================================  ==========================================================

Why the hierarchical model is the default. With few answers per worker (three answers per
item, most workers doing a handful) a free confusion matrix per worker is estimated from
almost nothing and Dawid-Skene overfits; with class imbalance a one-coin model assumes
errors are symmetric when real workers lean to one class, and its class prior can run away
(on one real binary task to 0.97, labelling 105 of 108 items alike). Pulling each worker's
matrix toward the crowd's (partial pooling, as in Paun et al., "Comparing Bayesian Models of
Annotation", TACL 2018) keeps class-specific errors, behaves like the pooled crowd for a
worker with five answers and like full Dawid-Skene for one with five hundred. How hard to
pull is not guessed: each candidate strength is fitted on two thirds of the answers and
scored by how well it predicts the held-out third (the log-probability of each held-out
answer given its item's other answers), and the best is kept. Infinite strength (one
matrix for everyone) is among the candidates, so a crowd where weighting cannot help
falls back to a class-aware vote. EM finds local optima: each strength is fitted from the
vote shares and from plain Dawid-Skene's posterior, and the fit with the higher objective
(likelihood plus the prior) is kept (`_pooled`).

The crowd's matrix is itself regularised (K pseudo-answers per true label spread as a
one-coin crowd, `_pooled_counts`), and the class prior by one pseudo-item: nothing next to a
real task's thousands of answers, enough that a few dozen cannot make a noise confusion
look systematic.

Calibration. Models that treat workers as independent given the truth are overconfident
where workers err together (hard items). Two corrections, both fitted, neither guessed:
a *temperature* (the evidence of the answers is multiplied by tau <= 1) chosen with the
strength on held-out answers, and, when at least `MIN_GOLD_FOR_FLOOR` gold items were
answered, a *floor* (the model is wrong on a share epsilon of items however sure it looks)
fitted on the gold items by a model that was not told their labels. The calibrated
probability of label k is ``(1 - epsilon) * softmax(log prior + tau * evidence)_k +
epsilon / K``; the benchmark (`bench/quality.py`) reports the expected calibration error
on real data with and without gold.

Everything is numpy with sparse sums over answers (`votes.VoteTable.incidence`): a fit of
25,000 answers takes tens of milliseconds, so choosing the strength by cross-validation
(about fifty fits) stays well inside the verifier's budget. Folds are drawn from a fixed
seed over the sorted table, so the same answers always give the same model.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln

from microtask.quality.votes import Codes, VoteTable

Matrix = NDArray[np.float64]

CategoricalMethod = Literal[
    "hierarchical_dawid_skene", "dawid_skene", "one_coin_dawid_skene", "majority_vote"
]

SHRINKAGE_GRID: Final = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, math.inf)
"""Candidate prior strengths (answers per true label) for the hierarchical model."""
TEMPERATURE_GRID: Final = (1.0, 0.8, 0.65, 0.5, 0.4)
FLOOR_GRID: Final = (0.0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3)
DEFAULT_SHRINKAGE: Final = 4.0
"""The strength used when there are too few answers to choose one by held-out answers."""
MIN_ANSWERS_TO_SELECT: Final = 150
MIN_GOLD_FOR_FLOOR: Final = 10
FLOOR_PRIOR: Final = 10.0
"""The floor's prior, in gold items' worth of "the model is right": Beta(1, 11)."""
FOLDS: Final = 3
SEED: Final = 20_250_601
UNPOOLED: Final = 1e-2
"""The pull of the plain models (Dawid-Skene, one-coin): a hundredth of an answer, enough
to keep a label a worker never used from having probability zero."""
TOLERANCE: Final = 1e-5
"""EM stops when the log-likelihood per answer grows by less than this (as crowd-kit's)."""
SELECTION_TOLERANCE: Final = 1e-4
SELECTION_ITERATIONS: Final = 50
"""The candidates fitted to choose a strength need to be close, not exact."""


@dataclass(frozen=True, eq=False)
class LabelModel:
    """A fitted model of one task's categorical answers (see the module's note)."""

    table: VoteTable
    method: CategoricalMethod
    prior: Matrix
    confusion: Matrix
    shrinkage: float | None
    temperature: float
    floor: float
    iterations: int
    weights: Matrix
    """The item posteriors (uncalibrated) the confusion matrices were last estimated from."""
    one_coin: bool = False
    log_likelihood: float = 0.0
    """log P(answers) under the fitted parameters (gold items at their known label)."""

    @property
    def log_confusion(self) -> Matrix:
        return np.log(np.clip(self.confusion, 1e-300, None))

    def contributions(self, rows: Codes) -> Matrix:
        """The log-likelihood of each given row's answer under each true label (rows x K)."""
        t = self.table
        return self.log_confusion[t.worker[rows], :, t.label[rows]]

    def evidence(self) -> Matrix:
        """Per item and label, the summed log-likelihood of the item's answers."""
        return _evidence(self.table, self.log_confusion)

    def posterior(self, *, floor: bool = True) -> Matrix:
        """Each item's calibrated probability of each label (gold items: their label)."""
        if self.method == "majority_vote":
            votes = self.table.votes()
            shares = _normalise(votes, fallback=np.full(len(self.table.labels), 1.0))
            return _fix_known(shares, self.table.known)
        return self._calibrated(self.evidence(), np.arange(len(self.table.items)), floor=floor)

    def posterior_without(self, rows: Codes, *, floor: bool = True) -> Matrix:
        """For each given row: its item's calibrated posterior from the *other* answers
        (the row's own answer left out), rows x K; ``floor=False`` leaves out the floor
        (see `accuracy`, which judges workers by it)."""
        items = self.table.item[rows]
        evidence = self.evidence()[items] - self.contributions(rows)
        return self._calibrated(evidence, items, floor=floor)

    def posterior_without_pairs(self, first: Codes, second: Codes) -> Matrix:
        """For each pair of rows on one item: the item's posterior without either answer."""
        items = self.table.item[first]
        evidence = self.evidence()[items] - self.contributions(first) - self.contributions(second)
        return self._calibrated(evidence, items)

    def own_label_without(self, rows: Codes) -> Matrix:
        """For each row: P(its worker gives the label they gave | truth k), k = 1..K, from
        their confusion estimated *without* that answer (rows x K).

        With few answers per worker each answer shapes its own worker's matrix: judged by a
        matrix that contains it, any answer looks typical of its worker. The copying test
        asks how likely two workers' answers were, so it leaves each answer out.
        """
        t = self.table
        workers, labels = t.worker[rows], t.label[rows]
        weights = self.weights[t.item[rows]]
        counts = self.counts()
        strength = UNPOOLED if self.shrinkage is None else self.shrinkage
        if self.one_coin:
            right = np.einsum("wkk->w", counts)[workers] - weights[np.arange(len(rows)), labels]
            total = counts.sum(axis=(1, 2))[workers] - 1.0
            mean = _pooled_accuracy(counts)
            if math.isinf(strength):
                accuracy = np.full(len(rows), mean)
            else:
                accuracy = (right + strength * mean) / (np.maximum(total, 0.0) + strength)
            accuracy = np.clip(accuracy, 1e-4, 1 - 1e-4)
            spread = (1 - accuracy) / max(len(t.labels) - 1, 1)
            even: Matrix = np.repeat(spread[:, None], len(t.labels), axis=1)
            even[np.arange(len(rows)), labels] = accuracy
            return even
        # the crowd's matrix without the answer either, for the answer's own label
        pooled = _pooled_counts(counts)
        crowd: Matrix = np.clip(
            (pooled[:, labels].T - weights) / (pooled.sum(axis=1)[None, :] - weights), 0.0, 1.0
        )
        if math.isinf(strength):
            return crowd
        own = counts[workers, :, labels] - weights
        totals = counts.sum(axis=2)[workers] - weights
        result: Matrix = (np.maximum(own, 0.0) + strength * crowd) / (
            np.maximum(totals, 0.0) + strength
        )
        return result

    def counts(self) -> Matrix:
        """Per worker, expected answers of each label by true label (W x K x K)."""
        return _counts(self.table, self.weights)

    def answer_probability(self, posterior: Matrix, rows: Codes) -> Matrix:
        """P(row's worker answers each label | item posterior), rows x K."""
        said: Matrix = np.einsum("nk,nkl->nl", posterior, self.confusion[self.table.worker[rows]])
        return said

    def _calibrated(self, evidence: Matrix, items: Codes, *, floor: bool = True) -> Matrix:
        logits = np.log(self.prior)[None, :] + self.temperature * evidence
        probabilities = _softmax(logits)
        if floor and self.floor:
            probabilities = (1 - self.floor) * probabilities + self.floor / probabilities.shape[1]
        return _fix_known(probabilities, self.table.known[items])


def fit(
    table: VoteTable,
    method: CategoricalMethod = "hierarchical_dawid_skene",
    *,
    iterations: int = 100,
    shrinkage: float | None = None,
    temperature: float | None = None,
    floor: float | None = None,
) -> LabelModel:
    """Fit ``method`` to ``table`` (its known labels held fixed).

    For the hierarchical model, a ``shrinkage``, ``temperature`` or ``floor`` not given is
    chosen as the module's note says; pass them to refit on other answers with the same
    settings (the verifier's final aggregate reuses the first fit's).
    """
    if method == "majority_vote":
        return _homogeneous(table, iterations)
    if method == "one_coin_dawid_skene":
        return _fitted(table, method, UNPOOLED, one_coin=True, iterations=iterations)
    if method == "dawid_skene":
        return _fitted(table, method, UNPOOLED, one_coin=False, iterations=iterations)
    if shrinkage is None or temperature is None:
        chosen_shrinkage, chosen_temperature = select(table, iterations)
        shrinkage = chosen_shrinkage if shrinkage is None else shrinkage
        temperature = chosen_temperature if temperature is None else temperature
    model = _pooled(table, shrinkage, iterations, temperature=temperature)
    if floor is None:
        floor = gold_floor(model, iterations)
    return _replace(model, floor=floor)


def select(table: VoteTable, iterations: int = 100) -> tuple[float, float]:
    """The (shrinkage, temperature) of the hierarchical model that best predicts held-out
    answers, over `SHRINKAGE_GRID` x `TEMPERATURE_GRID` and `FOLDS` folds; the defaults
    when the table has fewer than `MIN_ANSWERS_TO_SELECT` answers."""
    if table.answers < MIN_ANSWERS_TO_SELECT:
        return DEFAULT_SHRINKAGE, 1.0
    folds = np.random.default_rng(SEED).permutation(table.answers) % FOLDS
    scores = np.zeros((len(SHRINKAGE_GRID), len(TEMPERATURE_GRID)))
    for fold in range(FOLDS):
        held = np.flatnonzero(folds == fold)
        train = table.subset(folds != fold)
        unpooled = _fitted(
            train,
            "dawid_skene",
            UNPOOLED,
            one_coin=False,
            iterations=min(iterations, SELECTION_ITERATIONS),
            tolerance=SELECTION_TOLERANCE,
        )
        for row, strength in enumerate(SHRINKAGE_GRID):
            model = _pooled(
                train,
                strength,
                min(iterations, SELECTION_ITERATIONS),
                tolerance=SELECTION_TOLERANCE,
                unpooled=unpooled,
            )
            evidence = model.evidence()[table.item[held]]
            log_prior = np.log(model.prior)[None, :]
            chosen = model.confusion[table.worker[held], :, table.label[held]]
            for column, tau in enumerate(TEMPERATURE_GRID):
                posterior = _fix_known(
                    _softmax(log_prior + tau * evidence), table.known[table.item[held]]
                )
                predicted = np.einsum("nk,nk->n", posterior, chosen)
                scores[row, column] += float(np.log(np.clip(predicted, 1e-300, None)).sum())
    # ties go to the first candidate: the weaker pull and the higher temperature
    best = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return SHRINKAGE_GRID[int(best[0])], TEMPERATURE_GRID[int(best[1])]


def _pooled(
    table: VoteTable,
    strength: float | None,
    iterations: int,
    *,
    temperature: float = 1.0,
    tolerance: float = TOLERANCE,
    unpooled: LabelModel | None = None,
) -> LabelModel:
    """The hierarchical model at ``strength``, fitted from two starts, the vote shares and
    plain Dawid-Skene's posterior, keeping the better fit (its likelihood and prior).

    EM finds a local optimum. Where many workers lean the same way, the vote shares start
    it in the crowd's bias and pooling keeps it there, while Dawid-Skene, which weighs each
    worker on their own, has already found who is reliable; elsewhere the vote shares are
    the better start. The objective says which optimum is better, whichever start it came
    from.
    """
    if unpooled is None:
        unpooled = _fitted(
            table,
            "dawid_skene",
            UNPOOLED,
            one_coin=False,
            iterations=iterations,
            tolerance=tolerance,
        )
    fits = [
        _fitted(
            table,
            "hierarchical_dawid_skene",
            strength,
            one_coin=False,
            iterations=iterations,
            temperature=temperature,
            tolerance=tolerance,
            start=start,
        )
        for start in (None, unpooled.weights)
    ]
    return max(fits, key=_objective)


def _objective(model: LabelModel) -> float:
    """What EM maximises: log P(answers) plus the log density of each worker's confusion
    rows under their Dirichlet prior (centred on the crowd's matrix, worth ``shrinkage``
    answers; nothing when every worker shares the crowd's matrix)."""
    strength = UNPOOLED if model.shrinkage is None else model.shrinkage
    if math.isinf(strength) or model.one_coin:
        return model.log_likelihood
    alpha = strength * _pooled_mean(model.counts()) + 1.0  # the MAP update's Dirichlet
    log_confusion = np.log(np.clip(model.confusion, 1e-300, None))
    density = np.einsum("kl,wkl->", alpha - 1.0, log_confusion)
    normaliser = float((gammaln(alpha.sum(axis=1)) - gammaln(alpha).sum(axis=1)).sum())
    return model.log_likelihood + float(density) + len(model.table.workers) * normaliser


def gold_floor(model: LabelModel, iterations: int = 100) -> float:
    """The floor epsilon that best explains the gold labels, from a model fitted without
    them (0 with fewer than `MIN_GOLD_FOR_FLOOR` answered gold items)."""
    table = model.table
    answered = np.zeros(len(table.items), dtype=bool)
    answered[table.item] = True
    gold = np.flatnonzero((table.known >= 0) & answered)
    if len(gold) < MIN_GOLD_FOR_FLOOR:
        return 0.0
    blind = _fitted(
        table.without_known(),
        model.method,
        model.shrinkage,
        one_coin=False,
        iterations=iterations,
        temperature=model.temperature,
    )
    probabilities = blind.posterior()[gold, table.known[gold]]
    labels = len(table.labels)
    # MAP under a Beta(1, FLOOR_PRIOR + 1) prior: a few unlucky gold items (a draw of hard
    # ones) must not convince the model that it is wrong a third of the time
    scores = [
        float(np.log((1 - eps) * probabilities + eps / labels).sum())
        + FLOOR_PRIOR * math.log(1 - eps)
        for eps in FLOOR_GRID
    ]
    return FLOOR_GRID[int(np.argmax(scores))]


def _fitted(
    table: VoteTable,
    method: CategoricalMethod,
    shrinkage: float | None,
    *,
    one_coin: bool,
    iterations: int,
    temperature: float = 1.0,
    even_prior: bool = False,
    tolerance: float = TOLERANCE,
    start: Matrix | None = None,
) -> LabelModel:
    _, _, labels = table.shape
    if start is None:
        start = _normalise(table.votes(), fallback=np.ones(labels))
    posterior = _fix_known(start, table.known)
    prior = np.full(labels, 1.0 / labels)
    confusion = np.zeros((len(table.workers), labels, labels))
    known = np.flatnonzero(table.known >= 0)
    done = 0
    weights = posterior
    likelihood = -math.inf
    for done in range(1, iterations + 1):  # noqa: B007 - the count is reported
        weights = posterior
        prior, confusion = _m_step(table, posterior, shrinkage, one_coin=one_coin)
        if even_prior:
            prior = np.full(labels, 1.0 / labels)
        logits = np.log(prior)[None, :] + _evidence(table, np.log(np.clip(confusion, 1e-300, None)))
        top = logits.max(axis=1, keepdims=True)
        scaled = np.exp(logits - top)
        total = scaled.sum(axis=1, keepdims=True)
        posterior = _fix_known(scaled / total, table.known)
        # stop when the answers' log-likelihood per answer stops growing (crowd-kit's rule):
        # each item's answers summed over its possible truths (over its known label for gold)
        per_item = top[:, 0] + np.log(total[:, 0])
        per_item[known] = logits[known, table.known[known]]
        updated = float(per_item.sum()) / max(table.answers, 1)
        if updated - likelihood < tolerance:
            likelihood = max(likelihood, updated)
            break
        likelihood = updated
    return LabelModel(
        table=table,
        method=method,
        prior=prior,
        confusion=confusion,
        shrinkage=shrinkage,
        temperature=temperature,
        floor=0.0,
        iterations=done,
        weights=weights,
        one_coin=one_coin,
        log_likelihood=likelihood * max(table.answers, 1),
    )


def _homogeneous(table: VoteTable, iterations: int) -> LabelModel:
    """Majority vote as a model: everyone has the same accuracy, classes equally likely."""
    return _fitted(
        table, "majority_vote", math.inf, one_coin=True, iterations=iterations, even_prior=True
    )


def _m_step(
    table: VoteTable, posterior: Matrix, shrinkage: float | None, *, one_coin: bool
) -> tuple[Matrix, Matrix]:
    items, workers, labels = table.shape
    counts = _counts(table, posterior)
    prior = (posterior.sum(axis=0) + 1.0 / labels) / (items + 1.0)
    strength = UNPOOLED if shrinkage is None else shrinkage
    if one_coin:
        right = np.einsum("wkk->w", counts)
        total = counts.sum(axis=(1, 2))
        mean = _pooled_accuracy(counts)
        if math.isinf(strength):
            accuracy = np.full(workers, mean)
        else:
            accuracy = (right + strength * mean) / (total + strength)
        accuracy = np.clip(accuracy, 1e-4, 1 - 1e-4)
        spread = (1 - accuracy) / max(labels - 1, 1)
        confusion = np.repeat(spread[:, None, None], labels, axis=1).repeat(labels, axis=2)
        diagonal = np.arange(labels)
        confusion[:, diagonal, diagonal] = accuracy[:, None]
        return prior, confusion
    mean_matrix = _pooled_mean(counts)
    if math.isinf(strength):
        return prior, np.broadcast_to(mean_matrix, (workers, labels, labels)).copy()
    confusion = (counts + strength * mean_matrix[None]) / (
        counts.sum(axis=2, keepdims=True) + strength
    )
    return prior, confusion


def _counts(table: VoteTable, posterior: Matrix) -> Matrix:
    """counts[w, k, l]: worker w's answers l, each weighted by its item's P(truth k)."""
    _, workers, labels = table.shape
    counts: Matrix = (
        np.asarray(table.incidence @ posterior).reshape(workers, labels, labels).transpose(0, 2, 1)
    )
    return counts


def _pooled_counts(counts: Matrix) -> Matrix:
    """Everyone's counts, plus K pseudo-answers per true label spread as a one-coin crowd
    of the same accuracy (errors even over the other labels).

    The crowd's matrix is itself estimated: with a few dozen answers, which wrong label the
    crowd favours is noise, and a model that trusted it would call two workers' shared
    mistake typical. K pseudo-answers per row are nothing next to a real task's thousands,
    which keep their real confusions (husky for malamute).
    """
    labels = counts.shape[1]
    pooled = counts.sum(axis=0)
    accuracy = (np.trace(pooled) + 1.0) / (pooled.sum() + 2.0)
    even = np.full((labels, labels), (1 - accuracy) / max(labels - 1, 1))
    np.fill_diagonal(even, accuracy)
    result: Matrix = pooled + labels * even
    return result


def _pooled_mean(counts: Matrix) -> Matrix:
    """The crowd's confusion matrix (rows sum to 1; see `_pooled_counts`)."""
    pooled = _pooled_counts(counts)
    mean: Matrix = pooled / pooled.sum(axis=1, keepdims=True)
    return mean


def _pooled_accuracy(counts: Matrix) -> float:
    """The crowd's accuracy for one-coin models, with the same pseudo-answers."""
    pooled = _pooled_counts(counts)
    return float(np.trace(pooled) / pooled.sum())


def _evidence(table: VoteTable, log_confusion: Matrix) -> Matrix:
    _, workers, labels = table.shape
    # rows (w, l) of log P(answer l | truth k), summed over each item's answers
    per_answer = log_confusion.transpose(0, 2, 1).reshape(workers * labels, labels)
    evidence: Matrix = np.asarray(table.incidence.T @ per_answer)
    return evidence


def _softmax(logits: Matrix) -> Matrix:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    result: Matrix = shifted / shifted.sum(axis=1, keepdims=True)
    return result


def _normalise(counts: Matrix, fallback: NDArray[np.float64]) -> Matrix:
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.where(totals > 0, counts / np.where(totals > 0, totals, 1.0), fallback)
    result: Matrix = shares / shares.sum(axis=1, keepdims=True)
    return result


def _fix_known(probabilities: Matrix, known: Codes) -> Matrix:
    rows = np.flatnonzero(known >= 0)
    if len(rows):
        probabilities = probabilities.copy()
        probabilities[rows] = 0.0
        probabilities[rows, known[rows]] = 1.0
    return probabilities


def _replace(model: LabelModel, *, floor: float) -> LabelModel:
    return dataclasses.replace(model, floor=floor)
