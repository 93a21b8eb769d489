"""Property-based: no request the OpenAPI document allows (or nearly allows) yields a 500.

schemathesis generates requests from the API's own OpenAPI document, valid ones and
invalid ones (wrong types, out-of-range numbers, odd strings, bad bodies), and sends them
to the app over the seeded index, on SQLite and on PostgreSQL. Beyond "never a 5xx" it
checks that every answer matches the document: the status code is one it declares, the
body matches the declared schema, errors are problem+json.

``/events`` is left out: a valid request opens an endless stream (its inputs are checked
in ``test_events.py``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import Engine

from microtask.api import create_app
from microtask.config import Settings
from microtask.content import LocalStore
from tests.api.seed import WALL
from tests.conftest import make_settings


class CurrentApp:
    """An ASGI app that forwards to the app the fixture below set up for this test.

    schemathesis reads the OpenAPI document when this module loads, before any fixture
    exists; the document does not depend on the database, so any app can serve it then.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


CURRENT = CurrentApp(create_app(make_settings(Path(tempfile.mkdtemp()))))
schema = schemathesis.openapi.from_asgi("/openapi.json", CURRENT).exclude(path="/events")


@pytest.fixture
def served(seeded: Engine, api_settings: Settings, store: LocalStore) -> Iterator[None]:
    """Requests go to the API over the seeded index (its lifespan run)."""
    app = create_app(api_settings, engine=seeded, content=store, clock=lambda: WALL)
    with TestClient(app):
        previous, CURRENT.app = CURRENT.app, app
        yield
        CURRENT.app = previous


@schema.parametrize()
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_input_yields_a_server_error(case: schemathesis.Case, served: None) -> None:
    # A cursor or CID can be schema-valid text and still not name anything the API issued
    # or can parse: a 4xx for those is right, so "valid data accepted" is not checked.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
