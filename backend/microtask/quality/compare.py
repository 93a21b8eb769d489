"""Comparing answers: when two answers say the same thing, and how close two texts are.

Every other module compares answers through this one, so "the same answer" means one thing
everywhere: in gold checks, in copying and straight-lining detection, and in agreement
with the aggregate. Answers are compared in a *canonical form* that removes differences no
requester cares about (the order of chosen labels, the case and spacing of text), never
differences that matter (a different label, a different word).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from microtask.encoding.canonical import canonical_json
from microtask.manifests.answers import (
    Answer,
    BoundingBoxesAnswer,
    Box,
    ClassificationAnswer,
    DataCheckAnswer,
    FreeTextAnswer,
    MultiLabelAnswer,
    SurveyAnswer,
    TranscriptionAnswer,
)

BOX_MATCH_IOU: Final = 0.5
"""Two boxes show the same object when they overlap by at least this intersection over union
(the PASCAL VOC convention)."""

_SPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Text as compared: Unicode NFC, case-folded, runs of white space as one space, trimmed.

    Two workers who typed "Main St." and "main  st." wrote the same thing; a checker that
    told them apart would punish the careful one for a stray space.
    """
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip().casefold()


def tokens(text: str) -> list[str]:
    """The words of ``text`` in normalized form (what text similarity is measured on)."""
    normalized = normalize_text(text)
    return normalized.split(" ") if normalized else []


def canonical_answer(answer: Answer) -> Answer:
    """``answer`` with the differences that do not matter removed.

    Multi-label choices sorted, text normalized (`normalize_text`), boxes and data-check
    corrections in a fixed order. This is also the form to hash when making salted gold
    (``gold_hash(canonical_answer(answer), salt)``): a worker's answer is checked against a
    salted hash in both its given and its canonical form.
    """
    match answer:
        case MultiLabelAnswer():
            return MultiLabelAnswer(labels=sorted(answer.labels))
        case FreeTextAnswer():
            return FreeTextAnswer(text=normalize_text(answer.text))
        case TranscriptionAnswer():
            return TranscriptionAnswer(text=normalize_text(answer.text))
        case BoundingBoxesAnswer():
            return BoundingBoxesAnswer(
                boxes=sorted(answer.boxes, key=lambda b: (b.label, b.x, b.y, b.width, b.height))
            )
        case DataCheckAnswer():
            return DataCheckAnswer(verdict=answer.verdict, corrections=_corrections(answer))
        case SurveyAnswer():
            return SurveyAnswer(responses=_responses(answer))
        case _:
            return answer


def _corrections(answer: DataCheckAnswer) -> dict[str, str]:
    return {field: normalize_text(value) for field, value in sorted(answer.corrections.items())}


def _responses(answer: SurveyAnswer) -> dict[str, str | float | list[str] | None]:
    return {
        question: _canonical_response(response)
        for question, response in sorted(answer.responses.items())
    }


def _canonical_response(response: str | float | list[str] | None) -> str | float | list[str] | None:
    if isinstance(response, str):
        return normalize_text(response)
    if isinstance(response, list):
        return sorted(response)
    return response


def answer_key(answer: Answer) -> str:
    """A string equal for two answers exactly when their canonical forms are equal.

    Used wherever answers are counted or grouped (straight-lining, copying, votes).
    """
    if isinstance(answer, ClassificationAnswer):  # the common case, thousands per task
        return _label_key(answer.label)
    return canonical_json(canonical_answer(answer).model_dump(mode="json")).decode()


@lru_cache(maxsize=1024)
def _label_key(label: str) -> str:
    return canonical_json(ClassificationAnswer(label=label).model_dump(mode="json")).decode()


def vote_of(answer: Answer) -> str | None:
    """The categorical value a voting method counts for ``answer``, or None if it has none.

    A classification's label and a data check's verdict; corrections and other kinds are
    not votes.
    """
    match answer:
        case ClassificationAnswer():
            return answer.label
        case DataCheckAnswer():
            return answer.verdict
        case _:
            return None


def text_similarity(left: str, right: str) -> float:
    """1 minus the word-level edit distance over the longer text's word count, in [0, 1].

    The word error rate's complement, symmetric: 1.0 for the same words, 0.0 for nothing in
    common. Two empty texts are identical (1.0).
    """
    a, b = tokens(left), tokens(right)
    longest = max(len(a), len(b))
    if longest == 0:
        return 1.0
    return 1.0 - _edit_distance(a, b) / longest


def _edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    previous = list(range(len(b) + 1))
    for i, word in enumerate(a, start=1):
        current = [i]
        for j, other in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other))
            )
        previous = current
    return previous[-1]


def jaccard(left: Sequence[str], right: Sequence[str]) -> float:
    """The Jaccard index of two label choices (labels in both over labels in either); two
    empty choices agree fully (1.0)."""
    a, b = set(left), set(right)
    union = a | b
    return 1.0 if not union else len(a & b) / len(union)


def box_iou(left: Box, right: Box) -> float:
    """Intersection over union of two boxes (their labels are not looked at)."""
    width = min(left.x + left.width, right.x + right.width) - max(left.x, right.x)
    height = min(left.y + left.height, right.y + right.height) - max(left.y, right.y)
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = left.width * left.height + right.width * right.height - inter
    return inter / union


def boxes_match(expected: Sequence[Box], given: Sequence[Box], iou: float = BOX_MATCH_IOU) -> bool:
    """Whether ``given`` draws the same objects: as many boxes, each paired one-to-one with an
    expected box of the same label overlapping it by at least ``iou``.

    Pairs are taken greedily, best overlap first, which is exact for the usual case of
    objects that do not overlap each other much.
    """
    if len(expected) != len(given):
        return False
    candidates = sorted(
        (
            (box_iou(e, g), i, j)
            for i, e in enumerate(expected)
            for j, g in enumerate(given)
            if e.label == g.label
        ),
        key=lambda c: (-c[0], c[1], c[2]),
    )
    used_e: set[int] = set()
    used_g: set[int] = set()
    for overlap, i, j in candidates:
        if overlap < iou:
            break
        if i in used_e or j in used_g:
            continue
        used_e.add(i)
        used_g.add(j)
    return len(used_e) == len(expected)


def answers_match(expected: Answer, given: Answer) -> bool:
    """Whether ``given`` is right when ``expected`` is the right answer (a gold check).

    Canonical forms must be equal, except that bounding boxes match by overlap
    (`boxes_match`), a data check is judged on its verdict plus any corrections the
    expected answer makes, and a survey on the questions the expected answer responds to.
    """
    if expected.kind != given.kind:
        return False
    match expected, given:
        case BoundingBoxesAnswer(), BoundingBoxesAnswer():
            return boxes_match(expected.boxes, given.boxes)
        case DataCheckAnswer(), DataCheckAnswer():
            if expected.verdict != given.verdict:
                return False
            have = _corrections(given)
            return all(have.get(f) == v for f, v in _corrections(expected).items())
        case SurveyAnswer(), SurveyAnswer():
            responses = _responses(given)
            return all(responses.get(q) == r for q, r in _responses(expected).items())
        case _:
            return answer_key(expected) == answer_key(given)


def summarize_answer(answer: Answer, limit: int = 40) -> str:
    """A short human-readable form of ``answer`` for explanations ("label cat", "verdict
    valid", a quoted text cut at ``limit`` characters)."""
    match answer:
        case ClassificationAnswer():
            return f"label {answer.label}"
        case MultiLabelAnswer():
            return "labels " + (", ".join(sorted(answer.labels)) or "(none)")
        case DataCheckAnswer():
            return f"verdict {answer.verdict}"
        case FreeTextAnswer() | TranscriptionAnswer():
            text = answer.text if len(answer.text) <= limit else answer.text[: limit - 1] + "…"
            return repr(text)
        case BoundingBoxesAnswer():
            return f"{len(answer.boxes)} boxes"
        case _:
            return f"{answer.kind} answer"
