"""The contracts' tests run in the shared world (``tests/world.py``), which they call ``world``:
TaskEscrow and its tokens deployed once per test worker on its anvil, each test inside an
anvil snapshot reverted afterwards, so each starts from the same freshly deployed state.
"""

from __future__ import annotations

import pytest

from tests.world import World


@pytest.fixture
def world(shared_world: World) -> World:
    return shared_world
