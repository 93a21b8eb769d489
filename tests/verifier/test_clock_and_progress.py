"""The verifier without a round trip per request and without re-reading every receipt:
its clock follows the head the indexer saw (`microtask.verifier.clock`), and its loop
decides what is due from the receipts since its last round (`microtask.verifier.progress`).
"""

from __future__ import annotations

import re

from sqlalchemy import select

from microtask.chain.devchain import advance_time
from microtask.db.verifier_models import VerifierArrival
from microtask.manifests import TaskManifest
from microtask.manifests.answers import ClassificationAnswer
from microtask.verifier.clock import ChainClock, Head, IndexHead
from tests.quality.scenario import STRANGER, WORKERS, item_id, manifest_data
from tests.verifier.conftest import Platform, statements


class Wall:
    """A wall clock the test moves."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Heads:
    """Heads handed out in turn, each read counted."""

    def __init__(self, *heads: Head) -> None:
        self.heads = list(heads)
        self.reads = 0

    def __call__(self) -> Head:
        self.reads += 1
        return self.heads[min(self.reads, len(self.heads)) - 1]


def test_the_clock_reads_the_head_once_per_refresh_and_runs_on_with_the_wall_clock() -> None:
    wall = Wall(1_000.0)
    ahead = Head(5, 1_100, seen_at=1_000.0)  # the chain runs 100 s ahead of the wall clock
    jumped = Head(6, 1_300, seen_at=1_003.5)  # then its clock jumps
    heads = Heads(ahead, ahead, jumped)
    clock = ChainClock(heads, refresh=0.5, wall=wall)
    assert (clock(), heads.reads) == (1_100, 1)
    wall.now = 1_000.4
    assert (clock(), heads.reads) == (1_100, 1)  # within the refresh: no read
    wall.now = 1_003.0
    assert (clock(), heads.reads) == (1_103, 2)  # the lead carries on with the wall clock
    wall.now = 1_003.4
    assert (clock(), heads.reads) == (1_103, 2)  # the jump is not seen yet: stale by < refresh
    wall.now = 1_003.6
    assert (clock(), heads.reads) == (1_300, 3)


def test_the_clock_never_goes_backwards() -> None:
    wall = Wall(2_000.0)
    heads = Heads(Head(1, 2_050, seen_at=2_000.0), Head(2, 2_010, seen_at=2_001.0))
    clock = ChainClock(heads, refresh=0, wall=wall)
    assert clock() == 2_050
    wall.now = 2_001.0
    assert clock() == 2_050  # the newer block claims less lead; "now" holds still


def test_the_clock_follows_the_head_the_indexer_saw(platform: Platform) -> None:
    platform.sync()
    head = IndexHead(platform.verifier.reader)()
    assert head is not None
    assert head.number == platform.w3.eth.block_number
    block = platform.w3.eth.get_block("latest")
    assert head.timestamp == block["timestamp"]
    ahead = advance_time(platform.w3, 3_600)  # a development chain's clock jumps an hour
    platform.sync()
    clock = ChainClock.following(platform.verifier.reader, platform.w3, refresh=0)
    assert clock() >= ahead


def reads_slots(sql: str) -> bool:
    return bool(re.search(r"FROM verifier_slots\b", sql))


def test_a_round_after_a_receipt_reads_the_arrival_not_every_receipted_slot(
    platform: Platform,
) -> None:
    manifest = TaskManifest.model_validate(manifest_data(items=4, redundancy=2))
    task_id, cid = platform.post(manifest)
    answers = {item_id(i): ClassificationAnswer(label="cat") for i in range(4)}
    platform.work(WORKERS["G1"], task_id, manifest, cid, answers)
    verifier = platform.verifier
    with statements(platform.verifier) as first:
        assert verifier.tick() == []  # the first round reads the task in full, once
    assert [sql for sql in first if reads_slots(sql)]
    assert verifier.progress.tasks[task_id].submissions == 1
    _, issued = platform.work(WORKERS["G2"], task_id, manifest, cid, answers)
    with statements(platform.verifier) as seen:
        assert verifier.tick() == []  # 2 of 8 slots in: nothing due yet
    assert verifier.progress.tasks[task_id].receipted[issued.receipt.slot] == (
        issued.receipt.submitted_at
    )
    assert any("verifier_arrivals" in sql for sql in seen)
    assert not [sql for sql in seen if reads_slots(sql)]
    for worker in ("G3", "G3", "G3", "G3", "B", "R"):  # the rest of the task: now it is due
        platform.work(WORKERS[worker], task_id, manifest, cid, answers)
    [report] = verifier.tick()
    assert (report.task_id, report.reason, report.submissions) == (
        task_id,
        "every slot is in",
        8,
    )


def test_a_loop_leaves_the_arrivals_of_another_keys_tasks(platform: Platform) -> None:
    manifest = TaskManifest.model_validate(manifest_data(items=2, redundancy=1))
    theirs, _ = platform.post(manifest, verifier=STRANGER.address)  # verified by another key
    with platform.verifier.writes.begin() as session:  # as that key's service records one
        session.add(VerifierArrival(task_id=theirs, slot=0, submitted_at=1))
    platform.verifier.tick()
    with platform.verifier.reads() as session:
        left = session.scalars(select(VerifierArrival.task_id)).all()
    assert left == [theirs]
