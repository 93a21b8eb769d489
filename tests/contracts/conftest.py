"""The contracts' tests run in the shared world (``tests/world.py``), which they call ``world``:
TaskEscrow and its tokens deployed once per test worker on its anvil, each test inside an
anvil snapshot reverted afterwards, so each starts from the same freshly deployed state.
"""

from __future__ import annotations

import pytest

from tests.world import (  # re-exported for the modules that import them from here
    ARBITRATION_TIMEOUT,
    DISPUTE_WINDOW,
    FEE_BPS,
    LEASE,
    MANIFEST,
    REASON,
    RESULT,
    REVIEW_PERIOD,
    REWARD,
    TOKEN_REWARD,
    Deployment,
    World,
    deploy,
)

__all__ = [
    "ARBITRATION_TIMEOUT", "DISPUTE_WINDOW", "FEE_BPS", "LEASE", "MANIFEST", "REASON",
    "RESULT", "REVIEW_PERIOD", "REWARD", "TOKEN_REWARD", "Deployment", "World", "deploy",
]  # fmt: skip


@pytest.fixture
def world(shared_world: World) -> World:
    return shared_world
