"""Gas per operation and per paid assignment of TaskEscrow, on py-evm (eth-tester).

py-evm is where docs/architecture.md's HUMAN Protocol numbers were measured, so the comparison is
like for like. Two ways a slot gets done and paid are measured for tasks of 1, 10 and 100
slots, each settled in one batch, with fresh workers (never paid before: every balance
and counter they touch is a new storage slot) and returning ones (paid before, some pay
still in the ledger):

- on-chain: the worker claims and submits, the requester approves the batch;
- receipts: the worker works off chain against a signed receipt, the verifier approves the
  batch naming the workers (what `microtask.verifier` sends: one ``approve`` of the
  unpresented receipt slots); workers never need gas for the work itself;
- receipts, enforced: the verifier signed receipts but never settled; each worker presents
  their own receipt and, after the review period, one of them finalizes the batch (silence
  pays): what the gasless path costs when the verifier goes away;
- receipts, direct: as receipts, but the batch pays each reward to the worker's own address
  (``approve(..., direct=true)``): no withdrawal, the tokens are in the worker's wallet.

The operations table adds the verifier's rejection batch (unpresented receipt slots
rejected with one reason CID, as the verifier's `ReviewBatch`, each with its proof: the
receipt and the worker's submission signature), per slot.

The last table settles the issue's planted crowd (20 items x 3 answers, nine workers:
`tests/quality/scenario.py`, seed 7) as quality control decides it: through the verifier
(one ``approve`` and one ``reject`` of unpresented receipt slots, undecided slots left
untouched) and, for comparison, on chain (every worker claims and submits each slot, the
requester approves and rejects the same slots in one batch each). Gas per paid assignment
counts every party, task creation included.

Returning workers did one task before and withdrew its pay, so they hold the token and their
ledger word (balance and record share it) is not new.

Every worker then withdraws this task's pay, which is counted separately: a worker may
withdraw once for many tasks. The requester's one-time ERC-20 approve is not counted.

    make bench NAME=gas          (or: scripts/dev.sh bench gas)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from rich.console import Console
from rich.table import Table
from web3 import Web3
from web3.contract import Contract
from web3.types import TxReceipt

from microtask.chain.accounts import dev_accounts
from microtask.chain.compiler import compile_project
from microtask.chain.devchain import advance_time, latest_timestamp
from microtask.chain.embedded import embedded_web3
from microtask.chain.escrow import TaskEscrowClient
from microtask.chain.transactions import TransactionSender
from microtask.chain.typed_data import Receipt, ReceiptRejection
from microtask.config import Settings
from microtask.encoding.eip712 import sign
from microtask.escrow import ETH, TaskParams
from microtask.manifests.typed_data import submission_message

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.quality.scenario

REWARD = 1_000_000  # 1.00 of a 6-decimals stablecoin
FEE_BPS = 100
MANIFEST = b"\x12\x20" + bytes(range(32))
RESULT = b"\x12\x20" + bytes(range(32, 64))
REVIEW = 3600
# docs/architecture.md (Targets): HUMAN Protocol's escrow lifecycle, measured on py-evm, per
# paid worker at 100 workers: (2.81M create, fund and set up + 216k store results) / 100,
# plus bulkPayOut's 28.1k per fresh recipient or 11.0k per returning one. HUMAN pushes tokens
# to workers, so they need no withdrawal; ours credit a ledger that a worker empties when
# they like.
HUMAN_SHARED_PER_WORKER = (2_810_000 + 216_000) / 100
HUMAN_FRESH = HUMAN_SHARED_PER_WORKER + 28_100
HUMAN_RETURNING = HUMAN_SHARED_PER_WORKER + 11_000
FLOOR_FRESH = 22_700
FLOOR_RETURNING = 5_600


@dataclass
class Bench:
    w3: Web3
    escrow: Contract
    token: Contract
    owner: LocalAccount
    requester: LocalAccount
    verifier: LocalAccount
    clients: dict[str, TaskEscrowClient] = field(default_factory=dict)

    def client(self, account: LocalAccount) -> TaskEscrowClient:
        if account.address not in self.clients:
            self.clients[account.address] = TaskEscrowClient(
                self.escrow, TransactionSender(self.w3, account)
            )
        return self.clients[account.address]

    def params(self, slots: int, receipt_slots: int = 0, token: str | None = None) -> TaskParams:
        return TaskParams(
            manifest_cid=MANIFEST,
            reward=REWARD,
            slots=slots,
            receipt_slots=receipt_slots,
            deadline=latest_timestamp(self.w3) + 30 * 24 * 3600,
            review_period=REVIEW,
            lease=3600,
            token=token or self.token.address,
            verifier=self.verifier.address,
        )

    def workers(self, count: int) -> list[LocalAccount]:
        """New accounts with a little ETH for gas (the funding is not counted)."""
        funder = TransactionSender(self.w3, self.owner)
        made = []
        for _ in range(count):
            account: LocalAccount = Account.create()
            nonce = self.w3.eth.get_transaction_count(self.owner.address)
            funder.send(
                {
                    "to": account.address,
                    "value": 10**17,
                    "gas": 21_000,
                    "maxFeePerGas": 10**11,
                    "maxPriorityFeePerGas": 10**9,
                    "nonce": nonce,
                    "chainId": self.w3.eth.chain_id,
                }
            )
            made.append(account)
        return made

    def rejections(
        self, task_id: int, slots: list[tuple[int, LocalAccount]]
    ) -> list[ReceiptRejection]:
        """Each slot's proof, as the verifier sends it: its receipt, and the worker's own
        signature of the envelope they handed in."""
        verifier = self.client(self.verifier)
        now = latest_timestamp(self.w3)
        proofs = []
        for slot, worker in slots:
            receipt = Receipt(task_id, slot, worker.address, RESULT[2:], now, now + 10 * REVIEW)
            message = submission_message(
                chain_id=self.w3.eth.chain_id,
                escrow=self.escrow.address,
                task_id=task_id,
                slot=slot,
                worker=worker.address,
                envelope_hash=RESULT[2:],
            )
            proofs.append(
                ReceiptRejection(
                    receipt, verifier.sign_receipt(receipt), RESULT[2:], sign(worker, message)
                )
            )
        return proofs


def deploy(settings: Settings) -> Bench:
    w3 = embedded_web3()
    project = compile_project(settings)
    owner, requester, verifier = dev_accounts()[:3]
    sender = TransactionSender(w3, owner)

    def create(name: str, *args: Any) -> Contract:
        artifact = project.get(name)
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        receipt = sender.transact(factory.constructor(*args))
        return w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)

    escrow = create(
        "TaskEscrow", owner.address, dev_accounts()[9].address, FEE_BPS, owner.address, 86400, 86400
    )
    token = create("MockERC20", "Bench Dollar", "BUSD", 6)
    sender.transact(token.functions.mint(requester.address, 10**18))
    TransactionSender(w3, requester).transact(token.functions.approve(escrow.address, 2**255))
    return Bench(w3, escrow, token, owner, requester, verifier)


@dataclass
class Flow:
    """Gas spent on one task, by who paid it."""

    gas: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    settle: int = 0  # the batch settlement transaction alone

    def add(self, party: str, receipt: TxReceipt) -> TxReceipt:
        self.gas[party] += int(receipt["gasUsed"])
        return receipt


def run_flow(bench: Bench, kind: str, workers: list[LocalAccount], *, withdraw: bool) -> Flow:
    flow = Flow()
    slots = len(workers)
    receipt_slots = 0 if kind == "on-chain" else slots
    requester = bench.client(bench.requester)
    task_id, receipt = requester.create_task(bench.params(slots, receipt_slots))
    flow.add("requester", receipt)
    pairs = [(slot, worker.address) for slot, worker in enumerate(workers)]
    if kind == "on-chain":
        for slot, worker in enumerate(workers):
            flow.add("worker", bench.client(worker).claim(task_id, slot))
            flow.add("worker", bench.client(worker).submit(task_id, slot, RESULT))
        flow.settle = int(flow.add("requester", requester.approve(task_id, pairs))["gasUsed"])
    elif kind in ("receipts", "receipts, direct"):
        verifier = bench.client(bench.verifier)
        paid = verifier.approve(task_id, pairs, direct=kind == "receipts, direct")
        flow.settle = int(flow.add("verifier", paid)["gasUsed"])
    else:  # enforced: signed receipts (no gas), presented by their workers, paid by silence
        verifier = bench.client(bench.verifier)
        now = latest_timestamp(bench.w3)
        for slot, worker in enumerate(workers):
            receipt = Receipt(task_id, slot, worker.address, RESULT[2:], now, now + 10 * REVIEW)
            signed = (receipt, verifier.sign_receipt(receipt))
            flow.add("worker", bench.client(worker).present_receipts([signed]))
        advance_time(bench.w3, REVIEW + 1)
        slots = [slot for slot, _ in pairs]
        flow.settle = int(
            flow.add("worker", bench.client(workers[0]).finalize(task_id, slots))["gasUsed"]
        )
    if withdraw and kind != "receipts, direct":  # paid to the wallet: nothing to withdraw
        for worker in workers:
            flow.add("withdraw", bench.client(worker).withdraw(REWARD, token=bench.token.address))
    return flow


KINDS = ("on-chain", "receipts", "receipts, enforced", "receipts, direct")


def assignment_rows(bench: Bench, sizes: list[int]) -> Iterator[dict[str, Any]]:
    for kind in KINDS:
        for returning in (False, True):
            for size in sizes:
                workers = bench.workers(size)
                if returning:
                    # their first task, not counted: afterwards they hold the token, and their
                    # ledger word keeps their record even once they withdrew everything
                    run_flow(bench, kind, workers, withdraw=True)
                flow = run_flow(bench, kind, workers, withdraw=True)
                yield {"kind": kind, "returning": returning, "size": size, "flow": flow}


def operations(bench: Bench) -> list[tuple[str, int]]:
    """Gas of each operation once, in a realistic order."""
    rows: list[tuple[str, int]] = []
    requester = bench.client(bench.requester)
    verifier = bench.client(bench.verifier)
    worker, second, third = bench.workers(3)

    def measure(name: str, call: Callable[[], TxReceipt]) -> TxReceipt:
        receipt = call()
        rows.append((name, int(receipt["gasUsed"])))
        return receipt

    eth_params = bench.params(1, token=ETH)
    measure("createTask (ETH, 1 slot)", lambda: requester.create_task(eth_params)[1])
    task_id, receipt = requester.create_task(bench.params(10))
    rows.append(("createTask (ERC-20, 10 slots)", int(receipt["gasUsed"])))
    measure("addSlots (ERC-20, 5)", lambda: requester.add_slots(task_id, 5))
    measure("claim (fresh worker)", lambda: bench.client(worker).claim(task_id, 0))
    measure("submit", lambda: bench.client(worker).submit(task_id, 0, RESULT))
    measure(
        "approve (1 slot, fresh worker)", lambda: requester.approve(task_id, [(0, worker.address)])
    )
    bench.client(second).claim(task_id, 1)
    measure("release", lambda: bench.client(second).release(task_id, 1))
    bench.client(second).claim(task_id, 1)
    bench.client(second).submit(task_id, 1, RESULT)
    measure("reject (1 slot)", lambda: requester.reject(task_id, [(1, second.address)], RESULT))
    measure("dispute", lambda: bench.client(second).dispute(task_id, 1, RESULT))
    measure("rule (pay)", lambda: bench.client(bench.owner).rule(task_id, 1, True))
    bench.client(third).claim(task_id, 2)
    bench.client(third).submit(task_id, 2, RESULT)
    advance_time(bench.w3, REVIEW + 1)
    measure("finalize (silence pays, 1 slot)", lambda: bench.client(third).finalize(task_id, [2]))
    measure("bonus (ERC-20)", lambda: requester.bonus(task_id, worker.address, 5))
    measure(
        "withdraw (ERC-20, fresh holder)",
        lambda: bench.client(worker).withdraw(REWARD, token=bench.token.address),
    )

    receipt_task, _ = requester.create_task(bench.params(3, receipt_slots=3))
    signed = Receipt(receipt_task, 0, second.address, bytes(32), latest_timestamp(bench.w3), 2**40)
    measure(
        "presentReceipts (1)",
        lambda: bench.client(second).present_receipts([(signed, verifier.sign_receipt(signed))]),
    )
    measure(
        "approve (1 receipt slot, verifier)",
        lambda: verifier.approve(receipt_task, [(1, third.address)]),
    )
    rejected = bench.workers(100)
    reject_task, _ = requester.create_task(bench.params(101, receipt_slots=101))
    first = bench.rejections(reject_task, [(0, rejected[0])])
    one = measure(
        "rejectReceipts (1 unpresented receipt slot, verifier, with proof)",
        lambda: verifier.reject_receipts(reject_task, first, RESULT),
    )
    batch = bench.rejections(reject_task, list(enumerate(rejected, start=1)))
    hundred = measure(
        "rejectReceipts (100 unpresented receipt slots, verifier, one reason)",
        lambda: verifier.reject_receipts(reject_task, batch, RESULT),
    )
    rows.append(
        (
            "  per extra rejected slot in a verifier batch",
            round((int(hundred["gasUsed"]) - int(one["gasUsed"])) / 99),
        )
    )
    measure("cancel (7 open slots refunded)", lambda: requester.cancel(task_id))
    measure(
        "withdraw (ERC-20, requester refund)",
        lambda: requester.withdraw(
            requester.balance(bench.requester.address, bench.token.address),
            token=bench.token.address,
        ),
    )
    return rows


def per_assignment_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(
        "flow",
        "workers",
        "slots",
        "requester",
        "verifier",
        "worker",
        "settled",
        "withdraw",
        "HUMAN",
        "settled / HUMAN",
        "+ withdraw / HUMAN",
        title="Gas per paid assignment (ERC-20 task, one settlement batch)",
        caption=(
            "settled: all parties until the pay is in the worker's ledger balance; withdraw: "
            "one ERC-20 withdrawal of this task's pay (a worker may withdraw once for many "
            "tasks); HUMAN: HUMAN Protocol's figure per paid worker at 100 workers "
            "(docs/architecture.md, Targets)"
        ),
    )
    for row in rows:
        flow: Flow = row["flow"]
        size = row["size"]
        per = {party: gas / size for party, gas in flow.gas.items()}
        settled = per.get("requester", 0) + per.get("verifier", 0) + per.get("worker", 0)
        withdraw = per.get("withdraw", 0)
        human = HUMAN_RETURNING if row["returning"] else HUMAN_FRESH
        table.add_row(
            row["kind"],
            "returning" if row["returning"] else "fresh",
            str(size),
            f"{per.get('requester', 0):,.0f}",
            f"{per.get('verifier', 0):,.0f}",
            f"{per.get('worker', 0):,.0f}",
            f"{settled:,.0f}",
            f"{withdraw:,.0f}",
            f"{human:,.0f}",
            f"{settled / human:.2f}x",
            f"{(settled + withdraw) / human:.2f}x",
        )
    return table


def settlement_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(
        "flow",
        "workers",
        "batch of 1",
        "batch of 100",
        "per extra slot",
        "EVM floor",
        "ratio",
        title="Batch settlement: marginal gas per slot",
    )
    by_key = {(r["kind"], r["returning"], r["size"]): r["flow"].settle for r in rows}
    for kind in KINDS:
        for returning in (False, True):
            one, hundred = by_key.get((kind, returning, 1)), by_key.get((kind, returning, 100))
            if one is None or hundred is None:
                continue
            marginal = (hundred - one) / 99
            floor = FLOOR_RETURNING if returning else FLOOR_FRESH
            table.add_row(
                kind,
                "returning" if returning else "fresh",
                f"{one:,}",
                f"{hundred:,}",
                f"{marginal:,.0f}",
                f"{floor:,}",
                f"{marginal / floor:.2f}x",
            )
    return table


def planted_crowd_decisions() -> list[tuple[int, str, str]]:
    """(slot, worker name, outcome) for the tests' planted crowd, as the verifier decides."""
    from tests.quality.scenario import NAME_OF, VERIFIER, crowd

    from microtask.quality import GoldKey, assess

    scenario = crowd(7)
    key = GoldKey.from_manifest(scenario.manifest, verifier_private_key=VERIFIER.key)
    decisions = assess(scenario.manifest, scenario.submissions, gold=key).decisions
    return [(d.slot, NAME_OF[d.worker], d.outcome) for d in decisions]


def planted_crowd_table(bench: Bench) -> Table:
    decisions = planted_crowd_decisions()
    names = sorted({name for _, name, _ in decisions})
    accounts = dict(zip(names, bench.workers(len(names)), strict=True))
    requester = bench.client(bench.requester)
    verifier = bench.client(bench.verifier)
    table = Table(
        "path",
        "slots",
        "paid",
        "rejected",
        "left",
        "create",
        "workers",
        "settle",
        "all parties",
        "per paid assignment",
        title="The planted crowd (20 items x 3 answers), settled as quality control decides",
        caption="fresh workers; left: undecided slots, left to the requester",
    )
    outcomes = {
        o: [(s, accounts[n].address) for s, n, o2 in decisions if o2 == o]
        for o in ("approve", "reject", "undecided")
    }
    paid, rejected = outcomes["approve"], outcomes["reject"]
    for path in ("receipts", "on-chain"):
        receipt_slots = len(decisions) if path == "receipts" else 0
        task_id, created = requester.create_task(bench.params(len(decisions), receipt_slots))
        work = 0
        settler = verifier
        if path == "on-chain":
            settler = requester
            for slot, name, _ in sorted(decisions):
                worker = bench.client(accounts[name])
                work += int(worker.claim(task_id, slot)["gasUsed"])
                work += int(worker.submit(task_id, slot, RESULT)["gasUsed"])
        settle = int(settler.approve(task_id, paid)["gasUsed"])
        if path == "receipts":  # unpresented receipt slots: rejected with their proofs
            by_address = {a.address: a for a in accounts.values()}
            proofs = bench.rejections(task_id, [(s, by_address[w]) for s, w in rejected])
            settle += int(settler.reject_receipts(task_id, proofs, RESULT)["gasUsed"])
        else:
            settle += int(settler.reject(task_id, rejected, RESULT)["gasUsed"])
        total = int(created["gasUsed"]) + work + settle
        table.add_row(
            path,
            str(len(decisions)),
            str(len(paid)),
            str(len(rejected)),
            str(len(outcomes["undecided"])),
            f"{int(created['gasUsed']):,}",
            f"{work:,}",
            f"{settle:,}",
            f"{total:,}",
            f"{total / len(paid):,.0f}",
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description="TaskEscrow gas on py-evm")
    parser.add_argument("--sizes", default="1,10,100", help="task sizes (comma-separated)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    console = Console()
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(data_dir=Path(scratch), cache_dir=Path(".microtask/cache"))
        bench = deploy(settings)
        ops = Table("operation", "gas", title="Gas per operation (py-evm, Prague rules)")
        for name, gas in operations(bench):
            ops.add_row(name, f"{gas:,}")
        console.print(ops)
        rows = list(assignment_rows(bench, sizes))
        console.print(per_assignment_table(rows))
        console.print(settlement_table(rows))
        console.print(planted_crowd_table(bench))


if __name__ == "__main__":
    main()
