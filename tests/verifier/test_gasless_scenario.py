"""The issue's scenario through the gasless path on a real anvil: 20 items x 3 answers.

Planted workers (`tests.quality.scenario`: good, borderline, careless, copying,
straight-lining, too fast) ask the verifier for slots with signed requests, take their
planted time over each (anvil's clock moves), hand in sealed envelopes and get receipts,
never paying gas. The verifier assesses when every slot is in and settles on chain: the
test checks each slot's state on chain against what quality control decides for the same
crowd, the workers' pay, the reasons a rejected worker can read, and the result set that
only the requester can open.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from microtask.api import create_app
from microtask.content import parse_cid
from microtask.escrow import SlotState
from microtask.manifests import NotARecipient, ReviewBatch, parse_as
from microtask.quality import Assessment, GoldKey, assess
from microtask.verifier import TaskReport, open_results, parse_sealed_results
from tests.quality.scenario import HONEST, NAME_OF, REQUESTER, VERIFIER, WORKERS, Crowd, crowd
from tests.verifier.conftest import REWARD, Platform

SEED = 7


@dataclass
class Run:
    scenario: Crowd
    expected: Assessment
    task_id: int
    manifest_cid: str
    report: TaskReport


@pytest.fixture
def done(platform: Platform) -> Run:
    scenario = crowd(SEED)
    task_id, manifest_cid = platform.work_crowd(scenario)
    assert platform.w3.eth.get_balance(WORKERS["G1"].address) == 0  # no gas, ever
    [report] = platform.verifier.tick()
    platform.sync()  # the settlements are mined; the index (badges, records) follows them
    key = GoldKey.from_manifest(scenario.manifest, verifier_private_key=VERIFIER.key)
    expected = assess(scenario.manifest, scenario.submissions, gold=key)
    return Run(scenario, expected, task_id, manifest_cid, report)


def test_the_right_workers_are_paid_rejected_or_left(platform: Platform, done: Run) -> None:
    assert done.report.reason == "every slot is in"
    # the borderline worker B, right on 8 of 9 answers (one gold miss in four), is approved
    # since quality control weighs gold and agreement together (issue 13)
    assert done.report.outcomes == {"approve": 36, "reject": 24}
    assert done.report.settled == {"approved": 36, "rejected": 24, "external": 0, "missed": 0}
    assert done.report.coverage == {"items": 20, "answered": 20, "emptied": [], "unanswered": 0}
    client = platform.client(REQUESTER)
    for decision in done.expected.decisions:
        view = client.slot(done.task_id, decision.slot)
        name = NAME_OF[decision.worker]
        if decision.outcome == "approve":
            assert view.state is SlotState.APPROVED, (name, decision.slot)
        elif decision.outcome == "reject":
            assert (view.state, view.worker) == (SlotState.REJECTED, decision.worker), name
        else:  # left to the requester: the receipt slot is untouched on chain
            assert view.state is SlotState.OPEN, (name, decision.slot)
    for name in HONEST:
        approved = len(done.scenario.slots_of(name))
        assert client.balance(WORKERS[name].address, platform.token.address) == approved * REWARD
    for name in ("R", "P1", "P2", "S", "F"):
        assert client.balance(WORKERS[name].address, platform.token.address) == 0


def test_rejected_workers_can_read_why(platform: Platform, done: Run) -> None:
    client = platform.client(REQUESTER)
    logs = client.logs(
        "SlotsRejected", from_block=platform.record.block_number, task_id=done.task_id
    )
    assert len(logs) == 1  # one batch, one reason document
    batch = parse_as(ReviewBatch, platform.store.cat(parse_cid(bytes(logs[0]["reasonCid"]))))
    assert batch.reviewer == VERIFIER.address
    rejected = [d for d in done.expected.decisions if d.outcome == "reject"]
    assert sorted(int(s) for s in logs[0]["slots"]) == [d.slot for d in rejected]
    for decision in rejected:
        review = batch.for_slot(decision.slot)
        assert review is not None
        assert review.decision == "rejected"
        assert [r.code for r in review.reasons] == [r.code for r in decision.reasons]
        assert review.submission  # the envelope it judged
        assert review.feedback  # every check, with its numbers
    codes = {
        NAME_OF[d.worker]: {r.code for r in batch.for_slot(d.slot).reasons}  # type: ignore[union-attr]
        for d in rejected
    }
    assert "gold_failed" in codes["R"]
    assert "duplicate" in codes["P1"]
    assert "duplicate" in codes["P2"]
    assert "spam" in codes["S"]
    assert "spam" in codes["F"]


def test_each_slot_is_settled_once_and_a_second_round_sends_nothing(
    platform: Platform, done: Run
) -> None:
    client = platform.client(REQUESTER)
    height = platform.w3.eth.block_number
    assert platform.verifier.tick() == []  # nothing new: no assessment, no transaction
    assert platform.w3.eth.block_number == height
    settled: Counter[int] = Counter()
    for event in ("SlotsApproved", "SlotsRejected"):
        for log in client.logs(
            event, from_block=platform.record.block_number, task_id=done.task_id
        ):
            settled.update(int(slot) for slot in log["slots"])
    assert set(settled.values()) == {1}
    assert len(settled) == 36 + 24


def test_the_aggregate_is_the_truth_on_clear_items_and_only_the_requester_reads_it(
    platform: Platform, done: Run
) -> None:
    app = create_app(platform.settings, network="local", content=platform.store)
    with TestClient(app) as api:
        published = api.get(f"/tasks/{done.task_id}/results").json()
        g1 = api.get(f"/workers/{WORKERS['G1'].address}").json()
    assert published["cid"] == done.report.results_cid
    assert (published["items"], published["submissions"]) == (20, 60)
    sealed = parse_sealed_results(platform.store.cat(published["cid"]))
    for outsider in (VERIFIER, WORKERS["G1"]):
        with pytest.raises(NotARecipient):
            open_results(sealed, bytes(outsider.key))
    results = open_results(sealed, bytes(REQUESTER.key))
    assert results == done.expected.results()
    rows = {row["item_id"]: row for row in csv.DictReader(io.StringIO(results.csv.decode()))}
    lines = {json.loads(line)["item_id"]: json.loads(line) for line in results.jsonl.splitlines()}
    clear = done.scenario.clear_items()
    assert len(clear) >= 10
    for item in clear:
        assert rows[item]["value"] == lines[item]["value"] == done.scenario.truth[item]
        assert float(rows[item]["confidence"]) > 0.5
    # the verifier's assessment is the good worker's reputation
    assert g1["scores"]["overall"]["gold_items"] > 0
    assert g1["scores"]["overall"]["approved"] == len(done.scenario.slots_of("G1"))
    assert [badge["id"] for badge in g1["badges"]] == ["first-approved"]
