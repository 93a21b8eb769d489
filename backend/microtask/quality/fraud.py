"""Fraud signals: patterns in submissions that honest work does not produce.

Each detector returns `FraudSignal`s naming the worker, the slots the evidence concerns, a
reason code a `Review` can carry, a sentence a person can check, and the numbers behind
it. Detectors only observe; what a signal does (reject, leave for the requester, nothing)
is the requester's rule's business (`rules.QualityRule`, applied in `decisions`).

- ``too_fast`` (``spam``): a slot done in less than a plausible minimum, or a worker whose
  whole series of submissions went faster than one person can work.
- ``copying`` (``duplicate``): two workers with identical answers on nearly every item they
  share, several of them answers nobody else gave or that fail gold.
- ``straight_lining`` (``spam``): a worker giving one answer to every item while the items'
  answers vary.
- ``missing_item`` (``incomplete``): a submission that does not answer its slot's item.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from microtask.manifests.review import ReasonCode
from microtask.quality.compare import answer_key, summarize_answer
from microtask.quality.gold import GoldKey
from microtask.quality.rules import CopyingRule, StraightLiningRule, TimingRule
from microtask.quality.submissions import Submission, WorkerAnswer, slot_item

SignalName = Literal["too_fast", "copying", "straight_lining", "missing_item"]

SIGNAL_CODES: Final[Mapping[SignalName, ReasonCode]] = {
    "too_fast": "spam",
    "copying": "duplicate",
    "straight_lining": "spam",
    "missing_item": "incomplete",
}


class FraudSignal(BaseModel):
    """One piece of evidence against a worker's slots."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    signal: SignalName
    code: ReasonCode
    worker: str
    slots: tuple[int, ...] = Field(min_length=1, description="The slots the evidence concerns.")
    detail: str = Field(max_length=2_000)
    numbers: dict[str, float | int] = Field(description="The measurements behind the detail.")
    other_worker: str | None = Field(default=None, description="The copying partner, if any.")


def _signal(
    name: SignalName,
    worker: str,
    slots: Iterable[int],
    detail: str,
    numbers: dict[str, float | int],
    other_worker: str | None = None,
) -> FraudSignal:
    return FraudSignal(
        signal=name,
        code=SIGNAL_CODES[name],
        worker=worker,
        slots=tuple(sorted(set(slots))),
        detail=detail,
        numbers=numbers,
        other_worker=other_worker,
    )


def minimum_seconds(time_estimate_seconds: int, items: int, rule: TimingRule) -> int:
    """The least time ``items`` items plausibly take: a share of the manifest's estimate per
    item, never under the rule's floor (whole seconds, rounded up)."""
    share = math.ceil(rule.min_share_of_estimate * time_estimate_seconds * items)
    return max(rule.floor_seconds, share)


def too_fast(
    submissions: Sequence[Submission], time_estimate_seconds: int, rule: TimingRule
) -> list[FraudSignal]:
    """Slots done faster than `minimum_seconds`, and workers whose pace was impossible.

    Per slot: submitted_at - started_at against the minimum for its items. Per worker, from
    the earliest start to the last submission, over the slots whose start is known: one
    person works one item at a time, so holding many slots at once does not make the series
    any shorter. The pace signal names only slots that are not already flagged on their
    own. Slots without a known start are not timed: bunched submission times alone prove
    nothing (work can be done in several tabs and sent together).

    Inline items are public in the manifest, so a worker can prepare answers before
    claiming; a requester who expects that should make this signal's action "review".
    """
    signals: list[FraudSignal] = []
    by_worker: dict[str, list[Submission]] = defaultdict(list)
    for submission in submissions:
        by_worker[submission.worker].append(submission)
    for worker, own in sorted(by_worker.items()):
        own.sort(key=lambda s: (s.submitted_at, s.slot))
        flagged: set[int] = set()
        for submission in own:
            seconds = submission.seconds
            if seconds is None:
                continue
            items = len(submission.answers)
            needed = minimum_seconds(time_estimate_seconds, items, rule)
            if seconds < needed:
                flagged.add(submission.slot)
                signals.append(
                    _signal(
                        "too_fast",
                        worker,
                        [submission.slot],
                        f"slot {submission.slot} was submitted {seconds} s after it was "
                        f"started; {items} item(s) plausibly take at least {needed} s "
                        f"({rule.min_share_of_estimate:.0%} of the "
                        f"{time_estimate_seconds} s estimate per item)",
                        {"seconds": seconds, "min_seconds": needed, "items": items},
                    )
                )
        counted = [s for s in own if s.started_at is not None]
        items = sum(len(s.answers) for s in counted)
        if items < 2:
            continue
        start = min(s.started_at for s in counted if s.started_at is not None)
        seconds = counted[-1].submitted_at - start
        needed = minimum_seconds(time_estimate_seconds, items, rule)
        remaining = [s.slot for s in counted if s.slot not in flagged]
        if seconds < needed and remaining:
            signals.append(
                _signal(
                    "too_fast",
                    worker,
                    remaining,
                    f"{items} items in {len(counted)} submissions within {seconds} s; "
                    f"one person plausibly needs at least {needed} s for them "
                    f"({rule.min_share_of_estimate:.0%} of the {time_estimate_seconds} s "
                    "estimate per item)",
                    {"seconds": seconds, "min_seconds": needed, "items": items},
                )
            )
    return signals


def copying(
    answers: Sequence[WorkerAnswer], rule: CopyingRule, gold: GoldKey | None = None
) -> list[FraudSignal]:
    """Pairs of workers whose answers are the same beyond what independent work explains.

    Two good workers agree on most items, so agreement alone proves nothing. What copying
    (or one person behind two accounts) shows is agreement on the *odd* answers: identical
    answers that no other worker gave, or that are wrong on a gold item. A pair is flagged
    when, over at least ``min_shared_items`` shared items, ``min_identical_share`` of their
    answers are identical and at least ``min_unsupported`` of those are odd. Both workers
    are flagged, each for their own slots on the identical items: answers alone cannot
    tell who copied whom.
    """
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
                _signal(
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


def straight_lining(
    answers: Sequence[WorkerAnswer], rule: StraightLiningRule, gold: GoldKey | None = None
) -> list[FraudSignal]:
    """Workers who gave one answer to (nearly) every item they did, where the items differ.

    The items' own answers come from gold where the answer is known, otherwise from the
    most common answer of the other workers (an item whose others are split says nothing).
    Only when these take at least two values is one constant answer evidence of not
    reading the items: a worker answering "valid" to items that are all valid is right.
    """
    by_item: dict[str, dict[str, str]] = defaultdict(dict)
    by_worker: dict[str, list[WorkerAnswer]] = defaultdict(list)
    for answer in answers:
        by_item[answer.item_id][answer.worker] = answer_key(answer.answer)
        by_worker[answer.worker].append(answer)
    signals: list[FraudSignal] = []
    for worker, own in sorted(by_worker.items()):
        if len(own) < rule.min_items:
            continue
        counts = Counter(by_item[a.item_id][worker] for a in own)
        top, times = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if times / len(own) < rule.min_same_share:
            continue
        references: set[str] = set()
        for answer in own:
            reference = _reference(answer, worker, by_item[answer.item_id], top, gold)
            if reference is not None:
                references.add(reference)
        if len(references) < 2:
            continue
        sample = next(a.answer for a in own if by_item[a.item_id][worker] == top)
        signals.append(
            _signal(
                "straight_lining",
                worker,
                [a.slot for a in own],
                f"gave the same answer ({summarize_answer(sample)}) to {times} of "
                f"{len(own)} items, whose answers by gold and other workers take "
                f"{len(references)} different values",
                {"items": len(own), "same": times, "reference_values": len(references)},
            )
        )
    return signals


def _reference(
    answer: WorkerAnswer,
    worker: str,
    keys: Mapping[str, str],
    constant: str,
    gold: GoldKey | None,
) -> str | None:
    if gold is not None and answer.item_id in gold:
        known = gold.answer(answer.item_id)
        if known is not None:
            return answer_key(known)
        # hashed gold only says whether the worker is right; if not, the truth is another value
        return constant if gold.check(answer.item_id, answer.answer) else f"not {constant}"
    others = Counter(key for w, key in keys.items() if w != worker)
    if not others:
        return None
    ranked = others.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


def missing_items(submissions: Sequence[Submission], item_ids: Sequence[str]) -> list[FraudSignal]:
    """Submissions that do not answer their own slot's item (its answers then count for
    nothing: see `submissions.worker_answers`)."""
    signals: list[FraudSignal] = []
    for submission in sorted(submissions, key=lambda s: s.slot):
        own = slot_item(item_ids, submission.slot)
        if own not in submission.item_ids:
            signals.append(
                _signal(
                    "missing_item",
                    submission.worker,
                    [submission.slot],
                    f"slot {submission.slot} is for item {own!r}, which the submission does "
                    f"not answer (it answers {', '.join(submission.item_ids[:5])})",
                    {"answers": len(submission.answers)},
                )
            )
    return signals
