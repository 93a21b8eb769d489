"""`Operator` on the embedded chain: the owner's controls, a ruling, and fees withdrawn;
a signer without the role is refused by the contract and nothing changes."""

from __future__ import annotations

import pytest

from microtask.chain.reverts import TransactionReverted
from microtask.client import Operator, Refused, Requester, Worker
from microtask.client.errors import NothingToWithdraw
from microtask.escrow import SlotState, fee_of
from tests.client.conftest import ALICE, BOB, OWNER, REQUESTER, Chain, manifest_document
from tests.client.test_requester import REWARD, answer, post, terms


def test_the_fee_applies_to_tasks_created_afterwards(chain: Chain) -> None:
    before = post(chain, 1).task_id
    Operator(chain.platform, OWNER).set_fee(250)
    assert chain.platform.reader.fee_bps() == 250
    after = post(chain, 1).task_id
    assert (chain.platform.task(before).fee_bps, chain.platform.task(after).fee_bps) == (100, 250)


def test_a_minimum_fee_applies_to_drafts_and_tasks_created_afterwards(chain: Chain) -> None:
    token = chain.platform.token("TUSD")
    Operator(chain.platform, OWNER).set_minimum_fee(token, REWARD)  # above the rate's 1%
    created = post(chain, 2)
    task = chain.platform.reader.task(created.task_id)
    assert task.fee == REWARD
    assert created.escrowed == task.slot_count * (REWARD + REWARD)
    with pytest.raises(TransactionReverted) as refused:
        Operator(chain.platform, ALICE).set_minimum_fee(token, 0)
    assert refused.value.error == "OwnableUnauthorizedAccount"
    # a draft pins the fee it shows: raised before the task is sent, the escrow refuses it
    requester = Requester(chain.platform, REQUESTER)
    draft = requester.draft_task(manifest_document(2), terms(chain))
    Operator(chain.platform, OWNER).set_minimum_fee(token, 2 * REWARD)
    with pytest.raises(TransactionReverted) as raised:
        requester.create_task(draft)
    assert raised.value.error == "FeeAboveMaximum"


def test_treasury_and_arbitrator_take_any_spelling_of_an_address(chain: Chain) -> None:
    owner = Operator(chain.platform, OWNER)
    owner.set_treasury(BOB.address.lower())
    owner.set_default_arbitrator(ALICE.address.lower())
    assert chain.platform.reader.treasury() == BOB.address
    assert chain.platform.reader.default_arbitrator() == ALICE.address
    with pytest.raises(Refused, match="not an address"):
        owner.set_treasury("0x1234")


def test_pause_stops_new_tasks_until_unpaused_and_only_the_owner_may(chain: Chain) -> None:
    owner = Operator(chain.platform, OWNER)
    with pytest.raises(TransactionReverted, match="OwnableUnauthorizedAccount"):
        Operator(chain.platform, BOB).pause()
    owner.pause()
    with pytest.raises(TransactionReverted, match="EnforcedPause"):
        post(chain, 1)
    owner.unpause()
    assert post(chain, 1).task_id == 1


def test_a_ruling_pays_the_worker_or_upholds_with_a_reason(chain: Chain) -> None:
    task_id = post(chain, 2).task_id
    alice = Worker(chain.platform, ALICE)
    for slot in (0, 1):
        alice.claim(task_id, slot)
        alice.submit(task_id, slot, answer("pos", f"r{slot}"))
    Requester(chain.platform, REQUESTER).reject(task_id, [0, 1], "incorrect")
    for slot in (0, 1):
        alice.dispute(task_id, slot, "it is right")
    arbitrator = Operator(chain.platform, OWNER)  # the default arbitrator
    with pytest.raises(Refused, match="upholding a rejection needs --reason"):
        arbitrator.rule(task_id, 0, pay=False)
    paid = arbitrator.rule(task_id, 0, pay=True)
    assert (paid.paid, paid.reason_cid) == (True, None)
    assert chain.platform.slot(task_id, 0).state is SlotState.APPROVED
    upheld = arbitrator.rule(task_id, 1, pay=False, reason="the label is wrong")
    assert upheld.reason_cid is not None
    assert chain.platform.content.cat(upheld.reason_cid) == b"the label is wrong"
    assert chain.platform.slot(task_id, 1).state is SlotState.CLOSED  # its funds went back
    assert alice.balance(chain.token.address) == REWARD


def test_fees_of_approved_slots_are_withdrawn_by_the_treasury(chain: Chain) -> None:
    task_id = post(chain, 1).task_id
    alice = Worker(chain.platform, ALICE)
    alice.claim(task_id, 0)
    alice.submit(task_id, 0, answer("pos", "r0"))
    Requester(chain.platform, REQUESTER).approve(task_id, [0])
    token = chain.platform.token(chain.token.address)
    with pytest.raises(NothingToWithdraw, match=f"the treasury is {OWNER.address}"):
        Operator(chain.platform, BOB).withdraw_fees(token)
    done = Operator(chain.platform, OWNER).withdraw_fees(token, to=BOB.address)
    assert done.amount == fee_of(REWARD, 100) == chain.wallet(BOB)
