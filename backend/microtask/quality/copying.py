"""Copying: two workers whose answers depend on each other, told apart from two good ones.

Two good workers agree on most items, so agreement alone proves nothing, and with three
answers per item two good workers outvote the third on dozens of items: counting
"answers nobody else gave" flags them. What copying (or one person behind two accounts)
shows is agreement on answers that are probably *wrong*, far more often than two
independent workers of their accuracies would produce: independent workers rarely make
the same mistake, a copier makes every mistake of the source. This is how source
dependence is detected in data fusion (Dong, Berti-Equille and Srivastava, "Integrating
conflicting data: the role of source dependence", VLDB 2009).

For labels (classification, data checks) the test uses the task's label model. On every
item two workers share, the other workers' answers (and gold) give the item's posterior
without the pair, *q*, and each worker's confusion matrix gives how likely each of their
possible answers is. Under independence the pair answers (a, b) with probability
``sum_k q_k P_1(a | k) P_2(b | k)``; if one copies the other on a share *c* of the
items, with probability ``(1 - c) * that + c * [a = b] * P(a)``. The pair's Bayes factor
for copying (the likelihood ratio averaged over c, uniform from 0 to 1) weighs every shared
item: the same probably-right answer barely moves it, the same probably-wrong answer
multiplies it, a difference divides it. Each worker's probabilities come from their
confusion matrix estimated without the answer at hand (with few answers per worker, a
matrix that contains an answer makes it look typical). A pair is flagged when

- they share at least ``min_shared_items`` items,
- the Bayes factor for "one copied at least ``min_copied_share`` of the shared answers"
  (c uniform over that range) is at least (pairs tested) / ``false_alarm``: if nobody
  copies, the chance that any pair of the task gets there is at most ``false_alarm``
  (Ville's inequality, when the model holds), and
- the estimated share of copied answers (the posterior mean of c) is at least
  ``min_copied_share``.

Both workers are flagged, each for their own slots on the items where they gave the same
answer: answers alone cannot tell who copied whom.

Text and other kinds have no label model; there the old count stands: identical answers on
nearly every shared item, several of them answers no other worker gave or that fail gold
(independent writers rarely produce the same sentence).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Final

import numpy as np

from microtask.quality.compare import answer_key
from microtask.quality.fraud import FraudSignal, signal
from microtask.quality.gold import GoldKey
from microtask.quality.models import LabelModel
from microtask.quality.rules import CopyingRule
from microtask.quality.submissions import WorkerAnswer

COPIED_SHARES: Final = (np.arange(20) + 0.5) / 20
"""Copied shares c from 0 to 1 (midpoints), to estimate a pair's share."""


def copying(
    answers: Sequence[WorkerAnswer],
    rule: CopyingRule,
    gold: GoldKey | None = None,
    model: LabelModel | None = None,
) -> list[FraudSignal]:
    """Pairs of workers whose answers are the same beyond what independent work explains
    (see the module's note): by ``model`` when the answers are labels it was fitted on,
    else by identical unsupported answers."""
    if model is not None:
        return _by_model(answers, rule, model)
    return _by_identical_answers(answers, rule, gold)


def _by_model(
    answers: Sequence[WorkerAnswer], rule: CopyingRule, model: LabelModel
) -> list[FraudSignal]:
    table = model.table
    first, second = table.pairs()
    if not len(first):
        return []
    workers = len(table.workers)
    key = table.worker[first] * workers + table.worker[second]
    pairs, pair_of, shared = np.unique(key, return_inverse=True, return_counts=True)
    tested = shared >= rule.min_shared_items
    if not tested.any():
        return []
    posterior = model.posterior_without_pairs(first, second)
    # P(each worker gives the label they gave | truth k), their own answer left out
    own_first = model.own_label_without(first)
    own_second = model.own_label_without(second)
    same = table.label[first] == table.label[second]
    joint = np.einsum("nk,nk,nk->n", posterior, own_first, own_second)
    copied = 0.5 * (
        np.einsum("nk,nk->n", posterior, own_first) + np.einsum("nk,nk->n", posterior, own_second)
    )
    ratio = np.where(same, copied / np.clip(joint, 1e-300, None), 0.0)
    shares = _shares(rule.min_copied_share)
    log_ratio = np.stack(
        [
            np.bincount(pair_of, weights=np.log(1 - c + c * ratio), minlength=len(pairs))
            for c in (*COPIED_SHARES, *shares)
        ],
        axis=1,
    )
    top = log_ratio.max(axis=1, keepdims=True)
    weights = np.exp(log_ratio - top)
    # the copied share: its posterior mean under a uniform prior on [0, 1)
    everywhere = weights[:, : len(COPIED_SHARES)]
    share = (everywhere * COPIED_SHARES).sum(axis=1) / everywhere.sum(axis=1)
    # the evidence: the likelihood ratio averaged over "copies at least min_copied_share"
    log_factor = top[:, 0] + np.log(weights[:, len(COPIED_SHARES) :].mean(axis=1))
    rows = np.arange(len(first))
    wrong = np.where(same, 1 - posterior[rows, table.label[first]], 0.0)
    threshold = math.log(int(tested.sum()) / rule.false_alarm)
    flagged = np.flatnonzero(tested & (log_factor >= threshold) & (share >= rule.min_copied_share))
    slot_of = {(a.item_id, a.worker): a.slot for a in answers}
    confusion = model.confusion
    signals: list[FraudSignal] = []
    for pair in flagged:
        members = np.flatnonzero(pair_of == pair)
        a = table.workers[int(pairs[pair] // workers)]
        b = table.workers[int(pairs[pair] % workers)]
        identical = [table.items[table.item[first[m]]] for m in members if same[m]]
        expected = _same_wrong(
            posterior[members],
            confusion[table.worker[first[members]]],
            confusion[table.worker[second[members]]],
        )
        numbers: dict[str, float | int] = {
            "shared_items": int(shared[pair]),
            "identical": len(identical),
            "identical_probably_wrong": round(float(wrong[members].sum()), 2),
            "expected_if_independent": round(expected, 2),
            "copied_share": round(float(share[pair]), 2),
            "log10_bayes_factor": round(float(log_factor[pair]) / math.log(10), 1),
        }
        for worker, other in ((a, b), (b, a)):
            signals.append(
                signal(
                    "copying",
                    worker,
                    [slot_of[(item, worker)] for item in identical],
                    f"answers identical to {other}'s on {len(identical)} of the "
                    f"{int(shared[pair])} items both answered, "
                    f"{numbers['identical_probably_wrong']:g} of them probably wrong by the "
                    "other answers and gold, where two independent workers of their "
                    f"accuracies would share about {numbers['expected_if_independent']:g} "
                    f"wrong answers; the answers are 10^{numbers['log10_bayes_factor']:g} "
                    f"times likelier if one copied about {share[pair]:.0%} of them",
                    numbers,
                    other_worker=other,
                )
            )
    return signals


def _shares(least: float) -> np.ndarray:
    """Copied shares from ``least`` to 1, evenly (the alternative the evidence is for)."""
    return least + (1 - least) * COPIED_SHARES


def _same_wrong(posterior: np.ndarray, first: np.ndarray, second: np.ndarray) -> float:
    """How many of these items two independent workers with these confusion matrices would
    be expected to answer with the same wrong label."""
    same_label = np.einsum("nkl,nkl->nk", first, second)
    same_right = np.einsum("nkk,nkk->nk", first, second)
    return float(np.einsum("nk,nk->", posterior, same_label - same_right))


def _by_identical_answers(
    answers: Sequence[WorkerAnswer], rule: CopyingRule, gold: GoldKey | None
) -> list[FraudSignal]:
    """Text and other kinds: identical on ``min_identical_share`` of at least
    ``min_shared_items`` shared items, ``min_unsupported`` of them answers no other worker
    gave or that are wrong on gold."""
    by_item: dict[str, dict[str, WorkerAnswer]] = defaultdict(dict)
    for answer in answers:
        by_item[answer.item_id][answer.worker] = answer
    keys = {(a.item_id, a.worker): answer_key(a.answer) for a in answers}
    shared: dict[tuple[str, str], list[str]] = defaultdict(list)
    for item, workers in sorted(by_item.items()):
        for a, b in combinations(sorted(workers), 2):
            shared[(a, b)].append(item)
    signals: list[FraudSignal] = []
    for (a, b), items in sorted(shared.items()):
        if len(items) < rule.min_shared_items:
            continue
        identical = [i for i in items if keys[(i, a)] == keys[(i, b)]]
        if len(identical) / len(items) < rule.min_identical_share:
            continue
        odd = [i for i in identical if _unsupported(i, a, b, by_item[i], keys, gold)]
        if len(odd) < rule.min_unsupported:
            continue
        numbers: dict[str, float | int] = {
            "shared_items": len(items),
            "identical": len(identical),
            "unsupported": len(odd),
        }
        for worker, other in ((a, b), (b, a)):
            signals.append(
                signal(
                    "copying",
                    worker,
                    [by_item[i][worker].slot for i in identical],
                    f"answers identical to {other}'s on {len(identical)} of the {len(items)} "
                    f"items both answered; on {len(odd)} of them no other worker gave that "
                    "answer or it is wrong",
                    numbers,
                    other_worker=other,
                )
            )
    return signals


def _unsupported(
    item: str,
    a: str,
    b: str,
    workers: Mapping[str, WorkerAnswer],
    keys: Mapping[tuple[str, str], str],
    gold: GoldKey | None,
) -> bool:
    """Whether the pair's shared answer to ``item`` is odd: wrong on gold, or given by
    nobody else among the item's other answers."""
    if gold is not None and item in gold:
        return not gold.check(item, workers[a].answer)
    others = [keys[(item, w)] for w in workers if w not in (a, b)]
    return bool(others) and keys[(item, a)] not in others
