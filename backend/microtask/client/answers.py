"""Decrypted answers as files: CSV (one column per answer field) or JSON Lines.

Example::

    text = answers_csv(requester.submissions(3).answers)
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from microtask.client.results import SubmittedAnswer

CSV_HEAD = ("slot", "worker", "item_id")
CSV_TAIL = ("envelope_cid", "submitted_at")


def answer_row(answer: SubmittedAnswer) -> dict[str, Any]:
    """One answer as a JSON object (the shape ``--json`` and JSON Lines show)."""
    return asdict(answer)


def answers_jsonl(answers: Iterable[SubmittedAnswer]) -> str:
    return "".join(json.dumps(answer_row(a), sort_keys=True) + "\n" for a in answers)


def answers_csv(answers: Iterable[SubmittedAnswer]) -> str:
    """A header row, then one row per answer; list and object values as JSON."""
    rows = list(answers)
    fields = sorted({key for row in rows for key in row.answer if key != "kind"})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*CSV_HEAD, *fields, *CSV_TAIL])
    for row in rows:
        values = [
            json.dumps(row.answer[f])
            if isinstance(row.answer.get(f), list | dict)
            else row.answer.get(f, "")
            for f in fields
        ]
        writer.writerow(
            [row.slot, row.worker, row.item_id, *values, row.envelope_cid, row.submitted_at]
        )
    return buffer.getvalue()
