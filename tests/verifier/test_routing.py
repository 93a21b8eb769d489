"""Which slot a worker gets after an assessment: gold for the undecided, items with no
accepted answer before the rest (issue 13)."""

from __future__ import annotations

from typing import Any

from microtask.manifests import TaskManifest
from microtask.manifests.answers import ClassificationAnswer
from tests.quality.scenario import WORKERS, encrypted_gold, item_id, manifest_data
from tests.verifier.conftest import Platform

ITEMS = 10
GOLD = (6, 7, 8)
TRUTH = {item_id(i): ClassificationAnswer(label=("cat", "dog")[i % 2]) for i in range(ITEMS)}


def task_with_gold(platform: Platform) -> tuple[int, str, TaskManifest]:
    manifest = TaskManifest.model_validate(
        manifest_data(
            items=ITEMS,
            redundancy=3,
            gold=encrypted_gold({item_id(i): TRUTH[item_id(i)] for i in GOLD}),
        )
    )
    task_id, cid = platform.post(manifest)
    return task_id, cid, manifest


def decisions(platform: Platform, task_id: int) -> dict[int, dict[str, Any]]:
    return {d["slot"]: d for d in platform.verifier.task_status(task_id)["decisions"]}


def test_an_undecided_worker_is_given_gold_and_decided_by_it(platform: Platform) -> None:
    task_id, cid, manifest = task_with_gold(platform)
    for name in ("G1", "G2"):  # two careful workers answer every item once
        for _ in range(ITEMS):
            platform.work(WORKERS[name], task_id, manifest, cid, TRUTH)
    newcomer = WORKERS["B"]
    first, _ = platform.work(newcomer, task_id, manifest, cid, TRUTH)
    assert first.slot == 20  # the lowest free slot: item 0's third
    platform.sync()
    platform.verifier.assess(task_id, settle=False)
    status = decisions(platform, task_id)
    assert status[first.slot]["outcome"] == "undecided"  # one answer says little
    assert any(line.startswith("wants gold:") for line in status[first.slot]["checks"])
    assert status[0]["outcome"] == "approve"  # G1: ten answers, three on gold

    # the newcomer's next slots are gold items', ahead of the lower slots of items 1 to 5
    gold_slots = []
    for _ in GOLD:
        grant, _ = platform.work(newcomer, task_id, manifest, cid, TRUTH)
        gold_slots.append(grant.slot)
    assert sorted(gold_slots) == [20 + i for i in GOLD]
    # a worker with nothing undecided gets the lowest free slot
    other, _ = platform.work(WORKERS["G3"], task_id, manifest, cid, TRUTH)
    assert other.slot == 21
    platform.sync()
    report = platform.verifier.assess(task_id, settle=False)
    status = decisions(platform, task_id)
    # four answers, three of them right on gold: decided
    assert {status[slot]["outcome"] for slot in [first.slot, *gold_slots]} == {"approve"}
    assert report.coverage == {"items": ITEMS, "answered": ITEMS, "emptied": [], "unanswered": 0}


def test_an_item_whose_answers_were_all_rejected_gets_the_next_slot(platform: Platform) -> None:
    manifest = TaskManifest.model_validate(manifest_data(items=3, redundancy=2))
    task_id, cid = platform.post(manifest)
    hurried, _ = platform.work(WORKERS["F"], task_id, manifest, cid, TRUTH, seconds=1)
    assert hurried.slot == 0
    platform.sync()
    report = platform.verifier.assess(task_id, settle=False)
    assert report.outcomes == {"reject": 1}  # too fast: spam
    assert report.coverage["emptied"] == [item_id(0)]
    assert report.coverage["answered"] == 0
    # item 0 has no accepted answer: its second slot (3) goes before item 1's first (1)
    grant, _ = platform.work(WORKERS["G1"], task_id, manifest, cid, TRUTH)
    assert grant.slot == 3
    grant, _ = platform.work(WORKERS["G2"], task_id, manifest, cid, TRUTH)
    assert grant.slot == 1  # item 0 is answered again: back to the lowest free slot
