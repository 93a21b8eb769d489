"""Reorganisations: the index rolls back to the fork point and replays the new branch."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from microtask.chain.devchain import revert, snapshot
from microtask.db.models import table
from tests.database_fixtures import DatabaseFactory
from tests.indexer.compare import assert_matches_contract, assert_same_index
from tests.indexer.scenarios import simple_tasks
from tests.world import RESULT, IndexedWorld


def _max_event_id(engine: Engine) -> int:
    events = table("events")
    with engine.connect() as db:
        return int(db.execute(select(func.max(events.c.id))).scalar() or 0)


def _event_ids_above(engine: Engine, block: int) -> list[int]:
    events = table("events")
    with engine.connect() as db:
        query = select(events.c.id).where(events.c.block_number > block).order_by(events.c.id)
        return list(db.execute(query).scalars())


def test_snapshot_revert_and_a_different_branch(
    world: IndexedWorld, database: DatabaseFactory
) -> None:
    simple_tasks(world, 2)
    fork = snapshot(world.w3)
    fork_height = world.w3.eth.block_number
    worker = world.workers[1]
    orphan = world.create(slots=4)  # on the branch that will vanish
    world.client(worker).claim(orphan, 0)
    world.client(worker).submit(orphan, 0, RESULT)
    world.escrow.approve(orphan, [(0, worker.address)])
    world.escrow.cancel(orphan)

    indexer = world.indexer(database())
    indexer.sync()
    orphaned_head = indexer.indexed_block
    highest_id = _max_event_id(indexer.engine)
    orphaned_ids = _event_ids_above(indexer.engine, fork_height)

    revert(world.w3, fork)
    other = world.create(slots=1, reward=7 * 10**15)  # same task id, different task
    assert other == orphan
    world.client(world.workers[2]).claim(other, 0)
    for _ in range(6):  # longer than the orphaned branch
        world.advance(1)
    assert world.w3.eth.block_number > (orphaned_head or 0)

    indexer.sync()
    assert_matches_contract(world, indexer.engine)
    fresh = world.indexer(database())
    fresh.sync()
    assert_same_index(indexer.engine, fresh.engine, event_ids=False)  # ids never reused
    tasks, events = table("tasks"), table("events")
    with indexer.engine.connect() as db:
        reward = db.execute(select(tasks.c.reward).where(tasks.c.task_id == other)).scalar()
        assert reward == 7 * 10**15
        names = list(db.execute(select(events.c.name).where(events.c.task_id == other)).scalars())
        assert names == ["TaskCreated", "SlotClaimed"]
        if indexer.engine.dialect.name == "sqlite":
            # ids of dropped events are never handed out again (the live feed relies on it)
            newest = db.execute(select(func.min(events.c.id)).where(events.c.task_id == other))
            assert newest.scalar() > highest_id
        # the live feed's notice: exactly the orphaned branch's events were dropped
        [reorg] = db.execute(select(table("reorgs"))).all()
        assert (reorg.first_event_id, reorg.last_event_id) == (orphaned_ids[0], highest_id)
        assert reorg.dropped == len(orphaned_ids)
        assert reorg.fork_block <= fork_height


def test_a_shorter_chain_rolls_back(world: IndexedWorld, database: DatabaseFactory) -> None:
    simple_tasks(world, 1)
    fork = snapshot(world.w3)
    simple_tasks(world, 2)
    indexer = world.indexer(database())
    indexer.sync()
    revert(world.w3, fork)
    indexer.sync()
    assert indexer.indexed_block == world.w3.eth.block_number
    assert_matches_contract(world, indexer.engine)


def test_anvil_reorg(anvil_world: IndexedWorld, database: DatabaseFactory) -> None:
    """anvil's own reorg: the last blocks are mined again with new hashes."""
    world = anvil_world
    simple_tasks(world, 3)
    indexer = world.indexer(database())
    indexer.sync()
    before = world.w3.eth.get_block("latest")
    response = world.w3.provider.make_request("anvil_reorg", [4, []])  # type: ignore[arg-type]
    assert "error" not in response, response
    after = world.w3.eth.get_block(before["number"])
    assert after["hash"] != before["hash"]
    indexer.sync()
    assert_matches_contract(world, indexer.engine)
    fresh = world.indexer(database())
    fresh.sync()
    assert_same_index(indexer.engine, fresh.engine, event_ids=False)
