"""The result set: the aggregated answers as JSON Lines and CSV, for the requester.

Both formats carry one row per item, in item order, with the aggregate's confidence, so a
requester can keep the sure items and look again at the rest. They are bytes, ready to be
sealed to the requester and uploaded (the verifier service does both); the same
aggregates always give the same bytes, so re-running a verification publishes the same
CID.

JSON Lines rows (keys sorted, canonical JSON): ``item_id``, ``answer`` (the full answer
object, or null), ``value`` (the answer flattened as in the CSV), ``confidence``,
``method``, ``answers`` (how many answers were combined), ``agreeing`` (how many said
exactly the aggregate) and ``status``: ``answered``, ``emptied`` (the item had answers and
quality control rejected every one: no result, ask for more) or ``unanswered``. The CSV
has the same columns with ``answer`` as JSON text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Mapping, Sequence
from typing import Final

from pydantic import BaseModel, ConfigDict

from microtask.encoding.canonical import canonical_json
from microtask.manifests.answers import (
    Answer,
    ClassificationAnswer,
    DataCheckAnswer,
    FreeTextAnswer,
    MultiLabelAnswer,
    TranscriptionAnswer,
)
from microtask.quality.aggregation import ItemAggregate

CSV_COLUMNS: Final = (
    "item_id",
    "value",
    "confidence",
    "method",
    "answers",
    "agreeing",
    "answer",
    "status",
)


class ResultSet(BaseModel):
    """A task's aggregated results in both formats."""

    model_config = ConfigDict(frozen=True)

    jsonl: bytes
    csv: bytes
    items: int


def flat_value(answer: Answer | None) -> str:
    """An answer as one CSV cell: the label, the verdict, the labels joined by ``;`` (label
    ids cannot contain it), the text; other kinds as their JSON."""
    match answer:
        case None:
            return ""
        case ClassificationAnswer():
            return answer.label
        case MultiLabelAnswer():
            return ";".join(answer.labels)
        case DataCheckAnswer():
            return answer.verdict
        case FreeTextAnswer() | TranscriptionAnswer():
            return answer.text
        case _:
            return canonical_json(answer.model_dump(mode="json")).decode()


def _rows(
    aggregates: Mapping[str, ItemAggregate],
    item_ids: Sequence[str] | None,
    emptied: Collection[str],
) -> list[dict[str, object]]:
    order = list(item_ids) if item_ids is not None else sorted({*aggregates, *emptied})
    order += sorted(set(aggregates) - set(order))
    rows: list[dict[str, object]] = []
    for item_id in order:
        aggregate = aggregates.get(item_id)
        answer = aggregate.answer if aggregate else None
        rows.append(
            {
                "item_id": item_id,
                "answer": None if answer is None else answer.model_dump(mode="json"),
                "value": flat_value(answer),
                "confidence": aggregate.confidence if aggregate else None,
                "method": aggregate.method if aggregate else None,
                "answers": aggregate.answers if aggregate else 0,
                "agreeing": aggregate.agreeing if aggregate else 0,
                "status": "answered"
                if aggregate
                else "emptied"
                if item_id in emptied
                else "unanswered",
            }
        )
    return rows


def result_set(
    aggregates: Mapping[str, ItemAggregate],
    item_ids: Sequence[str] | None = None,
    *,
    emptied: Collection[str] = (),
) -> ResultSet:
    """The result set of ``aggregates``; with ``item_ids`` (manifest order) every item gets
    a row, unanswered ones with no answer and zero answers, so gaps are visible.
    ``emptied``: the items whose every answer was rejected, marked so (and listed even
    without ``item_ids``)."""
    emptied = frozenset(emptied)
    rows = _rows(aggregates, item_ids, emptied)
    jsonl = b"".join(canonical_json(row) + b"\n" for row in rows)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        answer = row["answer"]
        writer.writerow(
            [
                row["item_id"],
                row["value"],
                "" if row["confidence"] is None else f"{row['confidence']:.6f}",
                row["method"] or "",
                row["answers"],
                row["agreeing"],
                "" if answer is None else canonical_json(answer).decode(),
                row["status"],
            ]
        )
    return ResultSet(jsonl=jsonl, csv=text.getvalue().encode("utf-8"), items=len(rows))
