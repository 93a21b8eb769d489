"""The indexer's typed rows say exactly what the tables hold: column names and Python types."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, get_args, get_origin, get_type_hints

import pytest
from sqlalchemy.orm import Mapped

from microtask.db.models import DERIVED_TABLES, Base, table
from microtask.db.rows import ROWS

FILLED_BY_THE_DATABASE = {"events": {"id"}}


def model_types(name: str) -> dict[str, Any]:
    """Column → the Python type its model declares (``Mapped[T]``'s T)."""
    [mapper] = [m for m in Base.registry.mappers if m.local_table.name == name]
    hints = get_type_hints(mapper.class_)
    return {key: get_args(hint)[0] for key, hint in hints.items() if get_origin(hint) is Mapped}


@pytest.mark.parametrize("row", list(ROWS), ids=lambda row: row.__name__)
def test_a_typed_row_holds_columns_of_its_table_with_their_types(row: type[Any]) -> None:
    name = ROWS[row]
    declared = model_types(name)
    for key, kind in get_type_hints(row).items():
        assert key in declared, f"{row.__name__}.{key}: {name} has no such column"
        assert kind == declared[key], (
            f"{row.__name__}.{key}: {kind}, the model says {declared[key]}"
        )


@pytest.mark.parametrize("name", sorted(set(ROWS.values())))
def test_the_typed_rows_of_a_table_cover_every_column(name: str) -> None:
    """A table's rows (one full row, or the parts its writers write) leave out only what the
    database fills in itself, or what may start empty."""
    covered: dict[str, set[type[Any]]] = defaultdict(set)
    for row, table_name in ROWS.items():
        if table_name == name:
            for key in get_type_hints(row):
                covered[key].add(row)
    columns = {column.name: column for column in table(name).columns}
    left_out = columns.keys() - covered.keys() - FILLED_BY_THE_DATABASE.get(name, set())
    assert all(columns[c].nullable or columns[c].default is not None for c in left_out), left_out
    if sum(table_name == name for table_name in ROWS.values()) == 1:
        assert not left_out, f"{name}: the typed row lacks {sorted(left_out)}"


def test_every_table_the_indexer_derives_has_a_typed_row() -> None:
    assert set(DERIVED_TABLES) <= set(ROWS.values())
