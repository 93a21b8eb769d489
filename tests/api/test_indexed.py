"""The API over rows the real indexer wrote from real transactions.

The indexer engineer's richest scenario (every escrow event, the subtle paths included)
runs on a chain (embedded and anvil); the real indexer follows it into a database (SQLite
and PostgreSQL); then every task, slot, worker record and balance the API reports is
checked against the contract's own views.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from microtask.api import create_app
from microtask.content import LocalStore
from microtask.escrow import ETH
from tests.database_fixtures import DatabaseFactory
from tests.indexer.scenarios import rich_scenario
from tests.world import IndexedWorld


@pytest.fixture
def indexed(indexed_world: IndexedWorld, new_database_url: DatabaseFactory) -> Iterator[TestClient]:
    rich_scenario(indexed_world)
    indexer = indexed_world.indexer(new_database_url())
    indexer.sync()
    settings = indexed_world.settings
    with LocalStore(settings.content_dir, fsync=False) as store:
        app = create_app(settings, engine=indexer.engine, content=store)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client


def check_tasks_and_slots(indexed: TestClient, world: IndexedWorld) -> None:
    escrow = world.escrow
    count = escrow.task_count()
    listed = indexed.get("/tasks", params={"status": "all", "sort": "created", "limit": 100})
    assert listed.json()["count"] == count
    assert [t["task_id"] for t in listed.json()["data"]] == list(range(1, count + 1))
    now = world.now()
    for task_id in range(1, count + 1):
        on_chain = escrow.task(task_id)
        served = indexed.get(f"/tasks/{task_id}").json()
        for field in (
            "requester", "deadline", "slot_count", "token", "review_period", "lease",
            "cancelled", "receipt_slots_reclaimed", "verifier", "receipt_slots", "open_slots",
            "receipt_slots_used", "arbitrator", "min_approved", "min_approval_bps",
        ):  # fmt: skip
            assert served[field] == getattr(on_chain, field), (task_id, field)
        assert served["reward"] == str(on_chain.reward)
        assert served["escrow"] == str(on_chain.escrow)
        assert served["fee"] == str(on_chain.fee_per_slot)
        expected_status = (
            "cancelled" if on_chain.cancelled
            else "expired" if on_chain.deadline < now
            else "open" if served["available_slots"] > 0 else "full"
        )  # fmt: skip
        assert served["status"] == expected_status
        rows = {slot["slot"]: slot for slot in served["slots"]}
        states: dict[str, int] = {}
        for index in range(on_chain.slot_count):
            view = escrow.slot(task_id, index)
            state = view.state.name.lower()
            states[state] = states.get(state, 0) + 1
            if index in rows:
                assert rows[index]["state"] == state, (task_id, index)
                if view.worker != ETH:
                    assert rows[index]["worker"] == view.worker
                assert rows[index]["timestamp"] == view.timestamp
            else:
                assert state in ("open", "closed")  # closed once refunded

        # an untouched slot whose funds went back reads closed (the API, and getSlot since
        # the contract says so); every other state must match exactly
        def settled(counts: dict[str, int]) -> dict[str, int]:
            kept = {k: v for k, v in counts.items() if k not in ("open", "closed")}
            kept["open+closed"] = counts.get("open", 0) + counts.get("closed", 0)
            return kept

        assert settled(served["slot_states"]) == settled(states), task_id


def check_workers(indexed: TestClient, world: IndexedWorld) -> None:
    escrow = world.escrow
    for account in world.workers:
        served = indexed.get(f"/workers/{account.address}").json()
        records = {record["token"]: record for record in served["records"]}
        for token in (ETH, world.token.address):
            reputation = escrow.reputation(account.address, token)
            balance = escrow.balance(account.address, token)
            record = records.get(token)
            if record is None:
                assert (reputation.approved, reputation.rejected, balance) == (0, 0, 0)
                continue
            assert record["approved"] == reputation.approved
            assert record["rejected"] == reputation.rejected
            assert record["disputes_won"] == reputation.disputes_won
            assert record["disputes_lost"] == reputation.disputes_lost
            assert record["balance"] == str(balance)


def check_assignments_requesters_stats_health(indexed: TestClient, world: IndexedWorld) -> None:
    first = indexed.get("/tasks/1/assignments").json()
    assert first["count"] >= 4
    assert {a["source"] for a in first["data"]} >= {"claim", "receipt"}
    requester = indexed.get(f"/requesters/{world.requester.address}").json()
    assert requester["tasks"]["total"] == world.escrow.task_count()
    money = {m["token"]: m for m in requester["money"]}
    assert money[ETH]["balance"] == str(world.escrow.balance(world.requester.address))
    stats = indexed.get("/stats").json()
    assert stats["tasks"]["total"] == world.escrow.task_count()
    assert stats["events"] > 40
    health = indexed.get("/health").json()
    assert health["status"] == "ok"
    assert health["lag_blocks"] == 0
    assert health["chain_head"] == world.w3.eth.block_number


def test_the_api_tells_what_the_contract_says(
    indexed: TestClient, indexed_world: IndexedWorld
) -> None:
    """One scenario per chain and database (it is the slow part), every check on it."""
    world = indexed_world
    check_tasks_and_slots(indexed, world)
    check_workers(indexed, world)
    check_assignments_requesters_stats_health(indexed, world)
