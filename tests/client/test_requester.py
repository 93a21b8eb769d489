"""`Requester` on the embedded chain: drafting, funding, reviewing, paying, refunds and
decrypted submissions, each checked on chain or in the content store."""

from __future__ import annotations

import pytest

from microtask.chain.devchain import advance_time
from microtask.client import Refused, Requester, TaskTerms, Worker
from microtask.client.errors import InsufficientFunds, NothingToWithdraw, SlotNotReviewable
from microtask.client.results import CreatedTask
from microtask.escrow import SlotState, fee_of
from microtask.manifests import ItemAnswer, NotARecipient, ReviewBatch, SubmissionAnswers, parse_as
from microtask.manifests.answers import ClassificationAnswer
from microtask.manifests.sealing import public_key_of
from tests.client.conftest import ALICE, BOB, DOLLAR, REQUESTER, Chain, manifest_document

REWARD = 3 * DOLLAR // 2
PER_SLOT = REWARD + fee_of(REWARD, 100)


def terms(chain: Chain, **changes: object) -> TaskTerms:
    token = chain.platform.token(chain.token.address)
    return TaskTerms(REWARD, token, **changes)  # type: ignore[arg-type]


def post(chain: Chain, items: int = 3, **changes: object) -> CreatedTask:
    requester = Requester(chain.platform, REQUESTER)
    return requester.create_task(
        requester.draft_task(manifest_document(items), terms(chain, **changes))
    )


def answer(label: str, item: str) -> SubmissionAnswers:
    return SubmissionAnswers(
        answers=[ItemAnswer(item_id=item, answer=ClassificationAnswer(label=label))]
    )


def test_a_draft_fills_in_the_manifest_and_prices_the_task_without_sending(chain: Chain) -> None:
    height = chain.w3.eth.block_number
    draft = Requester(chain.platform, REQUESTER).draft_task(
        manifest_document(3), terms(chain, deadline_in=3600, receipt_slots=1)
    )
    assert draft.manifest.requester == REQUESTER.address
    assert draft.manifest.requester_public_key == "0x" + public_key_of(bytes(REQUESTER.key)).hex()
    assert (draft.params.slots, draft.params.receipt_slots, draft.fee_bps) == (3, 1, 100)
    assert draft.escrowed == 3 * PER_SLOT
    assert draft.params.deadline == draft.drafted_at + 3600
    assert chain.w3.eth.block_number == height


def test_a_draft_refuses_what_the_wallet_cannot_pay_or_another_requesters_manifest(
    chain: Chain,
) -> None:
    requester = Requester(chain.platform, REQUESTER)
    with pytest.raises(InsufficientFunds) as poor:
        requester.draft_task(manifest_document(3), terms(chain, slots=1000))
    assert (poor.value.needed, poor.value.available) == (1000 * PER_SLOT, 1_000 * DOLLAR)
    assert str(poor.value).startswith("not enough TUSD: the task needs 1515 TUSD")
    with pytest.raises(Refused, match="names requester"):
        requester.draft_task(manifest_document(1, requester=BOB.address), terms(chain))


@pytest.mark.parametrize("permit", [False, True])
def test_creating_a_task_funds_it_and_publishes_the_manifest(chain: Chain, permit: bool) -> None:
    requester = Requester(chain.platform, REQUESTER)
    draft = requester.draft_task(manifest_document(2), terms(chain))
    nonce = chain.w3.eth.get_transaction_count(REQUESTER.address)
    created = requester.create_task(draft, permit=permit)
    sent = chain.w3.eth.get_transaction_count(REQUESTER.address) - nonce
    assert sent == (1 if permit else 2)  # a permit needs no approve transaction
    assert created.escrowed == 2 * PER_SLOT
    assert chain.wallet(REQUESTER) == 1_000 * DOLLAR - 2 * PER_SLOT
    task = chain.platform.task(created.task_id)
    assert (task.requester, task.slot_count, task.reward, task.escrow) == (
        REQUESTER.address,
        2,
        REWARD,
        2 * PER_SLOT,
    )
    published = chain.platform.manifest(created.task_id)
    assert (published.cid, published.manifest) == (created.manifest_cid, draft.manifest)


def test_review_pays_approved_slots_and_uploads_why_others_were_rejected(chain: Chain) -> None:
    task_id = post(chain, 4).task_id
    requester = Requester(chain.platform, REQUESTER)
    alice, bob = Worker(chain.platform, ALICE), Worker(chain.platform, BOB)
    for worker, slot in ((alice, 0), (alice, 1), (bob, 2)):
        worker.claim(task_id, slot)
        worker.submit(task_id, slot, answer("pos", f"r{slot}"))
    with pytest.raises(SlotNotReviewable, match="slot 3 of task 1 is open"):
        requester.reviewable(task_id, [0, 3])
    approved = requester.approve(task_id, [0, (2, BOB.address.lower())])
    assert approved.slots == ((0, ALICE.address), (2, BOB.address))
    assert alice.balance(chain.token.address) == REWARD
    assert bob.balance(chain.token.address) == REWARD
    rejected = requester.reject(task_id, [1], "incorrect", detail="it is negative", feedback="x")
    assert chain.platform.slot(task_id, 1).state is SlotState.REJECTED
    batch = parse_as(ReviewBatch, chain.platform.content.cat(rejected.reasons_cid))
    [review] = batch.reviews
    assert (review.slot, review.reasons[0].code, review.reasons[0].detail) == (
        1,
        "incorrect",
        "it is negative",
    )
    assert review.submission == requester.submission_cids(task_id)[1]
    with pytest.raises(Refused, match="--reason must be one of"):
        requester.reject(task_id, [2], "ugly")


def test_submissions_open_for_the_requester_only(chain: Chain) -> None:
    task_id = post(chain, 2).task_id
    alice = Worker(chain.platform, ALICE)
    for slot in (0, 1):
        alice.claim(task_id, slot)
        alice.submit(task_id, slot, answer("neg" if slot else "pos", f"r{slot}"))
    found = Requester(chain.platform, REQUESTER).submissions(task_id)
    assert found.manifest_cid == chain.platform.manifest(task_id).cid
    assert [(a.slot, a.worker, a.item_id, a.answer["label"]) for a in found.answers] == [
        (0, ALICE.address, "r0", "pos"),
        (1, ALICE.address, "r1", "neg"),
    ]
    with pytest.raises(NotARecipient, match="cannot open this submission"):
        Requester(chain.platform, BOB).submissions(task_id)


def test_bonus_more_slots_and_a_later_deadline(chain: Chain) -> None:
    task_id = post(chain, 1).task_id
    requester = Requester(chain.platform, REQUESTER)
    paid = requester.bonus(task_id, ALICE.address.lower(), DOLLAR // 4)
    assert (paid.worker, paid.amount, paid.token.symbol) == (ALICE.address, DOLLAR // 4, "TUSD")
    assert Worker(chain.platform, ALICE).balance(chain.token.address) == DOLLAR // 4
    with pytest.raises(Refused, match="not an address"):
        requester.bonus(task_id, "0xnope", 1)
    before = chain.wallet(REQUESTER)
    requester.add_slots(task_id, 2)
    assert chain.platform.task(task_id).slot_count == 3
    assert chain.wallet(REQUESTER) == before - 2 * PER_SLOT
    deadline = chain.platform.task(task_id).deadline
    extended = requester.extend(task_id, 86_400)
    assert extended.deadline == deadline + 86_400 == chain.platform.task(task_id).deadline


def test_cancel_reclaim_and_refund_give_back_what_no_slot_holds(chain: Chain) -> None:
    requester = Requester(chain.platform, REQUESTER)
    task_id = post(chain, 3, receipt_slots=1, deadline_in=3600, review_period=3600).task_id
    Worker(chain.platform, ALICE).claim(task_id)  # slot 1: held, so not refunded at cancel
    cancelled = requester.cancel(task_id)
    assert (cancelled.amount, cancelled.token.symbol) == (PER_SLOT, "TUSD")  # slot 2 only
    # the receipt window (deadline, now, + review period), then a dispute window in which a
    # receipt whose slot went elsewhere could still be paid from the unused slots
    advance_time(chain.w3, 3601 + chain.platform.reader.dispute_window())
    reclaimed = requester.reclaim(task_id)
    assert reclaimed.amount == PER_SLOT  # the unused receipt slot 0
    token = chain.platform.token("TUSD")
    before = chain.wallet(REQUESTER)
    refunded = requester.refund(token)
    assert (refunded.amount, refunded.to) == (2 * PER_SLOT, REQUESTER.address)
    assert chain.wallet(REQUESTER) == before + 2 * PER_SLOT
    with pytest.raises(NothingToWithdraw, match="nothing to refund: your escrow balance in TUSD"):
        requester.refund(token)
