"""Fixtures giving tests real databases: SQLite files and a real PostgreSQL server.

``new_database_url`` is parametrized over both backends, so every test that uses it runs
twice; it is a factory, for tests that need more than one database (a fresh re-index to
compare with).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.postgres import PostgresServer, running_server

DatabaseFactory = Callable[[], str]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    yield from running_server()


@pytest.fixture(params=["sqlite", "postgresql"])
def new_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> DatabaseFactory:
    if request.param == "sqlite":
        counter = iter(range(1_000_000))
        return lambda: f"sqlite:///{tmp_path / f'index-{next(counter)}.sqlite'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database
