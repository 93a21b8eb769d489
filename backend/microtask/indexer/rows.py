"""Rows of one table held in memory for one batch, written back in bulk.

Handlers read and change typed dicts (`microtask.db.rows`); a batch loads each row it
needs once (in bulk where the keys are known up front), and writes every new and changed
row with one executemany per table at the end. That is what keeps ingestion at thousands
of events a second: the database sees a few statements per batch, not several per event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import BindParameter, Connection, Table, and_, bindparam, select, tuple_

Key = tuple[Any, ...]
R = TypeVar("R", bound=Mapping[str, Any])
"""The typed row of one table (a TypedDict of `microtask.db.rows`)."""
_CHUNK = 400


class Rows(Generic[R]):
    """The rows of ``table`` this batch has touched, by primary key."""

    def __init__(self, connection: Connection, table: Table) -> None:
        self.connection = connection
        self.table = table
        self.key_columns = [column.name for column in table.primary_key.columns]
        self._rows: dict[Key, R | None] = {}
        self._new: set[Key] = set()
        self._dirty: set[Key] = set()

    def key_of(self, row: R) -> Key:
        return tuple(row[name] for name in self.key_columns)

    def _select(self, keys: list[Key]) -> None:
        columns = [self.table.c[name] for name in self.key_columns]
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            if len(columns) == 1:
                condition = columns[0].in_([key[0] for key in chunk])
            else:
                condition = tuple_(*columns).in_(chunk)
            for found in self.connection.execute(select(self.table).where(condition)).mappings():
                row = cast(R, dict(found))  # every column of the table: the row's keys
                self._rows[self.key_of(row)] = row
        for key in keys:
            self._rows.setdefault(key, None)

    def preload(self, keys: Iterable[Key]) -> None:
        """Load the rows of ``keys`` not loaded yet, in as few queries as possible."""
        missing = [key for key in set(keys) if key not in self._rows]
        if missing:
            self._select(missing)

    def get(self, key: Key) -> R | None:
        if key not in self._rows:
            self._select([key])
        return self._rows[key]

    def insert(self, row: R) -> R:
        """Add a new row (its key is in it); `flush` inserts it."""
        key = self.key_of(row)
        self._rows[key] = row
        self._new.add(key)
        return row

    def changed(self, key: Key) -> None:
        """Mark a loaded row as changed, so `flush` writes it."""
        self._dirty.add(key)

    def flush(self) -> None:
        new = [row for key in self._new if (row := self._rows[key]) is not None]
        changed = [row for key in self._dirty - self._new if (row := self._rows[key]) is not None]
        if new:
            self.connection.execute(self.table.insert(), new)
        if changed:
            keys = [self.table.c[name] == bindparam(f"key_{name}") for name in self.key_columns]
            names = [c.name for c in self.table.columns if c.name not in self.key_columns]
            values: dict[str, BindParameter[Any]] = {n: bindparam(f"value_{n}") for n in names}
            statement = self.table.update().where(and_(*keys)).values(values)
            self.connection.execute(
                statement,
                [
                    {f"value_{name}": row[name] for name in names}
                    | {f"key_{name}": row[name] for name in self.key_columns}
                    for row in changed
                ],
            )
        self._new.clear()
        self._dirty.clear()
