"""`Worker` on the embedded chain: claiming, answering, collecting, disputing, withdrawing,
and enforcing a kept receipt, each checked on chain."""

from __future__ import annotations

import pytest
from eth_account.signers.local import LocalAccount

from microtask.chain.devchain import advance_time, latest_timestamp
from microtask.chain.escrow import TaskEscrowClient
from microtask.chain.reverts import TransactionReverted
from microtask.chain.typed_data import Receipt
from microtask.client import Requester, SignerRequired, Worker
from microtask.client.errors import NoOpenSlot, NoReceipt, NothingToWithdraw, Refused
from microtask.content import parse_cid
from microtask.escrow import SlotState
from microtask.manifests import SubmissionEnvelope, open_submission, parse_as
from tests.client.conftest import ALICE, BOB, REQUESTER, Chain
from tests.client.test_requester import PER_SLOT, REWARD, answer, post

LEASE = 3600
REVIEW = 3600


def test_claims_take_the_first_open_slot_and_lapsed_leases_open_again(chain: Chain) -> None:
    task_id = post(chain, 3, receipt_slots=1, lease=LEASE).task_id
    alice, bob = Worker(chain.platform, ALICE), Worker(chain.platform, BOB)
    assert alice.first_claimable_slot(task_id) == 1  # slot 0 is a receipt slot
    claimed = alice.claim(task_id)
    assert (claimed.slot, claimed.item_id, claimed.item_index) == (1, "r1", 1)
    assert claimed.lease_end == chain.platform.slot(task_id, 1).timestamp
    assert claimed.lease_end == latest_timestamp(chain.w3) + LEASE
    assert bob.claim(task_id).slot == 2
    with pytest.raises(NoOpenSlot, match=f"task {task_id} has no open slot to claim"):
        bob.first_claimable_slot(task_id)
    advance_time(chain.w3, LEASE + 1)
    assert bob.first_claimable_slot(task_id) == 1


def test_a_submission_is_sealed_to_the_requester_and_its_cid_goes_on_chain(chain: Chain) -> None:
    task_id = post(chain, 1).task_id
    alice = Worker(chain.platform, ALICE)
    alice.claim(task_id, 0)
    submitted = alice.submit(task_id, 0, answer("pos", "r0"))
    view = chain.platform.slot(task_id, 0)
    assert (view.state, view.worker) == (SlotState.SUBMITTED, ALICE.address)
    assert Requester(chain.platform, REQUESTER).submission_cids(task_id) == {
        0: submitted.envelope_cid
    }
    envelope = parse_as(SubmissionEnvelope, chain.platform.content.cat(submitted.envelope_cid))
    opened = open_submission(
        envelope,
        bytes(REQUESTER.key),
        chain_id=chain.platform.chain_id,
        escrow=chain.platform.escrow_address,
    )
    assert opened.answers[0].answer.model_dump()["label"] == "pos"


def test_release_gives_the_slot_back(chain: Chain) -> None:
    task_id = post(chain, 1).task_id
    alice = Worker(chain.platform, ALICE)
    alice.claim(task_id, 0)
    alice.release(task_id, 0)
    assert chain.platform.slot(task_id, 0).state is SlotState.OPEN


def test_silence_pays_after_the_review_period_and_the_pay_can_be_withdrawn(chain: Chain) -> None:
    task_id = post(chain, 1, review_period=REVIEW).task_id
    alice = Worker(chain.platform, ALICE)
    alice.claim(task_id, 0)
    alice.submit(task_id, 0, answer("pos", "r0"))
    with pytest.raises(TransactionReverted, match="NothingToFinalize"):
        alice.finalize(task_id, [0])
    advance_time(chain.w3, REVIEW + 1)
    alice.finalize(task_id, [0])
    [eth, dollar] = alice.earnings()  # ETH, then every token deployed on the network
    assert (eth.token.symbol, eth.balance) == ("ETH", 0)
    assert (dollar.token.symbol, dollar.balance, dollar.record.approved) == ("TUSD", REWARD, 1)
    token = chain.platform.token("tusd")
    done = alice.withdraw(token, REWARD // 3, to=BOB.address)
    assert (done.amount, done.to, chain.wallet(BOB)) == (REWARD // 3, BOB.address, REWARD // 3)
    rest = alice.withdraw(token)
    assert rest.amount == REWARD - REWARD // 3 == chain.wallet(ALICE)
    with pytest.raises(NothingToWithdraw, match="nothing to withdraw: your escrow balance in TUSD"):
        alice.withdraw(token)


def test_a_rejection_is_disputed_with_a_reason_the_arbitrator_can_read(chain: Chain) -> None:
    task_id = post(chain, 1).task_id
    alice = Worker(chain.platform, ALICE)
    alice.claim(task_id, 0)
    alice.submit(task_id, 0, answer("pos", "r0"))
    Requester(chain.platform, REQUESTER).reject(task_id, [0], "incorrect")
    with pytest.raises(Refused, match="--reason must say why"):
        alice.dispute(task_id, 0, "  ")
    disputed = alice.dispute(task_id, 0, "read it again")
    assert chain.platform.content.cat(disputed.reason_cid) == b"read it again"
    assert chain.platform.slot(task_id, 0).state is SlotState.DISPUTED


def kept_receipt(chain: Chain, task_id: int, slot: int, worker: Worker) -> dict[str, object]:
    """A receipt the requester signed for ``worker``'s envelope, as a verifier answers it."""
    worker_answer = answer("pos", f"r{slot}")
    published = chain.platform.manifest(task_id)
    from microtask.manifests import seal_submission

    envelope = seal_submission(
        worker_answer,
        manifest=published.manifest,
        manifest_cid=published.cid,
        chain_id=chain.platform.chain_id,
        escrow=chain.platform.escrow_address,
        task_id=task_id,
        slot=slot,
        worker=ALICE,
    )
    cid = str(chain.platform.content.add_json(envelope.model_dump(mode="json")))
    receipt = Receipt(
        task_id=task_id,
        slot=slot,
        worker=worker.address,
        result_digest=bytes(parse_cid(cid).raw_digest),
        submitted_at=latest_timestamp(chain.w3),
        expiry=latest_timestamp(chain.w3) + 86_400,
    )
    record = chain.platform.record
    requester = TaskEscrowClient.at(chain.w3, record.address, record.abi, REQUESTER)
    return {
        "task_id": task_id,
        "slot": slot,
        "worker": worker.address,
        "result_digest": "0x" + receipt.result_digest.hex(),
        "submitted_at": receipt.submitted_at,
        "expiry": receipt.expiry,
        "signature": "0x" + requester.sign_receipt(receipt).hex(),
        "envelope_cid": cid,
    }


def test_a_kept_receipt_is_presented_then_paid_by_silence(chain: Chain) -> None:
    task_id = post(chain, 2, receipt_slots=2, review_period=REVIEW).task_id
    alice = Worker(chain.platform, ALICE)
    with pytest.raises(NoReceipt, match="no receipt kept for slot 0"):
        alice.enforce(task_id, 0)
    document = kept_receipt(chain, task_id, 0, alice)
    alice.receipts.save(task_id, 0, {"task_id": task_id, "slot": 0, "receipt": document})
    [kept] = alice.kept_receipts(task_id)
    assert (kept.kept.slot, kept.on_chain) == (0, SlotState.OPEN)
    first = alice.enforce(task_id, 0)
    assert (first.done, first.state) == (("presented",), SlotState.SUBMITTED)
    assert first.payable_after == document["submitted_at"] + REVIEW  # type: ignore[operator]
    again = alice.enforce(task_id, 0)
    assert (again.done, again.state) == ((), SlotState.SUBMITTED)
    advance_time(chain.w3, REVIEW + 1)
    paid = alice.enforce(task_id, 0)
    assert (paid.done, paid.state) == (("finalized",), SlotState.APPROVED)
    assert alice.balance(chain.token.address) == REWARD
    assert alice.kept_receipts()[0].on_chain is SlotState.APPROVED


def test_a_receipt_for_someone_else_is_refused_before_it_is_kept(chain: Chain) -> None:
    from microtask.client.errors import ReceiptInvalid

    task_id = post(chain, 1, receipt_slots=1).task_id
    alice, bob = Worker(chain.platform, ALICE), Worker(chain.platform, BOB)
    document = kept_receipt(chain, task_id, 0, alice)
    with pytest.raises(ReceiptInvalid, match="the receipt names"):
        bob.check_receipt(document, str(document["envelope_cid"]))
    forged = dict(document, signature=document["signature"][:-4] + "0000")  # type: ignore[index]
    with pytest.raises((ReceiptInvalid, ValueError)):
        alice.check_receipt(forged, str(document["envelope_cid"]))
    alice.check_receipt(document, str(document["envelope_cid"]))  # the good one passes
    envelope = parse_cid(str(document["envelope_cid"]))
    alice.check_receipt(document, str(envelope.set(version=1, base="base32")))  # same digest
    with pytest.raises(ReceiptInvalid, match="digest is not your envelope's"):
        alice.check_receipt(document, "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o")


def test_a_worker_opened_by_address_reads_but_never_signs(chain: Chain) -> None:
    task_id = post(chain, 1).task_id
    reader = Worker(chain.platform, address=ALICE.address.lower())
    assert reader.address == ALICE.address
    assert reader.balance(chain.token.address) == 0
    assert reader.wallet_balance(chain.platform.token("eth")) > 0
    with pytest.raises(SignerRequired, match=r"needs .* key"):
        reader.claim(task_id, 0)
    assert chain.platform.slot(task_id, 0).state is SlotState.OPEN
    assert PER_SLOT > REWARD


def escrow_of(chain: Chain, signer: LocalAccount) -> TaskEscrowClient:
    record = chain.platform.record
    return TaskEscrowClient.at(chain.w3, record.address, record.abi, signer)


def second_receipt(chain: Chain, task_id: int, slot: int, worker: str) -> tuple[Receipt, bytes]:
    """The requester signing ``slot`` again, for ``worker``: an equivocation."""
    now = latest_timestamp(chain.w3)
    receipt = Receipt(
        task_id=task_id,
        slot=slot,
        worker=worker,
        result_digest=b"\x01" * 32,
        submitted_at=now,
        expiry=now + 86_400,
    )
    return receipt, escrow_of(chain, REQUESTER).sign_receipt(receipt)


def keep(chain: Chain, task_id: int, slot: int, worker: Worker) -> None:
    document = kept_receipt(chain, task_id, slot, worker)
    worker.receipts.save(task_id, slot, {"task_id": task_id, "slot": slot, "receipt": document})


def test_a_receipt_whose_slot_went_to_another_worker_is_proven_and_paid_once(
    chain: Chain,
) -> None:
    task_id = post(chain, 3, receipt_slots=2).task_id
    alice = Worker(chain.platform, ALICE)
    keep(chain, task_id, 0, alice)
    # the signer gives slot 0 again, to bob, who presents first
    escrow_of(chain, BOB).present_receipts([second_receipt(chain, task_id, 0, BOB.address)])
    proven = alice.enforce(task_id, 0)
    # paid through the highest open slot: a claimable one, not the next receipt slot
    assert (proven.done, proven.paid_slot, proven.state) == (("proven",), 2, SlotState.APPROVED)
    assert alice.balance(chain.token.address) == REWARD
    assert chain.platform.slot(task_id, 1).state is SlotState.OPEN
    again = alice.enforce(task_id, 0)
    assert (again.done, again.paid_slot) == ((), 2)
    assert alice.balance(chain.token.address) == REWARD


def test_a_receipt_slot_approved_to_someone_else_without_its_receipt_is_proven_by_its_batch(
    chain: Chain,
) -> None:
    task_id = post(chain, 3, receipt_slots=2).task_id
    alice = Worker(chain.platform, ALICE)
    keep(chain, task_id, 1, alice)
    escrow_of(chain, REQUESTER).approve(task_id, [(0, ALICE.address), (1, BOB.address)])
    assert chain.platform.slot(task_id, 1).worker == "0x" + "0" * 40  # the batch names bob
    proven = alice.enforce(task_id, 1)
    assert (proven.done, proven.paid_slot) == (("proven",), 2)
    assert alice.balance(chain.token.address) == 2 * REWARD  # slot 0 and the proven slot 1


def test_a_slot_approved_to_its_own_holder_proves_nothing(chain: Chain) -> None:
    task_id = post(chain, 2, receipt_slots=1).task_id
    alice = Worker(chain.platform, ALICE)
    keep(chain, task_id, 0, alice)
    escrow_of(chain, REQUESTER).approve(task_id, [(0, ALICE.address)])
    outcome = alice.enforce(task_id, 0)
    assert (outcome.done, outcome.paid_slot, outcome.state) == ((), None, SlotState.APPROVED)
    assert chain.platform.slot(task_id, 1).state is SlotState.OPEN


def test_a_given_away_receipt_waits_for_an_open_slot_to_pay_through(chain: Chain) -> None:
    from microtask.client.errors import NoSlotToPayThrough

    task_id = post(chain, 1, receipt_slots=1).task_id
    alice = Worker(chain.platform, ALICE)
    keep(chain, task_id, 0, alice)
    escrow_of(chain, BOB).present_receipts([second_receipt(chain, task_id, 0, BOB.address)])
    with pytest.raises(NoSlotToPayThrough, match="it pays once the requester adds a slot"):
        alice.enforce(task_id, 0)
    assert alice.balance(chain.token.address) == 0
    Requester(chain.platform, REQUESTER).add_slots(task_id, 1)
    assert alice.enforce(task_id, 0).paid_slot == 1
    assert alice.balance(chain.token.address) == REWARD
