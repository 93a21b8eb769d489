"""What a claim and a hand-in ask of the database: one read transaction, then one write
transaction holding only the reservation or the receipt, and a fixed handful of statements
whatever the task's size (every statement costs the API's one Python thread)."""

from __future__ import annotations

from microtask.manifests import ItemAnswer, TaskManifest
from microtask.manifests.answers import ClassificationAnswer
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
