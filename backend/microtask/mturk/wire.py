"""AWS JSON 1.1 as the MTurk endpoint reads and writes it.

A request is ``POST`` with ``Content-Type: application/x-amz-json-1.1`` and
``X-Amz-Target: MTurkRequesterServiceV20170117.<Operation>``; its body is one JSON object
of the operation's parameters, named as in botocore's service model. The answer is a JSON
object too: timestamps as epoch seconds (numbers), amounts as decimal strings.

`Params` reads an operation's parameters with the checks botocore's client does not do
(it checks types and required members, not ranges, patterns or enums), so a tool that
builds its own requests gets a ``RequestError`` naming the parameter, never a crash.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, Final

from microtask.mturk.errors import INVALID_VALUE, MISSING, OUT_OF_RANGE, MTurkError

TARGET_PREFIX: Final = "MTurkRequesterServiceV20170117."
CONTENT_TYPES: Final = ("application/x-amz-json-1.1", "application/x-amz-json-1.0")
MAX_BODY_BYTES: Final = 2 << 20
_ENTITY = re.compile(r"^[A-Z0-9]{1,64}$")


def decode_body(body: bytes) -> dict[str, Any]:
    """The request's parameters (an empty body is no parameters)."""
    if not body.strip():
        return {}
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MTurkError(
            "The request body is not JSON", "AWS.MechanicalTurk.XMLParseError"
        ) from None
    if not isinstance(document, dict):
        raise MTurkError("The request body must be a JSON object", INVALID_VALUE)
    return document


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class Params:
    """One operation's parameters, each read once with its checks."""

    def __init__(self, operation: str, values: dict[str, Any]) -> None:
        self.operation = operation
        self.values = values

    def has(self, name: str) -> bool:
        return self.values.get(name) is not None

    def _missing(self, name: str) -> MTurkError:
        return MTurkError(f"{self.operation}: the parameter {name} is required", MISSING)

    def _wrong(self, name: str, what: str) -> MTurkError:
        return MTurkError(f"{self.operation}: {name} must be {what}", INVALID_VALUE)

    def text(
        self, name: str, *, required: bool = False, max_length: int | None = None
    ) -> str | None:
        value = self.values.get(name)
        if value is None:
            if required:
                raise self._missing(name)
            return None
        if not isinstance(value, str):
            raise self._wrong(name, "a string")
        if max_length is not None and len(value) > max_length:
            raise MTurkError(
                f"{self.operation}: {name} is longer than {max_length} characters", OUT_OF_RANGE
            )
        return value

    def required_text(self, name: str, *, max_length: int | None = None) -> str:
        value = self.text(name, required=True, max_length=max_length)
        assert value is not None
        return value

    def integer(
        self,
        name: str,
        *,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
        default: int | None = None,
    ) -> int | None:
        value = self.values.get(name)
        if value is None:
            if required:
                raise self._missing(name)
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(name, "a whole number")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            low = "" if minimum is None else f" from {minimum}"
            high = "" if maximum is None else f" to {maximum}"
            raise MTurkError(f"{self.operation}: {name} ({value}) must be{low}{high}", OUT_OF_RANGE)
        return value

    def required_integer(
        self, name: str, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        value = self.integer(name, required=True, minimum=minimum, maximum=maximum)
        assert value is not None
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self._wrong(name, "true or false")
        return value

    def timestamp(self, name: str) -> float:
        """A required timestamp: epoch seconds, as botocore sends them."""
        value = self.values.get(name)
        if value is None:
            raise self._missing(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._wrong(name, "a timestamp (epoch seconds)")
        return float(value)

    def items(self, name: str, *, max_items: int | None = None) -> list[Any]:
        value = self.values.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._wrong(name, "a list")
        if max_items is not None and len(value) > max_items:
            raise MTurkError(
                f"{self.operation}: {name} lists more than {max_items} values", OUT_OF_RANGE
            )
        return value

    def structure(self, name: str) -> dict[str, Any] | None:
        value = self.values.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self._wrong(name, "a structure")
        return value

    def entity(self, name: str, *, required: bool = True) -> str | None:
        """An ``EntityId`` (upper-case letters and digits)."""
        value = self.text(name, required=required)
        if value is not None and not _ENTITY.match(value):
            raise self._wrong(name, "upper-case letters and digits, at most 64")
        return value

    def required_entity(self, name: str) -> str:
        value = self.entity(name, required=True)
        assert value is not None
        return value

    def choice(
        self, name: str, allowed: Iterable[str], *, default: str | None = None
    ) -> str | None:
        value = self.text(name)
        if value is None:
            return default
        options = list(allowed)
        if value not in options:
            raise self._wrong(name, "one of " + ", ".join(options))
        return value

    def refuse(self, *names: str, why: str) -> None:
        """Refuse the request if it sets any of ``names`` (features this endpoint lacks)."""
        for name in names:
            if self.has(name):
                raise MTurkError(f"{self.operation}: {name} is not supported: {why}", INVALID_VALUE)
