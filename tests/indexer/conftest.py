"""The indexer's tests run in an indexed world (``tests/world.py``), which they call
``world``: each test deploys a fresh, recorded TaskEscrow and test token (on a fresh
embedded chain, and inside the worker's anvil snapshot), so its index starts at a
deployment block of its own; ``database`` gives it SQLite and PostgreSQL databases.
"""

from __future__ import annotations

import pytest

from tests.database_fixtures import DatabaseFactory
from tests.world import IndexedWorld


@pytest.fixture
def world(indexed_world: IndexedWorld) -> IndexedWorld:
    return indexed_world


@pytest.fixture
def database(new_database_url: DatabaseFactory) -> DatabaseFactory:
    return new_database_url
