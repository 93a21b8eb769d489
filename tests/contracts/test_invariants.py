"""TaskEscrow under random use: a hypothesis state machine checked against a Python model.

Random requesters (two), workers (five dev accounts plus fresh ones funded mid-run), the
verifier, two arbitrators and the owner drive every operation on ETH, MockERC20 and
NoReturnToken (USDT-like) tasks with receipt slots and claimable slots: create (with an
allowance, a permit, or an expired permit), addSlots, extendDeadline, cancel,
reclaimReceiptSlots, bonus, claim, release, submit, presentReceipts (and replays), approve
(including unused receipt slots), approveWithSignature (relayed by the worker it pays, and
replayed), reject, dispute, rule, finalize, withdraw (part, all, too much, nothing), and the
operator's fee, default arbitrator and pause. Time jumps by set amounts, and to the last
second of a lease, review period, dispute window, arbitration timeout, deadline or receipt
window (or the first second after it), where the calls that window decides are tried.

The model predicts each call's outcome: success, or the custom error (with its arguments
where they tell something). A call the model expects to succeed must succeed, one it
expects to fail must fail with that error, and every slot a call pays or closes must be
the one the model expects. After every step (and between the calls of a multi-call step)
the chain is read in one JSON-RPC batch and checked:

- P1 conservation, exact to the wei, per token: the escrow's balance equals the ledger
  balances of every account that could have been credited plus every task's ``escrow``.
- P2 once: every ``SlotsApproved`` and ``SlotClosed`` event is counted per (task, slot);
  none is paid or closed twice, or both; what each task paid out and refunded (from its
  events) never passes what it was funded, and its ``escrow`` is exactly the difference.
- P3 silence pays: every submitted or receipted slot past its review period (and every
  other slot time has decided) can be finalized by a stranger (a static call succeeds), and
  finalizing pays exactly the slots the model says are due, never one a second early.
- P5 no rug-pull: each task's escrow is exactly ``reward + fee`` for every claimable slot
  still open, every claimed, submitted, rejected or disputed slot, and every unused receipt
  slot not yet reclaimed; so a cancel refunds nothing that backs held work, and the
  requester's ledger matches the model's refunds.
- Slot states, workers and timestamps, task fields (fee snapshot included), ledger
  balances and reputation counters all equal the model's.

Time is deterministic: anvil is told to give each new block the latest block's timestamp
(gas estimation and execution then see the same time), so the model knows the exact moment
every call runs at, and time moves only when a rule advances it. Each example runs inside
its own anvil snapshot, reverted in ``teardown``. A scripted tour through the same machine
makes sure every path is taken at least once, whatever hypothesis draws.

Where things are, in the order to read them:

- `tests.contracts.model`: the Python model of the contract, built on the escrow domain
  (`microtask.escrow`), so these runs also hold the domain's rules to the contract;
- `tests.contracts.driver`: the world (`Env`) and how each call is sent and judged;
- `tests.contracts.machine`: the rules hypothesis draws calls from;
- `tests.contracts.checks`: what must hold after every step (P1, P2, P3, P5);
- `tests.contracts.chain_reads`: the batched reads the checks use.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from web3 import Web3
from web3.types import RPCEndpoint, TxReceipt

from microtask.chain.anvil import AnvilProcess
from microtask.chain.artifacts import CompiledProject
from microtask.chain.devchain import catch_up_clock, revert, snapshot
from microtask.escrow import ETH, ApprovalBasis, SlotState, TaskParams
from tests.contracts.driver import COVERAGE, Env
from tests.contracts.machine import EscrowMachine
from tests.contracts.model import TaskModel
from tests.world import MANIFEST, REASON, RESULT, Deployment

SETTINGS = settings(
    max_examples=18,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
    print_blob=True,
)


@pytest.fixture
def escrow_env(
    anvil_process: AnvilProcess, deployment: Deployment, compiled: CompiledProject
) -> Iterator[Env]:
    """The shared deployment with deterministic time, restored afterwards. (Not
    ``anvil_w3``: each example takes and reverts its own snapshot.)"""
    # the escrow client asks for the chain id before every transaction, and requests looks
    # for proxy settings before every request: neither can change here, so skip both
    session = requests.Session()
    session.trust_env = False
    provider = Web3.HTTPProvider(
        anvil_process.url,
        session=session,
        cache_allowed_requests=True,
        cacheable_requests={RPCEndpoint("eth_chainId")},
    )
    w3 = Web3(provider)
    outer = snapshot(w3)
    w3.provider.make_request("anvil_setBlockTimestampInterval", [0])  # type: ignore[arg-type]
    try:
        yield Env.build(w3, deployment, compiled)
    finally:
        w3.provider.make_request("anvil_removeBlockTimestampInterval", [])  # type: ignore[arg-type]
        revert(w3, outer)
        catch_up_clock(w3)


def test_escrow_keeps_its_properties_under_random_use(escrow_env: Env) -> None:
    COVERAGE.clear()
    machine = type("EscrowRun", (EscrowMachine,), {"env": escrow_env})
    run_state_machine_as_test(machine, settings=SETTINGS)
    # what the run exercised (shown with -s, or on failure)
    for key, count in sorted(COVERAGE.items()):
        print(*key, count)


def test_a_scripted_tour_meets_the_model_on_every_path(escrow_env: Env) -> None:
    """One fixed run through every path, checked like the random runs after each call: so
    every operation, window and settlement basis is exercised whatever hypothesis draws."""
    COVERAGE.clear()
    machine = type("EscrowTour", (EscrowMachine,), {"env": escrow_env})()
    env, check = escrow_env, machine.escrow_matches_the_model
    first, second = env.requesters
    workers = machine.workers
    try:
        check()

        def task(spec: dict[str, Any]) -> TaskModel:
            defaults = {
                "who": 0,
                "token": 0,
                "funding": "allowance",
                "reward": 3,
                "slots": 4,
                "receipt_slots": 0,
                "deadline": 1_000_000,
                "review": 3_600,
                "lease": 600,
                "verifier": True,
                "arbitrator": 0,
                "guard": "now",
                "min_approved": 0,
                "min_bps": 0,
            }
            task_id = machine._create_from(defaults | spec)
            assert task_id is not None
            check()
            return machine.model.tasks[task_id]

        def ok(receipt: TxReceipt | None) -> None:
            assert receipt is not None
            check()

        eth = task({"receipt_slots": 2})
        usd = task({"who": 1, "funding": "permit", "slots": 2, "receipt_slots": 1})
        usdt = task({"token": 2, "slots": 2, "arbitrator": 2, "verifier": False})
        assert (
            machine._create_from(
                {
                    **dict.fromkeys(["who", "token", "reward"], 0),
                    "funding": "expired permit",
                    "slots": 1,
                    "receipt_slots": 0,
                    "deadline": 5_000,
                    "review": 300,
                    "lease": 120,
                    "verifier": False,
                    "arbitrator": 0,
                    "guard": "now",
                    "min_approved": 0,
                    "min_bps": 0,
                }
            )
            is None
        )
        # a requester (or its verifier) judging its own disputes, and a task sent against a
        # fee or default arbitrator the owner changed meanwhile: refused
        base = {"who": 0, "token": 0, "funding": "allowance", "reward": 3, "slots": 1}
        base |= {"receipt_slots": 0, "deadline": 5_000, "review": 300, "lease": 120}
        base |= {"verifier": True, "min_approved": 0, "min_bps": 0}
        for arbitrator, guard, error in (
            (3, "now", "ArbitratorIsParty"),
            (4, "now", "ArbitratorIsParty"),
            (0, "fee raised", "FeeAboveMaximum"),
            (0, "arbitrator changed", "ArbitratorChanged"),
        ):
            assert machine._create_from(base | {"arbitrator": arbitrator, "guard": guard}) is None
            assert machine.last_error == error
            check()
        now = machine.now()

        # ETH task: a presented receipt, a receipt slot approved without one, a claim
        # approved through a relayed signature (relayed twice), a rejection ruled unpaid
        receipt = machine._receipt(eth, 0, workers[0], env.verifier, now, now + 600)
        ok(machine._present([receipt], workers[4]))
        ok(machine._present([receipt], workers[3]))  # a replay is skipped, changing nothing
        ok(machine._approve(eth, [(1, workers[1].address)], first))
        ok(machine._claim(eth, 2, workers[2]))
        ok(machine._submit(eth, 2, workers[2], RESULT))
        signed = machine._sign_approval(eth, [(2, workers[2].address)], env.verifier, now + 60)
        ok(machine._relay(signed, workers[2]))
        ok(machine._relay(signed, workers[3]))  # pays nobody twice
        ok(machine._claim(eth, 3, workers[3]))
        ok(machine._submit(eth, 3, workers[3], RESULT))
        ok(machine._reject(eth, [(3, workers[3].address)], env.verifier, REASON))
        ok(machine._dispute(eth, 3, workers[3], REASON))
        ok(machine._rule(eth, 3, env.arbitrators[0], False, REASON))
        # a reviewer signs slot 0 again, for another worker: its holder is paid all the same
        second_receipt = machine._receipt(eth, 0, workers[3], first, now, now)
        assert machine._prove(second_receipt, 2, workers[3]) is None  # slot 2 is not open
        assert machine.last_error == "FundingSlotUnavailable"

        # MockERC20 task (funded by permit): a dispute the arbitrator leaves unanswered,
        # and a receipt slot rejected directly whose rejection is never disputed
        ok(machine._claim(usd, 1, workers[0]))
        ok(machine._submit(usd, 1, workers[0], RESULT))
        forged = [(0, workers[4], second, False)]  # the worker never signed a submission
        assert machine._reject_receipts(usd, forged, second, REASON) is None
        assert machine.last_error == "InvalidWorkerSignature"
        bare = [(1, workers[0].address), (0, workers[4].address)]  # naming is not enough
        assert machine._reject(usd, bare, second, REASON) is None
        assert machine.last_error == "ReceiptProofRequired"
        ok(machine._reject(usd, [(1, workers[0].address)], second, REASON))
        ok(machine._reject_receipts(usd, [(0, workers[4], second, True)], second, REASON))
        ok(machine._dispute(usd, 1, workers[0], REASON))
        machine._wait_until(machine.now() + machine.model.dispute_window + 1)
        ok(machine._finalize(usd, [0, 1], workers[1]))  # closes the undisputed rejection
        machine._wait_until(
            machine.model.tasks[usd.task_id].slots[1].timestamp
            + machine.model.arbitration_timeout
            + 1
        )
        late = env.arbitrators[0]  # too late to rule against the worker
        assert machine._rule(usd, 1, late, False, REASON) is None
        assert machine.last_error == "ArbitrationTimedOut"
        ok(machine._finalize(usd, [1], workers[1]))  # the unanswered dispute pays

        # NoReturnToken task: silence pays; a claim held through a cancel lapses to a refund
        ok(machine._claim(usdt, 0, workers[1]))
        ok(machine._submit(usdt, 0, workers[1], RESULT))
        ok(machine._claim(usdt, 1, workers[2]))
        ok(machine._cancel(usdt, env.requesters[0]))
        assert machine.model.tasks[usdt.task_id].cancelled
        machine._wait_until(machine.now() + usdt.lease + usdt.review_period + 1)
        ok(machine._finalize(usdt, [0, 1], workers[3]))  # silence, and the lapse refunds

        # the requester's side: slots added, deadline extended, a bonus, a win by arbitration
        # after the slot was rejected, then the unused receipt slot reclaimed
        ok(machine._add_slots(eth, 2, first))
        ok(machine._extend(eth, eth.deadline + 3_600, first))
        ok(machine._bonus(eth, workers[1], 12_345, first))
        eth = machine.model.tasks[eth.task_id]
        ok(machine._claim(eth, 4, workers[4]))
        ok(machine._submit(eth, 4, workers[4], RESULT))
        ok(machine._reject(eth, [(4, workers[4].address)], first, REASON))
        ok(machine._dispute(eth, 4, workers[4], REASON))
        ok(machine._rule(eth, 4, env.arbitrators[0], True, REASON))
        eth = machine.model.tasks[eth.task_id]
        ok(machine._prove(second_receipt, 5, workers[3]))  # paid through the open slot 5
        assert machine._prove(second_receipt, 5, workers[3]) is None  # once
        machine._wait_until(eth.deadline + eth.review_period + machine.model.dispute_window + 1)
        ok(machine._reclaim(eth, workers[0]))
        assert machine.model.tasks[eth.task_id].receipt_slots_reclaimed

        # everyone withdraws: half to themselves, then the rest elsewhere, in every token
        for token in env.tokens:
            for account in machine.accounts():
                balance = machine.model.balance(token, account.address)
                if balance > 1:
                    ok(machine._withdraw(account, token, balance // 2, account.address))
                if balance:
                    left = machine.model.balance(token, account.address)
                    ok(machine._withdraw(account, token, left, env.sink))
        assert not any(machine.model.ledger.values())

        expected = {("paid", basis.name) for basis in ApprovalBasis} | {
            (label, "ok")
            for label in (
                "createTask",
                "createTaskWithPermit",
                "presentReceipts",
                "approve",
                "approveWithSignature",
                "claim",
                "submit",
                "reject",
                "rejectReceipts",
                "proveEquivocation",
                "dispute",
                "rule",
                "finalize",
                "cancel",
                "addSlots",
                "extendDeadline",
                "bonus",
                "reclaimReceiptSlots",
                "withdraw",
            )
        }
        assert expected <= set(COVERAGE), expected - set(COVERAGE)
    finally:
        machine.teardown()


def test_every_window_closes_after_its_last_second(escrow_env: Env) -> None:
    """Each window, walked to its last second and the one after, with the calls it decides
    (expected errors named here, not only by the model); then signers, holds and pause."""
    machine = type("EscrowEdges", (EscrowMachine,), {"env": escrow_env})()
    env, check = escrow_env, machine.escrow_matches_the_model
    requester, w = env.requesters[0], machine.workers

    def ok(receipt: TxReceipt | None) -> None:
        assert receipt is not None, machine.last_error
        check()

    def refused(receipt: TxReceipt | None, error: str) -> None:
        assert receipt is None
        assert machine.last_error == error
        check()

    def at(moment: int) -> None:
        machine._wait_until(moment)
        assert machine.now() == moment

    try:
        start = machine.now()
        task_id = machine._create(
            requester,
            TaskParams(
                manifest_cid=MANIFEST,
                reward=10**16,
                slots=5,
                receipt_slots=1,
                deadline=start + 5_000,
                review_period=3_600,
                lease=600,
                verifier=env.verifier.address,
            ),
            "allowance",
        )
        assert task_id is not None

        def task() -> TaskModel:
            return machine.model.tasks[task_id]

        t0 = machine.now()
        for slot, worker in ((1, w[0]), (2, w[1]), (3, w[2])):
            ok(machine._claim(task(), slot, worker))
        # lease: submit at its last second; a second later it has lapsed
        at(t0 + 600)
        ok(machine._submit(task(), 1, w[0], RESULT))
        refused(machine._finalize(task(), [2], w[4]), "NothingToFinalize")
        at(t0 + 601)
        refused(machine._submit(task(), 2, w[1], RESULT), "LeaseExpired")
        ok(machine._finalize(task(), [2], w[4]))  # the lapse
        ok(machine._claim(task(), 2, w[3]))
        ok(machine._submit(task(), 2, w[3], RESULT))
        ok(machine._claim(task(), 4, w[3]))  # submitting let go of the hold
        # review: rejectable and not yet due at its last second; then silence pays
        at(t0 + 600 + 3_600)
        refused(machine._finalize(task(), [1], w[4]), "NothingToFinalize")
        at(t0 + 600 + 3_601)
        refused(machine._reject(task(), [(1, w[0].address)], requester, REASON), "ReviewPeriodOver")
        ok(machine._finalize(task(), [1], w[4]))  # silence
        ok(machine._reject(task(), [(2, w[3].address)], env.verifier, REASON))  # its last second
        rejected_at = machine.now()
        # deadline: a lapsed claim is taken over at its last second; nothing after it
        at(start + 5_000)
        ok(machine._claim(task(), 3, w[4]))
        ok(machine._submit(task(), 3, w[4], RESULT))
        ok(machine._reject(task(), [(3, w[4].address)], requester, REASON))
        late = machine._receipt(task(), 0, w[1], env.verifier, start + 5_001, start + 9_999)
        at(start + 5_001)
        refused(machine._claim(task(), 4, w[0]), "TaskExpired")  # lapsed, but too late
        refused(machine._present([late], w[1]), "SubmittedAfterDeadline")
        # signatures: only the requester's or the verifier's count
        for signer in (w[1], env.arbitrators[0], env.owner, env.treasury):
            forged = machine._receipt(task(), 0, w[1], signer, start + 5_000, start + 9_999)
            refused(machine._present([forged], w[1]), "InvalidSignature")
            approval = machine._sign_approval(task(), [(0, w[1].address)], signer, start + 9_999)
            refused(machine._relay(approval, w[1]), "InvalidSignature")
        # receipt window: open at its last second, closed after it
        at(start + 5_000 + 3_600)
        refused(machine._reclaim(task(), w[4]), "ReceiptWindowOpen")
        ok(machine._approve(task(), [(0, w[1].address)], env.verifier))
        at(start + 5_000 + 3_601)
        # unused receipt slots still back receipts whose slot went elsewhere
        refused(machine._reclaim(task(), w[4]), "ReceiptWindowOpen")
        # dispute window: a dispute at its last second stands; a second late it is over
        at(rejected_at + machine.model.dispute_window)
        refused(machine._finalize(task(), [2], w[4]), "NothingToFinalize")
        ok(machine._dispute(task(), 2, w[3], REASON))
        disputed_at = machine.now()
        at(start + 5_000 + machine.model.dispute_window + 1)
        refused(machine._dispute(task(), 3, w[4], REASON), "DisputeWindowOver")
        ok(machine._finalize(task(), [3], w[4]))  # closed for good
        # equivocation window: a dispute window after the receipt window
        at(start + 5_000 + 3_600 + machine.model.dispute_window)
        refused(machine._reclaim(task(), w[4]), "ReceiptWindowOpen")
        at(start + 5_000 + 3_600 + machine.model.dispute_window + 1)
        ok(machine._reclaim(task(), w[4]))
        # arbitration timeout: unanswered at its last second; the worker wins after it
        at(disputed_at + machine.model.arbitration_timeout)
        refused(machine._finalize(task(), [2], w[4]), "NothingToFinalize")
        at(disputed_at + machine.model.arbitration_timeout + 1)
        ok(machine._finalize(task(), [2], w[4]))
        states = [slot.state for slot in task().slots]
        assert states == [
            SlotState.APPROVED,
            SlotState.APPROVED,
            SlotState.APPROVED,
            SlotState.CLOSED,
            SlotState.CLAIMED,
        ]

        # pause stops new tasks and claims, never settlement, refunds or withdrawals
        machine.operate(action="pause or unpause")
        refused(machine._claim(task(), 4, w[1]), "EnforcedPause")
        machine.operate(action="pause twice")
        assert machine.last_error == "EnforcedPause"
        ok(machine._release(task(), 4, w[3]))
        ok(machine._cancel(task(), requester))
        balance = machine.model.balance(ETH, w[3].address)
        ok(machine._withdraw(w[3], ETH, balance, env.sink))
        machine.operate(action="pause or unpause")
        assert not machine.model.paused
    finally:
        machine.teardown()
