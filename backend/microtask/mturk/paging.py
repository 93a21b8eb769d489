"""``NextToken`` and ``MaxResults``, as botocore's paginators expect them.

A list operation returns at most ``MaxResults`` items (1 to 100; 10 when not given), each
list in a fixed order (by a key the list names). As MTurk does, a page that holds any
item carries a ``NextToken``, even the last one: the call after the last page returns no
items and no token, which is where botocore's paginators stop. The token is the last
key listed (and the operation it belongs to), encoded: a list that grows meanwhile loses
or repeats nothing, and a token from another operation is refused.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Final

from microtask.mturk.errors import MTurkError
from microtask.mturk.wire import Params

DEFAULT_PAGE: Final = 10
MAX_PAGE: Final = 100


def page_size(params: Params) -> int:
    size = params.integer("MaxResults", minimum=1, maximum=MAX_PAGE, default=DEFAULT_PAGE)
    assert size is not None
    return size


def after(params: Params) -> Any:
    """The last key of the previous page (None on the first)."""
    token = params.text("NextToken", max_length=255)
    if token is None:
        return None
    try:
        document = json.loads(base64.urlsafe_b64decode(token.encode() + b"=="))
        if document["o"] != params.operation:
            raise ValueError("another operation's token")
        return document["k"]
    except (ValueError, KeyError, TypeError):
        raise MTurkError(
            f"{params.operation}: NextToken is not one this operation gave out",
            "AWS.MechanicalTurk.InvalidParameterValue",
        ) from None


def token(operation: str, key: Any) -> str:
    data = json.dumps({"o": operation, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def answer(params: Params, name: str, items: list[dict[str, Any]], last_key: Any) -> dict[str, Any]:
    """The list's answer: its items under ``name``, ``NumResults`` and, when it holds any,
    the ``NextToken`` after ``last_key``."""
    body: dict[str, Any] = {"NumResults": len(items), name: items}
    if items:
        body["NextToken"] = token(params.operation, last_key)
    return body
