"""The result set: JSON Lines and CSV rows per item, stable bytes."""

from __future__ import annotations

import csv
import io
import json

from microtask.manifests.answers import (
    BoundingBoxesAnswer,
    ClassificationAnswer,
    DataCheckAnswer,
    FreeTextAnswer,
    MultiLabelAnswer,
    TranscriptionAnswer,
)
from microtask.manifests.task import TaskManifest
from microtask.quality import ItemAggregate, Submission, assess, result_set
from microtask.quality.results import CSV_COLUMNS, flat_value
from tests.quality.scenario import WORKERS, item_id, manifest_data, submission


def aggregated(item: str, text: str, confidence: float = 0.75) -> ItemAggregate:
    return ItemAggregate(
        item_id=item,
        answer=FreeTextAnswer(text=text),
        confidence=confidence,
        method="rover",
        workers=("0xa", "0xb", "0xc", "0xd"),
        agreeing=3,
    )


def test_rows_follow_the_item_order_and_show_gaps() -> None:
    aggregates = {"b": aggregated("b", "second"), "a": aggregated("a", "first")}
    results = result_set(aggregates, ["a", "missing", "b"])
    assert results.items == 3
    rows = [json.loads(line) for line in results.jsonl.splitlines()]
    assert [row["item_id"] for row in rows] == ["a", "missing", "b"]
    assert rows[0] == {
        "agreeing": 3,
        "answer": {"kind": "free_text", "text": "first"},
        "answers": 4,
        "confidence": 0.75,
        "item_id": "a",
        "method": "rover",
        "status": "answered",
        "value": "first",
    }
    assert rows[1] == {
        "agreeing": 0,
        "answer": None,
        "answers": 0,
        "confidence": None,
        "item_id": "missing",
        "method": None,
        "status": "unanswered",
        "value": "",
    }
    # without an item order: sorted by id
    assert [json.loads(x)["item_id"] for x in result_set(aggregates).jsonl.splitlines()] == [
        "a",
        "b",
    ]


def test_the_csv_carries_the_same_rows_and_survives_awkward_text() -> None:
    awkward = 'a "quoted", comma\nand a new line'
    results = result_set({"a": aggregated("a", awkward, 1 / 3)})
    table = list(csv.reader(io.StringIO(results.csv.decode())))
    assert tuple(table[0]) == CSV_COLUMNS
    item, value, confidence, method, answers, agreeing, answer, status = table[1]
    assert status == "answered"
    assert (item, value, method, answers, agreeing) == ("a", awkward, "rover", "4", "3")
    assert confidence == "0.333333"
    assert json.loads(answer) == {"kind": "free_text", "text": awkward}


def test_items_that_lost_every_answer_are_marked_not_dropped() -> None:
    aggregates = {"a": aggregated("a", "first")}
    with_order = result_set(aggregates, ["a", "b", "c"], emptied=["b"])
    rows = [json.loads(line) for line in with_order.jsonl.splitlines()]
    assert [(row["item_id"], row["status"]) for row in rows] == [
        ("a", "answered"),
        ("b", "emptied"),
        ("c", "unanswered"),
    ]
    assert rows[1]["answer"] is None
    # without an item order the emptied item is still listed
    alone = result_set(aggregates, emptied=["b"])
    table = list(csv.DictReader(io.StringIO(alone.csv.decode())))
    assert [(row["item_id"], row["status"]) for row in table] == [
        ("a", "answered"),
        ("b", "emptied"),
    ]


def test_the_same_aggregates_give_the_same_bytes() -> None:
    one = {"a": aggregated("a", "x"), "b": aggregated("b", "y")}
    other = {"b": aggregated("b", "y"), "a": aggregated("a", "x")}
    assert result_set(one) == result_set(other)


def test_flat_values_per_kind() -> None:
    assert flat_value(ClassificationAnswer(label="cat")) == "cat"
    assert flat_value(MultiLabelAnswer(labels=["a", "b"])) == "a;b"
    assert flat_value(MultiLabelAnswer(labels=[])) == ""
    assert flat_value(DataCheckAnswer(verdict="invalid", corrections={"x": "1"})) == "invalid"
    assert flat_value(TranscriptionAnswer(text="hi")) == "hi"
    assert flat_value(BoundingBoxesAnswer(boxes=[])) == '{"boxes":[],"kind":"bounding_boxes"}'
    assert flat_value(None) == ""


def test_a_transcription_task_end_to_end() -> None:
    """assess on another kind: ROVER's text in the result set, the odd one out disagreeing."""
    manifest = TaskManifest.model_validate(
        manifest_data(
            kind="transcription",
            answer_schema={"kind": "transcription"},
            items=2,
        )
    )
    said = {
        "G1": ["turn left at the church", "the meeting is at noon"],
        "G2": ["turn left at the church", "the meeting is at noon"],
        "G3": ["turn left at the chapel", "the meeting was at noon"],
        "R": ["lorem ipsum", "dolor sit amet consectetur"],
    }
    subs: list[Submission] = []
    for rank, (name, texts) in enumerate(said.items()):
        for item, text in enumerate(texts):
            subs.append(
                submission(
                    name,
                    item + 2 * rank,
                    TranscriptionAnswer(text=text),
                    item=item_id(item),
                    started_at=1_000,
                    submitted_at=1_000 + 60 * (item + 1),
                )
            )
    assessment = assess(manifest, subs)
    assert assessment.method == "rover"
    assert assessment.aggregates[item_id(0)].answer == TranscriptionAnswer(
        text="turn left at the church"
    )
    r = assessment.agreement[WORKERS["R"].address]
    assert r.compared == 2
    assert r.score == 0.0
    g3 = assessment.agreement[WORKERS["G3"].address]
    assert g3.score is not None
    assert 0.7 < g3.score < 1.0
    rows = [json.loads(line) for line in assessment.results().jsonl.splitlines()]
    assert [row["value"] for row in rows] == ["turn left at the church", "the meeting is at noon"]
