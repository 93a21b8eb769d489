"""The library against a served platform: a gasless task from draft to decrypted results,
through the real API and verifier (tests/client/conftest.py: `served`), and every read the
API answers. Workers here hold no ETH: everything they do is signed, never sent."""

from __future__ import annotations

import base64

import pytest

from microtask.client import Platform, Requester, TaskTerms, Worker
from microtask.client.documents import TaskDetail, TaskPage
from microtask.client.errors import ApiRefused, VerifierMismatch
from microtask.client.verifier_requests import policy_of
from microtask.escrow import SlotState
from microtask.manifests import ItemAnswer, NotARecipient, SubmissionAnswers
from microtask.manifests.answers import ClassificationAnswer
from microtask.manifests.gold import seal_gold_answer
from microtask.quality import QualityRule
from tests.client.conftest import Served, manifest_document
from tests.quality.scenario import REQUESTER, STRANGER, WORKERS

TRUTH = {"r0": "pos", "r1": "neg", "r2": "neg", "r3": "pos", "r4": "pos", "r5": "neg"}
"""Six gold items: enough evidence for the verifier to approve a worker right on all six
and reject one wrong on all six (with fewer it leaves them undecided and asks for gold)."""
WRONG = {"pos": "neg", "neg": "pos"}
REWARD = 500_000


def answers(labels: dict[str, str]) -> SubmissionAnswers:
    return SubmissionAnswers(
        answers=[
            ItemAnswer(item_id=item, answer=ClassificationAnswer(label=label))
            for item, label in labels.items()
        ]
    )


def gold(served: Served) -> dict[str, object]:
    """Every item's answer, sealed to the platform verifier's key (which --gasless names)."""
    key = served.world.verifier.public_key
    items = [
        {
            "item_id": item,
            "sealed_answer": base64.b64encode(
                seal_gold_answer(ClassificationAnswer(label=label), key)
            ).decode(),
        }
        for item, label in TRUTH.items()
    ]
    return {"scheme": "encrypted", "items": items}


def gasless_task(served: Served, redundancy: int = 3) -> int:
    requester = Requester(served.platform, REQUESTER)
    token = served.platform.token(served.world.token.address)
    document = manifest_document(len(TRUTH), redundancy=redundancy, gold=gold(served))
    draft = requester.draft_task(
        document, TaskTerms(REWARD, token, review_period=86_400, gasless=True)
    )
    verifier = served.world.verifier.address
    assert (draft.manifest.verifier, draft.params.verifier) == (verifier, verifier)
    assert draft.params.receipt_slots == draft.params.slots == len(TRUTH) * redundancy
    task_id = requester.create_task(draft).task_id
    served.world.sync()
    return task_id


def test_a_gasless_task_from_draft_to_decrypted_results(served: Served) -> None:
    platform = served.platform
    task_id = gasless_task(served)
    requester = Requester(platform, REQUESTER)
    ignore_timing = QualityRule.model_validate({"timing": {"action": "ignore"}})
    stored = requester.set_policy(task_id, policy_of(rule=ignore_timing))
    assert (stored.requester, stored.task_id) == (REQUESTER.address, task_id)
    careless = {item: WRONG[label] for item, label in TRUTH.items()}
    for name, labels in (("G1", TRUTH), ("G2", TRUTH), ("B", careless)):
        worker = Worker(platform, WORKERS[name])
        manifest = platform.manifest(task_id)
        done = [worker.work_gasless(task_id, answers(labels), manifest=manifest) for _ in TRUTH]
        assert sorted(d.grant.item_id for d in done) == sorted(TRUTH)
        assert all(d.receipt.worker == WORKERS[name].address for d in done)
        kept = worker.kept_receipts(task_id)
        assert [(k.kept.slot, k.on_chain) for k in kept] == sorted(
            (d.grant.slot, SlotState.OPEN) for d in done
        )
        assert platform.w3.eth.get_balance(WORKERS[name].address) == 0  # not a wei of gas
    served.world.sync()
    report = requester.assess(task_id)
    assert (report.outcomes, report.settled["approved"]) == ({"approve": 12, "reject": 6}, 12)
    served.world.sync()
    results = requester.results(task_id)
    assert {row["item_id"]: row["value"] for row in results.rows} == TRUTH
    assert results.csv.decode().splitlines()[0].startswith("item_id,value")
    assert (results.summary.task_id, results.summary.approved) == (task_id, 12)
    with pytest.raises(NotARecipient, match="cannot open this result set"):
        Requester(platform, STRANGER).results(task_id)
    rejected = Worker(platform, address=WORKERS["B"].address).reviews(task_id)
    assert len(rejected) == 6
    assert all(r.review.reviewer == served.world.verifier.address for r in rejected)
    assert Worker(platform, address=WORKERS["G1"].address).reviews(task_id) == []
    status = platform.verification(task_id)
    assert (status.task_id, status.receipted, len(status.decisions)) == (task_id, 18, 18)


def test_a_policy_blocks_a_worker_and_the_verifier_says_why(served: Served) -> None:
    platform = served.platform
    task_id = gasless_task(served, redundancy=1)
    blocked = WORKERS["S"]
    Requester(platform, REQUESTER).set_policy(task_id, policy_of(block=[blocked.address]))
    with pytest.raises(ApiRefused) as refused:
        Worker(platform, blocked).request_slot(task_id)
    assert refused.value.status == 403
    assert "does not accept your work" in refused.value.detail
    grant = Worker(platform, WORKERS["G1"]).request_slot(task_id, 1)
    assert (grant.slot, grant.item_id, grant.worker) == (1, "r1", WORKERS["G1"].address)
    kept = Worker(platform, WORKERS["G1"]).receipts.load(task_id, 1)
    assert kept is not None
    assert (kept.item_id, kept.receipt, kept.document["request"]["slot"]) == ("r1", None, 1)
    receipt = Worker(platform, WORKERS["G1"]).hand_in(task_id, 1, answers(TRUTH))
    assert (receipt.task_id, receipt.slot) == (task_id, 1)
    assert Worker(platform, WORKERS["G1"]).receipts.load(task_id, 1).receipt == receipt.document()  # type: ignore[union-attr]
    with pytest.raises(VerifierMismatch):
        Requester(platform, REQUESTER).draft_task(
            manifest_document(1),
            TaskTerms(REWARD, platform.token("eth"), gasless=True, verifier=STRANGER.address),
        )


def test_a_hand_in_that_failed_is_made_again_for_the_slot_already_granted(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection dropped after the verifier granted a slot: the verifier refuses a
    second slot while the first is held, so the next `work_gasless` hands that one in."""
    from microtask.client.errors import ApiUnavailable

    platform = served.platform
    task_id = gasless_task(served, redundancy=1)
    worker = Worker(platform, WORKERS["G1"])
    upload = platform.api.upload_json
    calls: list[int] = []

    def drops_once(document: object) -> str:
        calls.append(1)
        if len(calls) == 1:
            raise ApiUnavailable("cannot reach the API (ReadError)")
        return upload(document)

    monkeypatch.setattr(platform.api, "upload_json", drops_once)
    with pytest.raises(ApiUnavailable):
        worker.work_gasless(task_id, answers(TRUTH))
    with pytest.raises(ApiRefused, match="you hold slot"):
        Worker(platform, WORKERS["G1"]).request_slot(task_id)  # what a fresh claim gets
    done = worker.work_gasless(task_id, answers(TRUTH))
    assert done.grant.slot == 0  # the slot granted first, not a new one
    assert done.receipt.slot == 0
    following = worker.work_gasless(task_id, answers(TRUTH))  # then on to the next
    assert following.grant.slot == 1
    assert platform.verification(task_id).receipted == 2


def test_a_grant_is_written_down_when_its_hand_in_fails_and_handed_in_from_there(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`work_gasless` keeps a grant in memory while it hands the slot in; if the hand-in
    fails, the grant (with its signed request) goes to the receipt store, so another
    process of the worker's hands that slot in; a slot handed in keeps grant, request and
    receipt in its one record."""
    from microtask.client.errors import ApiUnavailable
    from microtask.verifier.typed_data import ANY_SLOT

    platform = served.platform
    task_id = gasless_task(served, redundancy=1)
    worker = Worker(platform, WORKERS["G1"])

    def drops(document: object) -> str:
        raise ApiUnavailable("cannot reach the API (ReadError)")

    with monkeypatch.context() as patched:
        patched.setattr(platform.api, "upload_json", drops)
        with pytest.raises(ApiUnavailable):
            worker.work_gasless(task_id, answers(TRUTH))
    kept = Worker(platform, WORKERS["G1"]).receipts.load(task_id, 0)
    assert kept is not None
    assert (kept.item_id, kept.receipt, kept.document["request"]["slot"]) == ("r0", None, ANY_SLOT)
    elsewhere = Worker(platform, WORKERS["G1"])  # another process: nothing held in memory
    receipt = elsewhere.hand_in(task_id, 0, answers(TRUTH))
    record = elsewhere.receipts.load(task_id, 0)
    assert record is not None
    assert (record.receipt, record.item_id) == (receipt.document(), "r0")
    assert record.document["request"] == kept.document["request"]
    done = elsewhere.work_gasless(task_id, answers(TRUTH))
    assert done.grant.slot == 1
    record = elsewhere.receipts.load(task_id, 1)
    assert record is not None
    assert record.receipt == done.receipt.document()
    assert (record.item_id, record.lease_end) == ("r1", done.grant.lease_end)
    assert record.document["request"]["worker"] == WORKERS["G1"].address


def test_a_receipt_on_disk_is_never_replaced_by_its_grant(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receipt's file is in place but its directory's fsync fails: `work_gasless`
    raises, and the grant it writes down on failure does not replace the receipt."""
    import microtask.client.receipts as receipts

    platform = served.platform
    task_id = gasless_task(served, redundancy=1)
    worker = Worker(platform, WORKERS["G1"])

    def fails(directory: object) -> None:
        raise OSError(5, "Input/output error")

    with monkeypatch.context() as patched:
        patched.setattr(receipts, "fsync_directory", fails)
        with pytest.raises(OSError, match="Input/output"):
            worker.work_gasless(task_id, answers(TRUTH))
    kept = worker.receipts.load(task_id, 0)
    assert kept is not None
    assert kept.receipt is not None
    assert kept.receipt["slot"] == 0


def test_a_slot_request_after_the_chain_idled_is_fresh(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An hour without a block (anvil mines on demand): the verifier's clock and the
    worker's wall clock have moved on, the chain's head has not; the request still counts
    its ten minutes from the verifier's now."""
    platform = served.platform
    task_id = gasless_task(served, redundancy=1)
    later = platform.now() + 3600
    served.world.verifier.clock = lambda: later
    monkeypatch.setattr("microtask.client.worker.wall_clock", lambda: float(later))
    grant = Worker(platform, WORKERS["G1"]).request_slot(task_id)
    assert grant.task_id == task_id
    assert grant.lease_end > later  # leased from the verifier's now


def test_reads_through_the_api_keep_every_field_it_sends(served: Served) -> None:
    platform: Platform = served.platform
    task_id = gasless_task(served, redundancy=1)
    mine = Requester(platform, address=REQUESTER.address).tasks(status="all")
    assert [task.task_id for task in mine.data] == [task_id]
    # the models keep every field: one answer, read back, is the answer (the manifest's
    # status may change between two reads, as the index fetches it)
    raw = platform.api.get("/tasks", {"status": "all"})
    assert TaskPage.model_validate(raw).document() == raw
    assert "created_tx" in raw["data"][0]  # a field the model does not name
    found = Worker(platform, address=WORKERS["G1"].address).find_tasks(limit=5)
    assert [task.task_id for task in found.data] == [task_id]
    detail = platform.task_details(task_id)
    assert (detail.task_id, detail.manifest.title, detail.token) == (
        task_id,
        "Sentiment of short reviews",
        served.world.token.address,
    )
    raw_detail = platform.api.get(f"/tasks/{task_id}")
    assert TaskDetail.model_validate(raw_detail).document() == raw_detail
    profile = Worker(platform, address=WORKERS["G1"].address).profile()
    assert (profile.address, profile.badges) == (WORKERS["G1"].address, [])
    board = platform.leaderboard(by="approved")
    assert (board.by, board.data) == ("approved", [])
    info = platform.verifier_info()
    assert (info.verifier, info.chain_id) == (served.world.verifier.address, platform.chain_id)
    with pytest.raises(ApiRefused) as missing:
        platform.task_details(999)
    assert missing.value.status == 404


def test_a_receipt_is_on_disk_when_the_hand_in_returns_and_a_grant_costs_no_fsync(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receipt (the worker's claim on the escrow) is fsynced, file and directory entry,
    before `hand_in` returns; the grant before it is written whole but not fsynced (a
    machine crash loses a reservation at most). fsyncs are told apart by the inode."""
    import os

    platform = served.platform
    task_id = gasless_task(served, redundancy=1)
    synced: set[tuple[int, int]] = set()
    fsync = os.fsync

    def recording(descriptor: int) -> None:
        status = os.fstat(descriptor)
        synced.add((status.st_dev, status.st_ino))
        fsync(descriptor)

    monkeypatch.setattr(os, "fsync", recording)
    worker = Worker(platform, WORKERS["G1"])
    grant = worker.request_slot(task_id)
    path = worker.receipts.path(task_id, grant.slot)
    granted = path.stat()
    assert worker.receipts.load(task_id, grant.slot).item_id == grant.item_id  # type: ignore[union-attr]
    worker.hand_in(task_id, grant.slot, answers(TRUTH))
    receipted, directory = path.stat(), path.parent.stat()
    assert (granted.st_dev, granted.st_ino) not in synced
    assert (receipted.st_dev, receipted.st_ino) in synced
    assert (directory.st_dev, directory.st_ino) in synced
    kept = worker.receipts.load(task_id, grant.slot)
    assert kept is not None
    assert kept.receipt is not None
    assert kept.document["request"]["worker"] == WORKERS["G1"].address  # the grant's, kept
