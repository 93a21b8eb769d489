"""The platform's documents by name: parse any of them safely, and publish their schemas.

`parse_document` is the one door for untrusted bytes (an upload, a CID's content, a file
on the command line): it checks the size limit before parsing, recognises the document by
its ``type`` field, and turns every failure into one `DocumentInvalid` that names fields.
`json_schema` gives the published JSON Schema (draft 2020-12) of each document.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ValidationError

from microtask.files import write_atomically
from microtask.manifests.envelope import SubmissionAnswers, SubmissionEnvelope
from microtask.manifests.errors import DocumentInvalid, DocumentTooLarge
from microtask.manifests.limits import (
    MAX_ANSWERS_BYTES,
    MAX_ENVELOPE_BYTES,
    MAX_MANIFEST_BYTES,
    MAX_REVIEW_BATCH_BYTES,
    MAX_REVIEW_BYTES,
)
from microtask.manifests.problems import problems_of
from microtask.manifests.review import Review, ReviewBatch
from microtask.manifests.task import TaskManifest

JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"

DOCUMENTS: Final[dict[str, type[BaseModel]]] = {
    "task-manifest": TaskManifest,
    "submission-envelope": SubmissionEnvelope,
    "submission-answers": SubmissionAnswers,
    "review": Review,
    "review-batch": ReviewBatch,
}
"""Every document by its short name; its ``type`` field is ``microtask/<name>``."""

SIZE_LIMITS: Final = {
    "task-manifest": MAX_MANIFEST_BYTES,
    "submission-envelope": MAX_ENVELOPE_BYTES,
    "submission-answers": MAX_ANSWERS_BYTES,
    "review": MAX_REVIEW_BYTES,
    "review-batch": MAX_REVIEW_BATCH_BYTES,
}

Document = TypeVar("Document", bound=BaseModel)


def _name_from_type(value: Any) -> str:
    if not isinstance(value, dict):
        raise DocumentInvalid("document", [("", "a document is a JSON object")])
    declared = value.get("type")
    name = declared.removeprefix("microtask/") if isinstance(declared, str) else None
    if name not in DOCUMENTS:
        known = ", ".join(f"microtask/{known}" for known in DOCUMENTS)
        raise DocumentInvalid("document", [("type", f"must be one of {known}, not {declared!r}")])
    return name


def parse_document(data: bytes, name: str | None = None) -> BaseModel:
    """The document in ``data`` (of kind ``name``, or the kind its ``type`` field names)."""
    if name is not None and name not in DOCUMENTS:
        raise DocumentInvalid("document", [("", f"unknown document kind {name!r}")])
    limit = SIZE_LIMITS[name] if name is not None else max(SIZE_LIMITS.values())
    if len(data) > limit:
        raise DocumentTooLarge(
            f"{name or 'the document'} is {len(data)} bytes; the limit is {limit} bytes"
        )
    try:
        value = json.loads(data)
    except UnicodeDecodeError:
        raise DocumentInvalid(name or "document", [("", "not UTF-8 text")]) from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise DocumentInvalid(
            name or "document", [("", f"not JSON: {error.msg} at {where}")]
        ) from None
    kind = name or _name_from_type(value)
    if name is None and len(data) > SIZE_LIMITS[kind]:
        raise DocumentTooLarge(
            f"{kind} is {len(data)} bytes; the limit is {SIZE_LIMITS[kind]} bytes"
        )
    try:
        return DOCUMENTS[kind].model_validate(value)
    except ValidationError as error:
        raise DocumentInvalid(kind, problems_of(error)) from None


def parse_as(model: type[Document], data: bytes) -> Document:
    """`parse_document` for a known kind, typed: ``parse_as(TaskManifest, data)``."""
    name = next(name for name, known in DOCUMENTS.items() if known is model)
    document = parse_document(data, name)
    assert isinstance(document, model)
    return document


def json_schema(name: str) -> dict[str, Any]:
    """The published JSON Schema of one document kind."""
    model = DOCUMENTS[name]
    schema = model.model_json_schema(mode="validation")
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"urn:microtask:schema:{name}:1",
        **schema,
        "title": schema.get("title", model.__name__),
    }


def schema_text(name: str) -> str:
    return json.dumps(json_schema(name), indent=2, sort_keys=True) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    """Write ``<name>.schema.json`` for every document; returns the files written."""
    written = []
    for name in DOCUMENTS:
        path = directory / f"{name}.schema.json"
        write_atomically(path, schema_text(name))
        written.append(path)
    return written


PUBLISHED_SCHEMAS: Final = Path(__file__).with_name("schemas")
"""The schemas as committed in the package (a test keeps them equal to the models)."""
