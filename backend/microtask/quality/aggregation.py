"""Aggregation: one answer per item from several workers' answers, with a confidence.

Methods come from the maintained crowd-kit library, per task kind:

================  ==========================================  ===============================
kind              method                                      confidence
================  ==========================================  ===============================
classification    one-coin Dawid-Skene (default), Dawid-      probability of the chosen label
                  Skene or majority vote
data_check        the same, on the verdict; corrections by    probability of the verdict
                  plain count among workers who voted the
                  aggregate verdict ``invalid``
multi_label       binary relevance: the categorical method    the least certain label's
                  once per label (chosen or not)              probability
free_text,        ROVER (word transition network vote,        mean word-level similarity of
transcription     whitespace tokens, no model downloads)      the answers to the aggregate
bounding_boxes    not aggregated                              -
survey            not aggregated                              -
================  ==========================================  ===============================

Why: Dawid-Skene estimates how reliable each worker is, so a careless worker's votes count
for less than a careful one's. The one-coin variant (one accuracy per worker) is the
default because the full model (a confusion matrix per worker) needs many answers per
worker: on a 20-item task it can overrule two workers who agree. The full model also takes
the gold answers the verifier can read as known labels (crowd-kit's ``true_labels``, which
its one-coin variant lacks), so gold items anchor every worker's confusion matrix. (Gold
still counts in every method through the decisions, and cheats found by gold are left out
of the aggregate before it is computed: see `assess`.) Majority vote is
the transparent choice ("2 of 3 workers") a requester may prefer. All are deterministic
(Dawid-Skene starts from the majority vote).

Multi-label runs the categorical method once per label, as crowd-kit's ``BinaryRelevance``
does, but not through that class: its per-label aggregators sit in a dictionary shared by
every instance (a class attribute), so one task's labels would leak into the next. ROVER
needs only a tokenizer; crowd-kit's other text methods (TextRASA, TextHRRASA) need sentence
embeddings from a downloaded model, which this platform cannot fetch. Bounding boxes are
not aggregated: crowd-kit's image methods combine one segmentation mask per worker, not
sets of labelled boxes, which would first need matching across workers. Surveys collect
opinions, which have no right answer to aggregate towards.

crowd-kit and pandas are imported when first used: they take seconds to import, and the
CLI and API import this package for its types.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final

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
from microtask.quality.rules import AggregationRule
from microtask.quality.submissions import WorkerAnswer

CATEGORICAL_KINDS: Final = frozenset({TaskKind.CLASSIFICATION, TaskKind.DATA_CHECK})
TEXT_KINDS: Final = frozenset({TaskKind.FREE_TEXT, TaskKind.TRANSCRIPTION})
AGGREGATED_KINDS: Final = CATEGORICAL_KINDS | TEXT_KINDS | {TaskKind.MULTI_LABEL}


class ItemAggregate(BaseModel):
    """The crowd's answer to one item, how sure it is, and whose answers it rests on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: str
    answer: Answer | None = Field(description="None when the kind is not aggregated.")
    confidence: float | None = Field(ge=0, le=1)
    method: str | None = Field(
        description="one_coin_dawid_skene, dawid_skene, majority_vote, rover; None if none."
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


def aggregate(
    kind: TaskKind,
    answers: Sequence[WorkerAnswer],
    rule: AggregationRule | None = None,
    gold: GoldKey | None = None,
) -> dict[str, ItemAggregate]:
    """The aggregate of every item in ``answers``, by item id (sorted).

    ``answers`` should hold one answer per (worker, item), as `worker_answers` gives. Kinds
    that are not aggregated get an entry per item with no answer and no confidence, so the
    result set still lists them. Gold answers readable in ``gold`` (encrypted gold) are
    known labels for the full Dawid-Skene method; the others count votes only.
    """
    rule = rule or AggregationRule()
    by_item: dict[str, list[WorkerAnswer]] = {}
    for answer in sorted(answers, key=lambda a: (a.item_id, a.worker)):
        if answer.answer.kind != kind:
            raise ValueError(f"a {answer.answer.kind} answer in a {kind} task")
        by_item.setdefault(answer.item_id, []).append(answer)
    if not by_item:
        return {}
    known = {} if gold is None else {i: a for i in by_item if (a := gold.answer(i)) is not None}
    if kind in CATEGORICAL_KINDS:
        return _categorical(kind, by_item, rule, known)
    if kind == TaskKind.MULTI_LABEL:
        return _multi_label(by_item, rule, known)
    if kind in TEXT_KINDS:
        return _texts(kind, by_item)
    return {
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
    rows: list[tuple[str, str, Any]], rule: AggregationRule, known: Mapping[str, Any]
) -> dict[str, dict[Any, float]]:
    """Fit the categorical model to (item, worker, label) rows, with ``known`` labels for
    some items: each item's probability per label, read from crowd-kit's ``probas_``."""
    import pandas as pd
    from crowdkit.aggregation import DawidSkene, MajorityVote, OneCoinDawidSkene

    frame = pd.DataFrame(rows, columns=["task", "worker", "label"])
    # a known label nobody gave has no column in crowd-kit's tables: it cannot anchor
    seen = set(frame["label"])
    true_labels = pd.Series({item: label for item, label in known.items() if label in seen})
    model: Any
    with _quiet():
        if rule.categorical == "majority_vote":
            model = MajorityVote().fit(frame)
        elif rule.categorical == "one_coin_dawid_skene":
            model = OneCoinDawidSkene(n_iter=rule.dawid_skene_iterations).fit(frame)
        else:
            model = DawidSkene(n_iter=rule.dawid_skene_iterations).fit(
                frame, true_labels=true_labels if len(true_labels) else None
            )
    probas = model.probas_
    return {
        str(task): {label: float(probas.at[task, label]) for label in probas.columns}
        for task in probas.index
    }


def _best(probabilities: Mapping[Any, float]) -> tuple[Any, float]:
    """The most probable label, ties going to the smallest label so reruns agree."""
    label = min(probabilities, key=lambda lab: (-probabilities[lab], str(lab)))
    return label, probabilities[label]


def _categorical(
    kind: TaskKind,
    by_item: Mapping[str, list[WorkerAnswer]],
    rule: AggregationRule,
    known: Mapping[str, Answer],
) -> dict[str, ItemAggregate]:
    rows = [(item, a.worker, vote_of(a.answer)) for item, group in by_item.items() for a in group]
    fitted = _fit_votes(rows, rule, {item: vote_of(answer) for item, answer in known.items()})
    result: dict[str, ItemAggregate] = {}
    for item, group in by_item.items():
        label, confidence = _best(fitted[item])
        answer: Answer
        if kind == TaskKind.DATA_CHECK:
            answer = DataCheckAnswer(verdict=label, corrections=_corrections(group, label))
        else:
            answer = ClassificationAnswer(label=label)
        result[item] = ItemAggregate(
            item_id=item,
            answer=answer,
            confidence=_clamp(confidence),
            method=rule.categorical,
            workers=tuple(a.worker for a in group),
            agreeing=sum(1 for a in group if vote_of(a.answer) == label),
        )
    return result


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
            (item, a.worker, label in chosen[(item, a.worker)])
            for item, group in by_item.items()
            for a in group
        ]
        truth = {
            item: label in answer.labels
            for item, answer in known.items()
            if isinstance(answer, MultiLabelAnswer)
        }
        for item, probabilities in _fit_votes(rows, rule, truth).items():
            picked, confidence = _best(probabilities)
            if picked:
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
