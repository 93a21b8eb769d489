"""MTurk's question documents in a `form` manifest: parsed, checked, answered, and the
requester's own qualifications a manifest may ask for."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from microtask.manifests import Answer, AnswerSchema, check_answer
from microtask.manifests.answers import FormSchema
from microtask.manifests.questions import (
    ExternalQuestion,
    FormQuestion,
    FreeText,
    HtmlQuestion,
    QuestionForm,
    Selection,
    parse_question,
)
from microtask.manifests.task import RequesterQualification

SCHEMA: TypeAdapter[AnswerSchema] = TypeAdapter(AnswerSchema)
ANSWER: TypeAdapter[Answer] = TypeAdapter(Answer)

HTML_NS = (
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd"
)
FORM_NS = (
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2017-11-06/QuestionForm.xsd"
)

HTML_QUESTION = f"""<HTMLQuestion xmlns="{HTML_NS}">
  <HTMLContent><![CDATA[<!DOCTYPE html>
<html><body><form name="mturk_form" method="post" id="mturk_form" action="">
<input type="hidden" value="" name="assignmentId" id="assignmentId"/>
<p>Is this review positive?</p><input type="radio" name="sentiment" value="yes"/>
<input type="submit" id="submitButton"/></form></body></html>]]></HTMLContent>
  <FrameHeight>450</FrameHeight>
</HTMLQuestion>"""

EXTERNAL_QUESTION = """<ExternalQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd">
  <ExternalURL>https://tasks.example.org/survey?lang=en</ExternalURL>
  <FrameHeight>0</FrameHeight>
</ExternalQuestion>"""

QUESTION_FORM = f"""<QuestionForm xmlns="{FORM_NS}">
  <Overview><Title>Game 01523, "X" to play</Title><Text>Pick the best move.</Text>
    <Binary><MimeType><Type>image</Type><SubType>png</SubType></MimeType>
      <DataURL>https://tictactoe.example/01523.png</DataURL><AltText>The board</AltText></Binary>
  </Overview>
  <Question>
    <QuestionIdentifier>nextmove</QuestionIdentifier><DisplayName>The next move</DisplayName>
    <IsRequired>true</IsRequired>
    <QuestionContent><Text>Where should X go?</Text></QuestionContent>
    <AnswerSpecification><SelectionAnswer>
      <MinSelectionCount>1</MinSelectionCount><MaxSelectionCount>1</MaxSelectionCount>
      <StyleSuggestion>radiobutton</StyleSuggestion>
      <Selections>
        <Selection><SelectionIdentifier>C1</SelectionIdentifier><Text>top left</Text></Selection>
        <Selection><SelectionIdentifier>C3</SelectionIdentifier><Text>top right</Text></Selection>
      </Selections>
    </SelectionAnswer></AnswerSpecification>
  </Question>
  <Question>
    <QuestionIdentifier>likelytowin</QuestionIdentifier>
    <QuestionContent><Text>How likely is X to win (0 to 100)?</Text></QuestionContent>
    <AnswerSpecification><FreeTextAnswer>
      <Constraints><IsNumeric minValue="0" maxValue="100"/></Constraints>
    </FreeTextAnswer></AnswerSpecification>
  </Question>
</QuestionForm>"""


def test_an_html_question_is_its_html_and_frame_height() -> None:
    question = parse_question(HTML_QUESTION)
    assert isinstance(question, HtmlQuestion)
    assert question.frame_height == 450
    assert question.html.startswith("<!DOCTYPE html>")  # a doctype inside CDATA is content
    assert 'name="sentiment"' in question.html


def test_an_external_question_is_its_url() -> None:
    question = parse_question(EXTERNAL_QUESTION)
    assert question == ExternalQuestion("https://tasks.example.org/survey?lang=en", 0)


def test_a_question_form_is_parsed_for_a_native_form() -> None:
    form = parse_question(QUESTION_FORM)
    assert isinstance(form, QuestionForm)
    first, second = form.questions
    assert isinstance(first, FormQuestion)
    assert isinstance(first.answer, Selection)
    assert (first.identifier, first.display_name, first.required) == (
        "nextmove",
        "The next move",
        True,
    )
    assert [c.id for c in first.answer.choices] == ["C1", "C3"]
    assert first.answer.style == "radiobutton"
    assert isinstance(second.answer, FreeText)
    assert (second.answer.numeric, second.answer.min_value, second.answer.max_value) == (
        True,
        0,
        100,
    )
    overview = form.parts[0]
    assert [c.kind for c in overview.content] == ["title", "text", "binary"]  # type: ignore[union-attr]
    assert overview.content[2].url == "https://tictactoe.example/01523.png"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ("<HTMLQuestion><HTMLContent>", "not well-formed XML"),
        ("<Survey/>", "not Survey"),
        ("<HTMLQuestion><FrameHeight>10</FrameHeight></HTMLQuestion>", "HTMLContent is missing"),
        (
            "<ExternalQuestion><ExternalURL>javascript:alert(1)</ExternalURL></ExternalQuestion>",
            "https://",
        ),
        (
            "<HTMLQuestion><HTMLContent>x</HTMLContent><FrameHeight>tall</FrameHeight>"
            "</HTMLQuestion>",
            "not a whole number",
        ),
        (
            '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaa">]>'
            "<HTMLQuestion><HTMLContent>&a;</HTMLContent></HTMLQuestion>",
            "document type",
        ),
        ("<QuestionForm/>", "no Question"),
        (
            "<QuestionForm><Question><QuestionIdentifier>q</QuestionIdentifier>"
            "<AnswerSpecification><FileUploadAnswer/></AnswerSpecification></Question>"
            "</QuestionForm>",
            "FileUploadAnswer is not supported",
        ),
    ],
)
def test_what_cannot_be_shown_is_refused_with_the_reason(document: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_question(document)
    with pytest.raises(ValidationError, match=problem):
        FormSchema(question=document)


def form(document: str) -> dict[str, Any]:
    return {"kind": "form", "question": document}


def answer(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "form", "fields": list(fields)}


@pytest.mark.parametrize(
    ("document", "given", "problem"),
    [
        (HTML_QUESTION, answer({"name": "sentiment", "text": "yes"}), None),
        (
            HTML_QUESTION,
            answer({"name": "anything", "text": "a"}, {"name": "anything", "text": "b"}),
            None,
        ),
        (
            QUESTION_FORM,
            answer(
                {"name": "nextmove", "selections": ["C3"]}, {"name": "likelytowin", "text": "80"}
            ),
            None,
        ),
        (QUESTION_FORM, answer({"name": "likelytowin", "text": "80"}), "required questions"),
        (QUESTION_FORM, answer({"name": "nextmove", "selections": ["B2"]}), "distinct choices"),
        (
            QUESTION_FORM,
            answer({"name": "nextmove", "selections": ["C1", "C3"]}),
            "1 to 1 choices",
        ),
        (
            QUESTION_FORM,
            answer(
                {"name": "nextmove", "selections": ["C1"]}, {"name": "likelytowin", "text": "101"}
            ),
            "from 0 to 100",
        ),
        (QUESTION_FORM, answer({"name": "colour", "text": "red"}), "not a question of the form"),
    ],
)
def test_form_answers_are_checked_against_a_question_form_only(
    document: str, given: dict[str, Any], problem: str | None
) -> None:
    schema, parsed = SCHEMA.validate_python(form(document)), ANSWER.validate_python(given)
    if problem is None:
        check_answer(schema, parsed)
    else:
        with pytest.raises(ValueError, match=problem):
            check_answer(schema, parsed)


def test_a_form_field_holds_text_or_selections() -> None:
    with pytest.raises(ValidationError, match="either text or selections"):
        ANSWER.validate_python(answer({"name": "q", "text": "a", "selections": ["b"]}))
    with pytest.raises(ValidationError, match="either text or selections"):
        ANSWER.validate_python(answer({"name": "q"}))


@pytest.mark.parametrize(
    ("comparator", "values", "met", "unmet"),
    [
        ("GreaterThanOrEqualTo", [80], [80, 95], [79, None]),
        ("LessThan", [3], [0, 2], [3, None]),
        ("EqualTo", [1], [1], [0, None]),
        ("NotEqualTo", [3], [4], [3, None]),  # holding it is required, as on MTurk
        ("Exists", [], [0, 7], [None]),
        ("DoesNotExist", [], [None], [0, 7]),
        ("In", [1, 5], [1, 5], [2, None]),
        ("NotIn", [1, 5], [2], [1, None]),
    ],
)
def test_requester_qualifications_compare_as_mturk_does(
    comparator: str, values: list[int], met: list[int | None], unmet: list[int | None]
) -> None:
    requirement = RequesterQualification(
        type_id="3ABC",
        name="Quality",
        comparator=comparator,
        values=values,  # type: ignore[arg-type]
    )
    assert [requirement.met_by(value) for value in met] == [True] * len(met)
    assert [requirement.met_by(value) for value in unmet] == [False] * len(unmet)


def test_a_requirement_says_itself_and_takes_the_values_its_comparator_needs() -> None:
    at_least = RequesterQualification(
        type_id="3ABC", name="Quality", comparator="GreaterThanOrEqualTo", values=[80]
    )
    assert at_least.describe() == "Quality at least 80"
    with pytest.raises(ValidationError, match="exactly one value"):
        RequesterQualification(type_id="3ABC", name="Q", comparator="LessThan", values=[1, 2])
    with pytest.raises(ValidationError, match="compares no values"):
        RequesterQualification(type_id="3ABC", name="Q", comparator="Exists", values=[1])
    with pytest.raises(ValidationError, match="type_id"):
        RequesterQualification(type_id="lower", name="Q", comparator="Exists")
