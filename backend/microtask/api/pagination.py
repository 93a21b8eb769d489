"""Keyset pagination with opaque cursors.

A cursor is the sort key of the last row served (plus the order it was served in), so the
next page is ``WHERE key > last`` on an index: as fast on page 5,000 as on page 1, and
stable while the indexer adds rows (no skipped or repeated rows, as OFFSET would give).
Clients treat cursors as opaque strings; they are base64url JSON so nothing but this
module needs to know their shape, and a cursor from another order or a broken one is a
422 naming the ``cursor`` field.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, or_

from microtask.api.problems import invalid_field

MAX_CURSOR_CHARS = 512
Row = TypeVar("Row")


@dataclass(frozen=True)
class Cursor:
    order: str
    """Which ordering the key belongs to (a sort name)."""
    key: tuple[int, ...]


def encode_cursor(order: str, key: Sequence[int]) -> str:
    raw = json.dumps({"o": order, "k": [str(part) for part in key]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str, order: str, parts: int) -> Cursor:
    """The cursor in ``text``, which must belong to ``order`` and have ``parts`` values."""

    def bad(why: str) -> Exception:
        return invalid_field("query", "cursor", why)

    if len(text) > MAX_CURSOR_CHARS:
        raise bad("not a cursor this API issued")
    try:
        padded = text + "=" * (-len(text) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        served_order = value["o"]
        key = tuple(int(part) for part in value["k"])
    except (ValueError, KeyError, TypeError, UnicodeError, binascii.Error):
        raise bad("not a cursor this API issued") from None
    if served_order != order:
        raise bad(f"the cursor is for sort={served_order!r}; ask again without it")
    if len(key) != parts or any(part < 0 or part >= 2**256 for part in key):
        raise bad("not a cursor this API issued")
    return Cursor(served_order, key)


def after(columns: Sequence[Any], key: Sequence[int], *, descending: bool) -> ColumnElement[bool]:
    """Rows strictly after ``key`` in (columns...) order, written so an index range serves
    the leading column: ``a >= x AND (a > x OR (b > y ...))`` (mirrored when descending)."""
    column, value = columns[0], key[0]
    if len(columns) == 1:
        last: ColumnElement[bool] = column < value if descending else column > value
        return last
    rest = after(columns[1:], key[1:], descending=descending)
    if descending:
        return and_(column <= value, or_(column < value, rest))
    return and_(column >= value, or_(column > value, rest))


def page_of(rows: Sequence[Row], limit: int) -> tuple[list[Row], bool]:
    """Rows fetched with ``limit + 1``: the page, and whether another follows."""
    return list(rows[:limit]), len(rows) > limit
