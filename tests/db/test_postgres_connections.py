"""What a PostgreSQL engine sends besides the statements: readers open no transaction, and
a pooled connection is pinged only after it sat idle (`microtask.db.engine`).

A reader's statements each run on their own (no BEGIN and ROLLBACK around them) and a
write through a reader fails instead of committing. A connection used a moment ago is
handed out without a ping; one idle longer is pinged, and replaced when the server let it
go; one that died while it looked fresh fails its first statement with the error the API
answers 503, and the next checkout gets a working connection.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, InternalError, OperationalError

from microtask.db import engine as engine_module
from microtask.db import make_engine, migrate
from tests.postgres import PostgresServer


@pytest.fixture
def database(postgres_server: PostgresServer) -> str:
    url = postgres_server.new_database()
    writer = make_engine(url, writer=True)
    migrate(writer)
    with writer.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
    writer.dispose()
    return url


@pytest.fixture
def reader(database: str) -> Iterator[Engine]:
    engine = make_engine(database, reader=True)
    yield engine
    engine.dispose()


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    return int(pid)


def _terminate(postgres_server: PostgresServer, pid: int) -> None:
    with psycopg.connect(postgres_server.admin_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_reader_opens_no_transaction_around_its_statements(reader: Engine) -> None:
    with reader.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM notes").scalar_one() == 0
        raw = connection.connection.dbapi_connection
        assert raw is not None
        assert raw.info.transaction_status is TransactionStatus.IDLE  # nothing to end


def test_a_write_through_a_reader_fails_and_commits_nothing(reader: Engine, database: str) -> None:
    with reader.connect() as connection, pytest.raises(InternalError, match="read-only"):
        connection.exec_driver_sql("INSERT INTO notes VALUES ('lost?')")
    writer = make_engine(database, writer=True)
    try:
        with writer.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM notes").scalar_one() == 0
    finally:
        writer.dispose()


def test_a_writer_still_writes_in_one_transaction(database: str) -> None:
    writer = make_engine(database, writer=True)
    try:
        connection = writer.connect()
        transaction = connection.begin()
        connection.exec_driver_sql("INSERT INTO notes VALUES ('half')")
        transaction.rollback()
        connection.close()
        with writer.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM notes").scalar_one() == 0
    finally:
        writer.dispose()


def test_the_url_s_own_options_are_kept_for_a_reader(postgres_server: PostgresServer) -> None:
    url = postgres_server.new_database() + "?options=-c%20application_name%3Dmine"
    engine = make_engine(url, reader=True)
    try:
        with engine.connect() as connection:
            name = connection.exec_driver_sql("SHOW application_name").scalar_one()
            read_only = connection.exec_driver_sql("SHOW transaction_read_only").scalar_one()
        assert (name, read_only) == ("mine", "on")
    finally:
        engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(reader: Engine) -> None:
    pings: list[object] = []
    original = reader.dialect.do_ping
    reader.dialect.do_ping = lambda connection: pings.append(connection) or original(connection)  # type: ignore[method-assign]
    for _ in range(3):
        _backend_pid(reader)
    assert pings == []


def test_an_idle_connection_the_server_dropped_is_replaced_on_checkout(
    reader: Engine, postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _backend_pid(reader)
    _terminate(postgres_server, first)
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE", 0.0)  # every return counts as idle
    second = _backend_pid(reader)  # the ping failed, the pool opened a new connection
    assert second != first


def test_a_fresh_looking_connection_the_server_dropped_fails_once_then_recovers(
    reader: Engine, postgres_server: PostgresServer
) -> None:
    first = _backend_pid(reader)
    _terminate(postgres_server, first)
    with pytest.raises(OperationalError) as failed:
        _backend_pid(reader)  # no ping: the first statement meets the closed connection
    assert isinstance(failed.value, DBAPIError)
    assert failed.value.connection_invalidated
    assert _backend_pid(reader) != first  # the next request gets a live connection
