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
- `aggregation`: crowd-kit aggregation per task kind, per-item confidence, `Agreement`.
- `fraud`: too fast, copying, straight-lining and missing-item `FraudSignal`s.
- `rules`: `QualityRule`, every threshold and its default.
- `decisions`: `decide`, `Decision`, and the `Review`/`ReviewBatch` documents.
- `results`: the JSON Lines and CSV result set.
- `assess`: all of the above in order.
"""

from microtask.quality.aggregation import (
    AGGREGATED_KINDS,
    Agreement,
    ItemAggregate,
    aggregate,
    agreement,
    item_agreement,
    method_for,
)
from microtask.quality.assess import Assessment, assess
from microtask.quality.compare import (
    answer_key,
    answers_match,
    canonical_answer,
    normalize_text,
    text_similarity,
)
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
    copying,
    minimum_seconds,
    missing_items,
    straight_lining,
    too_fast,
)
from microtask.quality.gold import GoldKey, GoldScore, score_gold
from microtask.quality.results import ResultSet, result_set
from microtask.quality.rules import (
    AggregationRule,
    AgreementRule,
    CopyingRule,
    GoldRule,
    QualityRule,
    StraightLiningRule,
    TimingRule,
)
from microtask.quality.submissions import Submission, WorkerAnswer, worker_answers

__all__ = [
    "AGGREGATED_KINDS",
    "SIGNAL_CODES",
    "AggregationRule",
    "Agreement",
    "AgreementRule",
    "Assessment",
    "Check",
    "CopyingRule",
    "Decision",
    "FraudSignal",
    "GoldKey",
    "GoldRule",
    "GoldScore",
    "GoldUnavailable",
    "ItemAggregate",
    "Outcome",
    "QualityError",
    "QualityRule",
    "ResultSet",
    "ReviewUnavailable",
    "StraightLiningRule",
    "Submission",
    "TimingRule",
    "WorkerAnswer",
    "aggregate",
    "agreement",
    "answer_key",
    "answers_match",
    "assess",
    "canonical_answer",
    "copying",
    "decide",
    "item_agreement",
    "method_for",
    "minimum_seconds",
    "missing_items",
    "normalize_text",
    "rejection_batches",
    "result_set",
    "review_of",
    "score_gold",
    "straight_lining",
    "text_similarity",
    "too_fast",
    "worker_answers",
]
