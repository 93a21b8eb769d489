"""Answers checked against the manifest's answer schema, kind by kind."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from microtask.manifests import Answer, AnswerSchema, check_answer

SCHEMA: TypeAdapter[AnswerSchema] = TypeAdapter(AnswerSchema)
ANSWER: TypeAdapter[Answer] = TypeAdapter(Answer)
LABELS = [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}, {"id": "c", "text": "C"}]


def check(schema: dict[str, Any], answer: dict[str, Any]) -> None:
    check_answer(SCHEMA.validate_python(schema), ANSWER.validate_python(answer))


CASES: list[tuple[dict[str, Any], dict[str, Any], str | None]] = [
    ({"kind": "classification", "labels": LABELS}, {"kind": "classification", "label": "b"}, None),
    (
        {"kind": "classification", "labels": LABELS},
        {"kind": "classification", "label": "z"},
        "unknown label 'z'",
    ),
    (
        {"kind": "classification", "labels": LABELS},
        {"kind": "free_text", "text": "b"},
        "a free_text answer to a classification task",
    ),
    (
        {"kind": "multi_label", "labels": LABELS, "max_selected": 2},
        {"kind": "multi_label", "labels": ["a", "c"]},
        None,
    ),
    (
        {"kind": "multi_label", "labels": LABELS, "max_selected": 2},
        {"kind": "multi_label", "labels": ["a", "b", "c"]},
        "between 0 and 2",
    ),
    (
        {"kind": "multi_label", "labels": LABELS},
        {"kind": "multi_label", "labels": ["a", "a"]},
        "chosen twice",
    ),
    (
        {"kind": "free_text", "min_length": 3, "max_length": 5},
        {"kind": "free_text", "text": "four"},
        None,
    ),
    (
        {"kind": "free_text", "min_length": 3, "max_length": 5},
        {"kind": "free_text", "text": "too long"},
        "3 to 5 characters",
    ),
    (
        {"kind": "transcription", "max_length": 4},
        {"kind": "transcription", "text": "hello"},
        "longer than 4",
    ),
    (
        {"kind": "bounding_boxes", "labels": LABELS, "max_boxes": 1},
        {
            "kind": "bounding_boxes",
            "boxes": [{"label": "a", "x": 0.1, "y": 0.1, "width": 0.5, "height": 0.5}],
        },
        None,
    ),
    (
        {"kind": "bounding_boxes", "labels": LABELS, "max_boxes": 1},
        {
            "kind": "bounding_boxes",
            "boxes": [{"label": "a", "x": 0, "y": 0, "width": 0.1, "height": 0.1}] * 2,
        },
        "between 0 and 1 boxes",
    ),
    (
        {
            "kind": "survey",
            "questions": [
                {"id": "q1", "prompt": "?", "type": "rating", "minimum": 1, "maximum": 5},
                {"id": "q2", "prompt": "?", "type": "multiple_choice", "options": LABELS},
                {"id": "q3", "prompt": "?", "type": "text", "required": False},
            ],
        },
        {"kind": "survey", "responses": {"q1": 4, "q2": ["a", "b"]}},
        None,
    ),
    (
        {
            "kind": "survey",
            "questions": [
                {"id": "q1", "prompt": "?", "type": "rating", "minimum": 1, "maximum": 5}
            ],
        },
        {"kind": "survey", "responses": {"q1": 7}},
        "question 'q1' takes a number from 1.0 to 5.0",
    ),
    (
        {"kind": "survey", "questions": [{"id": "q1", "prompt": "?", "type": "text"}]},
        {"kind": "survey", "responses": {}},
        "question 'q1' is required",
    ),
    (
        {"kind": "survey", "questions": [{"id": "q1", "prompt": "?", "type": "text"}]},
        {"kind": "survey", "responses": {"q1": "x", "q9": "y"}},
        "unknown questions: ['q9']",
    ),
    (
        {"kind": "data_check", "fields": ["name"]},
        {"kind": "data_check", "verdict": "invalid", "corrections": {"name": "Ada"}},
        None,
    ),
    (
        {"kind": "data_check", "fields": ["name"], "allow_corrections": False},
        {"kind": "data_check", "verdict": "invalid", "corrections": {"name": "Ada"}},
        "does not take corrections",
    ),
    (
        {"kind": "data_check", "fields": ["name"]},
        {"kind": "data_check", "verdict": "valid", "corrections": {"city": "Paris"}},
        "not under check: ['city']",
    ),
]


@pytest.mark.parametrize(("schema", "answer", "problem"), CASES)
def test_check_answer(schema: dict[str, Any], answer: dict[str, Any], problem: str | None) -> None:
    if problem is None:
        check(schema, answer)
    else:
        with pytest.raises(ValueError, match=problem.replace("[", r"\[").replace("]", r"\]")):
            check(schema, answer)


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ({"kind": "classification", "labels": LABELS[:1]}, "at least 2 items"),
        (
            {"kind": "classification", "labels": [LABELS[0], LABELS[0]]},
            "label id 'a' appears twice",
        ),
        (
            {"kind": "multi_label", "labels": LABELS, "min_selected": 3, "max_selected": 2},
            "min_selected",
        ),
        ({"kind": "free_text", "min_length": 9, "max_length": 3}, "min_length is larger"),
        (
            {"kind": "survey", "questions": [{"id": "q", "prompt": "?", "type": "single_choice"}]},
            "at least 2 options",
        ),
        (
            {"kind": "survey", "questions": [{"id": "q", "prompt": "?", "type": "rating"}]},
            "minimum and maximum",
        ),
    ],
)
def test_impossible_schemas_are_refused(schema: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        SCHEMA.validate_python(schema)


def test_a_box_must_stay_inside_the_image() -> None:
    with pytest.raises(ValidationError, match="past the image"):
        ANSWER.validate_python(
            {
                "kind": "bounding_boxes",
                "boxes": [{"label": "a", "x": 0.8, "y": 0, "width": 0.5, "height": 0.1}],
            }
        )
