"""Receipts: enforceable by the worker when the verifier stays silent; never forged,
replayed or issued twice."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_account.signers.local import LocalAccount
from web3.logs import DISCARD

from microtask.chain.devchain import advance_time, latest_timestamp
from microtask.chain.reverts import TransactionReverted
from microtask.encoding.eip712 import sign
from microtask.escrow import SlotState
from microtask.manifests import ItemAnswer, TaskManifest
from microtask.manifests.answers import ClassificationAnswer
from microtask.quality import QualityRule
from microtask.verifier import (
    BadSignature,
    NoSlot,
    NotEligible,
    Policy,
    Replayed,
    RequestInvalid,
    SlotRequest,
    SubmissionRefused,
)
from microtask.verifier.typed_data import VerifierCommand, new_nonce, payload_hash
from tests.quality.scenario import REQUESTER, STRANGER, WORKERS, item_id, manifest_data
from tests.verifier.conftest import LEASE, REVIEW, REWARD, Platform

ANSWERS = {item_id(i): ClassificationAnswer(label="cat") for i in range(3)}
ALICE, BOB = WORKERS["G1"], WORKERS["G2"]


def small_task(platform: Platform) -> tuple[int, str, TaskManifest]:
    manifest = TaskManifest.model_validate(manifest_data(items=3, redundancy=1))
    task_id, cid = platform.post(manifest)
    return task_id, cid, manifest


def test_a_receipt_never_settled_is_enforced_after_the_review_period(platform: Platform) -> None:
    task_id, cid, manifest = small_task(platform)
    _, issued = platform.work(ALICE, task_id, manifest, cid, ANSWERS)
    assert issued.receipt.expiry == platform.client(REQUESTER).task(task_id).deadline + REVIEW
    platform.fund(ALICE)  # enforcing is the one step that costs the worker gas
    worker = platform.client(ALICE)
    worker.present_receipts([(issued.receipt, issued.signature)])
    view = worker.slot(task_id, issued.receipt.slot)
    assert (view.state, view.worker, view.timestamp) == (
        SlotState.SUBMITTED,
        ALICE.address,
        issued.receipt.submitted_at,
    )
    with pytest.raises(TransactionReverted) as early:
        worker.finalize(task_id, [issued.receipt.slot])
    assert early.value.error == "NothingToFinalize"
    advance_time(platform.w3, REVIEW + 1)
    worker.finalize(task_id, [issued.receipt.slot])
    assert worker.slot(task_id, issued.receipt.slot).state is SlotState.APPROVED
    assert worker.balance(ALICE.address, platform.token.address) == REWARD


def test_forged_altered_and_replayed_receipts_are_refused_on_chain(platform: Platform) -> None:
    task_id, cid, manifest = small_task(platform)
    _, issued = platform.work(ALICE, task_id, manifest, cid, ANSWERS)
    platform.fund(BOB)
    thief = platform.client(BOB)
    forged = sign(STRANGER, issued.receipt.signable(platform.chain_id, platform.escrow))
    with pytest.raises(TransactionReverted) as refused:
        thief.present_receipts([(issued.receipt, forged)])
    assert refused.value.error == "InvalidSignature"
    stolen = replace(issued.receipt, worker=BOB.address)
    with pytest.raises(TransactionReverted) as refused:
        thief.present_receipts([(stolen, issued.signature)])
    assert refused.value.error == "InvalidSignature"
    thief.present_receipts([(issued.receipt, issued.signature)])  # anyone may, for Alice
    replayed = thief.present_receipts([(issued.receipt, issued.signature)])  # changes nothing
    skipped = thief.contract.events.ReceiptSkipped().process_receipt(replayed, errors=DISCARD)
    assert [e["args"]["worker"] for e in skipped] == [ALICE.address]
    assert thief.slot(task_id, issued.receipt.slot).worker == ALICE.address


def test_a_receipt_for_a_slot_the_verifier_settled_changes_nothing(platform: Platform) -> None:
    task_id, cid, manifest = small_task(platform)
    _, issued = platform.work(ALICE, task_id, manifest, cid, ANSWERS)
    platform.verifier.client.approve(task_id, [(issued.receipt.slot, ALICE.address)])
    platform.fund(ALICE)
    alice = platform.client(ALICE)
    before = alice.balance(ALICE.address, platform.token.address)
    presented = alice.present_receipts([(issued.receipt, issued.signature)])
    skipped = alice.contract.events.ReceiptSkipped().process_receipt(presented, errors=DISCARD)
    assert len(skipped) == 1  # paid already: skipped, not paid again
    assert alice.slot(task_id, issued.receipt.slot).state is SlotState.APPROVED
    assert alice.balance(ALICE.address, platform.token.address) == before


def _request(worker: LocalAccount, task_id: int, **changes: int) -> SlotRequest:
    base = SlotRequest(task_id, 2**32 - 1, worker.address, new_nonce(), 0)
    return replace(base, expiry=changes.pop("expiry", 10**10), **changes)  # type: ignore[arg-type]


def test_slot_requests_must_be_the_workers_fresh_and_unused(platform: Platform) -> None:
    task_id, _, _ = small_task(platform)
    verifier = platform.verifier
    now = latest_timestamp(platform.w3)
    request = replace(_request(ALICE, task_id), expiry=now + 2 * LEASE)
    with pytest.raises(BadSignature):
        verifier.request_slot(request, request.sign(BOB, platform.chain_id, platform.escrow))
    other_chain = request.sign(ALICE, platform.chain_id + 1, platform.escrow)
    with pytest.raises(BadSignature):
        verifier.request_slot(request, other_chain)
    stale = replace(request, expiry=now - 1)
    with pytest.raises(RequestInvalid):
        verifier.request_slot(stale, stale.sign(ALICE, platform.chain_id, platform.escrow))
    signature = request.sign(ALICE, platform.chain_id, platform.escrow)
    first = verifier.request_slot(request, signature)
    again = verifier.request_slot(request, signature)  # the answer was lost: same slot back
    assert (again.slot, again.replayed, first.replayed) == (first.slot, True, False)
    with pytest.raises(NoSlot):  # one slot of a task at a time
        platform.request(ALICE, task_id)
    advance_time(platform.w3, first.lease_end - latest_timestamp(platform.w3) + 1)
    with pytest.raises(Replayed):  # the reservation lapsed: the request is spent
        verifier.request_slot(request, signature)
    bob = platform.request(BOB, task_id)
    assert bob.slot == first.slot  # the lapsed slot went to the next worker
    with pytest.raises(NotEligible):
        platform.request(REQUESTER, task_id)  # parties cannot be paid for their own task


def test_a_slot_is_receipted_once_even_across_a_restart(platform: Platform) -> None:
    task_id, cid, manifest = small_task(platform)
    alice = platform.request(ALICE, task_id)
    verifier = platform.restart_verifier()
    bob = platform.request(BOB, task_id)
    assert bob.slot != alice.slot  # the reservation survived the restart
    answer = [ItemAnswer(item_id=alice.item_id, answer=ANSWERS[alice.item_id])]
    envelope = platform.envelope(ALICE, task_id, alice.slot, manifest, cid, answer)
    issued = verifier.submit(task_id, alice.slot, envelope)
    again = platform.restart_verifier().submit(task_id, alice.slot, envelope)
    assert again == issued  # the same receipt, signature and all
    other = [ItemAnswer(item_id=alice.item_id, answer=ClassificationAnswer(label="dog"))]
    second = platform.envelope(ALICE, task_id, alice.slot, manifest, cid, other)
    with pytest.raises(SubmissionRefused, match="receipted once"):
        platform.verifier.submit(task_id, alice.slot, second)
    not_bobs = platform.envelope(BOB, task_id, alice.slot, manifest, cid, answer)
    with pytest.raises(SubmissionRefused):
        platform.verifier.submit(task_id, alice.slot, not_bobs)


def test_envelopes_that_do_not_check_out_are_refused(platform: Platform) -> None:
    task_id, cid, manifest = small_task(platform)
    grant = platform.request(ALICE, task_id)
    wrong_item = item_id((grant.item_index + 1) % 3)
    answer = [ItemAnswer(item_id=wrong_item, answer=ANSWERS[wrong_item])]
    off = platform.envelope(ALICE, task_id, grant.slot, manifest, cid, answer)
    with pytest.raises(SubmissionRefused, match="answer that item"):
        platform.verifier.submit(task_id, grant.slot, off)
    right = [ItemAnswer(item_id=grant.item_id, answer=ANSWERS[grant.item_id])]
    other_slot = platform.envelope(ALICE, task_id, grant.slot + 1, manifest, cid, right)
    with pytest.raises(SubmissionRefused, match="not task"):
        platform.verifier.submit(task_id, grant.slot, other_slot)
    missing = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
    with pytest.raises(SubmissionRefused, match="upload the envelope"):
        platform.verifier.submit(task_id, grant.slot, missing)
    with pytest.raises(NoSlot):
        platform.verifier.submit(task_id, grant.slot + 1, other_slot)


def set_policy(platform: Platform, task_id: int, policy: Policy) -> None:
    issued_at = latest_timestamp(platform.w3)
    command = VerifierCommand(task_id, "policy", payload_hash(policy.canonical()), issued_at)
    signature = command.sign(REQUESTER, platform.chain_id, platform.escrow)
    platform.verifier.set_policy(REQUESTER.address, task_id, policy, issued_at, signature)


def test_a_presented_receipt_is_still_settled_by_the_verifier(platform: Platform) -> None:
    task_id, cid, manifest = small_task(platform)
    # no gold and one answer per item: only the requester's rule can approve anything
    set_policy(platform, task_id, Policy(rule=QualityRule(approve_without_evidence=True)))
    workers = [ALICE, BOB, WORKERS["G3"]]
    receipts = [platform.work(w, task_id, manifest, cid, ANSWERS)[1] for w in workers]
    platform.fund(ALICE)
    first = next(r for r in receipts if r.receipt.worker == ALICE.address)
    platform.client(ALICE).present_receipts([(first.receipt, first.signature)])
    platform.sync()
    [report] = platform.verifier.tick()
    assert report.settled == {"approved": 3, "rejected": 0, "external": 0, "missed": 0}
    token = platform.token.address
    for issued in receipts:
        view = platform.client(REQUESTER).slot(task_id, issued.receipt.slot)
        assert view.state is SlotState.APPROVED
        assert platform.client(REQUESTER).balance(issued.receipt.worker, token) == REWARD


def test_a_receipts_digest_is_the_envelope_cids_sha256_however_it_is_spelled() -> None:
    from multiformats import CID

    from microtask.content.cid import CODEC_DAG_PB, CODEC_RAW, block_cid
    from microtask.verifier.receipts import result_digest

    for codec, version in ((CODEC_DAG_PB, 0), (CODEC_DAG_PB, 1), (CODEC_RAW, 1)):
        cid = block_cid(b"an envelope", codec, version)
        expected = (str(cid), bytes(cid.raw_digest))
        spellings = [str(cid), f" {cid} ", f"/ipfs/{cid}"]
        if version == 1:
            spellings.append(cid.encode("base58btc"))
        for spelling in spellings:
            assert result_digest(spelling) == expected
    with pytest.raises(SubmissionRefused, match="not a CID"):
        result_digest("Qm" + "0" * 44)
    identity = CID("base32", 1, "raw", ("identity", b"abc"))
    with pytest.raises(SubmissionRefused, match="sha2-256"):
        result_digest(str(identity))
