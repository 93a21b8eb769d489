"""The database the indexer writes and the API reads: SQLite by default, PostgreSQL by URL."""
