"""Compare an index with the contract's own views, and two indexes with each other."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import Engine, select
from web3 import Web3

from microtask.db.models import Base, table
from microtask.escrow import ETH, ZERO_ADDRESS, SlotState
from tests.world import IndexedWorld

ZERO = ZERO_ADDRESS
# observations of the chain head, not state: they differ between any two runs
VOLATILE = {
    "checkpoints": {"chain_head", "chain_head_timestamp", "chain_head_seen_at"},
    "manifests": {"attempts", "next_attempt_at", "fetched_at", "error", "status"},
}
# what the live feed told clients about dropped ids, not chain state: a fresh index has none
FEED_ONLY = {"reorgs"}


def dump(engine: Engine, *, event_ids: bool = True) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows in primary-key order, without the volatile columns."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for name, tbl in sorted(Base.metadata.tables.items()):
            if name in FEED_ONLY:
                continue
            skip = set(VOLATILE.get(name, ()))
            if name == "events" and not event_ids:
                skip.add("id")
            columns = [c for c in tbl.columns if c.name not in skip]
            order = list(tbl.primary_key.columns)
            rows = connection.execute(select(*columns).order_by(*order)).all()
            tables[name] = [tuple(row) for row in rows]
    return tables


def assert_same_index(left: Engine, right: Engine, *, event_ids: bool | None = None) -> None:
    """Two indexes hold the same rows; event ids too by default on SQLite (PostgreSQL's
    sequences skip the ids of rolled-back transactions, so ids are compared only there)."""
    same_ids = left.dialect.name == right.dialect.name == "sqlite"
    if event_ids is not None:
        same_ids = event_ids
    first, second = dump(left, event_ids=same_ids), dump(right, event_ids=same_ids)
    for name in first:
        assert first[name] == second[name], f"table {name} differs"


def assert_matches_contract(world: IndexedWorld, engine: Engine) -> dict[str, int]:
    """The index equals what getTask, getSlot, balanceOf and reputationOf say; returns counts."""
    escrow = world.deployment.escrow.functions
    tasks, slots, accounts = table("tasks"), table("slots"), table("accounts")
    with engine.connect() as connection:
        task_rows = {r.task_id: r._mapping for r in connection.execute(select(tasks))}
        slot_rows = {(r.task_id, r.slot): r._mapping for r in connection.execute(select(slots))}
        account_rows = {
            (r.token, r.address): r._mapping for r in connection.execute(select(accounts))
        }
        escrow_row = connection.execute(select(table("escrow_state"))).mappings().one()
    count = escrow.taskCount().call()
    assert sorted(task_rows) == list(range(1, count + 1))
    client = world.escrow
    checked_slots = 0
    for task_id in range(1, count + 1):
        task = client.task(task_id)
        for field in dataclasses.fields(task):
            assert task_rows[task_id][field.name] == getattr(task, field.name), (task_id, field)
        for index in range(task.slot_count):
            view = client.slot(task_id, index)
            row = slot_rows.get((task_id, index))
            stored = SlotState(row["state"]) if row else SlotState.OPEN
            # getSlot shows open slots refunded in bulk (a cancel, a reclaim) as closed; the
            # index leaves them without a row of their own, as the API reads them
            assert view.state == task.slot_state(index, stored), (task_id, index)
            if stored is SlotState.OPEN and view.state is SlotState.CLOSED:
                assert (view.worker, view.timestamp) == (ZERO, 0)
                checked_slots += 1
                continue
            assert stored == view.state, (task_id, index)
            if stored.final:
                # a receipt slot keeps the worker its word held; the index keeps every one
                assert view.timestamp == 0
                assert row is not None
                assert view.worker in (ZERO, row["worker"]), (task_id, index)
                assert row["timestamp"] == 0
            else:
                expected_worker = None if view.worker == ZERO else view.worker
                assert (row["worker"] if row else None) == expected_worker
                assert (row["timestamp"] if row else 0) == view.timestamp, (task_id, index)
            checked_slots += 1
    people = {a.address for a in (world.owner, world.requester, world.verifier, world.arbitrator)}
    people |= {world.treasury.address} | {w.address for w in world.workers}
    people |= {address for _, address in account_rows}
    tokens = [ETH, Web3.to_checksum_address(world.token.address)]
    for token in tokens:
        for address in people:
            row = account_rows.get((token, address))
            balance = escrow.balanceOf(token, address).call()
            record = dataclasses.astuple(client.reputation(address, token))
            mine = (
                (row["balance"], row["approved"], row["rejected"], row["disputes_won"],
                 row["disputes_lost"])
                if row else (0, 0, 0, 0, 0)
            )  # fmt: skip
            assert mine == (balance, *record), (token, address)
    # conservation (P1): what the contract holds = balances + unspent escrow, per token
    for token in tokens:
        held = (
            world.w3.eth.get_balance(world.deployment.escrow.address)
            if token == ETH
            else world.token.functions.balanceOf(world.deployment.escrow.address).call()
        )
        owed = sum(r["balance"] for (t, _), r in account_rows.items() if t == token)
        owed += sum(r["escrow"] for r in task_rows.values() if r["token"] == token)
        assert held == owed, token
    assert escrow_row["owner"] == escrow.owner().call()
    pending = escrow.pendingOwner().call()
    assert escrow_row["pending_owner"] == (None if pending == ZERO else pending)
    assert escrow_row["treasury"] == escrow.treasury().call()
    assert escrow_row["fee_bps"] == escrow.feeBps().call()
    assert escrow_row["default_arbitrator"] == escrow.defaultArbitrator().call()
    assert escrow_row["paused"] == escrow.paused().call()
    assert escrow_row["dispute_window"] == escrow.disputeWindow().call()
    assert escrow_row["arbitration_timeout"] == escrow.arbitrationTimeout().call()
    return {"tasks": count, "slots": checked_slots, "accounts": len(account_rows)}
