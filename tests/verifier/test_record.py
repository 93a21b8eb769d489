"""What an assessment records: each slot's decision, kept as settled where it was settled,
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select, update

from microtask.db import make_engine
from microtask.db.engine import session_factory
from microtask.db.migrate import migrate
from microtask.db.verifier_models import Outcome, Settled, VerifierDecision
from microtask.manifests import TaskManifest
from microtask.verifier import assessment
from microtask.verifier.assessment import Judgement, SubmittedWork, Unopened, record
from microtask.verifier.tasks import TaskContext, TaskTerms
from tests.database_fixtures import DatabaseFactory
from tests.quality.scenario import REQUESTER, VERIFIER, WORKERS, envelope_cid, manifest_data

TASK = 7
A, B, C, D = (worker.address for worker in list(WORKERS.values())[:4])


@pytest.fixture
def engine(new_database_url: DatabaseFactory) -> Iterator[Engine]:
    engine = make_engine(new_database_url(), writer=True)
    migrate(engine)
    yield engine
    engine.dispose()


def _context() -> TaskContext:
    manifest = TaskManifest.model_validate(manifest_data(items=4))
    terms = TaskTerms(
        task_id=TASK, requester=REQUESTER.address, token="0x" + "00" * 20,
        manifest_cid=envelope_cid(999), reward=1, slot_count=12, receipt_slots=12,
        deadline=10**9, review_period=3600, lease=600, verifier=VERIFIER.address,
        arbitrator="0x" + "00" * 20, min_approved=0, min_approval_bps=0, cancelled=False,
        receipt_slots_reclaimed=False,
    )  # fmt: skip
    return TaskContext(terms, manifest, tuple(f"photo-{n:02d}" for n in range(4)))


def _unopened(slot: int, worker: str, *, usable_later: bool, why: str = "bad") -> Unopened:
    work = SubmittedWork(slot, worker, envelope_cid(slot), None, 100, "receipt")
    return Unopened(work, why, retry=usable_later)


def _rows(engine: Engine) -> dict[int, tuple[object, ...]]:
    columns = (
        VerifierDecision.worker, VerifierDecision.outcome, VerifierDecision.envelope_cid,
        VerifierDecision.run, VerifierDecision.assessed_at, VerifierDecision.settled,
        VerifierDecision.settle_tx, VerifierDecision.checks,
    )  # fmt: skip
    with engine.connect() as connection:
        found = connection.execute(select(VerifierDecision.slot, *columns))
        return {row[0]: tuple(row[1:]) for row in found}


def _record(engine: Engine, judgement: Judgement, run: int, at: int) -> dict[str, int]:
    with session_factory(engine).begin() as session:
        return dict(
            record(session, _context(), judgement, run=run, assessed_at=at, results_cid=None)
        )


def test_decisions_are_inserted_changed_or_only_stamped_with_the_round(engine: Engine) -> None:
    first = Judgement(
        None,
        [
            _unopened(0, A, usable_later=False),
            _unopened(1, B, usable_later=True),
            _unopened(2, C, usable_later=False),
            _unopened(3, C, usable_later=False),
        ],
    )
    assert _record(engine, first, run=1, at=100) == {"reject": 3, "undecided": 1}
    rows = _rows(engine)
    assert rows[0][:7] == (A, Outcome.REJECT, envelope_cid(0), 1, 100, Settled.PENDING, None)
    assert rows[1][:7] == (B, Outcome.UNDECIDED, None, 1, 100, Settled.LEFT, None)
    assert rows[1][7] == ["not_judged: envelope: bad"]

    tx = "0x" + "ab" * 32
    with engine.begin() as connection:  # slots 0 and 2 are rejected on chain
        connection.execute(
            update(VerifierDecision)
            .where(VerifierDecision.task_id == TASK, VerifierDecision.slot.in_([0, 2]))
            .values(settled=Settled.REJECTED, settle_tx=tx)
        )

    second = Judgement(
        None,
        [
            _unopened(0, A, usable_later=False),  # as it was: settled stays
            _unopened(1, B, usable_later=False),  # now unusable: a rejection to settle
            _unopened(2, D, usable_later=False),  # a new worker: a new decision
            _unopened(5, D, usable_later=True),  # a new slot
        ],  # slot 3: not in this round
    )
    assert _record(engine, second, run=2, at=200) == {"reject": 3, "undecided": 1}
    rows = _rows(engine)
    assert rows[0][:7] == (A, Outcome.REJECT, envelope_cid(0), 2, 200, Settled.REJECTED, tx)
    assert rows[1][:7] == (B, Outcome.REJECT, envelope_cid(1), 2, 200, Settled.PENDING, None)
    assert rows[1][7] == ["fail: envelope: bad"]
    assert rows[2][:7] == (D, Outcome.REJECT, envelope_cid(2), 2, 200, Settled.PENDING, None)
    assert rows[3][:7] == (C, Outcome.REJECT, envelope_cid(3), 1, 100, Settled.PENDING, None)
    assert rows[5][:7] == (D, Outcome.UNDECIDED, None, 2, 200, Settled.LEFT, None)

    third = Judgement(None, [_unopened(0, A, usable_later=False, why="worse")])
    _record(engine, third, run=3, at=300)  # a new reason: rewritten, still settled
    assert _rows(engine)[0] == (
        A, Outcome.REJECT, envelope_cid(0), 3, 300, Settled.REJECTED, tx,
        ["fail: envelope: worse"],
    )  # fmt: skip


def test_unchanged_decisions_are_stamped_in_statements_of_bounded_size(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task with more slots than one statement may name (SQLite's and psycopg's limits on
    bound parameters) has every unchanged decision stamped, a statement per share."""
    monkeypatch.setattr(assessment, "_SLOTS_PER_STATEMENT", 3)
    every = Judgement(None, [_unopened(slot, A, usable_later=False) for slot in range(12)])
    _record(engine, every, run=1, at=100)
    _record(engine, every, run=2, at=200)
    assert {slot: row[3:5] for slot, row in _rows(engine).items()} == dict.fromkeys(
        range(12), (2, 200)
    )
