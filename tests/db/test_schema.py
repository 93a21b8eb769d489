"""The schema: migrations equal the models on both databases, and the engine's settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, insert, select, text

from microtask.db import database_url, make_engine, migrate
from microtask.db.base import Base, ManifestStatus
from microtask.db.engine import normalize_url
from microtask.db.migrate import current_revision, head_revision
from microtask.db.models import table
from microtask.errors import ConfigurationError
from tests.conftest import make_settings
from tests.database_fixtures import DatabaseFactory


@pytest.fixture
def engine(new_database_url: DatabaseFactory) -> Iterator[Engine]:
    created = make_engine(new_database_url(), writer=True)
    yield created
    created.dispose()


def test_migrations_build_exactly_the_models(engine: Engine) -> None:
    migrate(engine)
    migrate(engine)  # a second run is a no-op
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_amounts_filter_and_sort_as_numbers(engine: Engine) -> None:
    """The API filters tasks by minimum reward and sorts by it: uint256 must compare exactly."""
    migrate(engine)
    manifests, tasks = table("manifests"), table("tasks")
    rewards = [2**256 - 1, 10**18, 9, 10**18 + 1, 2**128]
    zero = "0x" + "00" * 20
    base = {
        "requester": zero, "token": zero, "manifest_cid": "m", "fee_bps": 0, "slot_count": 1,
        "receipt_slots": 0, "open_slots": 1, "receipt_slots_used": 0, "deadline": 1,
        "review_period": 1, "lease": 1, "verifier": zero, "arbitrator": zero,
        "min_approved": 0, "min_approval_bps": 0, "cancelled": False,
        "receipt_slots_reclaimed": False, "escrow": 0, "fee": 0, "available_slots": 1,
        "approved_slots": 0, "closed_slots": 0, "funded": 0, "paid": 0, "fees_paid": 0,
        "refunded": 0, "bonuses": 0, "created_block": 1, "created_at": 1, "created_tx": "0x",
        "cancelled_at": None, "updated_block": 1,
    }  # fmt: skip
    with engine.begin() as connection:
        connection.execute(
            insert(manifests), [{"cid": "m", "status": ManifestStatus.PENDING, "attempts": 0}]
        )
        connection.execute(
            insert(tasks),
            [base | {"task_id": i + 1, "reward": reward} for i, reward in enumerate(rewards)],
        )
        ordered = list(
            connection.execute(select(tasks.c.reward).order_by(tasks.c.reward)).scalars()
        )
        at_least = set(
            connection.execute(select(tasks.c.reward).where(tasks.c.reward >= 10**18)).scalars()
        )
    assert ordered == sorted(rewards)
    assert at_least == {r for r in rewards if r >= 10**18}


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'deep' / 'index.sqlite'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
    engine.dispose()


def test_database_url_defaults_to_sqlite_per_network(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    assert database_url(settings, "local") == f"sqlite:///{settings.data_dir}/index-local.sqlite"
    chosen = make_settings(tmp_path, database_url="postgresql://u@h/db")
    assert database_url(chosen, "local") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    with pytest.raises(ConfigurationError, match="unsupported database"):
        make_engine("mysql://u@h/db")
