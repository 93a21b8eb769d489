from tests.database_fixtures import new_database_url, postgres_server

__all__ = ["new_database_url", "postgres_server"]
