"""Where the database is and how to connect: SQLite by default, PostgreSQL by URL.

SQLite lives at ``DATA_DIR/index-<network>.sqlite``, one file per network, in WAL mode so
the API reads while the indexer writes, with foreign keys enforced and a busy timeout so
two writers (the indexer and its manifest worker) wait for each other instead of failing.
``MICROTASK_DATABASE_URL`` picks any other database; ``postgresql://`` URLs use psycopg 3.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from microtask.config import Settings
from microtask.errors import ConfigurationError, EnvironmentProblem

SQLITE_BUSY_TIMEOUT_MS = 30_000

POOL_SIZE: Final = 16
"""Connections an engine keeps open between uses: as many as the API's offload threads
(`microtask.api.offload.THREADS`), which are what use an engine most at once. With
SQLAlchemy's default of five, a busy API process opened and closed a connection for most
requests, and on PostgreSQL each new connection is a new server process: at 50 workers the
server spent 12 ms of CPU per gasless slot instead of 4-5 (``bench/load.py``)."""

POOL_OVERFLOW: Final = 8
"""Connections opened beyond `POOL_SIZE` in a burst, closed again when returned."""


PING_AFTER_IDLE: Final = 1.0
"""Seconds a pooled PostgreSQL connection may sit unused before the pool asks the server
whether it is still there (one round trip) on its next checkout (`_ping_when_idle`)."""

READ_ONLY: Final = "-c default_transaction_read_only=on"
"""libpq options of a PostgreSQL reader's connections: a write through one fails loudly."""


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


class WriterGate:
    """This process's writers to one SQLite file, one at a time, queued on a lock.

    SQLite lets one writer in at a time; the others wait in its busy handler, which polls
    the lock with sleeps growing to 100 ms, so under a crowd of claims and submissions in
    one process a writer could sleep long after the lock was free (p99 over a second in
    `bench/load.py`). Writers of this process queue on the gate instead and go the moment
    the previous transaction ends; the busy timeout still covers writers in other
    processes. The gate is held from ``BEGIN IMMEDIATE`` until the transaction's commit or
    rollback has returned (or its connection is closed or invalidated).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: Any = None

    def enter(self, dbapi_connection: Any) -> None:
        if not self._lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise OperationalError(
                "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
            )
        self._holder = dbapi_connection

    def leave(self, dbapi_connection: Any) -> None:
        """End ``dbapi_connection``'s turn, if it is its turn (a rollback on a connection
        without a transaction, as the pool does on check-in, leaves the gate alone)."""
        if self._holder is not None and self._holder is dbapi_connection:
            self._holder = None
            self._lock.release()


_GATES: dict[str, WriterGate] = {}
_GATES_LOCK = threading.Lock()


def writer_gate(database: str) -> WriterGate:
    """The one gate of this process for the SQLite file ``database``."""
    key = str(Path(database).resolve())
    with _GATES_LOCK:
        return _GATES.setdefault(key, WriterGate())


def _raw(connection: Any) -> Any:
    """The DBAPI connection under a pool proxy (or the connection itself)."""
    return getattr(connection, "dbapi_connection", connection)


def _gate_writers(engine: Engine, gate: WriterGate) -> None:
    """Take the gate before ``BEGIN IMMEDIATE``; give it back once the transaction ended."""
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def begin(connection: Any) -> None:
        raw = _raw(connection.connection)
        gate.enter(raw)
        try:
            # A writer takes SQLite's write lock when its transaction begins, so a
            # read-then-write transaction never fails half way with "database is locked"
            # because another writer got in between; the busy timeout makes it wait for
            # writers of other processes.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            gate.leave(raw)
            raise

    def do_commit(dbapi_connection: Any) -> None:
        try:
            commit(dbapi_connection)
        finally:
            gate.leave(_raw(dbapi_connection))

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            gate.leave(_raw(dbapi_connection))

    def gone(dbapi_connection: Any, *_: Any) -> None:
        gate.leave(dbapi_connection)

    # The dialect object belongs to this engine alone: its commit and rollback are where
    # a transaction ends, whether the session, the pool's reset or `engine.begin()` ends it.
    setattr(dialect, "do_commit", do_commit)  # noqa: B010
    setattr(dialect, "do_rollback", do_rollback)  # noqa: B010
    event.listen(engine, "begin", begin)
    event.listen(engine, "close", gone)
    event.listen(engine, "invalidate", gone)
    event.listen(engine, "soft_invalidate", gone)


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def _with_options(given: str | tuple[str, ...] | None, more: str) -> str:
    """libpq ``options`` from the URL's, if it has any, and ``more``."""
    parts = [given] if isinstance(given, str) else list(given or ())
    return " ".join([*parts, more])


_RETURNED: Final = "microtask.returned"


def _ping_when_idle(engine: Engine) -> None:
    """Ping a PostgreSQL connection on checkout only when it sat in the pool a while.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a round trip before each
    request's first statement, several per slot, to learn what a connection used a moment
    ago already showed. A connection that went stale (the server restarted, a firewall
    dropped it) is one that was idle; one used within `PING_AFTER_IDLE` is taken as is,
    and should the server have gone in that moment, its first statement fails like one
    after any ping could: the transaction never commits (the API answers 503, nothing is
    recorded, a repeated claim or hand-in gets the same answer as a first one) and
    SQLAlchemy discards the pool's older connections. A failed ping makes the pool
    replace the connection (``DisconnectionError``), as ``pool_pre_ping`` does."""
    dialect = engine.dialect

    def checkin(dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE:
            return  # just opened, or used a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            raise DisconnectionError(f"the database connection is gone: {error}") from error

    event.listen(engine, "checkin", checkin)
    event.listen(engine, "checkout", checkout)


_POOLED: Final[dict[str, Any]] = {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}


def make_engine(
    url: str, *, writer: bool = False, reader: bool = False, echo: bool = False
) -> Engine:
    """An engine for ``url`` with the settings this project relies on.

    ``writer`` (the indexer and its manifest worker) makes SQLite transactions take the
    write lock up front, queued behind this process's other writers to the same file
    (`WriterGate`); readers (the API) begin ordinary transactions, which WAL never blocks.
    ``reader`` (what only reads: the API's routes, the verifier's reads) makes PostgreSQL
    connections run every statement on its own, read-only; it changes nothing on SQLite,
    where a read transaction holds one WAL snapshot across its statements.
    """
    if writer and reader:
        raise ValueError("an engine is a writer or a reader, not both")
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
            **({} if database in (None, "", ":memory:") else _POOLED),
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        if writer:
            _gate_writers(engine, writer_gate(database or ":memory:"))
        else:
            event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if not reader:
            engine = create_engine(parsed, echo=echo, **_POOLED)
        else:
            # Readers run each statement as its own transaction: under PostgreSQL's read
            # committed every statement reads its own snapshot anyway, and a BEGIN and a
            # ROLLBACK around them are two round trips per use for nothing. Read-only, so
            # a write sent through a reader fails instead of committing on its own.
            engine = create_engine(
                parsed,
                echo=echo,
                isolation_level="AUTOCOMMIT",
                connect_args={"options": _with_options(parsed.query.get("options"), READ_ONLY)},
                **_POOLED,
            )
        _ping_when_idle(engine)
        return engine
    raise ConfigurationError(
        f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql"
    )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
