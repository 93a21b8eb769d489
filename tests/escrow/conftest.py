"""The domain's rules are checked against the contract in the shared world (``tests/world.py``)."""

import pytest

from tests.world import World


@pytest.fixture
def world(shared_world: World) -> World:
    return shared_world
