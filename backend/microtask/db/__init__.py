"""The database the indexer writes and the API reads: SQLite by default, PostgreSQL by URL.

- `models`: the tables (see its docstring for what each holds and which queries the
  indexes serve); `base`: the enums the tables store.
- `engine`: `database_url`, `make_engine` (SQLite in WAL mode with foreign keys and a busy
  timeout; PostgreSQL through psycopg 3).
- `migrate`: `migrate(engine)` upgrades the schema to the newest Alembic revision; the
  indexer and the API call it at start.
- `verifier_models`: the verifier's own tables, in the same database (written only by
  `microtask.verifier`). Importing this package registers every table on `base.Base`.
"""

from microtask.db import models, verifier_models  # noqa: F401  (register the tables)
from microtask.db.engine import database_url, describe_url, make_engine, session_factory
from microtask.db.migrate import migrate

__all__ = ["database_url", "describe_url", "make_engine", "migrate", "session_factory"]
