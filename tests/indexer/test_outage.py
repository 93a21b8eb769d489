"""An RPC outage is logged once, retried with backoff, and indexing resumes after it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from microtask.chain.anvil import AnvilProcess, find_anvil
from microtask.chain.artifacts import CompiledProject
from microtask.chain.networks import connect_url
from microtask.config import Settings
from tests.conftest import REPO_ROOT
from tests.database_fixtures import DatabaseFactory
from tests.indexer.compare import assert_matches_contract
from tests.indexer.scenarios import simple_tasks
from tests.world import deploy_indexed_world


class Watch(logging.Handler):
    """Collects the indexer's warnings and lets a test await one."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.changed = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self.changed:
            self.messages.append(record.getMessage())
            self.changed.notify_all()

    def wait_for(self, text: str, timeout: float = 60) -> bool:
        with self.changed:
            return self.changed.wait_for(
                lambda: any(text in message for message in self.messages), timeout
            )


@pytest.fixture
def watch() -> Iterator[Watch]:
    handler = Watch()
    logger = logging.getLogger("microtask.indexer")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def test_rpc_outage_is_survived(
    compiled: CompiledProject,
    settings: Settings,
    database: DatabaseFactory,
    tmp_path: Path,
    watch: Watch,
) -> None:
    state = tmp_path / "anvil-state.json"
    first = AnvilProcess(find_anvil(REPO_ROOT), port=0, state_file=state)
    first.start()
    port = first.port
    assert port is not None
    try:
        world = deploy_indexed_world(connect_url(first.url), compiled, settings)
        simple_tasks(world, 1)
        indexer = world.indexer(database(), poll_interval=0.05, rpc_retry_max=0.2)
        stop = threading.Event()
        thread = threading.Thread(target=indexer.run, args=(stop,))
        thread.start()
        try:
            assert indexer.wait_for_block(world.w3.eth.block_number, timeout=60)
            first.stop()  # the node goes away (its chain is saved to the state file)
            assert watch.wait_for("retrying with backoff")
            second = AnvilProcess(find_anvil(REPO_ROOT), port=port, state_file=state)
            second.start()
            try:
                simple_tasks(world, 1)
                assert indexer.wait_for_block(world.w3.eth.block_number, timeout=60)
                assert watch.wait_for("reachable again")
                assert sum("retrying with backoff" in m for m in watch.messages) == 1
                assert thread.is_alive()
                assert_matches_contract(world, indexer.engine)
            finally:
                stop.set()
                thread.join(30)
                second.stop()
        finally:
            stop.set()
            thread.join(30)
    finally:
        first.stop()
