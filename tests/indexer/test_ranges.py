"""Log ranges adapt to what the node accepts; confirmations keep the index behind the head."""

from __future__ import annotations

from typing import Any

from web3 import HTTPProvider, Web3
from web3.types import RPCEndpoint, RPCResponse

from microtask.indexer.ranges import AdaptiveRange
from tests.database_fixtures import DatabaseFactory
from tests.indexer.compare import assert_matches_contract, assert_same_index
from tests.indexer.scenarios import simple_tasks
from tests.world import IndexedWorld

MAX_BLOCKS = 3


class StingyProvider(HTTPProvider):
    """A real node behind a provider that refuses log queries over more than 3 blocks, as
    public RPC services refuse theirs (the error text is Alchemy's)."""

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        if method == "eth_getLogs":
            query = params[0]
            span = int(query["toBlock"], 16) - int(query["fromBlock"], 16) + 1
            if span > MAX_BLOCKS:
                message = f"eth_getLogs is limited to a {MAX_BLOCKS} block range"
                return {"jsonrpc": "2.0", "id": 1, "error": {"code": -32600, "message": message}}
        return super().make_request(method, params)


def test_ranges_shrink_to_what_the_node_accepts(
    anvil_world: IndexedWorld, database: DatabaseFactory
) -> None:
    world = anvil_world
    simple_tasks(world, 3)
    stingy = Web3(StingyProvider(world.w3.provider.endpoint_uri))  # type: ignore[attr-defined]
    fine = world.indexer(database())
    picky = world.indexer(database(), log_range_initial=64)
    picky.w3 = stingy
    picky.reader.w3 = stingy
    fine.sync()
    assert picky.sync() == world.w3.eth.block_number
    assert picky.ranges.span <= MAX_BLOCKS
    assert picky.ranges.maximum <= MAX_BLOCKS  # a refused span is not asked for again
    assert_same_index(fine.engine, picky.engine)


def test_confirmations_keep_the_index_behind(
    anvil_world: IndexedWorld, database: DatabaseFactory
) -> None:
    world = anvil_world
    simple_tasks(world, 1)
    indexer = world.indexer(database(), confirmations=2)
    head = world.w3.eth.block_number
    assert indexer.sync() == head - 2
    world.advance(1)
    world.advance(1)
    assert indexer.sync() == head
    assert_matches_contract(world, indexer.engine)


def test_adaptive_range_steps() -> None:
    ranges = AdaptiveRange(initial=100, maximum=1000, target_events=100)
    ranges.answered(10)  # quiet: grow
    assert ranges.span == 200
    ranges.answered(1000)  # busy: shrink
    assert ranges.span == 100
    assert ranges.refused()
    assert (ranges.span, ranges.maximum) == (50, 99)
    while ranges.refused():
        pass
    assert ranges.span == 1
    ranges.answered(0)
    assert ranges.span == 2
