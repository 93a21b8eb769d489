"""``/health``: fresh, starting, stale, behind; content store down; database down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from microtask.api import create_app
from microtask.config import Settings
from microtask.content import LocalStore
from microtask.db import make_engine, migrate
from microtask.db.models import Checkpoint
from tests.api.seed import CONTRACT, NOW, WALL, seed
from tests.conftest import make_settings
from tests.postgres import PostgresServer


def test_fresh_index_is_ok(api: TestClient) -> None:
    body = api.get("/health").json()
    assert body["status"] == "ok"
    assert body["problems"] == []
    assert body["chain_id"] == 31337
    assert body["contract"] == CONTRACT
    assert body["chain_head"] == 33
    assert body["indexed_block"] == 31
    assert body["lag_blocks"] == 2
    assert body["lag_seconds"] == 100
    assert body["chain_head_time"] == NOW
    assert body["last_poll_at"] == WALL - 1.5
    assert body["last_poll_age_seconds"] == 1.5
    assert body["content_store"]["status"] == "ok"
    assert body["content_store"]["kind"] == "local"
    assert body["database"] in ("sqlite", "postgresql")


def test_nothing_indexed_is_starting(empty_api: TestClient) -> None:
    body = empty_api.get("/health").json()
    assert body["status"] == "starting"
    assert body["indexed_block"] is None
    assert "nothing indexed yet" in body["problems"][0]


def _client(engine: Engine, settings: Settings, store: LocalStore, clock: float) -> TestClient:
    return TestClient(create_app(settings, engine=engine, content=store, clock=lambda: clock))


def test_stale_poll_and_lag_are_degraded(
    engine: Engine, api_settings: Settings, store: LocalStore
) -> None:
    seed(engine)
    with engine.begin() as connection:
        connection.execute(update(Checkpoint).values(chain_head=500))
    with _client(engine, api_settings, store, WALL + 120) as client:
        body = client.get("/health").json()
    assert body["status"] == "degraded"
    assert body["lag_blocks"] == 500 - 31
    assert body["problems"] == [
        "the indexer last polled the chain 122 s ago",
        "the index is 469 blocks behind the chain head",
    ]


def test_unreachable_content_store(engine: Engine, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, content_store="kubo", ipfs_api="/ip4/127.0.0.1/tcp/9")
    seed(engine)
    app = create_app(settings, engine=engine, clock=lambda: WALL)
    with TestClient(app) as client:
        body = client.get("/health").json()
        assert body["status"] == "degraded"
        assert body["content_store"]["status"] == "unavailable"
        assert body["problems"][0].startswith("content store unavailable")
        upload = client.post(
            "/content", content=b"x", headers={"content-type": "application/octet-stream"}
        )
        assert upload.status_code == 503
        assert upload.headers["content-type"] == "application/problem+json"
        assert upload.headers["retry-after"] == "5"
        assert upload.json()["type"] == "urn:microtask:problem:content-store-unavailable"
        read = client.get("/content/QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH")
        assert read.status_code == 503
        assert client.get("/tasks").status_code == 200  # everything else still serves


@pytest.fixture
def doomed_database(postgres_server: PostgresServer) -> Iterator[tuple[str, Engine]]:
    url = postgres_server.new_database()
    engine = make_engine(url)
    migrate(engine)
    seed(engine)
    yield url.rsplit("/", 1)[1], engine
    engine.dispose()


def test_database_down_is_503_everywhere(
    doomed_database: tuple[str, Engine],
    postgres_server: PostgresServer,
    api_settings: Settings,
    store: LocalStore,
) -> None:
    name, engine = doomed_database
    with _client(engine, api_settings, store, WALL) as client:
        assert client.get("/tasks").status_code == 200
        with psycopg.connect(postgres_server.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        for path in ("/tasks", "/tasks/1", "/health", "/stats", f"/workers/{CONTRACT}", "/events"):
            response = client.get(path)
            assert response.status_code == 503, (path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["type"] == "urn:microtask:problem:database-unavailable"
            assert response.headers["retry-after"] == "5"


def test_app_from_settings_opens_and_migrates_its_own_database(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, content_store="local")
    with TestClient(create_app(settings, network="local")) as client:
        assert client.get("/health").json()["status"] == "starting"
        assert client.get("/tasks").json() == {"data": [], "count": 0, "next_cursor": None}
    assert (settings.data_dir / "index-local.sqlite").is_file()
