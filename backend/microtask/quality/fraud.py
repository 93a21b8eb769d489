"""Fraud signals: patterns in submissions that honest work does not produce.

Each detector returns `FraudSignal`s naming the worker, the slots the evidence concerns, a
reason code a `Review` can carry, a sentence a person can check, and the numbers behind
it. Detectors only observe; what a signal does (reject, leave for the requester, nothing)
is the requester's rule's business (`rules.QualityRule`, applied in `decisions`).

- ``too_fast`` (``spam``): a slot done in less than a plausible minimum, or a worker whose
  whole series of submissions went faster than one person can work.
- ``copying`` (``duplicate``): two workers who share far more probably-wrong answers than
  independent workers would (its own module, `copying`, since it needs the label model).
- ``straight_lining`` (``spam``): a worker giving one answer to every item while the items'
  answers vary and mostly differ from it.
- ``missing_item`` (``incomplete``): a submission that does not answer its slot's item.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from microtask.manifests.answers import Answer
from microtask.manifests.review import ReasonCode
from microtask.quality.compare import answer_key, summarize_answer
from microtask.quality.gold import GoldKey
from microtask.quality.rules import StraightLiningRule, TimingRule
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


def signal(
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
                    signal(
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
                signal(
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


def straight_lining(
    answers: Sequence[WorkerAnswer],
    rule: StraightLiningRule,
    gold: GoldKey | None = None,
    labels: int | None = None,
) -> list[FraudSignal]:
    """Workers who gave one answer to (nearly) every item they did, where the items differ.

    The items' own answers come from gold where the answer is known, otherwise from the
    most common answer of the other workers (an item whose others are split says nothing).
    Only when these take at least two values, and the constant answer is not the task's
    common answer (the reference of ``max_common_share`` of all the task's items or more),
    is it suspect, and only when it is far likelier from someone who answers the same
    regardless than from *any* honest worker: on the n items with a reference, m of which
    differ from the constant answer, an honest worker of accuracy a gives it with
    probability ``a^(n-m) ((1-a)/(K-1))^m``, at most with a = (n - m)/n. The constant
    answer is flagged when that is below (workers tested) x ``false_alarm``. Answering
    "valid" to items that are nearly all valid is right, and on a task where one class
    dominates, honest workers who lean to it give it to every item of a short series every
    day. ``labels`` is K (the labels an answer can take; by default the number of different
    answers and references seen).
    """
    by_item: dict[str, dict[str, str]] = defaultdict(dict)
    by_worker: dict[str, list[WorkerAnswer]] = defaultdict(list)
    for answer in answers:
        by_item[answer.item_id][answer.worker] = answer_key(answer.answer)
        by_worker[answer.worker].append(answer)
    seen = {key for keys in by_item.values() for key in keys.values()}
    candidates: list[tuple[str, list[WorkerAnswer], str, int, list[str]]] = []
    majorities: dict[str, str | None] = {}
    for worker, own in sorted(by_worker.items()):
        if len(own) < rule.min_items:
            continue
        counts = Counter(by_item[a.item_id][worker] for a in own)
        top, times = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if times / len(own) < rule.min_same_share:
            continue
        references: list[str] = []
        for answer in own:
            if by_item[answer.item_id][worker] != top:
                continue
            reference = _reference(answer, worker, by_item[answer.item_id], top, gold)
            if reference is not None:
                references.append(reference)
        if len(set(references)) < 2:
            continue
        sample = next(a.answer for a in own if by_item[a.item_id][worker] == top)
        if _common_share(top, sample, worker, by_item, gold, majorities) >= rule.max_common_share:
            continue
        candidates.append((worker, own, top, times, references))
        seen.update(references)
    signals: list[FraudSignal] = []
    threshold = math.log(max(len(candidates), 1) / rule.false_alarm)
    for worker, own, top, times, references in candidates:
        spread = max(labels or len(seen), 2) - 1
        evidence = _constant_evidence(
            len(references), len(references) - references.count(top), spread
        )
        if evidence < threshold:
            continue
        sample = next(a.answer for a in own if by_item[a.item_id][worker] == top)
        matching = references.count(top)
        signals.append(
            signal(
                "straight_lining",
                worker,
                [a.slot for a in own],
                f"gave the same answer ({summarize_answer(sample)}) to {times} of "
                f"{len(own)} items, whose answers by gold and other workers take "
                f"{len(set(references))} different values and are that answer on "
                f"{matching} of {len(references)}; that is "
                f"{math.exp(min(evidence, 700.0)):.3g} times likelier from answering the "
                "same regardless than from any honest worker",
                {
                    "items": len(own),
                    "same": times,
                    "reference_values": len(set(references)),
                    "matching_references": matching,
                },
            )
        )
    return signals


def _common_share(
    constant: str,
    sample: Answer,
    worker: str,
    by_item: Mapping[str, Mapping[str, str]],
    gold: GoldKey | None,
    majorities: dict[str, str | None],
) -> float:
    """The share of the task's items whose reference answer (gold, else the others' most
    common) is ``constant`` (``sample`` is one answer with that key, to check salted gold)."""
    matching = counted = 0
    for item, keys in by_item.items():
        reference: str | None
        if gold is not None and item in gold:
            known = gold.answer(item)
            if known is not None:
                reference = answer_key(known)
            else:  # salted: whether the constant is right, else some other value
                reference = constant if gold.check(item, sample) else f"not {constant}"
        elif worker in keys:
            reference = _majority(Counter(key for w, key in keys.items() if w != worker))
        else:
            if item not in majorities:  # the same for every worker who did not answer it
                majorities[item] = _majority(Counter(keys.values()))
            reference = majorities[item]
        if reference is not None:
            counted += 1
            matching += reference == constant
    return 0.0 if not counted else matching / counted


def _majority(counts: Counter[str]) -> str | None:
    """The most common key, or None when there is none or two tie."""
    ranked = counts.most_common(2)
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def _constant_evidence(items: int, differing: int, spread: int) -> float:
    """log(1 / the likeliest honest worker's probability of one answer to ``items`` items
    whose references differ from it on ``differing``), errors spread over ``spread``."""
    if differing == 0:
        return 0.0
    accuracy = (items - differing) / items
    honest = differing * math.log((1 - accuracy) / spread)
    if items > differing:
        honest += (items - differing) * math.log(accuracy)
    return -honest


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
    return _majority(Counter(key for w, key in keys.items() if w != worker))


def missing_items(submissions: Sequence[Submission], item_ids: Sequence[str]) -> list[FraudSignal]:
    """Submissions that do not answer their own slot's item (its answers then count for
    nothing: see `submissions.worker_answers`)."""
    signals: list[FraudSignal] = []
    for submission in sorted(submissions, key=lambda s: s.slot):
        own = slot_item(item_ids, submission.slot)
        if own not in submission.item_ids:
            signals.append(
                signal(
                    "missing_item",
                    submission.worker,
                    [submission.slot],
                    f"slot {submission.slot} is for item {own!r}, which the submission does "
                    f"not answer (it answers {', '.join(submission.item_ids[:5])})",
                    {"answers": len(submission.answers)},
                )
            )
    return signals
