"""Property-based: no request the verifier's OpenAPI document allows (or nearly allows)
yields a 500, over a real verifier on anvil with a task of its own.

As for the read API (`tests/api/test_schemathesis.py`): valid and invalid bodies and
paths, every answer checked against the document (declared status, schema, problem+json).
Signatures are random bytes here, so most requests are refused: what matters is that
every refusal is a 4xx that says why.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from microtask.api.routes.verifier import verifier_app
from microtask.manifests import TaskManifest
from tests.quality.scenario import manifest_data
from tests.verifier.conftest import Platform


class CurrentApp:
    """Forwards to the app the fixture set up (the document is read at import)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


CURRENT = CurrentApp(verifier_app(None))
schema = schemathesis.openapi.from_asgi("/openapi.json", CURRENT)


@pytest.fixture
def served(platform: Platform) -> Iterator[None]:
    platform.post(TaskManifest.model_validate(manifest_data(items=3, redundancy=1)))
    previous, CURRENT.app = CURRENT.app, verifier_app(platform.verifier)
    yield
    CURRENT.app = previous


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_input_yields_a_server_error(case: schemathesis.Case, served: None) -> None:
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
