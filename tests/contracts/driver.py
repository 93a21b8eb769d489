"""The state machine's driver: the world it runs in, and how a call is sent and judged.

`Env` is what every example shares (the deployment, the people, the tokens). `Driver`
sends one call at a time through `Driver.do`: the model (`tests.contracts.model`) predicts
the outcome on a copy of itself, the call runs on the chain, and the two must agree on
success or the custom error, on every slot paid or closed (from the call's events), and on
the moment the call ran at. The rules that choose the calls are in
`tests.contracts.machine`; the checks after each step in `tests.contracts.checks`.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.abi import event_abi_to_log_topic
from hypothesis.stateful import RuleBasedStateMachine
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from microtask.chain.accounts import dev_accounts
from microtask.chain.artifacts import CompiledProject
from microtask.chain.devchain import revert, snapshot
from microtask.chain.erc20 import erc20
from microtask.chain.reverts import TransactionReverted
from microtask.chain.transactions import TransactionSender
from microtask.chain.typed_data import Approval, Receipt, ReceiptRejection
from microtask.escrow import ETH, HELD_STATES, ApprovalBasis, SlotState, TaskParams
from tests.contracts.chain_reads import Batch
from tests.contracts.model import Model, Revert, TaskModel
from tests.world import ENVELOPE, Deployment, World

ZERO = ETH
MAX_UINT = 2**256 - 1
DIGEST = bytes(range(1, 33))
LIVE = tuple(state for state in SlotState if state in HELD_STATES)
SETTLEABLE = (SlotState.SUBMITTED, SlotState.REJECTED, SlotState.DISPUTED)
COVERAGE: Counter[tuple[str, str]] = Counter()
"""What the runs exercised: (call, outcome) pairs, paid bases, slot states stepped through."""


@dataclass
class Env:
    """What every example shares: the deployment, the people, the tokens."""

    w3: Web3
    world: World
    owner: LocalAccount
    requesters: list[LocalAccount]
    verifier: LocalAccount
    arbitrators: list[LocalAccount]
    treasury: LocalAccount
    workers: list[LocalAccount]
    fresh: list[LocalAccount]  # funded only when an example brings them in
    sink: str  # an address that holds nothing and never sends: withdrawals land exactly
    tokens: list[str]  # ETH, MockERC20 (with permit), NoReturnToken
    topics: dict[bytes, Any]

    @classmethod
    def build(cls, w3: Web3, shared: Deployment, compiled: CompiledProject) -> Env:
        accounts = dev_accounts()

        def rebound(contract: Contract) -> Contract:  # every call through this test's w3
            return w3.eth.contract(address=contract.address, abi=contract.abi)

        deployment = Deployment(
            rebound(shared.escrow),
            rebound(shared.token),
            rebound(shared.no_return_token),
            rebound(shared.fee_token),
            rebound(shared.reentrant_token),
        )
        world = World(
            w3=w3,
            deployment=deployment,
            compiled=compiled,
            owner=accounts[0],
            requester=accounts[1],
            verifier=accounts[2],
            arbitrator=accounts[8],
            treasury=accounts[9],
            workers=list(accounts[3:8]),
        )
        keys = [Web3.keccak(text=f"microtask invariants {i}") for i in range(5)]
        second_requester, second_arbitrator, *fresh = (Account.from_key(k) for k in keys)
        sink = Account.from_key(Web3.keccak(text="microtask invariants sink")).address
        tokens = [ZERO, deployment.token.address, deployment.no_return_token.address]
        owner = TransactionSender(w3, accounts[0])
        # set up once, inside the test's own snapshot: a second funded requester, a second
        # arbitrator, and allowances that never run out, so no client call sends an extra
        # approve
        for account, ether in ((second_requester, 1000), (second_arbitrator, 1)):
            world.fund_worker(account, ether)
        for token in (deployment.token, deployment.no_return_token):
            owner.transact(token.functions.mint(second_requester.address, 10**24))
            for requester in (accounts[1], second_requester):
                TransactionSender(w3, requester).transact(
                    erc20(w3, token.address).functions.approve(
                        deployment.escrow.address, MAX_UINT // 2
                    )
                )
        escrow = deployment.escrow
        topics = {
            event_abi_to_log_topic(e): getattr(escrow.events, e["name"])()
            for e in escrow.abi
            if e.get("type") == "event"
        }
        return cls(
            w3=w3,
            world=world,
            owner=accounts[0],
            requesters=[accounts[1], second_requester],
            verifier=accounts[2],
            arbitrators=[accounts[8], second_arbitrator],
            treasury=accounts[9],
            workers=list(accounts[3:8]),
            fresh=fresh,
            sink=sink,
            tokens=tokens,
            topics=topics,
        )


def pick_from(items: Sequence[Any], index: int) -> Any:
    return items[index % len(items)] if items else None


class Driver(RuleBasedStateMachine):
    """Sends calls to the escrow and holds each to the model (`do`); knows the people, the
    tasks and slots worth choosing, and one method per call to send. `EscrowMachine`
    (`tests.contracts.machine`) adds the rules hypothesis draws from; the test's subclass
    supplies ``env``."""

    env: ClassVar[Env]

    def __init__(self) -> None:
        super().__init__()
        env = self.env
        self.w3 = env.w3
        self.snapshot_id = snapshot(self.w3)
        self.workers = list(env.workers)
        self.fresh = list(env.fresh)
        escrow = env.world.client(env.owner)
        self.model = Model(
            owner=env.owner.address,
            treasury=escrow.treasury(),
            fee_bps=escrow.fee_bps(),
            default_arbitrator=escrow.default_arbitrator(),
            dispute_window=escrow.dispute_window(),
            arbitration_timeout=escrow.arbitration_timeout(),
            next_task_id=escrow.task_count() + 1,
        )
        # P2, counted from the chain's own events
        self.paid = Counter[tuple[int, int]]()
        self.closed = Counter[tuple[int, int]]()
        self.funded = Counter[int]()
        self.spent = Counter[int]()
        self.signed_approvals: list[tuple[Approval, bytes, str]] = []
        self.presented: list[tuple[Receipt, bytes, str]] = []
        self.operations = 0  # the operator acts now and then, not all the time
        self.last_error: str | None = None  # of the latest call, for scripted runs
        self.baseline = self._baseline()

    def teardown(self) -> None:
        revert(self.w3, self.snapshot_id)

    # ------------------------------------------------------------ people

    def accounts(self) -> list[LocalAccount]:
        """Everyone who may be credited or may act."""
        env = self.env
        return [
            env.owner,
            *env.requesters,
            env.verifier,
            *env.arbitrators,
            env.treasury,
            *self.workers,
        ]

    def addresses(self) -> list[str]:
        return [a.address for a in self.accounts()] + [self.env.sink]

    def account(self, address: str) -> LocalAccount:
        return next(a for a in self.accounts() if a.address == address)

    def anyone(self, index: int) -> LocalAccount:
        return pick_from(self.accounts(), index)

    def worker(self, index: int) -> LocalAccount:
        """Mostly workers; sometimes a requester, the verifier or an arbitrator."""
        if index % 8 == 7:
            return self.anyone(index // 8)
        return pick_from(self.workers, index)

    def client(self, account: LocalAccount) -> Any:
        return self.env.world.client(account)

    # ------------------------------------------------------------ chain access

    def now(self) -> int:
        block = self.w3.provider.make_request("eth_getBlockByNumber", ["latest", False])  # type: ignore[arg-type]
        return int(block["result"]["timestamp"], 16)

    def _baseline(self) -> dict[str, int]:
        """Per token, whatever the escrow held before this example that no tracked account
        or task of ours accounts for (zero on a fresh deployment); it must stay constant."""
        batch = Batch(self.w3, self.env.world.deployment.escrow)
        holdings = {
            t: batch.token_balance(t, self.env.world.deployment.escrow.address)
            for t in self.env.tokens
        }
        ledgers = {
            (t, a): batch.escrow_call("balanceOf", t, a)
            for t in self.env.tokens
            for a in self.addresses()
        }
        results = batch.run()
        for (token, account), index in ledgers.items():
            if results[index]:
                self.model.ledger[(token, account)] = results[index]
        return {
            t: results[i] - sum(results[j] for (tok, _), j in ledgers.items() if tok == t)
            for t, i in holdings.items()
        }

    def do(
        self,
        label: str,
        predict: Callable[[Model, int], Any],
        send: Callable[[], TxReceipt],
        expected_error: str | None = None,
    ) -> tuple[TxReceipt | None, Any]:
        """Run ``send`` and hold its outcome to the model's prediction."""
        at = self.now()
        trial = copy.deepcopy(self.model)
        trial.paid_log, trial.closed_log = [], []
        expected: Revert | None = None
        result = None
        try:
            result = predict(trial, at)
        except Revert as revert_:
            expected = revert_
        else:  # P2 in the model itself: no call it accepts pays out more than a task holds
            for task in trial.tasks.values():
                assert task.escrow >= 0, f"{label}: the model overdraws task {task.task_id}"
        if expected_error is not None and expected is None:
            expected = Revert(expected_error)  # what the model cannot know: a token's error
        reverted: TransactionReverted | None = None
        try:
            receipt = send()
        except TransactionReverted as caught:
            reverted = caught
        COVERAGE[(label, reverted.error if reverted else "ok")] += 1
        self.last_error = reverted.error if reverted else None
        if reverted is not None:
            assert expected is not None, (
                f"{label} at {at}: the model expected success, the escrow said {reverted}"
            )
            assert reverted.error == expected.error, (
                f"{label} at {at}: expected {expected.error}{expected.error_args}, got {reverted}"
            )
            for key, value in expected.error_args.items():
                assert reverted.error_args.get(key) == value, (
                    f"{label}: {reverted.error}.{key} is {reverted.error_args.get(key)}, "
                    f"expected {value}"
                )
            return None, None
        assert expected is None, (
            f"{label} at {at}: the escrow accepted what the model refuses: "
            f"{expected.error}{expected.error_args}"
        )
        block = self.w3.eth.get_block(receipt["blockNumber"])
        assert block["timestamp"] == at, "the call ran at an unexpected time"
        self.absorb(label, receipt, trial)
        self.model = trial
        return receipt, result

    def absorb(self, label: str, receipt: TxReceipt, trial: Model) -> None:
        """Count the escrow's events (P2) and hold them to what the model expected."""
        escrow = self.env.world.deployment.escrow.address
        paid: list[tuple[int, int, str, ApprovalBasis]] = []
        closed: list[tuple[int, int, str]] = []
        for log in receipt["logs"]:
            if log["address"] != escrow:
                continue
            event = self.env.topics[bytes(log["topics"][0])].process_log(log)
            name, args = event["event"], event["args"]
            if name == "TaskCreated":
                self.funded[args["taskId"]] += args["task"]["escrow"]
            elif name == "SlotsAdded":
                self.funded[args["taskId"]] += args["funded"]
            elif name in ("TaskCancelled", "ReceiptSlotsReclaimed", "SlotClosed"):
                self.spent[args["taskId"]] += args["refunded"]
            if name == "SlotClosed":
                key = (args["taskId"], args["slot"])
                self.closed[key] += 1
                closed.append((args["taskId"], args["slot"], args["worker"]))
                task = trial.tasks[args["taskId"]]
                assert args["refunded"] == task.per_slot
            if name == "SlotsApproved":
                task = trial.tasks[args["taskId"]]
                assert (args["reward"], args["fee"]) == (task.reward, task.fee), label
                assert len(args["slots"]) == len(args["workers"]) > 0, label
                self.spent[args["taskId"]] += len(args["slots"]) * task.per_slot
                for slot, worker in zip(args["slots"], args["workers"], strict=True):
                    self.paid[(args["taskId"], slot)] += 1
                    paid.append(
                        (args["taskId"], slot, worker, ApprovalBasis.from_code(args["basis"]))
                    )
                    COVERAGE[("paid", ApprovalBasis.from_code(args["basis"]).name)] += 1
        assert Counter(paid) == Counter(trial.paid_log), (
            f"{label}: paid {paid}, the model expected {trial.paid_log}"
        )
        assert Counter(closed) == Counter(trial.closed_log), (
            f"{label}: closed {closed}, the model expected {trial.closed_log}"
        )

    # ------------------------------------------------------------ choosing

    def task_ids(self) -> list[int]:
        return sorted(self.model.tasks)

    def pick_task(self, index: int) -> TaskModel:
        return self.model.tasks[pick_from(self.task_ids(), index)]

    def has_tasks(self) -> bool:
        return bool(self.model.tasks)

    def slots_in(self, *states: SlotState) -> list[tuple[TaskModel, int]]:
        return [
            (task, index)
            for task in self.model.tasks.values()
            for index, slot in enumerate(task.slots)
            if slot.state in states
        ]

    def _all_slots(self) -> list[tuple[TaskModel, int]]:
        return [(t, i) for t in self.model.tasks.values() for i in range(len(t.slots))]

    def open_receipt_slots(self, task: TaskModel) -> list[int]:
        return [i for i in range(task.receipt_slots) if task.slots[i].state == SlotState.OPEN]

    def settleable(self, states: tuple[SlotState, ...] = SETTLEABLE) -> bool:
        """Whether some slot is in ``states``, or some receipt slot is unused."""
        return any(
            slot.state in states or (index < task.receipt_slots and slot.state == SlotState.OPEN)
            for task in self.model.tasks.values()
            for index, slot in enumerate(task.slots)
        )

    def settle_pairs(
        self,
        task: TaskModel,
        picks: list[int],
        mismatch: bool,
        wild: bool,
        states: tuple[SlotState, ...] = SETTLEABLE,
    ) -> list[tuple[int, str]]:
        """(slot, worker) pairs a reviewer might settle: slots in ``states`` with their
        workers, unused receipt slots with a worker of our choosing, or (``wild``) any slot,
        one past the end included; ``mismatch`` names someone else for the first."""
        held = [(i, s.worker) for i, s in enumerate(task.slots) if s.state in states]
        candidates = held + [(i, "") for i in self.open_receipt_slots(task)]
        pairs = []
        for pick in picks:
            if wild or not candidates:
                index = pick % (len(task.slots) + 1)
                worker = task.slot(index).worker
            else:
                index, worker = pick_from(candidates, pick)
            if not worker or worker == ZERO:
                worker = self.worker(pick // 3).address
            pairs.append((index, worker))
        if mismatch:
            index, worker = pairs[0]
            pairs[0] = (index, next(w.address for w in self.workers if w.address != worker))
        return pairs

    # ================================================================ operations
    # Each sends one call through ``do``; the rules below choose what to send.

    def _create(self, requester: LocalAccount, params: TaskParams, funding: str) -> int | None:
        client = self.client(requester)
        params = client.guarded(params)  # what the requester saw; the model checks it too
        permit = funding != "allowance"
        token = erc20(self.w3, params.token) if params.token != ZERO else None
        sender = TransactionSender(self.w3, requester)
        if permit:
            assert token is not None
            sender.transact(token.functions.approve(client.address, 0))
        before = self._wallet(params.token, requester.address)
        expected_error = None
        if funding == "expired permit" and not self.model.paused:
            # the escrow ignores a failed permit; with no allowance the token refuses
            expected_error = "ERC20InsufficientAllowance"

        def send() -> TxReceipt:
            if permit:
                deadline = self.now() + (-1 if funding == "expired permit" else 3_600)
                return client.create_task_with_permit(params, deadline)[1]
            return client.create_task(params)[1]

        receipt, task_id = self.do(
            "createTaskWithPermit" if permit else "createTask",
            lambda m, at: m.create(at, requester.address, params),
            send,
            expected_error,
        )
        if permit:
            assert token is not None
            if receipt is not None:  # the permit allowed exactly the funding, all spent
                assert token.functions.allowance(requester.address, client.address).call() == 0
            sender.transact(token.functions.approve(client.address, MAX_UINT // 2))
        if receipt is None:
            return None
        [event] = client.contract.events.TaskCreated().process_receipt(receipt, errors=DISCARD)
        assert event["args"]["taskId"] == task_id
        task = self.model.tasks[task_id]
        spent = before - self._wallet(params.token, requester.address)
        assert spent == len(task.slots) * task.per_slot + self._gas(receipt, params.token)
        return int(task_id)

    def _wallet(self, token: str, address: str) -> int:
        if token == ZERO:
            return int(self.w3.eth.get_balance(address))  # type: ignore[arg-type]
        return int(erc20(self.w3, token).functions.balanceOf(address).call())

    def _gas(self, receipt: TxReceipt, token: str) -> int:
        if token != ZERO:
            return 0
        return int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])

    def _claim(self, task: TaskModel, index: int, account: LocalAccount) -> TxReceipt | None:
        return self.do(
            "claim",
            lambda m, at: m.claim(at, account.address, task.task_id, index),
            lambda: self.client(account).claim(task.task_id, index),
        )[0]

    def _release(self, task: TaskModel, index: int, account: LocalAccount) -> TxReceipt | None:
        return self.do(
            "release",
            lambda m, at: m.release(at, account.address, task.task_id, index),
            lambda: self.client(account).release(task.task_id, index),
        )[0]

    def _submit(
        self, task: TaskModel, index: int, account: LocalAccount, cid: bytes
    ) -> TxReceipt | None:
        return self.do(
            "submit",
            lambda m, at: m.submit(at, account.address, task.task_id, index, cid),
            lambda: self.client(account).submit(task.task_id, index, cid),
        )[0]

    def _receipt(
        self,
        task: TaskModel,
        index: int,
        worker: LocalAccount,
        signer: LocalAccount,
        submitted_at: int,
        expiry: int,
    ) -> tuple[Receipt, bytes, str]:
        receipt = Receipt(task.task_id, index, worker.address, DIGEST, max(submitted_at, 0), expiry)
        return receipt, self.client(signer).sign_receipt(receipt), signer.address

    def _present(
        self, signed: list[tuple[Receipt, bytes, str]], presenter: LocalAccount
    ) -> TxReceipt | None:
        receipt, skipped = self.do(
            "presentReceipts",
            lambda m, at: m.present(at, presenter.address, [(r, s) for r, _, s in signed]),
            lambda: self.client(presenter).present_receipts([(r, sig) for r, sig, _ in signed]),
        )
        if receipt is not None:
            self.presented.extend(signed)
            events = self.env.world.events(receipt, "ReceiptSkipped")
            assert len(events) == skipped, f"skipped {len(events)}, the model {skipped}"
        return receipt

    def _reject_receipts(
        self,
        task: TaskModel,
        items: list[tuple[int, LocalAccount, LocalAccount, bool]],
        reviewer: LocalAccount,
        cid: bytes,
    ) -> TxReceipt | None:
        """Reject receipt slots with their proof: (slot, worker, receipt signer, whether the
        worker's submission signature is the worker's own or a forgery)."""
        world, now = self.env.world, self.now()
        proofs, predicted = [], []
        for index, worker, signer, genuine in items:
            receipt = Receipt(task.task_id, index, worker.address, DIGEST, now, now + 3_600)
            # a forgery: someone else (the reviewer, say) signing in the worker's place
            others = (a for a in (signer, *self.workers) if a.address != worker.address)
            forger = worker if genuine else next(others)
            proofs.append(
                ReceiptRejection(
                    receipt,
                    self.client(signer).sign_receipt(receipt),
                    ENVELOPE,
                    world.submission_signature(task.task_id, index, forger),
                )
            )
            predicted.append((receipt, signer.address, genuine))
        return self.do(
            "rejectReceipts",
            lambda m, at: m.reject_receipts(at, reviewer.address, task.task_id, predicted, cid),
            lambda: self.client(reviewer).reject_receipts(task.task_id, proofs, cid),
        )[0]

    def _prove(
        self, signed: tuple[Receipt, bytes, str], paid_slot: int, caller: LocalAccount
    ) -> TxReceipt | None:
        receipt, signature, signer = signed
        return self.do(
            "proveEquivocation",
            lambda m, at: m.prove_equivocation(at, caller.address, receipt, signer, paid_slot),
            lambda: self.client(caller).prove_equivocation(receipt, signature, paid_slot),
        )[0]

    def _dispute(
        self, task: TaskModel, index: int, account: LocalAccount, cid: bytes
    ) -> TxReceipt | None:
        return self.do(
            "dispute",
            lambda m, at: m.dispute(at, account.address, task.task_id, index, cid),
            lambda: self.client(account).dispute(task.task_id, index, cid),
        )[0]

    def _approve(
        self, task: TaskModel, pairs: list[tuple[int, str]], account: LocalAccount
    ) -> TxReceipt | None:
        return self.do(
            "approve",
            lambda m, at: m.approve(at, account.address, task.task_id, pairs),
            lambda: self.client(account).approve(task.task_id, pairs),
        )[0]

    def _sign_approval(
        self, task: TaskModel, pairs: list[tuple[int, str]], signer: LocalAccount, expiry: int
    ) -> tuple[Approval, bytes, str]:
        approval = Approval(
            task.task_id, tuple(i for i, _ in pairs), tuple(w for _, w in pairs), expiry
        )
        return approval, self.client(signer).sign_approval(approval), signer.address

    def _relay(
        self, signed: tuple[Approval, bytes, str], relayer: LocalAccount
    ) -> TxReceipt | None:
        approval, signature, signer = signed
        receipt, _ = self.do(
            "approveWithSignature",
            lambda m, at: m.approve_signed(at, relayer.address, approval, signer),
            lambda: self.client(relayer).approve_with_signature(approval, signature),
        )
        if receipt is not None:
            self.signed_approvals.append(signed)
        return receipt

    def _reject(
        self, task: TaskModel, pairs: list[tuple[int, str]], account: LocalAccount, cid: bytes
    ) -> TxReceipt | None:
        return self.do(
            "reject",
            lambda m, at: m.reject(at, account.address, task.task_id, pairs, cid),
            lambda: self.client(account).reject(task.task_id, pairs, cid),
        )[0]

    def _rule(
        self, task: TaskModel, index: int, account: LocalAccount, pay: bool, cid: bytes
    ) -> TxReceipt | None:
        return self.do(
            "rule",
            lambda m, at: m.rule(at, account.address, task.task_id, index, pay, cid),
            lambda: self.client(account).rule(task.task_id, index, pay, cid),
        )[0]

    def _finalize(
        self, task: TaskModel, indexes: list[int], account: LocalAccount
    ) -> TxReceipt | None:
        return self.do(
            "finalize",
            lambda m, at: m.finalize(at, account.address, task.task_id, indexes),
            lambda: self.client(account).finalize(task.task_id, indexes),
        )[0]

    # ------------------------------------------------------------ choosing parties

    def _stranger(self, task: TaskModel) -> LocalAccount:
        """A worker with no role in the task."""
        return next(a for a in self.workers if a.address not in (task.requester, task.verifier))

    def _requester_or_stranger(self, task: TaskModel, stranger: bool) -> LocalAccount:
        return self._stranger(task) if stranger else self.account(task.requester)

    def _reviewer(self, task: TaskModel, kind: str) -> LocalAccount:
        """The requester, the verifier (who may have no role in this task) or a stranger."""
        if kind == "requester":
            return self.account(task.requester)
        if kind == "verifier":
            return self.env.verifier
        return self._stranger(task)

    def _holder(self, task: TaskModel, index: int, holder: bool) -> LocalAccount:
        worker = task.slots[index].worker
        if holder:
            return self.account(worker)
        return next(a for a in self.workers if a.address != worker)

    def _free_worker(self, task: TaskModel, choice: int) -> LocalAccount:
        """A worker who may claim on this task: no role in it and no slot held."""
        parties = (task.requester, task.verifier, task.arbitrator)
        free = [
            a
            for a in self.workers
            if a.address not in parties
            and (task.task_id, a.address) not in self.model.holds
            and self.model.qualified(task, a.address)
        ]
        return pick_from(free, choice) or self.worker(choice)
