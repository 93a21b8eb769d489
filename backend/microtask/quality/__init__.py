"""Quality control: gold scoring, aggregation, fraud signals and decisions, on plain data.

No chain, no HTTP, no content store: the verifier service opens the envelopes and hands
this package `Submission`s; it gets back an `Assessment` with a decision per slot (approve,
reject with `Review`-ready reasons, or undecided for the requester) and the aggregated
result set as bytes. Typical use::

    key = GoldKey.from_manifest(manifest, verifier_private_key=verifier_key)
    assessment = assess(manifest, submissions, gold=key, rule=QualityRule())
    for decision in assessment.decisions:
        print(decision.explain())
    batches = rejection_batches(assessment.decisions, task_id=7, reviewer=verifier,
                                reviewed_at=now)
    results = assessment.results()  # .jsonl and .csv bytes, to seal to the requester

The modules, one job each:

- `submissions`: the input (`Submission`, one slot's opened answers and its times).
- `compare`: when two answers say the same thing; text similarity; box overlap.
- `gold`: `GoldKey` (encrypted or salted-hash gold) and per-worker `GoldScore`.
- `votes`: categorical answers as arrays (`VoteTable`).
- `models`: label models (hierarchical Dawid-Skene and the classic methods), chosen and
  calibrated on held-out answers and gold.
- `aggregation`: the aggregate per task kind, per-item confidence, `Agreement`.
- `accuracy`: each worker's accuracy from gold and agreement, with its uncertainty.
- `fraud`: too fast, straight-lining and missing-item `FraudSignal`s; `copying`: pairs
  sharing more probably-wrong answers than independent workers would.
- `rules`: `QualityRule`, every line and confidence and its default.
- `decisions`: `decide`, `Decision`, and the `Review`/`ReviewBatch` documents.
- `results`: the JSON Lines and CSV result set.
- `assess`: all of the above in order, with the result set's `Coverage`.
"""

from microtask.quality.accuracy import (
    Judged,
    Lines,
    WorkerAccuracy,
    lines,
    rejection_chance,
    worker_accuracy,
)
from microtask.quality.aggregation import (
    AGGREGATED_KINDS,
    Aggregation,
    Agreement,
    ItemAggregate,
    ModelSettings,
    aggregate,
    aggregation,
    agreement,
    item_agreement,
    method_for,
)
from microtask.quality.assess import Assessment, Coverage, ModelSummary, assess
from microtask.quality.compare import (
    answer_key,
    answers_match,
    canonical_answer,
    normalize_text,
    text_similarity,
)
from microtask.quality.copying import copying
from microtask.quality.decisions import (
    Check,
    Decision,
    Outcome,
    decide,
    rejection_batches,
    review_of,
)
from microtask.quality.errors import GoldUnavailable, QualityError, ReviewUnavailable
from microtask.quality.fraud import (
    SIGNAL_CODES,
    FraudSignal,
    minimum_seconds,
    missing_items,
    straight_lining,
    too_fast,
)
from microtask.quality.gold import GoldKey, GoldScore, score_gold
from microtask.quality.models import CategoricalMethod, LabelModel, fit
from microtask.quality.results import ResultSet, result_set
from microtask.quality.rules import (
    AccuracyRule,
    AggregationRule,
    CopyingRule,
    QualityRule,
    StraightLiningRule,
    TimingRule,
)
from microtask.quality.submissions import Submission, WorkerAnswer, worker_answers
from microtask.quality.votes import VoteTable

__all__ = [
    "AGGREGATED_KINDS",
    "SIGNAL_CODES",
    "AccuracyRule",
    "Aggregation",
    "AggregationRule",
    "Agreement",
    "Assessment",
    "CategoricalMethod",
    "Check",
    "CopyingRule",
    "Coverage",
    "Decision",
    "FraudSignal",
    "GoldKey",
    "GoldScore",
    "GoldUnavailable",
    "ItemAggregate",
    "Judged",
    "LabelModel",
    "Lines",
    "ModelSettings",
    "ModelSummary",
    "Outcome",
    "QualityError",
    "QualityRule",
    "ResultSet",
    "ReviewUnavailable",
    "StraightLiningRule",
    "Submission",
    "TimingRule",
    "VoteTable",
    "WorkerAccuracy",
    "WorkerAnswer",
    "aggregate",
    "aggregation",
    "agreement",
    "answer_key",
    "answers_match",
    "assess",
    "canonical_answer",
    "copying",
    "decide",
    "fit",
    "item_agreement",
    "lines",
    "method_for",
    "minimum_seconds",
    "missing_items",
    "normalize_text",
    "rejection_batches",
    "rejection_chance",
    "result_set",
    "review_of",
    "score_gold",
    "straight_lining",
    "text_similarity",
    "too_fast",
    "worker_accuracy",
    "worker_answers",
]
