"""What a claim and a hand-in ask of the database: one read transaction, then one write
transaction holding only the reservation or the receipt, and a fixed handful of statements
whatever the task's size (every statement costs the API's one Python thread)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import insert, select

from microtask.db.models import Slot
from microtask.db.verifier_models import SlotHold, VerifierSlot
from microtask.escrow import SlotState
from microtask.manifests import ItemAnswer, TaskManifest
from microtask.manifests.answers import ClassificationAnswer
from microtask.verifier.errors import NoSlot
from microtask.verifier.wakeups import ArrivalListener
from tests.quality.scenario import WORKERS, item_id, manifest_data
from tests.verifier.conftest import Platform, statements

CLAIM_READS = 5  # terms, a replayed request, the policy, the worker's record, emptied items
CLAIM_WRITES = 5  # the worker's slots, their on-chain answers, the free slot, reserve, request
HAND_IN_READS = 2  # terms, the slot's row
HAND_IN_WRITES = 2  # the receipt, the arrival for the loop


def transactions(sent: list[str]) -> list[list[str]]:
    """The statements grouped by the transaction that began them (SQLite's BEGIN lines)."""
    grouped: list[list[str]] = []
    for statement in sent:
        if statement.startswith("BEGIN"):
            grouped.append([statement])
        else:
            grouped[-1].append(statement)
    return grouped


def test_a_claim_and_a_hand_in_each_run_one_read_and_one_write_transaction(
    platform: Platform,
) -> None:
    manifest = TaskManifest.model_validate(manifest_data(items=6, redundancy=2))
    task_id, cid = platform.post(manifest)
    verifier = platform.verifier
    platform.request(WORKERS["G1"], task_id)  # the task's first claim also makes its slots' rows
    for worker in (WORKERS["G2"], WORKERS["G3"]):
        with statements(verifier) as claim:
            grant = platform.request(worker, task_id)
        answer = ItemAnswer(item_id=grant.item_id, answer=ClassificationAnswer(label="cat"))
        envelope = platform.envelope(worker, task_id, grant.slot, manifest, cid, [answer])
        with statements(verifier) as hand_in:
            verifier.submit(task_id, grant.slot, envelope)

        reads, writes = transactions(claim)
        assert reads[0] == "BEGIN"
        assert writes[0] == "BEGIN IMMEDIATE"
        assert all(s.startswith("SELECT") for s in reads[1:])
        assert len(reads) - 1 <= CLAIM_READS
        assert len(writes) - 1 <= CLAIM_WRITES
        assert [s.split()[0] for s in writes[-2:]] == ["UPDATE", "INSERT"]

        reads, writes = transactions(hand_in)
        assert reads[0] == "BEGIN"
        assert writes[0] == "BEGIN IMMEDIATE"
        assert len(reads) - 1 <= HAND_IN_READS
        assert len(writes) - 1 <= HAND_IN_WRITES
        assert [s.split()[:3] for s in writes[1:]] == [
            ["UPDATE", "verifier_slots", "SET"],
            ["INSERT", "INTO", "verifier_arrivals"],
        ]


LOOP_READ_TRANSACTIONS = 3  # open settlements, new arrivals, the round's tasks
LOOP_ROUND_READS = 4  # in the last: the task list, a task's terms, its assessment, pending


def test_a_loop_round_reads_in_three_transactions_and_writes_only_to_take_arrivals(
    platform: Platform,
) -> None:
    """A round of the loop with nothing due takes no write transaction (on SQLite, claims
    and hand-ins wait behind one) unless receipts arrived, and then only deletes them."""
    manifest = TaskManifest.model_validate(manifest_data(items=6, redundancy=2))
    task_id, cid = platform.post(manifest)
    verifier = platform.verifier
    answers = {item_id(i): ClassificationAnswer(label="cat") for i in range(6)}
    platform.work(WORKERS["G1"], task_id, manifest, cid, answers)
    assert verifier.tick() == []  # the first round reads the task in full, once

    with statements(verifier) as idle:
        assert verifier.tick() == []
    rounds = transactions(idle)
    assert [t[0] for t in rounds] == ["BEGIN"] * LOOP_READ_TRANSACTIONS
    assert all(s.startswith("SELECT") for t in rounds for s in t[1:])
    assert len(rounds[-1]) - 1 <= LOOP_ROUND_READS

    _, issued = platform.work(WORKERS["G2"], task_id, manifest, cid, answers)
    with statements(verifier) as after_receipt:
        assert verifier.tick() == []  # 2 of 12 slots in: nothing due yet
    writes = [t for t in transactions(after_receipt) if t[0] != "BEGIN"]
    assert [[s.split()[:3] for s in t[1:]] for t in writes] == [
        [["DELETE", "FROM", "verifier_arrivals"]]
    ]
    assert verifier.progress.tasks[task_id].receipted[issued.receipt.slot] == (
        issued.receipt.submitted_at
    )
    with statements(verifier) as next_round:  # taken once: the next round writes nothing
        verifier.tick()
    assert [t[0] for t in transactions(next_round)] == ["BEGIN"] * LOOP_READ_TRANSACTIONS


@pytest.mark.parametrize("platform", ["sqlite", "postgresql"], indirect=True)
def test_the_first_claims_of_a_task_arriving_together_make_its_slot_rows_once(
    platform: Platform,
) -> None:
    """A crowd starting on a task: the claims wait for the one making the rows (one
    statement on PostgreSQL, one batch on SQLite) instead of each sending them all."""
    manifest = TaskManifest.model_validate(manifest_data(items=6, redundancy=2))
    task_id, _ = platform.post(manifest)
    verifier = platform.verifier
    context = verifier.context(task_id)
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def claim() -> None:
        try:
            start.wait(timeout=30)
            verifier.slot_rows.ensure(verifier.writer, context)
        except BaseException as failure:  # reported by the test, not lost in the thread
            failures.append(failure)

    with statements(verifier) as sent:
        threads = [threading.Thread(target=claim) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not failures, failures
    assert len([s for s in sent if s.startswith("INSERT INTO verifier_slots")]) == 1
    with verifier.reader.connect() as connection:
        rows = connection.execute(
            select(VerifierSlot.slot, VerifierSlot.item_index, VerifierSlot.status)
            .where(VerifierSlot.task_id == task_id)
            .order_by(VerifierSlot.slot)
        ).all()
    assert [tuple(row) for row in rows] == [
        (slot, manifest.item_index(slot), SlotHold.FREE) for slot in range(manifest.slot_count)
    ]


@pytest.mark.parametrize("platform", ["postgresql"], indirect=True)
def test_a_hand_in_notifies_nothing_in_its_transaction_and_announces_after_it(
    platform: Platform,
) -> None:
    """PostgreSQL serialises the commits of notifying transactions: the receipt's
    transaction holds no NOTIFY; the loop in another process still wakes."""
    manifest = TaskManifest.model_validate(manifest_data(items=6, redundancy=2))
    task_id, cid = platform.post(manifest)
    verifier = platform.verifier
    woken = threading.Event()
    listener = ArrivalListener(verifier.database_url, woken.set)
    listener.start()
    try:
        assert listener.ready.wait(30)
        worker = WORKERS["G1"]
        grant = platform.request(worker, task_id)
        answer = ItemAnswer(item_id=grant.item_id, answer=ClassificationAnswer(label="cat"))
        envelope = platform.envelope(worker, task_id, grant.slot, manifest, cid, [answer])
        with statements(verifier) as hand_in:
            verifier.submit(task_id, grant.slot, envelope)
        assert not [s for s in hand_in if "notify" in s.lower()]
        assert woken.wait(30), "the listener was not woken"
    finally:
        listener.stop()


@pytest.mark.parametrize("platform", ["sqlite", "postgresql"], indirect=True)
def test_a_slot_the_chain_settled_is_never_granted_whatever_the_verifier_holds(
    platform: Platform,
) -> None:
    """The free-slot test against the index (one lookup per candidate, `claims`) still
    leaves out slots the index has, for any claim and for a claim asking for one."""
    manifest = TaskManifest.model_validate(manifest_data(items=6, redundancy=2))
    task_id, _ = platform.post(manifest)
    verifier = platform.verifier
    verifier.slot_rows.ensure(verifier.writer, verifier.context(task_id))
    with verifier.writer.begin() as connection:
        for slot in (0, 1, 3):  # as if receipts for them had been presented on chain
            connection.execute(
                insert(Slot).values(
                    task_id=task_id, slot=slot, state=SlotState.SUBMITTED, worker=None,
                    timestamp=0, assignments=1, updated_block=0,
                )
            )  # fmt: skip
    assert platform.request(WORKERS["G1"], task_id).slot == 2
    assert platform.request(WORKERS["G2"], task_id).slot == 4
    with pytest.raises(NoSlot, match="taken"):
        platform.request(WORKERS["G3"], task_id, slot=3)
