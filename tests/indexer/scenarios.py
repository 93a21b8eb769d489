"""Chains with every escrow event on them, made through the typed client."""

from __future__ import annotations

from microtask.chain.typed_data import Approval, Receipt
from microtask.escrow import ETH
from tests.world import (
    ARBITRATION_TIMEOUT,
    DISPUTE_WINDOW,
    LEASE,
    REASON,
    RESULT,
    REVIEW_PERIOD,
    TOKEN_REWARD,
    IndexedWorld,
    deploy,
)

ALL_EVENTS = frozenset(
    {
        "TaskCreated", "SlotsAdded", "DeadlineExtended", "TaskCancelled",
        "ReceiptSlotsReclaimed", "SlotClaimed", "SlotFreed", "WorkSubmitted",
        "ReceiptPresented", "SlotsApproved", "SlotsRejected", "DisputeOpened", "DisputeRuled",
        "SlotClosed", "BonusPaid", "Withdrawn", "FeeChanged", "TreasuryChanged",
        "DefaultArbitratorChanged", "Paused", "Unpaused", "OwnershipTransferStarted",
        "OwnershipTransferred", "EscrowConfigured", "ReceiptSkipped", "ApprovalSkipped",
        "EquivocationProven", "DirectPaymentFailed", "MinimumFeeChanged",
    }
)  # fmt: skip


def receipt_for(world: IndexedWorld, task_id: int, slot: int, worker: str) -> Receipt:
    now = world.now()
    return Receipt(task_id, slot, worker, bytes(range(32)), now, now + 24 * 3600)


def rich_scenario(world: IndexedWorld) -> dict[str, int]:
    """Every event type, including the subtle paths (see `microtask.indexer.handlers`)."""
    c = world.client
    w0, w1, w2, w3, w4 = world.workers
    requester, verifier = world.escrow, c(world.verifier)
    arbitrator, owner = c(world.arbitrator), c(world.owner)

    # T1, ETH, 4 slots of which 2 receipt slots
    t1 = world.create(slots=4, receipt_slots=2)
    c(w0).claim(t1, 2)
    c(w0).submit(t1, 2, RESULT)
    c(w1).claim(t1, 3)
    c(w1).release(t1, 3)
    c(w2).claim(t1, 3)
    receipt = receipt_for(world, t1, 0, w3.address)
    c(w3).present_receipts([(receipt, verifier.sign_receipt(receipt))])
    c(w4).present_receipts([(receipt, verifier.sign_receipt(receipt))])  # ReceiptSkipped
    # one batch: a submitted slot and a receipt slot whose receipt never came on chain
    verifier.approve(t1, [(2, w0.address), (1, w4.address)])
    verifier.approve(t1, [(2, w0.address)])  # ApprovalSkipped: paid already
    requester.reject(t1, [(0, w3.address)], REASON)
    c(w3).dispute(t1, 0, REASON)
    arbitrator.rule(t1, 0, True, REASON)  # DisputeRuled + SlotsApproved(Arbitration)
    c(w2).submit(t1, 3, RESULT)
    requester.reject(t1, [(3, w2.address)], REASON)
    c(w2).dispute(t1, 3, REASON)
    arbitrator.rule(t1, 3, False, REASON)  # DisputeRuled + SlotClosed
    requester.bonus(t1, w0.address, 10**15)

    # the operator: later fees go to a new treasury, at a new rate
    owner.set_fee(500)
    owner.set_treasury(world.owner.address)
    owner.set_default_arbitrator(world.owner.address)
    owner.set_default_arbitrator(world.arbitrator.address)
    owner.pause()
    owner.unpause()
    owner.set_minimum_fee(1, world.token.address)

    # T2, token, 3 slots (1 receipt slot) + 3 added
    t2 = world.create(token=world.token.address, reward=TOKEN_REWARD, slots=3, receipt_slots=1)
    requester.add_slots(t2, 3)
    requester.extend_deadline(t2, world.now() + 8 * 24 * 3600)
    c(w0).claim(t2, 1)
    world.advance(LEASE + 1)
    c(w1).claim(t2, 1)  # SlotFreed(lapsed) then SlotClaimed
    c(w1).submit(t2, 1, RESULT)
    c(w2).claim(t2, 2)
    c(w2).submit(t2, 2, RESULT)
    requester.reject(t2, [(2, w2.address)], REASON)
    c(w3).claim(t2, 3)
    c(w3).submit(t2, 3, RESULT)
    requester.reject(t2, [(3, w3.address)], REASON)
    c(w3).dispute(t2, 3, REASON)
    # an unpresented receipt slot, rejected with its proof
    requester.reject_receipts(t2, [world.rejection(t2, 0, w4)], REASON)
    # the verifier had signed slot 0 for w0 too: w0 is paid through the open slot 5
    second, signature = world.receipt(t2, 0, w0.address)
    c(w0).prove_equivocation(second, signature, 5)
    world.advance(REVIEW_PERIOD + 1)
    c(w0).finalize(t2, [1])  # SlotsApproved(Silence)
    c(w4).claim(t2, 4)
    requester.cancel(t2)  # refunds nothing open; deadline moves to now
    c(w4).release(t2, 4)  # SlotFreed then SlotClosed
    world.advance(DISPUTE_WINDOW + 1)
    c(w0).finalize(t2, [0, 2])  # undisputed rejections close
    world.advance(ARBITRATION_TIMEOUT)
    c(w0).finalize(t2, [3])  # SlotsApproved(ArbitrationTimeout)

    # T3, ETH, receipt slots only, never used: reclaimed after the receipt window
    t3 = world.create(slots=2, receipt_slots=2, deadline=world.now() + 100)
    world.advance(100 + REVIEW_PERIOD + DISPUTE_WINDOW + 2)
    c(w1).reclaim_receipt_slots(t3)

    # T4, ETH: a lease lapsed by finalize, a relayed signed approval, then a cancel
    t4 = world.create(slots=3)
    c(w0).claim(t4, 0)
    world.advance(LEASE + 1)
    c(w1).finalize(t4, [0])  # SlotFreed(lapsed): the slot reopens
    c(w1).claim(t4, 1)
    c(w1).submit(t4, 1, RESULT)
    approval = Approval(t4, (1,), (w1.address,), world.now() + 3600)
    c(w1).approve_with_signature(approval, verifier.sign_approval(approval))
    requester.cancel(t4)

    # T5, ETH: paid to the workers' own addresses; a contract refusing ETH gets the ledger
    t5 = world.create(slots=2, receipt_slots=2)
    refusing = deploy(owner.sender, world.compiled, "ContractWorker", world.escrow.address)
    verifier.approve(t5, [(0, w2.address), (1, refusing.address)], direct=True)

    # the ledger: withdrawals in ETH and in the token
    c(w0).withdraw(10**15, to=w4.address)
    requester.withdraw(10**15)
    owner.withdraw(1, token=world.token.address)

    # two-step ownership
    owner.sender.transact(
        world.deployment.escrow.functions.transferOwnership(world.verifier.address)
    )
    verifier.sender.transact(world.deployment.escrow.functions.acceptOwnership())
    return {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5}


def simple_tasks(world: IndexedWorld, count: int, *, token: str = ETH) -> list[int]:
    """``count`` tasks with a claim, a submission and an approval each."""
    ids = []
    worker = world.workers[0]
    for _ in range(count):
        task_id = world.create(slots=2, token=token)
        world.client(worker).claim(task_id, 0)
        world.client(worker).submit(task_id, 0, RESULT)
        world.escrow.approve(task_id, [(0, worker.address)])
        ids.append(task_id)
    return ids
