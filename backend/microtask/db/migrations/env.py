"""Alembic's entry point: migrate the engine `microtask.db.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from microtask.db import models, verifier_models  # noqa: F401  (registers the tables)
from microtask.db.base import Base

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through microtask.db.migrate(engine)")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    context.run_migrations()
