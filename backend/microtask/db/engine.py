"""Where the database is and how to connect: SQLite by default, PostgreSQL by URL.

SQLite lives at ``DATA_DIR/index-<network>.sqlite``, one file per network, in WAL mode so
the API reads while the indexer writes, with foreign keys enforced and a busy timeout so
two writers (the indexer and its manifest worker) wait for each other instead of failing.
``MICROTASK_DATABASE_URL`` picks any other database; ``postgresql://`` URLs use psycopg 3.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from microtask.config import Settings
from microtask.errors import ConfigurationError, EnvironmentProblem

SQLITE_BUSY_TIMEOUT_MS = 30_000


class DatabaseUnavailable(EnvironmentProblem, ConnectionError):
    """The database cannot be opened or reached."""


def database_url(settings: Settings, network: str) -> str:
    """The configured URL, else the network's SQLite file in the data directory."""
    if settings.database_url:
        return normalize_url(settings.database_url)
    return f"sqlite:///{default_sqlite_path(settings, network)}"


def default_sqlite_path(settings: Settings, network: str) -> Path:
    return settings.data_dir / f"index-{network}.sqlite"


def normalize_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` mean psycopg 3 (not SQLAlchemy's psycopg2)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def describe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # WAL with synchronous=NORMAL is durable against process crashes (kill -9): only a
        # power loss can drop the last commits, never corrupt the file.
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # A writer takes SQLite's write lock when its transaction begins, so a read-then-write
    # transaction never fails half way with "database is locked" because another writer
    # got in between; the busy timeout makes it wait for the lock instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def make_engine(url: str, *, writer: bool = False, echo: bool = False) -> Engine:
    """An engine for ``url`` with the settings this project relies on.

    ``writer`` (the indexer and its manifest worker) makes SQLite transactions take the
    write lock up front; readers (the API) begin ordinary transactions, which WAL never
    blocks.
    """
    try:
        parsed = make_url(normalize_url(url))
    except ArgumentError:
        raise ConfigurationError(f"invalid database URL {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed,
            echo=echo,
            connect_args={"check_same_thread": False, "isolation_level": None},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate if writer else _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(parsed, echo=echo, pool_pre_ping=True)
    raise ConfigurationError(
        f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql"
    )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
