"""Attacks on TaskEscrow: hostile tokens, hostile workers, forged and replayed signatures.

- A token that re-enters the escrow during a transfer (funding a task, adding slots, paying
  a bonus, withdrawing): the escrow's guard refuses the inner call, the whole call reverts
  with ``ReentrancyGuardReentrantCall``, and nothing moves. The token is given a ledger
  balance and an open slot first, so the inner calls would otherwise go through.
- A fee-on-transfer token is refused wherever the escrow takes funds, naming the amounts.
- A token without return values (USDT-like) works end to end.
- A worker contract that refuses ETH keeps its pay until it withdraws to somewhere else.
- Signatures: receipts and approvals do not carry over to another task, chain or escrow;
  expired ones, presented ones and ones signed by anyone but the requester or verifier are
  refused; an ERC-1271 wallet can be the requester; a verifier has no say over other tasks;
  a worker cannot settle their own rejection early; a batch naming the wrong worker fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_account.messages import SignableMessage
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from microtask.chain.escrow import TaskEscrowClient
from microtask.chain.reverts import TransactionReverted
from microtask.chain.transactions import TransactionSender
from microtask.chain.typed_data import Approval, Receipt
from microtask.escrow import ETH, SlotState, fee_of, funding_of
from tests.world import (
    ARBITRATION_TIMEOUT,
    DISPUTE_WINDOW,
    FEE_BPS,
    LEASE,
    REASON,
    RESULT,
    REVIEW_PERIOD,
    REWARD,
    TOKEN_REWARD,
    World,
    deploy,
)

DIGEST = bytes(range(32))
PER_SLOT = REWARD + fee_of(REWARD, FEE_BPS)
TOKEN_PER_SLOT = TOKEN_REWARD + fee_of(TOKEN_REWARD, FEE_BPS)


def sign(account: LocalAccount, message: SignableMessage) -> bytes:
    """``account``'s signature of a typed message, whatever domain it names."""
    return bytes(account.sign_message(message).signature)


def reverted(call: Callable[[], object]) -> TransactionReverted:
    """The decoded revert of ``call``, which must revert."""
    with pytest.raises(TransactionReverted) as caught:
        call()
    return caught.value


def receipt_for(world: World, task_id: int, slot: int, worker: str, **changes: int) -> Receipt:
    values = {"submitted_at": world.now(), "expiry": world.now() + 3_600}
    values.update(changes)
    return Receipt(task_id, slot, worker, DIGEST, values["submitted_at"], values["expiry"])


def transact(world: World, account: LocalAccount, call: Any, value: int = 0) -> Any:
    """Send ``call`` from ``account``, decoding reverts with the escrow's errors too."""
    sender = TransactionSender(world.w3, account, [world.deployment.escrow.abi])
    return sender.transact(call, value=value)


# ====================================================================== re-entrancy


def _holdings(world: World, token: Contract, accounts: list[str]) -> tuple[int, ...]:
    """Everything a re-entrant call could move: token balances of the escrow and of the
    accounts, their ledger balances, and the escrow's task count and tasks."""
    escrow = world.escrow
    tasks = tuple(
        (task.escrow, task.slot_count, task.open_slots)
        for task in (escrow.task(i) for i in range(1, escrow.task_count() + 1))
    )
    return (
        world.token_balance(token, escrow.address),
        *(world.token_balance(token, a) for a in accounts),
        *(escrow.balance(a, token.address) for a in accounts),
        escrow.task_count(),
        *(value for task in tasks for value in task),
    )


@pytest.fixture
def reentrant(world: World) -> tuple[Contract, int, list[str]]:
    """The re-entrant token, a task paid in it with an open slot, a worker paid in it, and
    a ledger balance of the token contract itself: what an inner call would go after."""
    token = world.deployment.reentrant_token
    task_id = world.create(token=token.address, reward=TOKEN_REWARD, slots=3)
    worker = world.workers[0]
    world.submitted(task_id, 0, worker)
    world.escrow.approve(task_id, [(0, worker.address)])
    world.escrow.bonus(task_id, token.address, 1_000)  # the token could withdraw this
    accounts = [world.requester.address, worker.address, token.address]
    return token, task_id, accounts


def _payload(world: World, inner: str, task_id: int, token: Contract) -> Any:
    escrow = world.deployment.escrow
    if inner == "withdraw":
        return escrow.encode_abi("withdraw", args=[token.address, 1_000, token.address])
    if inner == "claim":
        return escrow.encode_abi("claim", args=[task_id, 1])
    params = world.escrow.guarded(world.params(token=token.address, reward=TOKEN_REWARD, slots=1))
    return escrow.encode_abi("createTask", args=[params.as_abi()])


@pytest.mark.parametrize("inner", ["withdraw", "claim", "createTask"])
@pytest.mark.parametrize("outer", ["createTask", "addSlots", "bonus", "withdraw"])
def test_a_token_reentering_during_a_transfer_is_refused_and_nothing_moves(
    world: World, reentrant: tuple[Contract, int, list[str]], outer: str, inner: str
) -> None:
    token, task_id, accounts = reentrant
    worker = world.workers[0]
    payload = _payload(world, inner, task_id, token)
    if inner != "createTask":
        # made directly rather than from inside a transfer, the token's withdrawal (of the
        # 1000 it holds on the ledger) or claim (of open slot 1) would go through
        world.w3.eth.call({"from": token.address, "to": world.escrow.address, "data": payload})
    attacker = world.workers[4]
    actions: dict[str, Callable[[], object]] = {
        "createTask": lambda: world.create(token=token.address, reward=TOKEN_REWARD, slots=2),
        "addSlots": lambda: world.escrow.add_slots(task_id, 2),
        "bonus": lambda: world.escrow.bonus(task_id, worker.address, 500),
        "withdraw": lambda: world.client(worker).withdraw(TOKEN_REWARD, token=token.address),
    }
    before = _holdings(world, token, accounts)
    sender = TransactionSender(world.w3, attacker)
    sender.transact(token.functions.arm(world.escrow.address, payload))
    error = reverted(actions[outer])
    assert error.error == "ReentrancyGuardReentrantCall"
    assert _holdings(world, token, accounts) == before
    # disarmed, the same call goes through: the refusal was the re-entry, nothing else
    sender.transact(token.functions.arm("0x" + "00" * 20, b""))
    actions[outer]()
    assert _holdings(world, token, accounts) != before


# ====================================================================== fee on transfer


def test_a_fee_on_transfer_token_is_refused_wherever_funds_come_in(world: World) -> None:
    token = world.deployment.fee_token
    escrow_address = world.escrow.address
    wallet = world.token_balance(token, world.requester.address)
    # transfers under 100 units lose nothing to this token's 1% fee, so a tiny task is
    # accepted; every larger transfer is refused with the amounts
    small = world.create(token=token.address, reward=39, slots=2)  # 80 units, fee 1 (rounded up)
    assert world.token_balance(token, escrow_address) == 80
    assert world.escrow.task(small).escrow == 80

    params = world.params(token=token.address, reward=TOKEN_REWARD, slots=2)
    total = funding_of(TOKEN_REWARD, 2, FEE_BPS)
    create = reverted(lambda: world.escrow.create_task(params))
    assert create.error == "UnsupportedToken"
    assert create.error_args == {
        "token": token.address,
        "expected": total,
        "received": total - total // 100,
    }
    assert world.escrow.task_count() == small

    added = reverted(lambda: world.escrow.add_slots(small, 5))  # 5 x (39 + 1) = 200 units
    assert (added.error, added.error_args["expected"], added.error_args["received"]) == (
        "UnsupportedToken",
        200,
        198,
    )
    task = world.escrow.task(small)
    assert (task.slot_count, task.open_slots, task.escrow) == (2, 2, 80)

    worker = world.workers[0].address
    bonus = reverted(lambda: world.escrow.bonus(small, worker, 1_000))
    assert (bonus.error, bonus.error_args["expected"], bonus.error_args["received"]) == (
        "UnsupportedToken",
        1_000,
        990,
    )
    assert world.escrow.balance(worker, token.address) == 0
    assert world.token_balance(token, escrow_address) == 80
    assert world.token_balance(token, world.requester.address) == wallet - 80


# ====================================================================== no return value


def test_a_token_without_return_values_works_end_to_end(world: World) -> None:
    token = world.deployment.no_return_token
    worker = world.workers[0]
    requester_before = world.token_balance(token, world.requester.address)
    task_id = world.create(token=token.address, reward=TOKEN_REWARD, slots=3)
    assert world.token_balance(token, world.escrow.address) == 3 * TOKEN_PER_SLOT
    world.submitted(task_id, 0, worker)
    world.escrow.approve(task_id, [(0, worker.address)])
    world.escrow.bonus(task_id, worker.address, 7)
    world.escrow.cancel(task_id)  # the two open slots come back to the requester

    client = world.client(worker)
    client.withdraw(TOKEN_REWARD // 3, token=token.address)
    client.withdraw(TOKEN_REWARD + 7 - TOKEN_REWARD // 3, token=token.address)
    world.escrow.withdraw(2 * TOKEN_PER_SLOT, token=token.address)
    fee = fee_of(TOKEN_REWARD, FEE_BPS)
    world.client(world.treasury).withdraw(fee, token=token.address)

    assert world.token_balance(token, worker.address) == TOKEN_REWARD + 7
    assert world.token_balance(token, world.treasury.address) == fee
    assert world.token_balance(token, world.requester.address) == (
        requester_before - TOKEN_REWARD - fee - 7
    )
    assert world.token_balance(token, world.escrow.address) == 0
    with pytest.raises(TransactionReverted) as caught:
        client.withdraw(1, token=token.address)
    assert caught.value.error == "InsufficientBalance"


# ====================================================================== contract worker


def test_a_worker_contract_refusing_eth_keeps_its_pay_until_it_withdraws_elsewhere(
    world: World,
) -> None:
    contract_worker = deploy(
        TransactionSender(world.w3, world.owner),
        world.compiled,
        "ContractWorker",
        world.escrow.address,
    )
    operator = world.workers[0]  # any account can drive this test contract
    task_id = world.create(slots=2)
    transact(world, operator, contract_worker.functions.claim(task_id, 1))
    transact(world, operator, contract_worker.functions.submit(task_id, 1, RESULT))
    slot = world.escrow.slot(task_id, 1)
    assert (slot.state, slot.worker) == (SlotState.SUBMITTED, contract_worker.address)
    world.escrow.approve(task_id, [(1, contract_worker.address)])
    assert world.escrow.balance(contract_worker.address) == REWARD

    escrow_before = world.eth_balance(world.escrow.address)
    refused = reverted(
        lambda: transact(
            world,
            operator,
            contract_worker.functions.withdraw(ETH, REWARD, contract_worker.address),
        )
    )
    assert refused.error == "EthTransferFailed"
    assert refused.error_args == {"to": contract_worker.address, "amount": REWARD}
    assert world.escrow.balance(contract_worker.address) == REWARD
    assert world.eth_balance(world.escrow.address) == escrow_before
    assert world.eth_balance(contract_worker.address) == 0

    destination = world.workers[3].address
    destination_before = world.eth_balance(destination)
    transact(world, operator, contract_worker.functions.withdraw(ETH, REWARD, destination))
    assert world.eth_balance(destination) - destination_before == REWARD
    assert world.escrow.balance(contract_worker.address) == 0
    assert world.eth_balance(world.escrow.address) == escrow_before - REWARD


# ====================================================================== signatures


def test_a_receipt_is_good_for_its_own_task_only(world: World) -> None:
    first = world.create(slots=1, receipt_slots=1)
    second = world.create(slots=1, receipt_slots=1)
    worker = world.workers[0]
    receipt = receipt_for(world, first, 0, worker.address)
    signature = world.escrow.sign_receipt(receipt)
    moved = Receipt(second, 0, worker.address, DIGEST, receipt.submitted_at, receipt.expiry)
    error = reverted(lambda: world.client(worker).present_receipts([(moved, signature)]))
    assert (error.error, error.error_args) == ("InvalidSignature", {"taskId": second})
    assert world.escrow.slot(second, 0).state == SlotState.OPEN
    world.client(worker).present_receipts([(receipt, signature)])  # where it belongs
    assert world.escrow.slot(first, 0).state == SlotState.SUBMITTED


def test_an_approval_is_good_for_its_own_task_only(world: World) -> None:
    first = world.create(slots=1, receipt_slots=1)
    second = world.create(slots=1, receipt_slots=1)
    worker = world.workers[0]
    approval = Approval(first, (0,), (worker.address,), world.now() + 600)
    signature = world.escrow.sign_approval(approval)
    moved = Approval(second, (0,), (worker.address,), approval.expiry)
    error = reverted(lambda: world.client(worker).approve_with_signature(moved, signature))
    assert (error.error, error.error_args) == ("InvalidSignature", {"taskId": second})
    assert world.escrow.balance(worker.address) == 0
    world.client(worker).approve_with_signature(approval, signature)
    assert world.escrow.balance(worker.address) == REWARD


def test_signatures_for_another_chain_are_refused(world: World) -> None:
    task_id = world.create(slots=2, receipt_slots=2)
    worker = world.workers[0]
    other_chain = world.w3.eth.chain_id + 1
    receipt = receipt_for(world, task_id, 0, worker.address)
    foreign = sign(world.requester, receipt.signable(other_chain, world.escrow.address))
    error = reverted(lambda: world.client(worker).present_receipts([(receipt, foreign)]))
    assert error.error == "InvalidSignature"
    approval = Approval(task_id, (1,), (worker.address,), world.now() + 600)
    foreign = sign(world.requester, approval.signable(other_chain, world.escrow.address))
    error = reverted(lambda: world.client(worker).approve_with_signature(approval, foreign))
    assert error.error == "InvalidSignature"
    assert world.escrow.slot(task_id, 0).state == SlotState.OPEN
    assert world.escrow.balance(worker.address) == 0
    # the same messages signed for this chain are good: the chain id was all that differed
    world.client(worker).present_receipts([(receipt, world.escrow.sign_receipt(receipt))])
    world.client(worker).approve_with_signature(approval, world.escrow.sign_approval(approval))
    assert world.escrow.slot(task_id, 0).state == SlotState.SUBMITTED
    assert world.escrow.balance(worker.address) == REWARD


def test_signatures_for_another_escrow_are_refused(world: World) -> None:
    other = TaskEscrowClient(
        deploy(
            TransactionSender(world.w3, world.owner),
            world.compiled,
            "TaskEscrow",
            world.owner.address,
            world.treasury.address,
            FEE_BPS,
            world.arbitrator.address,
            DISPUTE_WINDOW,
            ARBITRATION_TIMEOUT,
        ),
        TransactionSender(world.w3, world.requester),
    )
    # the same requester makes the same task on both escrows: only the domain differs
    here = world.create(slots=2, receipt_slots=2)
    there, _ = other.create_task(world.params(slots=2, receipt_slots=2))
    assert here == there
    worker = world.workers[0]
    receipt = receipt_for(world, here, 0, worker.address)
    approval = Approval(here, (1,), (worker.address,), world.now() + 600)
    for signer, target in ((world.escrow, other), (other, world.escrow)):
        presenter = target.as_signer(worker)
        with pytest.raises(TransactionReverted) as presented:
            presenter.present_receipts([(receipt, signer.sign_receipt(receipt))])
        assert presented.value.error == "InvalidSignature"
        with pytest.raises(TransactionReverted) as relayed:
            presenter.approve_with_signature(approval, signer.sign_approval(approval))
        assert relayed.value.error == "InvalidSignature"
        assert target.balance(worker.address) == 0
    # each escrow takes its own signatures
    for escrow in (world.escrow, other):
        escrow.as_signer(worker).present_receipts([(receipt, escrow.sign_receipt(receipt))])
        assert escrow.slot(here, 0).state == SlotState.SUBMITTED


def test_a_receipt_presented_again_changes_nothing_and_sinks_no_batch(world: World) -> None:
    """Attack: present one receipt of a pending batch first, so the whole batch reverts.
    The copy is skipped (``ReceiptSkipped``) and the rest of the batch goes through."""
    task_id = world.create(slots=2, receipt_slots=2)
    worker = world.workers[0]
    receipt = receipt_for(world, task_id, 0, worker.address, expiry=world.now() + 10**6)
    signature = world.escrow.sign_receipt(receipt)
    world.client(worker).present_receipts([(receipt, signature)])
    used = world.escrow.task(task_id).receipt_slots_used
    for presenter in (worker, world.workers[1]):
        tx = world.client(presenter).present_receipts([(receipt, signature)])
        assert [e["slot"] for e in world.events(tx, "ReceiptSkipped")] == [0]
        assert world.escrow.slot(task_id, 0).state == SlotState.SUBMITTED
    assert world.escrow.task(task_id).receipt_slots_used == used
    # once the slot is paid, bundled with a fresh receipt: the fresh one is presented
    world.advance(REVIEW_PERIOD + 1)
    world.client(worker).finalize(task_id, [0])
    fresh = receipt_for(world, task_id, 1, world.workers[1].address)
    bundle = [(fresh, world.escrow.sign_receipt(fresh)), (receipt, signature)]
    tx = world.client(world.workers[2]).present_receipts(bundle)
    assert [e["slot"] for e in world.events(tx, "ReceiptPresented")] == [1]
    assert [e["slot"] for e in world.events(tx, "ReceiptSkipped")] == [0]
    assert world.escrow.slot(task_id, 1).state == SlotState.SUBMITTED
    assert world.escrow.task(task_id).receipt_slots_used == used + 1
    assert world.escrow.balance(worker.address) == REWARD


def test_expired_receipts_and_approvals_are_refused(world: World) -> None:
    task_id = world.create(slots=2, receipt_slots=2)
    worker = world.workers[0]
    now = world.now()
    receipt = receipt_for(world, task_id, 0, worker.address, expiry=now + 100)
    receipt_signature = world.escrow.sign_receipt(receipt)
    approval = Approval(task_id, (1,), (worker.address,), now + 100)
    approval_signature = world.escrow.sign_approval(approval)
    world.advance(101)
    error = reverted(lambda: world.client(worker).present_receipts([(receipt, receipt_signature)]))
    assert (error.error, error.error_args) == ("SignatureExpired", {"expiry": now + 100})
    error = reverted(
        lambda: world.client(worker).approve_with_signature(approval, approval_signature)
    )
    assert (error.error, error.error_args) == ("SignatureExpired", {"expiry": now + 100})
    assert world.escrow.task(task_id).receipt_slots_used == 0
    assert world.escrow.balance(worker.address) == 0


@pytest.mark.parametrize("signer", ["worker", "arbitrator", "owner", "treasury"])
def test_only_the_requester_or_verifier_signs(world: World, signer: str) -> None:
    task_id = world.create(slots=2, receipt_slots=2)
    worker = world.workers[0]
    account = {
        "worker": worker,
        "arbitrator": world.arbitrator,
        "owner": world.owner,
        "treasury": world.treasury,
    }[signer]
    impostor = world.client(account)
    receipt = receipt_for(world, task_id, 0, worker.address)
    error = reverted(
        lambda: world.client(worker).present_receipts([(receipt, impostor.sign_receipt(receipt))])
    )
    assert (error.error, error.error_args) == ("InvalidSignature", {"taskId": task_id})
    approval = Approval(task_id, (1,), (worker.address,), world.now() + 600)
    error = reverted(
        lambda: world.client(worker).approve_with_signature(
            approval, impostor.sign_approval(approval)
        )
    )
    assert (error.error, error.error_args) == ("InvalidSignature", {"taskId": task_id})
    # the verifier's signatures are good for the same messages
    verifier = world.client(world.verifier)
    world.client(worker).present_receipts([(receipt, verifier.sign_receipt(receipt))])
    world.client(worker).approve_with_signature(approval, verifier.sign_approval(approval))
    assert world.escrow.slot(task_id, 0).state == SlotState.SUBMITTED
    assert world.escrow.balance(worker.address) == REWARD


def test_an_erc1271_wallet_can_be_the_requester(
    world: World, fresh_account: Callable[[], LocalAccount]
) -> None:
    owner = fresh_account()
    wallet = deploy(
        TransactionSender(world.w3, owner), world.compiled, "ERC1271Wallet", owner.address
    )
    params = world.escrow.guarded(world.params(slots=3, receipt_slots=3, verifier="0x" + "00" * 20))
    escrow = world.deployment.escrow
    create = escrow.encode_abi("createTask", args=[params.as_abi()])
    transact(
        world,
        owner,
        wallet.functions.execute(escrow.address, create),
        value=funding_of(REWARD, 3, FEE_BPS),
    )
    task_id = world.escrow.task_count()
    assert world.escrow.task(task_id).requester == wallet.address

    worker = world.workers[0]
    presenter = world.client(worker)
    chain_id = world.w3.eth.chain_id
    receipt = receipt_for(world, task_id, 0, worker.address)
    # the wallet's owner key signs for it
    signature = sign(owner, receipt.signable(chain_id, escrow.address))
    tx = presenter.present_receipts([(receipt, signature)])
    [event] = world.events(tx, "ReceiptPresented")
    assert event["signer"] == wallet.address
    approval = Approval(task_id, (1,), (worker.address,), world.now() + 600)
    presenter.approve_with_signature(
        approval, sign(owner, approval.signable(chain_id, escrow.address))
    )
    assert world.escrow.balance(worker.address) == REWARD

    # any other key is refused, even one the wallet's owner might use elsewhere
    wrong = fresh_account()
    other = receipt_for(world, task_id, 2, worker.address)
    error = reverted(
        lambda: presenter.present_receipts(
            [(other, sign(wrong, other.signable(chain_id, escrow.address)))]
        )
    )
    assert (error.error, error.error_args) == ("InvalidSignature", {"taskId": task_id})
    approval = Approval(task_id, (2,), (worker.address,), world.now() + 600)
    error = reverted(
        lambda: presenter.approve_with_signature(
            approval, sign(wrong, approval.signable(chain_id, escrow.address))
        )
    )
    assert error.error == "InvalidSignature"
    assert world.escrow.slot(task_id, 2).state == SlotState.OPEN


# ====================================================================== roles


def test_a_verifier_has_no_say_over_another_task(world: World) -> None:
    mine = world.create(slots=2, receipt_slots=1)  # world.verifier verifies this one
    theirs = world.create(slots=3, receipt_slots=1, verifier="0x" + "00" * 20)
    worker, accomplice = world.workers[0], world.workers[1]
    world.submitted(theirs, 1, worker)
    verifier = world.client(world.verifier)
    before = world.escrow.task(theirs)

    for pairs in ([(1, worker.address)], [(0, accomplice.address)]):
        error = reverted(lambda p=pairs: verifier.approve(theirs, p))
        assert error.error_args == {"taskId": theirs, "caller": world.verifier.address}
        assert error.error == "NotReviewer"
        error = reverted(lambda p=pairs: verifier.reject(theirs, p, REASON))
        assert error.error == "NotReviewer"
    approval = Approval(theirs, (0, 1), (accomplice.address, worker.address), world.now() + 600)
    error = reverted(
        lambda: world.client(accomplice).approve_with_signature(
            approval, verifier.sign_approval(approval)
        )
    )
    assert error.error == "InvalidSignature"
    receipt = receipt_for(world, theirs, 0, accomplice.address)
    error = reverted(
        lambda: world.client(accomplice).present_receipts(
            [(receipt, verifier.sign_receipt(receipt))]
        )
    )
    assert error.error == "InvalidSignature"
    # an approval the verifier may sign, for its own task, does not carry over either
    own = Approval(mine, (0,), (accomplice.address,), world.now() + 600)
    moved = Approval(theirs, (0,), (accomplice.address,), own.expiry)
    error = reverted(
        lambda: world.client(accomplice).approve_with_signature(moved, verifier.sign_approval(own))
    )
    assert error.error == "InvalidSignature"
    assert world.escrow.task(theirs) == before
    assert world.escrow.balance(accomplice.address) == 0
    assert world.escrow.slot(theirs, 1).state == SlotState.SUBMITTED


def test_a_worker_cannot_settle_their_own_rejection_early(world: World) -> None:
    task_id = world.create(slots=2)
    worker = world.workers[0]
    world.submitted(task_id, 0, worker)
    world.escrow.reject(task_id, [(0, worker.address)], REASON)
    client = world.client(worker)

    error = reverted(lambda: client.finalize(task_id, [0]))
    assert (error.error, error.error_args) == ("NothingToFinalize", {"taskId": task_id})
    error = reverted(lambda: client.approve(task_id, [(0, worker.address)]))
    assert (error.error, error.error_args) == (
        "NotReviewer",
        {"taskId": task_id, "caller": worker.address},
    )
    approval = Approval(task_id, (0,), (worker.address,), world.now() + 600)
    error = reverted(
        lambda: client.approve_with_signature(approval, client.sign_approval(approval))
    )
    assert error.error == "InvalidSignature"
    error = reverted(lambda: client.rule(task_id, 0, True, REASON))
    assert error.error == "NotArbitrator"
    world.advance(DISPUTE_WINDOW - LEASE)  # still inside the window
    error = reverted(lambda: client.finalize(task_id, [0]))
    assert error.error == "NothingToFinalize"
    assert world.escrow.slot(task_id, 0).state == SlotState.REJECTED
    assert world.escrow.balance(worker.address) == 0

    # once the window closes, time settles it the other way: closed, refunded, a rejection
    world.advance(LEASE + 1)
    client.finalize(task_id, [0])
    assert world.escrow.slot(task_id, 0).state == SlotState.CLOSED
    assert world.escrow.balance(worker.address) == 0
    assert world.escrow.balance(world.requester.address) == PER_SLOT
    assert world.escrow.reputation(worker.address).rejected == 1
    error = reverted(lambda: client.dispute(task_id, 0, REASON))
    assert (error.error, error.error_args["state"]) == ("InvalidSlotState", SlotState.CLOSED.code)


def test_approving_the_wrong_worker_is_refused(world: World) -> None:
    task_id = world.create(slots=3)
    worker, impostor = world.workers[0], world.workers[1]
    world.submitted(task_id, 0, worker)
    world.submitted(task_id, 1, world.workers[2])
    # the whole batch fails, including the good first entry
    pairs = [(1, world.workers[2].address), (0, impostor.address)]
    approval = Approval(task_id, (1, 0), tuple(w for _, w in pairs), world.now() + 600)
    signature = world.escrow.sign_approval(approval)
    attempts: list[Callable[[], object]] = [
        lambda: world.escrow.approve(task_id, pairs),
        lambda: world.client(impostor).approve_with_signature(approval, signature),
        lambda: world.escrow.reject(task_id, [(0, impostor.address)], REASON),
    ]
    for attempt in attempts:
        error = reverted(attempt)
        assert error.error == "WorkerMismatch"
        assert error.error_args == {
            "taskId": task_id,
            "slot": 0,
            "holder": worker.address,
            "named": impostor.address,
        }
    for slot in (0, 1):
        assert world.escrow.slot(task_id, slot).state == SlotState.SUBMITTED
    assert world.escrow.balance(impostor.address) == 0
    assert world.escrow.balance(world.workers[2].address) == 0
    world.escrow.approve(task_id, [(0, worker.address)])
    assert world.escrow.balance(worker.address) == REWARD
