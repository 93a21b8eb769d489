"""An engine keeps a busy process's connections open instead of opening one per request.

On PostgreSQL every new connection is a new server process; with SQLAlchemy's default pool
of five, an API process whose offload threads all used the database at once opened and
closed connections for most requests (see `microtask.db.engine.POOL_SIZE`).
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine, event, text

from microtask.api.offload import THREADS
from microtask.db import make_engine
from microtask.db.engine import POOL_SIZE
from tests.database_fixtures import DatabaseFactory


def _all_at_once(engine: Engine, threads: int) -> None:
    """``threads`` threads each hold a connection until all of them hold one."""
    barrier = threading.Barrier(threads)
    failures: list[BaseException] = []

    def use() -> None:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
                barrier.wait(timeout=30)
        except BaseException as failure:  # reported by the test, not lost in the thread
            failures.append(failure)

    workers = [threading.Thread(target=use) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not failures, failures


def test_the_pool_covers_the_api_offload_threads() -> None:
    assert POOL_SIZE >= THREADS


def test_a_second_burst_of_every_offload_thread_opens_no_connection(
    new_database_url: DatabaseFactory,
) -> None:
    engine = make_engine(new_database_url())
    opened: list[object] = []
    event.listen(engine, "connect", lambda connection, record: opened.append(connection))
    try:
        _all_at_once(engine, THREADS)
        assert len(opened) == THREADS
        _all_at_once(engine, THREADS)
        assert len(opened) == THREADS, "connections were closed and opened again"
    finally:
        engine.dispose()
