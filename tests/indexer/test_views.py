"""Every event type lands in the right rows, and the index equals the contract's views."""

from __future__ import annotations

from sqlalchemy import func, select

from microtask.db.base import (
    AssignmentSource,
    AssignmentStatus,
    DisputeStatus,
    MovementKind,
)
from microtask.db.models import table
from microtask.escrow import ApprovalBasis
from tests.database_fixtures import DatabaseFactory
from tests.indexer.compare import assert_matches_contract
from tests.indexer.scenarios import ALL_EVENTS, rich_scenario
from tests.world import IndexedWorld


def test_rich_scenario_matches_the_contract_views(
    world: IndexedWorld, database: DatabaseFactory
) -> None:
    ids = rich_scenario(world)
    indexer = world.indexer(database())
    head = world.w3.eth.block_number
    assert indexer.sync() == head
    engine = indexer.engine
    counts = assert_matches_contract(world, engine)
    assert counts["tasks"] == 5

    with engine.connect() as db:
        names = set(db.execute(select(table("events").c.name).distinct()).scalars())
        assert names == ALL_EVENTS
        a = table("assignments")
        rows = {
            (r.task_id, r.slot, r.number): r
            for r in db.execute(select(a).order_by(a.c.task_id, a.c.slot, a.c.number))
        }
        t1, t2, t4 = ids["t1"], ids["t2"], ids["t4"]
        # T1 slot 3: released by w1, then w2's, closed after an upheld dispute
        assert rows[(t1, 3, 0)].status == AssignmentStatus.RELEASED
        assert rows[(t1, 3, 1)].status == AssignmentStatus.CLOSED
        # T1 slot 1: approved without a receipt on chain
        assert rows[(t1, 1, 0)].source == AssignmentSource.DIRECT
        assert rows[(t1, 1, 0)].basis == ApprovalBasis.REVIEW
        assert rows[(t1, 0, 0)].source == AssignmentSource.RECEIPT
        assert rows[(t1, 0, 0)].basis == ApprovalBasis.ARBITRATION
        # T2: lapsed then re-claimed; silence; timeout; release after cancel
        assert rows[(t2, 1, 0)].status == AssignmentStatus.LAPSED
        assert rows[(t2, 1, 1)].basis == ApprovalBasis.SILENCE
        assert rows[(t2, 3, 0)].basis == ApprovalBasis.ARBITRATION_TIMEOUT
        assert rows[(t2, 4, 0)].status == AssignmentStatus.RELEASED
        assert rows[(t2, 4, 0)].refunded is not None
        assert rows[(t4, 0, 0)].status == AssignmentStatus.LAPSED
        disputes = table("disputes")
        statuses = sorted(db.execute(select(disputes.c.status)).scalars())
        assert statuses == sorted(
            [DisputeStatus.OVERTURNED, DisputeStatus.UPHELD, DisputeStatus.TIMED_OUT]
        )
        ledger = table("ledger")
        kinds = set(db.execute(select(ledger.c.kind).distinct()).scalars())
        assert kinds == set(MovementKind)
        tasks = table("tasks")
        t2_row = db.execute(select(tasks).where(tasks.c.task_id == t2)).one()
        assert t2_row.cancelled
        assert t2_row.cancelled_at is not None
        assert t2_row.available_slots == 0
        settled = db.execute(select(func.count()).select_from(table("settlements"))).scalar()
        assert settled
        assert settled > 0
