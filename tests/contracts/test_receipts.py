"""Signed receipts, direct settlement of receipt slots, relayed approvals."""

from __future__ import annotations

import pytest
from eth_account.signers.local import LocalAccount

from microtask.chain.reverts import TransactionReverted
from microtask.chain.typed_data import Approval, Receipt
from microtask.escrow import ApprovalBasis, SlotState, fee_of
from tests.world import DISPUTE_WINDOW, FEE_BPS, REASON, REVIEW_PERIOD, REWARD, World

DIGEST = bytes(range(32))
PER_SLOT = REWARD + fee_of(REWARD, FEE_BPS)


def receipt_for(
    world: World, task_id: int, slot: int, worker: LocalAccount, **changes: int
) -> Receipt:
    values = {"submitted_at": world.now(), "expiry": world.now() + 3600}
    values.update(changes)
    return Receipt(task_id, slot, worker.address, DIGEST, values["submitted_at"], values["expiry"])


def test_a_presented_receipt_counts_as_a_submission(world: World) -> None:
    task_id = world.create(slots=3, receipt_slots=2)
    worker = world.workers[0]
    receipt = receipt_for(world, task_id, 1, worker, submitted_at=world.now() - 5)
    signature = world.client(world.verifier).sign_receipt(receipt)
    tx = world.client(worker).present_receipts([(receipt, signature)])
    slot = world.escrow.slot(task_id, 1)
    assert (slot.state, slot.worker, slot.timestamp) == (
        SlotState.SUBMITTED,
        worker.address,
        receipt.submitted_at,
    )
    [event] = world.events(tx, "ReceiptPresented")
    assert event["signer"] == world.verifier.address
    assert event["resultDigest"] == DIGEST
    assert world.escrow.task(task_id).receipt_slots_used == 1


def test_requester_signatures_count_too_and_anyone_may_present(world: World) -> None:
    task_id = world.create(slots=1, receipt_slots=1)
    receipt = receipt_for(world, task_id, 0, world.workers[0])
    signature = world.escrow.sign_receipt(receipt)
    world.client(world.workers[3]).present_receipts([(receipt, signature)])
    assert world.escrow.slot(task_id, 0).worker == world.workers[0].address


def test_silence_pays_a_presented_receipt(world: World) -> None:
    task_id = world.create(slots=1, receipt_slots=1)
    worker = world.workers[0]
    receipt = receipt_for(world, task_id, 0, worker)
    world.client(worker).present_receipts([(receipt, world.escrow.sign_receipt(receipt))])
    world.advance(REVIEW_PERIOD + 1)
    world.client(worker).finalize(task_id, [0])
    assert world.escrow.balance(worker.address) == REWARD


@pytest.mark.parametrize("signer", ["workers", "arbitrator", "owner"])
def test_only_the_requester_or_verifier_can_sign(world: World, signer: str) -> None:
    task_id = world.create(slots=1, receipt_slots=1)
    account = world.workers[0] if signer == "workers" else getattr(world, signer)
    receipt = receipt_for(world, task_id, 0, world.workers[0])
    with pytest.raises(TransactionReverted) as caught:
        world.client(world.workers[0]).present_receipts(
            [(receipt, world.client(account).sign_receipt(receipt))]
        )
    assert caught.value.error == "InvalidSignature"


def test_receipt_rules(world: World) -> None:
    task_id = world.create(slots=2, receipt_slots=1, deadline=world.now() + 1000)
    worker = world.workers[0]
    presenter = world.client(worker)

    def present(receipt: Receipt) -> str | None:
        with pytest.raises(TransactionReverted) as caught:
            presenter.present_receipts([(receipt, world.escrow.sign_receipt(receipt))])
        return caught.value.error

    assert present(receipt_for(world, task_id, 1, worker)) == "SlotNotForReceipts"
    assert present(receipt_for(world, task_id, 0, worker, expiry=world.now() - 1)) == (
        "SignatureExpired"
    )
    late = receipt_for(world, task_id, 0, worker, submitted_at=world.now() + 2000)
    assert present(late) == "SubmittedAfterDeadline"
    good = receipt_for(world, task_id, 0, worker)
    presenter.present_receipts([(good, world.escrow.sign_receipt(good))])
    # presenting it again (by anyone) changes nothing, and does not sink a batch
    again = world.client(world.workers[3]).present_receipts(
        [(good, world.escrow.sign_receipt(good))]
    )
    [skipped] = world.events(again, "ReceiptSkipped")
    assert (skipped["slot"], skipped["worker"]) == (0, worker.address)
    assert world.events(again, "ReceiptPresented") == []
    assert world.escrow.task(task_id).receipt_slots_used == 1


def test_receipt_window_closes_after_deadline_plus_review(world: World) -> None:
    task_id = world.create(slots=1, receipt_slots=1, deadline=world.now() + 100)
    receipt = receipt_for(world, task_id, 0, world.workers[0], expiry=world.now() + 10**6)
    signature = world.escrow.sign_receipt(receipt)
    world.advance(100 + REVIEW_PERIOD + 10)
    with pytest.raises(TransactionReverted) as caught:
        world.client(world.workers[0]).present_receipts([(receipt, signature)])
    assert caught.value.error == "ReceiptWindowClosed"


def test_verifier_settles_receipt_slots_without_presenting(world: World) -> None:
    task_id = world.create(slots=4, receipt_slots=3)
    verifier = world.client(world.verifier)
    pairs = [(0, world.workers[0].address), (1, world.workers[1].address)]
    tx = verifier.approve(task_id, pairs)
    for _, worker in pairs:
        assert world.escrow.balance(worker) == REWARD
    [event] = world.events(tx, "SlotsApproved")
    assert event["slots"] == [0, 1]
    with pytest.raises(TransactionReverted) as bare:  # naming a worker is not enough
        verifier.reject(task_id, [(2, world.workers[2].address)], REASON)
    assert bare.value.error == "ReceiptProofRequired"
    verifier.reject_receipts(task_id, [world.rejection(task_id, 2, world.workers[2])], REASON)
    rejected = world.escrow.slot(task_id, 2)
    assert (rejected.state, rejected.worker) == (SlotState.REJECTED, world.workers[2].address)
    world.client(world.workers[2]).dispute(task_id, 2, REASON)  # and the worker can dispute
    assert world.escrow.task(task_id).receipt_slots_used == 3
    # a claimable slot cannot be settled this way
    with pytest.raises(TransactionReverted) as caught:
        verifier.approve(task_id, [(3, world.workers[3].address)])
    assert caught.value.error == "InvalidSlotState"


def test_relayed_signed_approval_pays_the_worker(world: World) -> None:
    task_id = world.create(slots=2, receipt_slots=2)
    worker = world.workers[0]
    approval = Approval(
        task_id, (0, 1), (worker.address, world.workers[1].address), world.now() + 600
    )
    signature = world.escrow.sign_approval(approval)
    tx = world.client(worker).approve_with_signature(approval, signature)  # the worker pays gas
    [event] = world.events(tx, "SlotsApproved")
    assert event["basis"] == ApprovalBasis.REVIEW.code
    assert world.escrow.balance(worker.address) == REWARD
    # relaying again pays nobody twice
    world.client(world.workers[1]).approve_with_signature(approval, signature)
    assert world.escrow.balance(worker.address) == REWARD
    assert world.escrow.balance(world.workers[1].address) == REWARD


def test_signed_approval_rules(world: World) -> None:
    task_id = world.create(slots=1, receipt_slots=1)
    worker = world.workers[0]
    relay = world.client(worker)
    expired = Approval(task_id, (0,), (worker.address,), world.now() - 1)
    with pytest.raises(TransactionReverted) as late:
        relay.approve_with_signature(expired, world.escrow.sign_approval(expired))
    assert late.value.error == "SignatureExpired"
    approval = Approval(task_id, (0,), (worker.address,), world.now() + 600)
    with pytest.raises(TransactionReverted) as forged:
        relay.approve_with_signature(approval, relay.sign_approval(approval))
    assert forged.value.error == "InvalidSignature"
    tampered = Approval(task_id, (0,), (world.workers[1].address,), approval.expiry)
    with pytest.raises(TransactionReverted) as swapped:
        relay.approve_with_signature(tampered, world.escrow.sign_approval(approval))
    assert swapped.value.error == "InvalidSignature"


def test_unused_receipt_slots_are_reclaimed_after_the_window(world: World) -> None:
    task_id = world.create(slots=4, receipt_slots=3, deadline=world.now() + 100)
    world.client(world.verifier).approve(task_id, [(0, world.workers[0].address)])
    anyone = world.client(world.workers[4])
    with pytest.raises(TransactionReverted) as early:
        anyone.reclaim_receipt_slots(task_id)
    assert early.value.error == "ReceiptWindowOpen"
    world.advance(100 + REVIEW_PERIOD + 1)  # receipts are closed; equivocation still provable
    with pytest.raises(TransactionReverted) as backing:
        anyone.reclaim_receipt_slots(task_id)
    assert backing.value.error == "ReceiptWindowOpen"
    world.advance(DISPUTE_WINDOW)
    tx = anyone.reclaim_receipt_slots(task_id)
    [event] = world.events(tx, "ReceiptSlotsReclaimed")
    assert (event["slots"], event["refunded"]) == (2, 2 * PER_SLOT)
    assert world.escrow.balance(world.requester.address) == 2 * PER_SLOT
    with pytest.raises(TransactionReverted) as twice:
        anyone.reclaim_receipt_slots(task_id)
    assert twice.value.error == "ReceiptWindowClosed"
    # extending the deadline does not reopen reclaimed receipt slots
    world.escrow.extend_deadline(task_id, world.now() + 10_000)
    with pytest.raises(TransactionReverted) as reopened:
        world.client(world.verifier).approve(task_id, [(1, world.workers[1].address)])
    assert reopened.value.error == "ReceiptWindowClosed"


@pytest.mark.parametrize("party", ["requester", "verifier", "arbitrator"])
def test_task_parties_are_never_paid_through_receipt_slots(world: World, party: str) -> None:
    task_id = world.create(slots=2, receipt_slots=2)
    account = getattr(world, party).address
    verifier = world.client(world.verifier)
    with pytest.raises(TransactionReverted) as approved:
        verifier.approve(task_id, [(0, account)])
    assert approved.value.error == "TaskPartyCannotWork"
    with pytest.raises(TransactionReverted) as rejected:
        verifier.reject_receipts(
            task_id, [world.rejection(task_id, 0, getattr(world, party))], REASON
        )
    assert rejected.value.error == "TaskPartyCannotWork"
    receipt = Receipt(task_id, 1, account, DIGEST, world.now(), world.now() + 600)
    with pytest.raises(TransactionReverted) as presented:
        world.client(world.workers[0]).present_receipts(
            [(receipt, world.escrow.sign_receipt(receipt))]
        )
    assert presented.value.error == "TaskPartyCannotWork"
    assert world.escrow.task(task_id).receipt_slots_used == 0


def test_a_rejection_revokes_an_earlier_signed_approval(world: World) -> None:
    task_id = world.create(slots=1)
    worker = world.workers[0]
    world.submitted(task_id, 0, worker)
    approval = Approval(task_id, (0,), (worker.address,), world.now() + 3600)
    signature = world.escrow.sign_approval(approval)
    world.escrow.reject(task_id, [(0, worker.address)], REASON)
    relayed = world.client(worker).approve_with_signature(approval, signature)
    [skipped] = world.events(relayed, "ApprovalSkipped")
    assert (skipped["slot"], skipped["state"]) == (0, SlotState.REJECTED.code)
    assert world.events(relayed, "SlotsApproved") == []
    assert world.escrow.balance(worker.address) == 0
    # the requester can still change their mind directly
    world.escrow.approve(task_id, [(0, worker.address)])
    assert world.escrow.balance(worker.address) == REWARD
