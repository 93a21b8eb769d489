"""SQLite writers of one process queue on a gate, which every way a transaction ends opens."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from microtask.db import engine as engine_module
from microtask.db import make_engine
from microtask.db.engine import writer_gate


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "gate.sqlite"


@pytest.fixture
def writers(path: Path) -> Iterator[tuple[Engine, Engine]]:
    """Two writer engines on one file, as the indexer and the verifier have in `up`."""
    first, second = (
        make_engine(f"sqlite:///{path}", writer=True),
        make_engine(f"sqlite:///{path}", writer=True),
    )
    with first.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS marks (n INTEGER)"))
    yield first, second
    first.dispose()
    second.dispose()


def gate_is_open(path: Path) -> bool:
    gate = writer_gate(str(path))
    if gate._lock.acquire(blocking=False):
        gate._lock.release()
        return True
    return False


def test_a_second_writer_waits_for_the_first_and_sees_its_commit(
    writers: tuple[Engine, Engine], path: Path
) -> None:
    first, second = writers
    began, seen = threading.Event(), []

    def later() -> None:
        began.wait()
        with second.begin() as connection:  # queued until the first commits
            seen.append(connection.execute(text("SELECT count(*) FROM marks")).scalar_one())
            connection.execute(text("INSERT INTO marks VALUES (2)"))

    thread = threading.Thread(target=later)
    thread.start()
    with first.begin() as connection:
        connection.execute(text("INSERT INTO marks VALUES (1)"))
        began.set()
        assert not gate_is_open(path)
    thread.join(timeout=30)
    assert seen == [1]  # its transaction began after the first one's commit
    assert gate_is_open(path)


@pytest.mark.parametrize("ending", ["commit", "rollback", "error", "closed", "invalidated"])
def test_every_end_of_a_transaction_opens_the_gate(
    writers: tuple[Engine, Engine], path: Path, ending: str
) -> None:
    first, second = writers
    connection = first.connect()
    connection.begin()
    connection.execute(text("INSERT INTO marks VALUES (1)"))
    assert not gate_is_open(path)
    if ending == "commit":
        connection.commit()
    elif ending == "rollback":
        connection.rollback()
    elif ending == "error":
        with pytest.raises(OperationalError):
            connection.execute(text("INSERT INTO no_such_table VALUES (1)"))
        connection.rollback()
    elif ending == "invalidated":
        connection.invalidate()
    connection.close()  # "closed": returned to the pool mid-transaction, which rolls back
    assert gate_is_open(path)
    with second.begin() as other:  # and the other engine writes at once
        other.execute(text("INSERT INTO marks VALUES (2)"))
    with second.connect() as reader:
        count = reader.execute(text("SELECT count(*) FROM marks")).scalar_one()
        assert count == (2 if ending == "commit" else 1)


def test_a_writer_that_never_gets_its_turn_is_told_the_database_is_locked(
    writers: tuple[Engine, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = writers
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 50)
    with first.begin() as connection:
        connection.execute(text("INSERT INTO marks VALUES (1)"))
        failures: list[BaseException] = []

        def late() -> None:
            try:
                with second.begin():
                    pass
            except OperationalError as error:
                failures.append(error)

        thread = threading.Thread(target=late)
        thread.start()
        thread.join(timeout=30)
    assert len(failures) == 1
    assert "database is locked" in str(failures[0])
