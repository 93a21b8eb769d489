"""The attacks of issue 12 on the first escrow, each through the contract's ABI, failing
against the second, beside the honest path that still works.

1. a requester (or its verifier) judging its own dispute; a zero arbitrator;
2. a receipt taken back: rejecting its unpresented slot naming someone else, approving it to
   someone else, signing a second receipt for it;
3. one stale entry sinking a batch (see also ``test_adversarial``);
4. forged records: approvals for free, rejections of someone who never worked;
5. a late ruling against the worker;
6. the owner front-running a pending task (fee, minimum fee, default arbitrator);
and direct payment (item 9), and the version deployment records carry.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_account.signers.local import LocalAccount

from microtask.chain.reverts import TransactionReverted
from microtask.chain.transactions import TransactionSender
from microtask.chain.typed_data import Approval, ReceiptRejection
from microtask.escrow import ETH, VERSION, ApprovalBasis, Reputation, SlotState
from tests.world import (
    ARBITRATION_TIMEOUT,
    DISPUTE_WINDOW,
    ENVELOPE,
    REASON,
    REWARD,
    World,
    deploy,
    escrow_args,
)


def reverted(call: Callable[[], object]) -> TransactionReverted:
    with pytest.raises(TransactionReverted) as caught:
        call()
    return caught.value


# ============================================================== 1. the arbitrator


@pytest.mark.parametrize("who", ["requester", "verifier"])
def test_a_task_party_cannot_be_its_arbitrator(world: World, who: str) -> None:
    party = getattr(world, who).address
    error = reverted(lambda: world.create(arbitrator=party))
    assert (error.error, error.error_args) == ("ArbitratorIsParty", {"arbitrator": party})
    # nor through the default: a verifier who is the default arbitrator
    error = reverted(lambda: world.create(verifier=world.arbitrator.address))
    assert error.error == "ArbitratorIsParty"
    # honest: a neutral arbitrator of the task's own, or the default
    own = world.create(arbitrator=world.workers[4].address)
    assert world.escrow.task(own).arbitrator == world.workers[4].address
    assert world.escrow.task(world.create()).arbitrator == world.arbitrator.address


def test_there_is_always_an_arbitrator(world: World) -> None:
    owner = world.client(world.owner)
    assert reverted(lambda: owner.set_default_arbitrator(ETH)).error == "ZeroAddress"
    args = escrow_args()
    args[3] = ETH  # the constructor's default arbitrator
    sender = TransactionSender(world.w3, world.owner)
    assert reverted(lambda: deploy(sender, world.compiled, "TaskEscrow", *args)).error == (
        "ZeroAddress"
    )
    owner.set_default_arbitrator(world.workers[4].address)  # honest: another neutral one
    assert world.escrow.task(world.create()).arbitrator == world.workers[4].address


# ============================================================== 5. a late ruling


def test_a_late_arbitrator_cannot_rule_against_the_worker(world: World) -> None:
    task_id = world.create(slots=2)
    worker = world.workers[0]
    for slot in (0, 1):
        world.client(world.workers[slot]).claim(task_id, slot)
        world.client(world.workers[slot]).submit(task_id, slot, REASON)
        world.escrow.reject(task_id, [(slot, world.workers[slot].address)], REASON)
        world.client(world.workers[slot]).dispute(task_id, slot, REASON)
    arbitrator = world.client(world.arbitrator)
    world.advance(ARBITRATION_TIMEOUT - 60)  # within the timeout: a ruling still counts
    arbitrator.rule(task_id, 1, False, REASON)
    world.advance(120)  # (the exact last second is walked in test_invariants)
    error = reverted(lambda: arbitrator.rule(task_id, 0, False, REASON))
    assert (error.error, error.error_args) == (
        "ArbitrationTimedOut",
        {"taskId": task_id, "slot": 0},
    )
    tx = world.client(world.workers[3]).finalize(task_id, [0])
    [paid] = world.events(tx, "SlotsApproved")
    assert paid["basis"] == ApprovalBasis.ARBITRATION_TIMEOUT.code
    assert world.escrow.balance(worker.address) == REWARD


# ============================================================== 6. front-running


def test_the_owner_cannot_change_the_terms_under_a_pending_task(world: World) -> None:
    owner = world.client(world.owner)
    params = world.escrow.guarded(world.params())  # what the requester saw
    owner.set_fee(1000)
    error = reverted(lambda: world.escrow.create_task(params))
    assert error.error == "FeeAboveMaximum"
    assert error.error_args == {"fee": REWARD // 10, "maxFee": REWARD // 40}
    owner.set_fee(250)
    owner.set_minimum_fee(REWARD)  # a minimum fee above the rate's, for ETH
    assert reverted(lambda: world.escrow.create_task(params)).error == "FeeAboveMaximum"
    owner.set_minimum_fee(0)
    owner.set_default_arbitrator(world.owner.address)
    error = reverted(lambda: world.escrow.create_task(params))
    assert (error.error, error.error_args) == (
        "ArbitratorChanged",
        {"expected": world.arbitrator.address, "current": world.owner.address},
    )
    # honest: the requester looks again and accepts (the client fills the guard in)
    task_id, _ = world.escrow.create_task(world.params())
    assert world.escrow.task(task_id).arbitrator == world.owner.address


# ============================================================== 2. a receipt is as good as payment


def test_an_unpresented_receipt_slot_cannot_be_rejected_in_someone_elses_name(
    world: World,
) -> None:
    task_id = world.create(slots=2, receipt_slots=2)
    holder, victim = world.workers[0], world.workers[1]
    world.receipt(task_id, 0, holder.address)  # the verifier's word, kept by the holder
    verifier = world.client(world.verifier)
    # the first version's attack: reject the slot naming someone else
    error = reverted(lambda: verifier.reject(task_id, [(0, victim.address)], REASON))
    assert (error.error, error.error_args) == (
        "ReceiptProofRequired",
        {"taskId": task_id, "slot": 0},
    )
    # a receipt for a victim who never handed anything in: no signature of theirs exists
    receipt, signature = world.receipt(task_id, 0, victim.address)
    forged = ReceiptRejection(
        receipt, signature, ENVELOPE, world.submission_signature(task_id, 0, world.verifier)
    )
    error = reverted(lambda: verifier.reject_receipts(task_id, [forged], REASON))
    assert error.error == "InvalidWorkerSignature"
    assert world.escrow.reputation(victim.address) == Reputation(0, 0, 0, 0)
    assert world.escrow.slot(task_id, 0).state == SlotState.OPEN
    # honest: the holder's receipt and submission signature; the holder can dispute, and win
    verifier.reject_receipts(task_id, [world.rejection(task_id, 0, holder)], REASON)
    assert world.escrow.slot(task_id, 0).worker == holder.address
    world.client(holder).dispute(task_id, 0, REASON)
    world.client(world.arbitrator).rule(task_id, 0, True, REASON)
    assert world.escrow.balance(holder.address) == REWARD
    assert world.escrow.reputation(holder.address) == Reputation(1, 0, 1, 0)


def test_a_second_receipt_for_a_taken_slot_still_pays_its_holder(world: World) -> None:
    task_id = world.create(slots=3, receipt_slots=2)
    holder, accomplice = world.workers[0], world.workers[1]
    mine = world.receipt(task_id, 0, holder.address)
    # the verifier signs slot 0 again, for an accomplice, who presents first
    world.client(accomplice).present_receipts([world.receipt(task_id, 0, accomplice.address)])
    tx = world.client(holder).present_receipts([mine])
    assert [e["worker"] for e in world.events(tx, "ReceiptSkipped")] == [holder.address]
    # the holder proves it and is paid through an open slot (here the other receipt slot)
    holder_client = world.client(holder)
    error = reverted(lambda: holder_client.prove_equivocation(*mine, paid_slot=0))
    assert error.error == "FundingSlotUnavailable"  # slot 0 is not open
    tx = holder_client.prove_equivocation(*mine, paid_slot=1)
    [proven] = world.events(tx, "EquivocationProven")
    assert (proven["slot"], proven["worker"], proven["paidSlot"]) == (0, holder.address, 1)
    [paid] = world.events(tx, "SlotsApproved")
    assert (paid["basis"], paid["workers"]) == (ApprovalBasis.EQUIVOCATION.code, [holder.address])
    assert world.escrow.balance(holder.address) == REWARD
    # once only; and the accomplice, who holds the slot, proves nothing
    assert reverted(lambda: holder_client.prove_equivocation(*mine, paid_slot=2)).error == (
        "NotEquivocation"
    )
    theirs = world.receipt(task_id, 0, accomplice.address)
    error = reverted(lambda: world.client(accomplice).prove_equivocation(*theirs, paid_slot=2))
    assert error.error == "NotEquivocation"


def test_a_slot_approved_to_someone_else_without_its_receipt_still_pays_its_holder(
    world: World,
) -> None:
    task_id = world.create(slots=3, receipt_slots=3)
    holder, accomplice = world.workers[0], world.workers[1]
    mine = world.receipt(task_id, 1, holder.address)
    # the fast path: the slot approved to an accomplice, no receipt shown, in a batch
    batch = [(0, world.workers[2].address), (1, accomplice.address)]
    tx = world.client(world.verifier).approve(task_id, batch)
    [event] = world.events(tx, "SlotsApproved")
    shown = list(zip(event["slots"], event["workers"], strict=True))
    client = world.client(holder)
    wrong = [(0, world.workers[2].address), (1, holder.address)]
    error = reverted(lambda: client.prove_equivocation(*mine, paid_slot=2, batch=wrong))
    assert error.error == "BatchMismatch"
    client.prove_equivocation(*mine, paid_slot=2, batch=shown)
    assert world.escrow.balance(holder.address) == REWARD
    assert world.escrow.slot(task_id, 2).state == SlotState.APPROVED


def test_equivocation_is_paid_only_while_the_task_has_escrow_for_it(world: World) -> None:
    task_id = world.create(slots=1, receipt_slots=1)
    holder = world.workers[0]
    mine = world.receipt(task_id, 0, holder.address)
    world.client(world.workers[1]).present_receipts(
        [world.receipt(task_id, 0, world.workers[1].address)]
    )
    error = reverted(lambda: world.client(holder).prove_equivocation(*mine, paid_slot=0))
    assert error.error == "FundingSlotUnavailable"
    world.escrow.add_slots(task_id, 1)  # the requester funds it: then it pays
    world.client(holder).prove_equivocation(*mine, paid_slot=1)
    assert world.escrow.balance(holder.address) == REWARD


# ============================================================== 3. stale entries


def test_a_signed_approval_with_a_settled_slot_still_pays_the_rest(world: World) -> None:
    task_id = world.create(slots=2)
    for slot in (0, 1):
        world.submitted(task_id, slot, world.workers[slot])
    pairs = ((0, world.workers[0].address), (1, world.workers[1].address))
    approval = Approval(task_id, (0, 1), tuple(w for _, w in pairs), world.now() + 600)
    signature = world.escrow.sign_approval(approval)
    world.escrow.approve(task_id, [pairs[0]])  # settled meanwhile
    tx = world.client(world.workers[1]).approve_with_signature(approval, signature)
    assert [e["slot"] for e in world.events(tx, "ApprovalSkipped")] == [0]
    assert world.escrow.balance(world.workers[1].address) == REWARD


# ============================================================== 4. records cost money


def test_forged_approvals_cost_the_minimum_fee_each(world: World) -> None:
    """The first version's attack: 60 receipt slots of 1 wei approved to a second address
    of the requester, fee rounded to zero, pass a ``minApproved = 50`` gate for free."""
    minimum = 10**14  # 0.0001 ETH
    world.client(world.owner).set_minimum_fee(minimum)
    sybil = world.workers[4].address
    task_id = world.create(reward=1, slots=60, receipt_slots=60)
    assert world.escrow.task(task_id).fee == minimum
    treasury = world.escrow.balance(world.treasury.address)
    world.escrow.approve(task_id, [(slot, sybil) for slot in range(60)])
    assert world.escrow.reputation(sybil).approved == 60
    assert world.escrow.balance(world.treasury.address) - treasury == 60 * minimum
    # and without a minimum the rate still rounds up: one unit per approval, never zero
    world.client(world.owner).set_minimum_fee(0)
    assert world.escrow.task(world.create(reward=1, slots=1)).fee == 1


# ============================================================== 9. paid in one transaction


def test_direct_payment_reaches_the_wallet_and_falls_back_to_the_ledger(
    world: World, fresh_account: Callable[[], LocalAccount]
) -> None:
    task_id = world.create(slots=3, receipt_slots=3)
    fresh = fresh_account()
    before = world.eth_balance(fresh.address)
    refuses = deploy(
        TransactionSender(world.w3, world.owner),
        world.compiled,
        "ContractWorker",
        world.escrow.address,
    )
    pairs = [(0, fresh.address), (1, refuses.address)]
    tx = world.client(world.verifier).approve(task_id, pairs, direct=True)
    assert world.eth_balance(fresh.address) - before == REWARD
    assert world.escrow.balance(fresh.address) == 0
    [failed] = world.events(tx, "DirectPaymentFailed")
    assert (failed["slot"], failed["worker"]) == (1, refuses.address)
    assert world.escrow.balance(refuses.address) == REWARD  # the batch went through
    [paid] = world.events(tx, "SlotsApproved")
    assert paid["direct"] is True
    assert world.escrow.reputation(fresh.address).approved == 1


def test_the_escrow_says_its_version(world: World) -> None:
    assert world.escrow.version() == VERSION == 2
    assert world.escrow.dispute_window() == DISPUTE_WINDOW
