"""The API over real databases (SQLite and a real PostgreSQL server), seeded with rows.

`api_client` runs the app's lifespan (migrations included) through Starlette's test
client; `live_api` runs it in a real uvicorn server on 127.0.0.1, for the live feed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from microtask.api import create_app
from microtask.config import Settings
from microtask.content import LocalStore
from microtask.db import make_engine, migrate
from tests.api.seed import WALL, seed
from tests.conftest import make_settings
from tests.database_fixtures import DatabaseFactory
from tests.postgres import PostgresServer


@pytest.fixture
def api_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, content_store="local", content_fsync=False)


@pytest.fixture
def engine(new_database_url: DatabaseFactory) -> Iterator[Engine]:
    """An empty, migrated index database (each test runs on SQLite and PostgreSQL)."""
    engine = make_engine(new_database_url())
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The seeded index (see `tests.api.seed`), written once per backend and test worker;
    tests only read it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('seeded') / 'index.sqlite'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.new_database()
    engine = make_engine(url)
    migrate(engine)
    seed(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def store(api_settings: Settings) -> Iterator[LocalStore]:
    with LocalStore(api_settings.content_dir, fsync=False) as store:
        yield store


@pytest.fixture
def api(seeded: Engine, api_settings: Settings, store: LocalStore) -> Iterator[TestClient]:
    """The API over the seeded index, with a local content store."""
    app = create_app(api_settings, engine=seeded, content=store, clock=lambda: WALL)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def empty_api(engine: Engine, api_settings: Settings, store: LocalStore) -> Iterator[TestClient]:
    """The API over an index nothing has been written to yet."""
    app = create_app(api_settings, engine=engine, content=store, clock=lambda: WALL)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
