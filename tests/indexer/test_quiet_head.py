"""A poll that finds the head it last caught up with (and the checkpoint it left) asks the
node once and writes nothing,
except the head again every `HEAD_NOTE_SECONDS` (the API's health reads it as the last
poll); a new block, or a different block at the same height, is followed as before."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, select
from web3 import HTTPProvider

from microtask.chain.devchain import revert, snapshot
from microtask.db.models import table
from microtask.indexer.chain import BlockHeader, ChainReader
from microtask.indexer.follower import Indexer
from microtask.indexer.store import HEAD_NOTE_SECONDS
from tests.database_fixtures import DatabaseFactory
from tests.indexer.compare import assert_matches_contract
from tests.indexer.scenarios import simple_tasks
from tests.world import IndexedWorld


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(" ".join(str(args[2]).split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


class CountingReader:
    """Counts what the indexer asks the node, by kind."""

    def __init__(self, indexer: Indexer) -> None:
        self.asked: list[str] = []
        reader = indexer.reader
        for name in ("head", "header", "headers", "logs"):
            method = getattr(reader, name)
            setattr(reader, name, self._counting(name, method))

    def _counting(self, name: str, method: Any) -> Any:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.asked.append(name)
            return method(*args, **kwargs)

        return counted


def seen_at(engine: Engine) -> float:
    checkpoints = table("checkpoints")
    with engine.connect() as db:
        return float(db.execute(select(checkpoints.c.chain_head_seen_at)).scalar_one())


def test_a_quiet_chain_costs_one_request_and_one_read_per_poll(
    world: IndexedWorld, database: DatabaseFactory
) -> None:
    simple_tasks(world, 1)
    indexer = world.indexer(database())
    wall = [1_000.0]
    indexer.store.clock = lambda: wall[0]
    indexer.sync()
    counting = CountingReader(indexer)
    indexed = indexer.indexed_block
    noted = seen_at(indexer.engine)

    for _ in range(3):
        wall[0] += 1.0
        with statements(indexer.engine) as sent:
            assert indexer.sync() == indexed
        assert [s.split()[0] for s in sent if not s.startswith("BEGIN")] == ["SELECT"]
    assert counting.asked == ["head"] * 3
    assert seen_at(indexer.engine) == noted

    # still polling: the head is noted again once `HEAD_NOTE_SECONDS` have passed
    wall[0] = noted + HEAD_NOTE_SECONDS
    with statements(indexer.engine) as sent:
        indexer.sync()
    assert [s.split()[0] for s in sent if not s.startswith("BEGIN")] == ["SELECT", "UPDATE"]
    assert seen_at(indexer.engine) == noted + HEAD_NOTE_SECONDS

    # a new block: the checkpoint is read and checked, and the block indexed
    counting.asked.clear()
    world.create(slots=2)
    indexer.sync()
    assert indexer.indexed_block == world.w3.eth.block_number
    assert "header" in counting.asked
    assert "logs" in counting.asked
    assert_matches_contract(world, indexer.engine)


def test_another_block_at_the_same_height_is_followed(
    world: IndexedWorld, database: DatabaseFactory
) -> None:
    """The head is compared by hash, not by number: a branch as long as the one indexed
    (same head number, another block) still rolls the index back and replays it."""
    simple_tasks(world, 1)
    fork = snapshot(world.w3)
    orphan = world.create(slots=3)
    indexer = world.indexer(database())
    indexer.sync()
    height = world.w3.eth.block_number
    revert(world.w3, fork)
    while world.w3.eth.block_number < height:
        world.advance(1)
    assert world.w3.eth.block_number == height
    indexer.sync()
    assert indexer.indexed_block == height
    tasks = table("tasks")
    with indexer.engine.connect() as db:
        assert db.execute(select(tasks.c.task_id).where(tasks.c.task_id == orphan)).first() is None
    assert_matches_contract(world, indexer.engine)


def test_the_head_read_over_http_is_the_header_web3_reads(anvil_world: IndexedWorld) -> None:
    """The head is read straight over HTTP (without web3's formatters): the same header."""
    world = anvil_world
    assert isinstance(world.w3.provider, HTTPProvider)
    world.create(slots=1)
    reader = ChainReader(world.w3, world.record.address)
    block = world.w3.eth.get_block("latest")
    assert reader.head() == BlockHeader(
        number=block["number"],
        hash=block["hash"].to_0x_hex(),
        parent_hash=block["parentHash"].to_0x_hex(),
        timestamp=block["timestamp"],
    )
