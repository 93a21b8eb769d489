"""MTurk's question documents: what a `form` task shows its workers, parsed and checked.

A requester moving from Mechanical Turk brings its tasks as one of three XML documents,
and a ``form`` manifest carries the document exactly as the requester wrote it (so the
MTurk gateway's ``GetHIT`` gives it back unchanged):

- ``HTMLQuestion``: the requester's own HTML page (``HTMLContent``, usually in a CDATA
  section) with a form, shown in a frame ``FrameHeight`` pixels high (0: as tall as the
  window allows);
- ``ExternalQuestion``: the URL of a page the requester hosts (``ExternalURL``), framed
  the same way;
- ``QuestionForm``: questions in MTurk's own markup (free text and selections, with
  overviews between them), which a front end renders natively.

`parse_question` reads any of them into a value a renderer can use, or refuses it with a
`ValueError` that names what is wrong. The documents are untrusted input from anyone who
posts a task: a document type declaration (the way into entity expansion and external
entities) is refused before the XML is parsed, and sizes are bounded by the manifest's.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import urlsplit
from xml.parsers import expat

MAX_QUESTION_CHARS: Final = 131_072
"""The largest question document a manifest carries (MTurk's own limit was 128 KiB)."""
MAX_FRAME_HEIGHT: Final = 10_000
MAX_FORM_QUESTIONS: Final = 200
MAX_SELECTIONS: Final = 200

QuestionFormat = Literal["html", "external", "question_form"]


@dataclass(frozen=True)
class HtmlQuestion:
    """The requester's HTML page, shown in a sandboxed frame."""

    html: str
    frame_height: int
    format: QuestionFormat = "html"


@dataclass(frozen=True)
class ExternalQuestion:
    """A page the requester hosts at ``url``, framed with MTurk's query parameters."""

    url: str
    frame_height: int
    format: QuestionFormat = "external"


@dataclass(frozen=True)
class Content:
    """One piece of an overview or a question's content.

    ``kind`` is ``title`` or ``text`` (``text``), ``list`` (``items``), ``formatted``
    (``text``: XHTML the renderer must sanitise) or ``binary`` (``url`` and ``text``, the
    alternative text, of an image, audio or video).
    """

    kind: Literal["title", "text", "list", "formatted", "binary"]
    text: str = ""
    items: tuple[str, ...] = ()
    url: str | None = None
    media_type: str | None = None


@dataclass(frozen=True)
class FreeText:
    """A text box, with MTurk's optional constraints."""

    numeric: bool = False
    min_value: int | None = None
    max_value: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    pattern_error: str | None = None
    default: str = ""
    lines: int = 1


@dataclass(frozen=True)
class Choice:
    id: str
    text: str


@dataclass(frozen=True)
class Selection:
    """Choices (radio buttons, check boxes, a list), at least ``min_count`` and at most
    ``max_count`` of them, plus an optional "other" text box."""

    choices: tuple[Choice, ...]
    min_count: int = 1
    max_count: int = 1
    style: str | None = None
    other: FreeText | None = None


@dataclass(frozen=True)
class FormQuestion:
    identifier: str
    display_name: str | None
    required: bool
    content: tuple[Content, ...]
    answer: FreeText | Selection


@dataclass(frozen=True)
class Overview:
    content: tuple[Content, ...]


@dataclass(frozen=True)
class QuestionForm:
    """MTurk's own question markup, parsed: overviews and questions in document order."""

    parts: tuple[Overview | FormQuestion, ...]
    format: QuestionFormat = "question_form"

    @property
    def questions(self) -> tuple[FormQuestion, ...]:
        return tuple(part for part in self.parts if isinstance(part, FormQuestion))


Question = HtmlQuestion | ExternalQuestion | QuestionForm


def parse_question(document: str) -> Question:
    """The question ``document`` holds (see the module's note), or `ValueError` saying why
    it is not one this platform can show."""
    if len(document) > MAX_QUESTION_CHARS:
        raise ValueError(f"the question document is over {MAX_QUESTION_CHARS} characters")
    root = _parse_xml(document)
    name = _local(root.tag)
    if name == "HTMLQuestion":
        html = _text_of(root, "HTMLContent", required=True)
        if not html.strip():
            raise ValueError("HTMLQuestion: HTMLContent is empty")
        return HtmlQuestion(html, _frame_height(root))
    if name == "ExternalQuestion":
        return ExternalQuestion(
            _external_url(_text_of(root, "ExternalURL", required=True)), _frame_height(root)
        )
    if name == "QuestionForm":
        return _question_form(root)
    raise ValueError(
        f"a question is an HTMLQuestion, an ExternalQuestion or a QuestionForm, not {name}"
    )


# ----------------------------------------------------------------------------- XML


def _refuse_doctype(*_: object) -> None:
    raise ValueError("the question document declares a document type; remove the <!DOCTYPE>")


def _parse_xml(document: str) -> ET.Element:
    """The root element, after refusing any document type declaration (and with it entity
    definitions, the way to billion-laughs expansion and external entities)."""
    probe = expat.ParserCreate()
    probe.StartDoctypeDeclHandler = _refuse_doctype
    probe.EntityDeclHandler = _refuse_doctype
    try:
        probe.Parse(document.encode("utf-8"), True)
        return ET.fromstring(document)  # noqa: S314 (checked above: no DTD, no entities)
    except (expat.ExpatError, ET.ParseError) as error:
        raise ValueError(f"the question is not well-formed XML: {error}") from None


def _local(tag: str) -> str:
    """A tag's name without its namespace (MTurk's schemas changed namespaces over time)."""
    return tag.rsplit("}", 1)[-1]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _text_of(element: ET.Element, name: str, *, required: bool = False) -> str:
    child = _child(element, name)
    if child is None:
        if required:
            raise ValueError(f"{_local(element.tag)}: {name} is missing")
        return ""
    return "".join(child.itertext())


def _int_of(element: ET.Element, name: str, default: int | None = None) -> int | None:
    text = _text_of(element, name).strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{_local(element.tag)}: {name} is not a whole number: {text!r}") from None


def _frame_height(root: ET.Element) -> int:
    height = _int_of(root, "FrameHeight", 0)
    assert height is not None
    if not 0 <= height <= MAX_FRAME_HEIGHT:
        raise ValueError(f"FrameHeight must be 0 to {MAX_FRAME_HEIGHT} pixels, not {height}")
    return height


def _external_url(text: str) -> str:
    url = text.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError(f"ExternalURL must be an https:// (or http://) URL, not {url[:100]!r}")
    return url


# ----------------------------------------------------------------------------- QuestionForm


def _question_form(root: ET.Element) -> QuestionForm:
    parts: list[Overview | FormQuestion] = []
    seen: set[str] = set()
    for child in root:
        name = _local(child.tag)
        if name == "Overview":
            parts.append(Overview(_content(child)))
        elif name == "Question":
            question = _form_question(child)
            if question.identifier in seen:
                raise ValueError(f"QuestionIdentifier {question.identifier!r} appears twice")
            seen.add(question.identifier)
            parts.append(question)
        else:
            raise ValueError(f"QuestionForm: unexpected element {name}")
    if not seen:
        raise ValueError("QuestionForm: no Question")
    if len(seen) > MAX_FORM_QUESTIONS:
        raise ValueError(f"QuestionForm: more than {MAX_FORM_QUESTIONS} questions")
    return QuestionForm(tuple(parts))


def _form_question(element: ET.Element) -> FormQuestion:
    identifier = _text_of(element, "QuestionIdentifier", required=True).strip()
    if not identifier:
        raise ValueError("Question: QuestionIdentifier is empty")
    spec = _child(element, "AnswerSpecification")
    if spec is None:
        raise ValueError(f"Question {identifier!r}: AnswerSpecification is missing")
    content = _child(element, "QuestionContent")
    required = _text_of(element, "IsRequired").strip().lower() == "true"
    display = _text_of(element, "DisplayName").strip() or None
    return FormQuestion(
        identifier,
        display,
        required,
        _content(content) if content is not None else (),
        _answer_spec(spec, identifier),
    )


def _content(element: ET.Element) -> tuple[Content, ...]:
    found: list[Content] = []
    for child in element:
        name = _local(child.tag)
        if name in ("Title", "Text"):
            found.append(Content(name.lower(), "".join(child.itertext()).strip()))  # type: ignore[arg-type]
        elif name == "List":
            items = tuple("".join(i.itertext()).strip() for i in _children(child, "ListItem"))
            found.append(Content("list", items=items))
        elif name == "FormattedContent":
            found.append(Content("formatted", "".join(child.itertext())))
        elif name == "Binary":
            mime = _child(child, "MimeType")
            kind = _text_of(mime, "Type").strip() if mime is not None else ""
            sub = _text_of(mime, "SubType").strip() if mime is not None else ""
            url = _external_url(_text_of(child, "DataURL", required=True))
            media = f"{kind}/{sub}" if kind and sub else kind or None
            found.append(
                Content("binary", _text_of(child, "AltText").strip(), url=url, media_type=media)
            )
        elif name in ("Application", "EmbeddedBinary"):
            raise ValueError(f"{name} content (Java applets, Flash) is not supported")
    return tuple(found)


def _answer_spec(spec: ET.Element, identifier: str) -> FreeText | Selection:
    free = _child(spec, "FreeTextAnswer")
    if free is not None:
        return _free_text(free)
    selection = _child(spec, "SelectionAnswer")
    if selection is not None:
        return _selection(selection, identifier)
    if _child(spec, "FileUploadAnswer") is not None:
        raise ValueError(
            f"Question {identifier!r}: FileUploadAnswer is not supported (ask for a link instead)"
        )
    raise ValueError(f"Question {identifier!r}: the AnswerSpecification names no answer")


def _free_text(element: ET.Element) -> FreeText:
    constraints = _child(element, "Constraints")
    numeric = length = regex = None
    if constraints is not None:
        numeric, length = _child(constraints, "IsNumeric"), _child(constraints, "Length")
        regex = _child(constraints, "AnswerFormatRegex")

    def attribute(node: ET.Element | None, name: str) -> int | None:
        if node is None or node.get(name) is None:
            return None
        try:
            return int(str(node.get(name)))
        except ValueError:
            raise ValueError(f"{_local(node.tag)}: {name} is not a whole number") from None

    lines = _int_of(element, "NumberOfLinesSuggestion", 1)
    return FreeText(
        numeric=numeric is not None,
        min_value=attribute(numeric, "minValue"),
        max_value=attribute(numeric, "maxValue"),
        min_length=attribute(length, "minLength"),
        max_length=attribute(length, "maxLength"),
        pattern=regex.get("regex") if regex is not None else None,
        pattern_error=regex.get("errorText") if regex is not None else None,
        default=_text_of(element, "DefaultText"),
        lines=max(1, min(lines or 1, 50)),
    )


def _selection(element: ET.Element, identifier: str) -> Selection:
    selections = _child(element, "Selections")
    if selections is None:
        raise ValueError(f"Question {identifier!r}: SelectionAnswer has no Selections")
    choices: list[Choice] = []
    for choice in _children(selections, "Selection"):
        choice_id = _text_of(choice, "SelectionIdentifier", required=True).strip()
        text = _text_of(choice, "Text").strip()
        if not text:
            formatted = _child(choice, "FormattedContent")
            text = "".join(formatted.itertext()).strip() if formatted is not None else choice_id
        choices.append(Choice(choice_id, text))
    ids = [choice.id for choice in choices]
    if not choices or len(set(ids)) != len(ids) or len(ids) > MAX_SELECTIONS:
        raise ValueError(
            f"Question {identifier!r}: Selections need 1 to {MAX_SELECTIONS} distinct "
            "SelectionIdentifiers"
        )
    other = _child(selections, "OtherSelection")
    low = _int_of(element, "MinSelectionCount", 1)
    high = _int_of(element, "MaxSelectionCount", 1)
    assert low is not None
    assert high is not None
    if not 0 <= low <= high:
        raise ValueError(f"Question {identifier!r}: MinSelectionCount is above MaxSelectionCount")
    style = _text_of(element, "StyleSuggestion").strip() or None
    return Selection(
        tuple(choices),
        low,
        high,
        style,
        _free_text(other) if other is not None else None,
    )
