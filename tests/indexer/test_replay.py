"""Idempotent replay: however the events arrive, the index ends up the same.

These properties do not depend on the kind of chain, so they run on anvil only (the
embedded chain is covered by the views test); both databases each.
"""

from __future__ import annotations

from sqlalchemy import select, update

from microtask.db.models import table
from tests.database_fixtures import DatabaseFactory
from tests.indexer.compare import assert_matches_contract, assert_same_index, dump
from tests.indexer.scenarios import rich_scenario
from tests.world import IndexedWorld


def test_tiny_ranges_give_the_index_one_range_gives(
    anvil_world: IndexedWorld, database: DatabaseFactory
) -> None:
    world = anvil_world
    rich_scenario(world)
    whole = world.indexer(database(), log_range_initial=100_000, log_range_max=100_000)
    tiny = world.indexer(database(), log_range_initial=1, log_range_max=2)
    whole.sync()
    tiny.sync()
    assert tiny.events_written == whole.events_written > 60
    assert_same_index(whole.engine, tiny.engine)


def test_replaying_indexed_blocks_changes_nothing(
    anvil_world: IndexedWorld, database: DatabaseFactory
) -> None:
    """Events already stored (by block hash and log index) are skipped, handlers too."""
    world = anvil_world
    rich_scenario(world)
    indexer = world.indexer(database())
    indexer.sync()
    before = dump(indexer.engine)
    checkpoints, blocks = table("checkpoints"), table("blocks")
    with indexer.engine.begin() as db:
        first = db.execute(select(blocks).where(blocks.c.number == indexer.deployment_block)).one()
        db.execute(update(checkpoints).values(block_number=first.number, block_hash=first.hash))
    indexer.sync()  # reads every block after the deployment again
    assert indexer.events_written == len(before["events"])  # the first sync's, none new
    assert dump(indexer.engine) == before


def test_rebuild_from_stored_events_equals_live_ingestion(
    anvil_world: IndexedWorld, database: DatabaseFactory
) -> None:
    world = anvil_world
    rich_scenario(world)
    indexer = world.indexer(database())
    indexer.sync()
    before = dump(indexer.engine)
    assert indexer.store.rebuild() == len(before["events"])
    assert dump(indexer.engine) == before


def test_catching_up_in_steps_equals_a_full_index(
    anvil_world: IndexedWorld, database: DatabaseFactory
) -> None:
    world = anvil_world
    url = database()
    early = world.indexer(url)
    world.create(slots=2)
    early.sync()
    rich_scenario(world)
    early.sync()
    full = world.indexer(database())
    full.sync()
    assert_same_index(early.engine, full.engine)
    assert_matches_contract(world, early.engine)
