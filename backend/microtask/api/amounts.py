"""Exact sums of token amounts in SQL, on both databases.

PostgreSQL stores amounts as NUMERIC(78, 0) and sums them exactly. SQLite stores them as
zero-padded text (see `microtask.db.types`) and has no exact wide integer: ``SUM`` would
go through a float past 2**63. So there the text is cut into 9-digit pieces, each piece
summed as a 64-bit integer (exact for up to 9.2e9 rows), and the pieces recombined in
Python.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Integer, cast, func
from sqlalchemy.orm import InstrumentedAttribute

from microtask.db.types import UINT256_DIGITS

PIECE: Final = 9
PIECES: Final = -(-UINT256_DIGITS // PIECE)


def sum_columns(dialect: str, column: InstrumentedAttribute[int]) -> list[Any]:
    """SELECT expressions whose values `combine` turns into the exact sum of ``column``."""
    if dialect == "postgresql":
        return [func.coalesce(func.sum(column), 0)]
    text = column.expression
    expressions = []
    for index in range(PIECES):
        # pieces from the right: the last 9 digits, the 9 before them, ...
        end = UINT256_DIGITS - index * PIECE
        start = max(end - PIECE, 0)
        piece = func.substr(text, start + 1, end - start)
        expressions.append(func.coalesce(func.sum(cast(piece, Integer)), 0))
    return expressions


def combine(values: Any) -> int:
    """The sum from the values of the expressions `sum_columns` gave (in order)."""
    total = 0
    for index, value in enumerate(values):
        total += int(value) * 10 ** (index * PIECE)
    return total


def width(dialect: str) -> int:
    """How many expressions `sum_columns` yields per column on ``dialect``."""
    return 1 if dialect == "postgresql" else PIECES
