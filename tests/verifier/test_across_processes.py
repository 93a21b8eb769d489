"""Exactly-once across processes: two verifier-serving processes (real processes, each its
own `VerifierService`, as the API's worker processes run it) race over one PostgreSQL
database for the slots of one task, every signed request sent to both at once.

Each slot is granted to one worker and receipted once; a request answered by both
processes got the same slot from both; and replayed afterwards, each request gets its own
slot back. SQLite is not raced this way: its single write lock lets one process write at a
time (`microtask.db.engine`), which is why `microtask up` runs several processes only on
PostgreSQL.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import select

from microtask.chain.anvil import AnvilProcess
from microtask.db.verifier_models import SlotHold, VerifierSlot
from microtask.manifests import TaskManifest
from microtask.verifier import ANY_SLOT, SlotRequest
from microtask.verifier.typed_data import new_nonce
from tests.quality.scenario import manifest_data
from tests.verifier.conftest import Platform

REPO = Path(__file__).resolve().parents[2]
ITEMS, REDUNDANCY = 6, 3
SLOTS = ITEMS * REDUNDANCY
WORKERS = SLOTS + 6  # more workers than slots: the last ones must be told there is none


def racer(spec: dict[str, Any]) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.verifier.racer"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None
    child.stdin.write(json.dumps(spec) + "\n")
    child.stdin.flush()
    return child


def say(children: list[subprocess.Popen[str]], line: str) -> list[Any]:
    """Send ``line`` to every child (all before reading any answer), then read one JSON
    line from each."""
    for child in children:
        assert child.stdin is not None
        child.stdin.write(line + "\n")
        child.stdin.flush()
    answers = []
    for child in children:
        assert child.stdout is not None
        answer = child.stdout.readline()
        assert answer, f"a racer died (exit code {child.wait()})"
        answers.append(json.loads(answer))
    return answers


@pytest.mark.parametrize("platform", ["postgresql"], indirect=True)
def test_two_processes_racing_for_slots_grant_and_receipt_each_once(
    platform: Platform, anvil_process: AnvilProcess
) -> None:
    manifest = TaskManifest.model_validate(manifest_data(items=ITEMS, redundancy=REDUNDANCY))
    task_id, manifest_cid = platform.post(manifest)
    workers: list[LocalAccount] = [Account.create() for _ in range(WORKERS)]
    expiry = platform.verifier.clock() + 600
    requests = [SlotRequest(task_id, ANY_SLOT, w.address, new_nonce(), expiry) for w in workers]
    jobs = [
        {
            "index": n,
            "request": vars(request),
            "signature": request.sign(w, platform.chain_id, platform.escrow).hex(),
            "key": w.key.hex(),
        }
        for n, (request, w) in enumerate(zip(requests, workers, strict=True))
    ]
    spec = {
        "rpc": anvil_process.url,
        "record": platform.record.model_dump(mode="json"),
        "content": str(platform.settings.content_dir),
        "database_url": platform.url,
        "task_id": task_id,
        "manifest": manifest.model_dump(mode="json"),
        "manifest_cid": manifest_cid,
    }
    children = [
        racer({**spec, "jobs": jobs}),
        racer({**spec, "jobs": list(reversed(jobs))}),  # from the other end: more collisions
    ]
    try:
        assert [c.stdout.readline().strip() for c in children if c.stdout] == ["ready"] * 2
        claims = say(children, "go")
        submissions = say(children, "go")
    finally:
        for child in children:
            if child.stdin is not None:
                child.stdin.close()
            child.wait(60)

    # every request: the same slot from both processes, or refused by both for want of one
    answers: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for answer in claims[0] + claims[1]:
        answers[answer["index"]].append(answer)
    slot_of: dict[int, int] = {}
    for index, pair in answers.items():
        granted = {a["slot"] for a in pair if "slot" in a}
        assert len(granted) <= 1, f"request {index} was granted two slots: {pair}"
        if granted:
            slot_of[index] = granted.pop()
            assert all(a["worker"] == workers[index].address for a in pair if "slot" in a)
        refusals = {a["refused"] for a in pair if "refused" in a}
        assert refusals <= {"NoSlot"}, pair
    owners = Counter(slot_of.values())
    assert sorted(owners) == list(range(SLOTS)), owners  # every slot granted ...
    assert set(owners.values()) == {1}, owners  # ... to one worker

    # every granted slot receipted once, for its worker; the other process's envelope refused
    receipted: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for submission in submissions[0] + submissions[1]:
        receipted[submission["slot"]].append(submission)
    assert sorted(receipted) == list(range(SLOTS))
    for slot, answers_for_slot in receipted.items():
        receipts = {a["signature"] for a in answers_for_slot if "signature" in a}
        assert len(receipts) == 1, f"slot {slot}: {answers_for_slot}"
        owner = next(i for i, s in slot_of.items() if s == slot)
        assert all(a["worker"] == workers[owner].address for a in answers_for_slot if "worker" in a)
        assert all(
            a["refused"] == "SubmissionRefused" and "receipted once" in a["why"]
            for a in answers_for_slot
            if "refused" in a
        )
    with platform.verifier.reads() as session:
        rows = list(session.scalars(select(VerifierSlot).where(VerifierSlot.task_id == task_id)))
    assert Counter(r.status for r in rows) == {SlotHold.RECEIPTED: SLOTS}
    assert {r.slot: r.worker for r in rows} == {s: workers[i].address for i, s in slot_of.items()}

    # a replayed request gets its own slot back, now from a third process's state
    verifier = platform.restart_verifier()
    for index, slot in slot_of.items():
        signature = bytes.fromhex(str(jobs[index]["signature"]))
        again = verifier.request_slot(requests[index], signature)
        assert (again.slot, again.worker, again.replayed) == (slot, workers[index].address, True)
