"""Answers cached until the index changes: ``GET /tasks`` is a pure function of its query
and the database, and the database changes only when the indexer commits.

`IndexVersion` says cheaply whether anything was committed since it last looked: on SQLite
``PRAGMA data_version`` on a connection of its own (it changes whenever another connection
commits), on PostgreSQL the WAL insert position (it moves with every write). It looks at
most every ``interval`` seconds (default 50 ms), so a burst of requests costs one look,
and a new block is served at most that much later than it is committed. `ResponseCache`
keeps the serialised answers of the current version, least recently used first out.

The version is read before the query runs, so an answer computed while the indexer
committed is stored under the older version and never served as the newer one.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

CHECK_INTERVAL: Final = 0.05
MAX_ENTRIES: Final = 2048


class IndexVersion:
    """A token that changes whenever the database does (checked every ``interval`` s)."""

    def __init__(
        self,
        engine: Engine,
        interval: float = CHECK_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._interval = interval
        self._clock = clock
        self._checked = float("-inf")
        self._token: Any = None
        self._lock = asyncio.Lock()
        self._connection_lock = threading.Lock()
        self._connection: Any = None
        self._postgres = engine.dialect.name == "postgresql"

    def _read(self) -> Any:
        with self._connection_lock:
            if self._postgres:
                with self._engine.connect() as connection:
                    return connection.scalar(text("SELECT pg_current_wal_insert_lsn()::text"))
            if self._connection is None:
                self._connection = self._engine.raw_connection()
            try:
                cursor = self._connection.cursor()
                try:
                    cursor.execute("PRAGMA data_version")
                    return cursor.fetchone()[0]
                finally:
                    cursor.close()
            except Exception:
                self._connection.invalidate()
                self._connection = None
                raise

    async def current(self) -> Any:
        """The version now (None when it cannot be told: then nothing is cached)."""
        if self._clock() - self._checked < self._interval:
            return self._token
        async with self._lock:
            if self._clock() - self._checked >= self._interval:
                try:
                    token = await run_in_threadpool(self._read)
                except DBAPIError:
                    token = None  # the query that follows reports the outage
                self._token = (token, id(self)) if token is not None else None
                self._checked = self._clock()
        return self._token

    def close(self) -> None:
        with self._connection_lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


class ResponseCache:
    """Serialised answers by request key, valid for one index version."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._version: Any = None
        self._max = max_entries
        self.hits = 0
        self.misses = 0

    def get(self, key: str, version: Any) -> bytes | None:
        if version is None or version != self._version:
            self.misses += 1
            return None
        body = self._entries.get(key)
        if body is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return body

    def put(self, key: str, version: Any, body: bytes) -> None:
        if version is None:
            return
        if version != self._version:
            self._entries.clear()
            self._version = version
        self._entries[key] = body
        if len(self._entries) > self._max:
            self._entries.popitem(last=False)
