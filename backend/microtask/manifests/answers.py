"""What a task asks for (an answer schema per task kind) and what a worker answers.

A manifest carries one `AnswerSchema`; every answer in a submission carries the same
``kind`` and is checked against that schema with `check_answer` (a label that exists, a
count within bounds, a box inside the image). Both sides are discriminated unions on
``kind``, so each JSON document says what it is and its JSON Schema says exactly what is
allowed.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from microtask.manifests.fields import Identifier
from microtask.manifests.limits import (
    MAX_BOXES,
    MAX_FORM_FIELDS,
    MAX_LABELS,
    MAX_OPTIONS,
    MAX_SURVEY_QUESTIONS,
    MAX_TEXT_ANSWER_CHARS,
)
from microtask.manifests.questions import (
    MAX_QUESTION_CHARS,
    FormQuestion,
    FreeText,
    Question,
    QuestionForm,
    parse_question,
)


class TaskKind(StrEnum):
    CLASSIFICATION = "classification"
    MULTI_LABEL = "multi_label"
    FREE_TEXT = "free_text"
    TRANSCRIPTION = "transcription"
    BOUNDING_BOXES = "bounding_boxes"
    SURVEY = "survey"
    DATA_CHECK = "data_check"
    FORM = "form"


class Strict(BaseModel):
    """Documents refuse unknown fields: a typo is an error, not a silently ignored key."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Label(Strict):
    id: Identifier
    text: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2_000)


def _unique_ids(labels: list[Label], what: str) -> None:
    seen: set[str] = set()
    for label in labels:
        if label.id in seen:
            raise ValueError(f"{what} id {label.id!r} appears twice")
        seen.add(label.id)


# ----- answer schemas: what the task asks for -----


class ClassificationSchema(Strict):
    """Pick exactly one label."""

    kind: Literal["classification"] = "classification"
    labels: list[Label] = Field(min_length=2, max_length=MAX_LABELS)

    @model_validator(mode="after")
    def _distinct(self) -> ClassificationSchema:
        _unique_ids(self.labels, "label")
        return self


class MultiLabelSchema(Strict):
    """Pick between ``min_selected`` and ``max_selected`` labels."""

    kind: Literal["multi_label"] = "multi_label"
    labels: list[Label] = Field(min_length=1, max_length=MAX_LABELS)
    min_selected: int = Field(default=0, ge=0)
    max_selected: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _bounds(self) -> MultiLabelSchema:
        _unique_ids(self.labels, "label")
        upper = self.max_selected if self.max_selected is not None else len(self.labels)
        if not self.min_selected <= upper <= len(self.labels):
            raise ValueError("need min_selected <= max_selected <= the number of labels")
        return self


class FreeTextSchema(Strict):
    kind: Literal["free_text"] = "free_text"
    min_length: int = Field(default=1, ge=0)
    max_length: int = Field(default=2_000, ge=1, le=MAX_TEXT_ANSWER_CHARS)

    @model_validator(mode="after")
    def _bounds(self) -> FreeTextSchema:
        if self.min_length > self.max_length:
            raise ValueError("min_length is larger than max_length")
        return self


class TranscriptionSchema(Strict):
    """Write down what an item's media (audio, image of text) says."""

    kind: Literal["transcription"] = "transcription"
    max_length: int = Field(default=10_000, ge=1, le=MAX_TEXT_ANSWER_CHARS)


class BoundingBoxesSchema(Strict):
    """Draw labelled boxes; coordinates are fractions of the image's width and height."""

    kind: Literal["bounding_boxes"] = "bounding_boxes"
    labels: list[Label] = Field(min_length=1, max_length=MAX_LABELS)
    min_boxes: int = Field(default=0, ge=0)
    max_boxes: int = Field(default=100, ge=1, le=MAX_BOXES)

    @model_validator(mode="after")
    def _bounds(self) -> BoundingBoxesSchema:
        _unique_ids(self.labels, "label")
        if self.min_boxes > self.max_boxes:
            raise ValueError("min_boxes is larger than max_boxes")
        return self


class SurveyQuestion(Strict):
    id: Identifier
    prompt: str = Field(min_length=1, max_length=2_000)
    type: Literal["single_choice", "multiple_choice", "text", "number", "rating"]
    options: list[Label] = Field(default_factory=list, max_length=MAX_OPTIONS)
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = Field(default=2_000, ge=1, le=MAX_TEXT_ANSWER_CHARS)

    @model_validator(mode="after")
    def _consistent(self) -> SurveyQuestion:
        choice = self.type in ("single_choice", "multiple_choice")
        if choice and len(self.options) < 2:
            raise ValueError(f"a {self.type} question needs at least 2 options")
        if not choice and self.options:
            raise ValueError(f"a {self.type} question has no options")
        _unique_ids(self.options, "option")
        if self.type == "rating" and (self.minimum is None or self.maximum is None):
            raise ValueError("a rating question needs minimum and maximum")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError("minimum is larger than maximum")
        return self


class SurveySchema(Strict):
    kind: Literal["survey"] = "survey"
    questions: list[SurveyQuestion] = Field(min_length=1, max_length=MAX_SURVEY_QUESTIONS)

    @model_validator(mode="after")
    def _distinct(self) -> SurveySchema:
        ids = [question.id for question in self.questions]
        if len(set(ids)) != len(ids):
            raise ValueError("question ids must be distinct")
        return self


class DataCheckSchema(Strict):
    """Say whether each item's ``fields`` are right, and optionally correct them."""

    kind: Literal["data_check"] = "data_check"
    fields: list[Identifier] = Field(min_length=1, max_length=100)
    allow_corrections: bool = True


class FormSchema(Strict):
    """Fill in a form the requester wrote, in one of Mechanical Turk's question formats
    (`questions`: an ``HTMLQuestion``, an ``ExternalQuestion`` or a ``QuestionForm``), kept
    exactly as written. The answer is the form's fields, as MTurk's ``QuestionFormAnswers``
    hold them."""

    kind: Literal["form"] = "form"
    question: str = Field(
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        description="The MTurk question document (XML): HTMLQuestion, ExternalQuestion or "
        "QuestionForm.",
    )

    @field_validator("question")
    @classmethod
    def _a_question(cls, question: str) -> str:
        parse_question(question)  # ValueError says what is wrong
        return question

    @cached_property
    def parsed(self) -> Question:
        """The question, parsed (see `questions.parse_question`)."""
        return parse_question(self.question)


AnswerSchema = Annotated[
    ClassificationSchema
    | MultiLabelSchema
    | FreeTextSchema
    | TranscriptionSchema
    | BoundingBoxesSchema
    | SurveySchema
    | DataCheckSchema
    | FormSchema,
    Field(discriminator="kind"),
]


# ----- answers: what a worker gives for one item -----


class ClassificationAnswer(Strict):
    kind: Literal["classification"] = "classification"
    label: Identifier


class MultiLabelAnswer(Strict):
    kind: Literal["multi_label"] = "multi_label"
    labels: list[Identifier] = Field(max_length=MAX_LABELS)


class FreeTextAnswer(Strict):
    kind: Literal["free_text"] = "free_text"
    text: str = Field(max_length=MAX_TEXT_ANSWER_CHARS)


class TranscriptionAnswer(Strict):
    kind: Literal["transcription"] = "transcription"
    text: str = Field(max_length=MAX_TEXT_ANSWER_CHARS)


class Box(Strict):
    label: Identifier
    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)
    width: float = Field(gt=0, le=1)
    height: float = Field(gt=0, le=1)

    @model_validator(mode="after")
    def _inside(self) -> Box:
        if self.x + self.width > 1 + 1e-9 or self.y + self.height > 1 + 1e-9:
            raise ValueError("the box extends past the image")
        return self


class BoundingBoxesAnswer(Strict):
    kind: Literal["bounding_boxes"] = "bounding_boxes"
    boxes: list[Box] = Field(max_length=MAX_BOXES)


SurveyResponse = str | float | list[str] | None


class SurveyAnswer(Strict):
    kind: Literal["survey"] = "survey"
    responses: dict[str, SurveyResponse] = Field(max_length=MAX_SURVEY_QUESTIONS)


class DataCheckAnswer(Strict):
    kind: Literal["data_check"] = "data_check"
    verdict: Literal["valid", "invalid", "unsure"]
    corrections: dict[str, str] = Field(default_factory=dict, max_length=100)


class FormField(Strict):
    """One field of a submitted form: its ``name`` (an HTML field's name, or a
    QuestionForm question's identifier) and either the ``text`` typed (MTurk's
    ``FreeText``) or the ``selections`` chosen (``SelectionIdentifier``s)."""

    name: str = Field(min_length=1, max_length=256)
    text: str | None = Field(default=None, max_length=MAX_TEXT_ANSWER_CHARS)
    selections: list[str] | None = Field(default=None, max_length=MAX_OPTIONS)

    @model_validator(mode="after")
    def _one_value(self) -> FormField:
        if (self.text is None) == (self.selections is None):
            raise ValueError("a form field has either text or selections")
        return self


class FormAnswer(Strict):
    """The fields a worker submitted, in the order the form sent them (a name may repeat,
    as check boxes sharing one name do)."""

    kind: Literal["form"] = "form"
    fields: list[FormField] = Field(max_length=MAX_FORM_FIELDS)


Answer = Annotated[
    ClassificationAnswer
    | MultiLabelAnswer
    | FreeTextAnswer
    | TranscriptionAnswer
    | BoundingBoxesAnswer
    | SurveyAnswer
    | DataCheckAnswer
    | FormAnswer,
    Field(discriminator="kind"),
]


def check_answer(schema: AnswerSchema, answer: Answer) -> None:
    """Raise ValueError (naming the offending part) unless ``answer`` fits ``schema``."""
    if answer.kind != schema.kind:
        raise ValueError(f"a {answer.kind} answer to a {schema.kind} task")
    match schema, answer:
        case ClassificationSchema(), ClassificationAnswer():
            _known_label(schema.labels, answer.label)
        case MultiLabelSchema(), MultiLabelAnswer():
            for label in answer.labels:
                _known_label(schema.labels, label)
            if len(set(answer.labels)) != len(answer.labels):
                raise ValueError("a label is chosen twice")
            upper = schema.max_selected or len(schema.labels)
            if not schema.min_selected <= len(answer.labels) <= upper:
                raise ValueError(f"choose between {schema.min_selected} and {upper} labels")
        case FreeTextSchema(), FreeTextAnswer():
            if not schema.min_length <= len(answer.text) <= schema.max_length:
                raise ValueError(
                    f"text must be {schema.min_length} to {schema.max_length} characters"
                )
        case TranscriptionSchema(), TranscriptionAnswer():
            if len(answer.text) > schema.max_length:
                raise ValueError(f"text is longer than {schema.max_length} characters")
        case BoundingBoxesSchema(), BoundingBoxesAnswer():
            for box in answer.boxes:
                _known_label(schema.labels, box.label)
            if not schema.min_boxes <= len(answer.boxes) <= schema.max_boxes:
                raise ValueError(f"draw between {schema.min_boxes} and {schema.max_boxes} boxes")
        case SurveySchema(), SurveyAnswer():
            _check_survey(schema, answer)
        case DataCheckSchema(), DataCheckAnswer():
            unknown = set(answer.corrections) - set(schema.fields)
            if unknown:
                raise ValueError(f"corrections to fields not under check: {sorted(unknown)}")
            if answer.corrections and not schema.allow_corrections:
                raise ValueError("this task does not take corrections")
        case FormSchema(), FormAnswer():
            if isinstance(schema.parsed, QuestionForm):
                _check_question_form(schema.parsed, answer)


def _known_label(labels: list[Label], label: str) -> None:
    if label not in {known.id for known in labels}:
        raise ValueError(f"unknown label {label!r}")


def _check_survey(schema: SurveySchema, answer: SurveyAnswer) -> None:
    questions = {question.id: question for question in schema.questions}
    unknown = set(answer.responses) - set(questions)
    if unknown:
        raise ValueError(f"responses to unknown questions: {sorted(unknown)}")
    for question in schema.questions:
        response = answer.responses.get(question.id)
        if response is None:
            if question.required:
                raise ValueError(f"question {question.id!r} is required")
            continue
        _check_response(question, response)


def _check_response(question: SurveyQuestion, response: str | float | list[str]) -> None:
    where = f"question {question.id!r}"
    options = {option.id for option in question.options}
    if question.type == "single_choice":
        if not isinstance(response, str) or response not in options:
            raise ValueError(f"{where} takes one of {sorted(options)}")
    elif question.type == "multiple_choice":
        if not isinstance(response, list) or not set(response) <= options:
            raise ValueError(f"{where} takes a list drawn from {sorted(options)}")
    elif question.type == "text":
        if not isinstance(response, str) or len(response) > question.max_length:
            raise ValueError(f"{where} takes text of at most {question.max_length} characters")
    else:
        if isinstance(response, bool) or not isinstance(response, int | float):
            raise ValueError(f"{where} takes a number")
        if question.type == "rating" and response != int(response):
            raise ValueError(f"{where} takes a whole number")
        low = question.minimum if question.minimum is not None else float("-inf")
        high = question.maximum if question.maximum is not None else float("inf")
        if not low <= response <= high:
            raise ValueError(
                f"{where} takes a number from {question.minimum} to {question.maximum}"
            )


def _check_question_form(form: QuestionForm, answer: FormAnswer) -> None:
    """A QuestionForm's answers name its questions, choose among their selections, and
    leave no required question out (an HTML form's fields are the requester's own)."""
    questions = {question.identifier: question for question in form.questions}
    given: dict[str, FormField] = {}
    for field in answer.fields:
        question = questions.get(field.name)
        if question is None:
            raise ValueError(f"an answer to {field.name!r}, which is not a question of the form")
        if field.name in given:
            raise ValueError(f"question {field.name!r} is answered twice")
        given[field.name] = field
        _check_form_field(question, field)
    missing = [q.identifier for q in form.questions if q.required and q.identifier not in given]
    if missing:
        raise ValueError(f"required questions without an answer: {missing}")


def _check_form_field(question: FormQuestion, field: FormField) -> None:
    where = f"question {question.identifier!r}"
    spec = question.answer
    if isinstance(spec, FreeText):
        if field.text is None:
            raise ValueError(f"{where} takes text")
        _check_free_text(spec, field.text, where)
        return
    chosen = field.selections or []
    known = {choice.id for choice in spec.choices}
    if field.text is not None:  # the "other" box
        if spec.other is None:
            raise ValueError(f"{where} has no 'other' choice")
        _check_free_text(spec.other, field.text, where)
        return
    if not set(chosen) <= known or len(set(chosen)) != len(chosen):
        raise ValueError(f"{where} takes distinct choices among {sorted(known)}")
    if not spec.min_count <= len(chosen) <= spec.max_count:
        raise ValueError(f"{where} takes {spec.min_count} to {spec.max_count} choices")


def _check_free_text(spec: FreeText, text: str, where: str) -> None:
    if spec.min_length is not None and len(text) < spec.min_length:
        raise ValueError(f"{where} takes at least {spec.min_length} characters")
    if spec.max_length is not None and len(text) > spec.max_length:
        raise ValueError(f"{where} takes at most {spec.max_length} characters")
    if spec.numeric and text:
        try:
            number = int(text)
        except ValueError:
            raise ValueError(f"{where} takes a whole number") from None
        if (spec.min_value is not None and number < spec.min_value) or (
            spec.max_value is not None and number > spec.max_value
        ):
            raise ValueError(f"{where} takes a number from {spec.min_value} to {spec.max_value}")
