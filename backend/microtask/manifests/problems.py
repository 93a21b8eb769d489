"""pydantic's validation errors as (field path, message) pairs a person can act on."""

from __future__ import annotations

from pydantic import ValidationError


def problems_of(error: ValidationError) -> list[tuple[str, str]]:
    """Each error as a dotted path (``inputs.items.3.id``) and pydantic's message.

    "Value error, " is dropped from our own validators' messages: the text after it is
    already a sentence about the field.
    """
    problems = []
    for detail in error.errors(include_url=False):
        path = ".".join(str(part) for part in detail["loc"])
        message = str(detail["msg"]).removeprefix("Value error, ")
        problems.append((path, message))
    return problems
