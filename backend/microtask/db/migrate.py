"""Bring a database's schema to the newest version: ``migrate(engine)``.

Alembic runs programmatically with the migrations shipped inside the package, so neither
an ``alembic.ini`` nor a working directory is needed: the indexer and the API call this at
start. Concurrent callers are safe on PostgreSQL (Alembic's version table row is updated
in the migration's transaction) and serialised by SQLite's write lock.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest revision (a no-op when it is already there)."""
    if current_revision(engine) == head_revision():
        return
    command.upgrade(alembic_config(engine), "head")
