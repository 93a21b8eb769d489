"""Aggregation: one answer per item from several workers' answers, with a confidence.

================  ==========================================  ===============================
kind              method                                      confidence
================  ==========================================  ===============================
classification    a label model (`models`): hierarchical      calibrated probability of the
                  Dawid-Skene by default; Dawid-Skene, one-   chosen label (majority vote:
                  coin Dawid-Skene or majority vote on        the vote share)
                  request; gold labels held fixed
data_check        the same, on the verdict; corrections by    probability of the verdict
                  plain count among workers who voted the
                  aggregate verdict ``invalid``
multi_label       binary relevance: the label model once per  the least certain label's
                  label (chosen or not)                       probability
free_text,        ROVER (crowd-kit; word transition network   mean word-level similarity of
transcription     vote, whitespace tokens, no model download) the answers to the aggregate
bounding_boxes    not aggregated                              -
survey            not aggregated                              -
================  ==========================================  ===============================

Why: a label model estimates how each worker answers, so a careless worker's votes count
for less than a careful one's, and a worker who leans to one class is read as such; `models`
says why the default pools workers toward the crowd and how its confidence is calibrated.
Gold answers the verifier can read (encrypted gold) are known labels: they anchor every
worker's estimate, and a gold item's aggregate is its gold answer. Majority vote is the
transparent choice ("2 of 3 workers") a requester may prefer. All are deterministic.

Multi-label runs the label model once per label, as crowd-kit's ``BinaryRelevance`` does
(but not through that class: its per-label aggregators sit in a dictionary shared by every
instance). ROVER needs only a tokenizer; crowd-kit's other text methods (TextRASA,
TextHRRASA) need sentence embeddings from a downloaded model, which this platform cannot
fetch. Bounding boxes are not aggregated: crowd-kit's image methods combine one
segmentation mask per worker, not sets of labelled boxes. Surveys collect opinions, which
have no right answer to aggregate towards.

crowd-kit and pandas are imported when first used (text only): they take seconds to import,
and the CLI and API import this package for its types.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from microtask.manifests.answers import (
    Answer,
    ClassificationAnswer,
    DataCheckAnswer,
    FreeTextAnswer,
    MultiLabelAnswer,
    TaskKind,
    TranscriptionAnswer,
)
from microtask.quality.compare import (
    answer_key,
    jaccard,
    normalize_text,
    text_similarity,
    vote_of,
)
from microtask.quality.gold import GoldKey
from microtask.quality.models import LabelModel, fit
from microtask.quality.rules import AggregationRule
from microtask.quality.submissions import WorkerAnswer
from microtask.quality.votes import VoteTable

CATEGORICAL_KINDS: Final = frozenset({TaskKind.CLASSIFICATION, TaskKind.DATA_CHECK})
TEXT_KINDS: Final = frozenset({TaskKind.FREE_TEXT, TaskKind.TRANSCRIPTION})
AGGREGATED_KINDS: Final = CATEGORICAL_KINDS | TEXT_KINDS | {TaskKind.MULTI_LABEL}
_CHOSEN: Final = "present"
_NOT_CHOSEN: Final = "absent"  # sorts first: a tie leaves a label out


class ItemAggregate(BaseModel):
    """The crowd's answer to one item, how sure it is, and whose answers it rests on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: str
    answer: Answer | None = Field(description="None when the kind is not aggregated.")
    confidence: float | None = Field(ge=0, le=1)
    method: str | None = Field(
        description="hierarchical_dawid_skene, dawid_skene, one_coin_dawid_skene, "
        "majority_vote, rover; None if none."
    )
    workers: tuple[str, ...] = Field(description="The workers whose answers were combined.")
    agreeing: int = Field(ge=0, description="Answers that say exactly the aggregate.")

    @property
    def answers(self) -> int:
        return len(self.workers)


class Agreement(BaseModel):
    """How well one worker's answers match the aggregates of the items they answered."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    worker: str
    compared: int = Field(ge=0, description="Items whose aggregate rests on enough others.")
    score: float | None = Field(ge=0, le=1, description="Mean per-item agreement; None if none.")
    disagreed: tuple[str, ...] = Field(description="Compared items with agreement below 0.5.")


def method_for(kind: TaskKind, rule: AggregationRule) -> str | None:
    """The method `aggregate` uses for ``kind`` under ``rule`` (None: not aggregated)."""
    if kind in CATEGORICAL_KINDS or kind == TaskKind.MULTI_LABEL:
        return rule.categorical
    if kind in TEXT_KINDS:
        return "rover"
    return None


@dataclass(frozen=True)
class ModelSettings:
    """Settings a label model chose on one fit, to refit others the same way (None: choose)."""

    shrinkage: float | None = None
    temperature: float | None = None
    floor: float | None = None

    @classmethod
    def of(cls, model: LabelModel) -> ModelSettings:
        return cls(shrinkage=model.shrinkage, temperature=model.temperature, floor=model.floor)


@dataclass(frozen=True, eq=False)
class Aggregation:
    """The aggregates of a task's items and, for labels, the model they come from."""

    aggregates: dict[str, ItemAggregate]
    model: LabelModel | None = None


def aggregate(
    kind: TaskKind,
    answers: Sequence[WorkerAnswer],
    rule: AggregationRule | None = None,
    gold: GoldKey | None = None,
) -> dict[str, ItemAggregate]:
    """The aggregate of every item in ``answers``, by item id (sorted).

    ``answers`` should hold one answer per (worker, item), as `worker_answers` gives. Kinds
    that are not aggregated get an entry per item with no answer and no confidence, so the
    result set still lists them. The right answers of gold items (opened from encrypted
    gold, or a worker's answer that matches a salted hash) are known labels of the label
    models.
    """
    return aggregation(kind, answers, rule, gold).aggregates


def aggregation(
    kind: TaskKind,
    answers: Sequence[WorkerAnswer],
    rule: AggregationRule | None = None,
    gold: GoldKey | None = None,
    settings: ModelSettings | None = None,
) -> Aggregation:
    """`aggregate`, keeping the label model of categorical kinds (``settings``: reuse
    what an earlier fit chose instead of choosing again)."""
    rule = rule or AggregationRule()
    by_item: dict[str, list[WorkerAnswer]] = {}
    for answer in sorted(answers, key=lambda a: (a.item_id, a.worker)):
        if answer.answer.kind != kind:
            raise ValueError(f"a {answer.answer.kind} answer in a {kind} task")
        by_item.setdefault(answer.item_id, []).append(answer)
    if not by_item:
        return Aggregation({})
    known = {} if gold is None else _known_answers(by_item, gold)
    if kind in CATEGORICAL_KINDS:
        return _categorical(kind, by_item, rule, known, settings)
    if kind == TaskKind.MULTI_LABEL:
        return Aggregation(_multi_label(by_item, rule, known))
    if kind in TEXT_KINDS:
        return Aggregation(_texts(kind, by_item))
    return Aggregation(
        {
            item: ItemAggregate(
                item_id=item,
                answer=None,
                confidence=None,
                method=None,
                workers=tuple(a.worker for a in group),
                agreeing=0,
            )
            for item, group in by_item.items()
        }
    )


def _known_answers(by_item: Mapping[str, list[WorkerAnswer]], gold: GoldKey) -> dict[str, Answer]:
    """The right answers of the gold items among ``by_item``: opened (encrypted gold), or
    for salted hashes the answer a worker gave that matches the hash (the hash cannot be
    read, but an answer that fits it is the right one)."""
    known: dict[str, Answer] = {}
    for item, group in by_item.items():
        if item not in gold:
            continue
        opened = gold.answer(item)
        if opened is not None:
            known[item] = opened
            continue
        for given in group:
            if gold.check(item, given.answer):
                known[item] = given.answer
                break
    return known


def item_agreement(aggregated: Answer, given: Answer) -> float:
    """How far ``given`` says what the aggregate says, from 0 to 1.

    Categorical kinds: 1 for the same label (or verdict), else 0. Multi-label: the Jaccard
    index of the two label sets. Text: word-level similarity (`text_similarity`).
    """
    match aggregated, given:
        case MultiLabelAnswer(), MultiLabelAnswer():
            return jaccard(aggregated.labels, given.labels)
        case (
            (FreeTextAnswer() | TranscriptionAnswer()),
            (FreeTextAnswer() | TranscriptionAnswer()),
        ):
            return text_similarity(aggregated.text, given.text)
        case _:
            vote = vote_of(aggregated)
            if vote is not None:
                return float(vote == vote_of(given))
            return float(answer_key(aggregated) == answer_key(given))


def agreement(
    answers: Sequence[WorkerAnswer],
    aggregates: Mapping[str, ItemAggregate],
    *,
    min_other_answers: int = 1,
) -> dict[str, Agreement]:
    """Each worker's agreement with the aggregates, by worker (sorted).

    An item counts for a worker only when its aggregate rests on at least
    ``min_other_answers`` answers from *other* workers, so a worker left out of the
    aggregate (a suspected cheat) is measured against the others, and nobody is measured
    against their own answer alone.
    """
    scores: dict[str, list[tuple[str, float]]] = {}
    for answer in sorted(answers, key=lambda a: (a.worker, a.item_id)):
        per_worker = scores.setdefault(answer.worker, [])
        item = aggregates.get(answer.item_id)
        if item is None or item.answer is None:
            continue
        others = sum(1 for worker in item.workers if worker != answer.worker)
        if others < min_other_answers:
            continue
        per_worker.append((answer.item_id, item_agreement(item.answer, answer.answer)))
    return {
        worker: Agreement(
            worker=worker,
            compared=len(items),
            score=None if not items else sum(s for _, s in items) / len(items),
            disagreed=tuple(item for item, s in items if s < 0.5),
        )
        for worker, items in sorted(scores.items())
    }


@contextmanager
def _quiet() -> Iterator[None]:
    """crowd-kit leans on pandas idioms that newer pandas warns about; the warnings say
    nothing about our data, so they are silenced here and only here."""
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", pd.errors.SettingWithCopyWarning)
        yield


def _fit_votes(
    rows: list[tuple[str, str, str]],
    rule: AggregationRule,
    known: Mapping[str, str],
    settings: ModelSettings | None = None,
) -> tuple[LabelModel, dict[str, tuple[str, float]]]:
    """Fit the rule's label model to (item, worker, label) rows with ``known`` labels for
    some items: the model, and each item's most probable label with its probability (ties
    go to the smallest label, so reruns agree)."""
    table = VoteTable.build(rows, known)
    chosen = settings or ModelSettings()
    model = fit(
        table,
        rule.categorical,
        iterations=rule.dawid_skene_iterations,
        shrinkage=chosen.shrinkage,
        temperature=chosen.temperature,
        floor=chosen.floor,
    )
    posterior = model.posterior()
    best = np.argmax(np.round(posterior, 9), axis=1)  # the first of equals: the smallest
    confidence = posterior[np.arange(len(best)), best]
    return model, {
        item: (table.labels[int(best[n])], float(confidence[n]))
        for n, item in enumerate(table.items)
    }


def _categorical(
    kind: TaskKind,
    by_item: Mapping[str, list[WorkerAnswer]],
    rule: AggregationRule,
    known: Mapping[str, Answer],
    settings: ModelSettings | None,
) -> Aggregation:
    votes = {item: [(a.worker, _vote(a.answer)) for a in group] for item, group in by_item.items()}
    rows = [(item, worker, vote) for item, group in votes.items() for worker, vote in group]
    gold_votes = {item: vote for item, answer in known.items() if (vote := vote_of(answer))}
    model, fitted = _fit_votes(rows, rule, gold_votes, settings)
    result: dict[str, ItemAggregate] = {}
    labels: dict[str, ClassificationAnswer] = {}
    for item, group in by_item.items():
        label, confidence = fitted[item]
        answer: Answer
        if kind == TaskKind.DATA_CHECK:
            answer = DataCheckAnswer.model_validate(
                {"verdict": label, "corrections": _corrections(group, label)}
            )
        else:  # answers are immutable: one per label serves every item
            answer = labels.setdefault(label, ClassificationAnswer(label=label))
        # values made here from checked ones: no need to validate 10,000 of them again
        result[item] = ItemAggregate.model_construct(
            item_id=item,
            answer=answer,
            confidence=_clamp(confidence),
            method=rule.categorical,
            workers=tuple(worker for worker, _ in votes[item]),
            agreeing=sum(1 for _, vote in votes[item] if vote == label),
        )
    return Aggregation(result, model)


def _vote(answer: Answer) -> str:
    vote = vote_of(answer)
    if vote is None:  # pragma: no cover - categorical kinds always have a vote
        raise ValueError(f"a {answer.kind} answer has no vote")
    return vote


def _corrections(group: Sequence[WorkerAnswer], verdict: str) -> dict[str, str]:
    """The most common correction per field among answers with the aggregate verdict, when
    that verdict is ``invalid`` (ties go to the first in sorted order)."""
    if verdict != "invalid":
        return {}
    counts: dict[str, Counter[str]] = {}
    for worker_answer in group:
        answer = worker_answer.answer
        if isinstance(answer, DataCheckAnswer) and answer.verdict == verdict:
            for field, value in answer.corrections.items():
                counts.setdefault(field, Counter())[value] += 1
    return {
        field: min(counter, key=lambda value: (-counter[value], value))
        for field, counter in sorted(counts.items())
    }


def _multi_label(
    by_item: Mapping[str, list[WorkerAnswer]],
    rule: AggregationRule,
    known: Mapping[str, Answer],
) -> dict[str, ItemAggregate]:
    chosen = {
        (item, a.worker): set(a.answer.labels)
        for item, group in by_item.items()
        for a in group
        if isinstance(a.answer, MultiLabelAnswer)
    }
    labels = sorted(set().union(*chosen.values()))
    selected: dict[str, list[str]] = {item: [] for item in by_item}
    certainty: dict[str, float] = dict.fromkeys(by_item, 1.0)
    for label in labels:
        rows = [
            (item, a.worker, _CHOSEN if label in chosen[(item, a.worker)] else _NOT_CHOSEN)
            for item, group in by_item.items()
            for a in group
        ]
        truth = {
            item: _CHOSEN if label in answer.labels else _NOT_CHOSEN
            for item, answer in known.items()
            if isinstance(answer, MultiLabelAnswer)
        }
        _, fitted = _fit_votes(rows, rule, truth)
        for item, (picked, confidence) in fitted.items():
            if picked == _CHOSEN:
                selected[item].append(label)
            certainty[item] = min(certainty[item], confidence)
    result: dict[str, ItemAggregate] = {}
    for item, group in by_item.items():
        answer = MultiLabelAnswer(labels=selected[item])
        result[item] = ItemAggregate(
            item_id=item,
            answer=answer,
            confidence=_clamp(certainty[item]),
            method=rule.categorical,
            workers=tuple(a.worker for a in group),
            agreeing=sum(1 for a in group if answer_key(a.answer) == answer_key(answer)),
        )
    return result


def _texts(kind: TaskKind, by_item: Mapping[str, list[WorkerAnswer]]) -> dict[str, ItemAggregate]:
    import pandas as pd
    from crowdkit.aggregation import ROVER

    texts = {
        (item, a.worker): a.answer.text
        for item, group in by_item.items()
        for a in group
        if isinstance(a.answer, FreeTextAnswer | TranscriptionAnswer)
    }
    frame = pd.DataFrame(
        [(item, worker, text) for (item, worker), text in texts.items()],
        columns=["task", "worker", "text"],
    )
    with _quiet():
        # ROVER aligns every answer to the first: rows are in (item, worker) order, so the
        # same answers always give the same network and the same text
        fitted = ROVER(tokenizer=str.split, detokenizer=" ".join).fit_predict(frame)
    result: dict[str, ItemAggregate] = {}
    for item, group in by_item.items():
        text = str(fitted.get(item, ""))
        answer: Answer = (
            TranscriptionAnswer(text=text)
            if kind == TaskKind.TRANSCRIPTION
            else FreeTextAnswer(text=text)
        )
        similarities = [text_similarity(text, texts[(item, a.worker)]) for a in group]
        result[item] = ItemAggregate(
            item_id=item,
            answer=answer,
            confidence=_clamp(sum(similarities) / len(similarities)),
            method="rover",
            workers=tuple(a.worker for a in group),
            agreeing=sum(
                1 for a in group if normalize_text(texts[(item, a.worker)]) == normalize_text(text)
            ),
        )
    return result


def _clamp(value: float) -> float:
    """A probability rounded to 6 places (what the result set shows, stable across BLAS
    builds) and kept inside [0, 1]."""
    return min(1.0, max(0.0, round(value, 6)))
