"""Alembic migrations of the index database (run by `microtask.db.migrate`)."""
