"""Indexer ingest rate into SQLite and PostgreSQL, and how soon a new task is indexed.

A real anvil gets a TaskEscrow and a chain of many tasks: each task is created, gets
``--receipts`` signed receipts presented in one transaction (one ReceiptPresented event
each), and is settled by one approval of most of its slots and one rejection of the rest
(about 20,000 events on 200 tasks by default). Then, for each database:

- **ingest**: a fresh index of the whole chain through the real path, `Indexer.sync`
  (eth_getLogs over HTTP, header batches, decoding, handlers, one transaction per range
  with its checkpoint), in events per second;
- **rebuild**: the same events replayed from the ``events`` table (what a reorg costs, no
  RPC), in events per second;
- **latency**: with the indexer following the chain (the default poll interval, and a
  short one), the time from sending a createTask transaction (anvil mines its block before
  answering) to the task's row being readable in the database, p50 and max.

Aim (docs/architecture.md, Targets): at least 5,000 events/s into SQLite. PostgreSQL is a temporary
server started from the installed binaries (skipped if there are none).

    scripts/dev.sh bench indexer [--tasks 200] [--receipts 100] [--latency-samples 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from coincurve import PrivateKey
from eth_abi.abi import encode
from eth_account.signers.local import LocalAccount
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, select
from web3 import Web3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.postgres

from tests.postgres import PostgresServer, find_pg_bin

from microtask.chain.accounts import dev_accounts
from microtask.chain.anvil import AnvilProcess, find_anvil
from microtask.chain.compiler import compile_project
from microtask.chain.deployer import deploy_contract
from microtask.chain.deployments import DeploymentRecord, DeploymentStore
from microtask.chain.devchain import latest_timestamp
from microtask.chain.escrow import TaskEscrowClient
from microtask.chain.networks import connect_url
from microtask.chain.transactions import TransactionSender
from microtask.chain.typed_data import Receipt
from microtask.config import Settings
from microtask.db import make_engine
from microtask.db.models import table
from microtask.escrow import TaskParams
from microtask.indexer import Indexer

REPO = Path(__file__).resolve().parents[1]
MANIFEST = b"\x12\x20" + bytes(range(32))
REASON = b"\x12\x20" + bytes(range(64, 96))
RECEIPT_TYPEHASH = Web3.keccak(
    text="Receipt(uint256 taskId,uint32 slot,address worker,bytes32 resultDigest,"
    "uint64 submittedAt,uint64 expiry)"
)
DOMAIN_TYPEHASH = Web3.keccak(
    text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)


class ReceiptSigner:
    """Signs receipts fast (coincurve over the EIP-712 digest), checked once against eth-account."""

    def __init__(self, account: LocalAccount, chain_id: int, escrow: str) -> None:
        self.key = PrivateKey(bytes(account.key))
        self.domain = Web3.keccak(
            encode(
                ["bytes32", "bytes32", "bytes32", "uint256", "address"],
                [DOMAIN_TYPEHASH, Web3.keccak(text="microtask"), Web3.keccak(text="1"),
                 chain_id, escrow],
            )
        )  # fmt: skip

    def sign(self, receipt: Receipt) -> bytes:
        struct = Web3.keccak(
            encode(
                ["bytes32", "uint256", "uint32", "address", "bytes32", "uint64", "uint64"],
                [RECEIPT_TYPEHASH, receipt.task_id, receipt.slot, receipt.worker,
                 receipt.result_digest, receipt.submitted_at, receipt.expiry],
            )
        )  # fmt: skip
        digest = Web3.keccak(b"\x19\x01" + self.domain + struct)
        signature = self.key.sign_recoverable(digest, hasher=None)
        return signature[:64] + bytes([signature[64] + 27])


def build_chain(
    w3: Web3, settings: Settings, tasks: int, receipts: int, say: Callable[[str], None]
) -> tuple[DeploymentRecord, TaskEscrowClient, int]:
    accounts = dev_accounts()
    owner = TransactionSender(w3, accounts[0])
    project = compile_project(settings)
    store = DeploymentStore(settings.deployments_dir, "bench")
    args = [accounts[0].address, accounts[9].address, 100, accounts[8].address, 86400, 86400]
    record = deploy_contract(owner, store, project.get("TaskEscrow"), args, force=True).record
    contract = w3.eth.contract(address=Web3.to_checksum_address(record.address), abi=record.abi)
    requester = TaskEscrowClient(contract, TransactionSender(w3, accounts[1]))
    signer = ReceiptSigner(accounts[1], w3.eth.chain_id, contract.address)
    check = Receipt(1, 0, accounts[3].address, bytes(32), 1, 2)
    assert signer.sign(check) == requester.sign_receipt(check), "fast signer disagrees"
    workers = [a.address for a in accounts[3:8]]
    started = time.perf_counter()
    for number in range(tasks):
        now = latest_timestamp(w3)
        params = TaskParams(
            manifest_cid=MANIFEST, reward=10**12, slots=receipts, receipt_slots=receipts,
            deadline=now + 86400, review_period=3600, lease=600,
        )  # fmt: skip
        task_id, _ = requester.create_task(params)
        signed = []
        for slot in range(receipts):
            receipt = Receipt(task_id, slot, workers[slot % 5], bytes(32), now, now + 86400)
            signed.append((receipt, signer.sign(receipt)))
        requester.present_receipts(signed)
        paid = receipts - receipts // 10
        requester.approve(task_id, [(s, workers[s % 5]) for s in range(paid)])
        requester.reject(task_id, [(s, workers[s % 5]) for s in range(paid, receipts)], REASON)
        if number % 50 == 49:
            say(f"  {number + 1} tasks ({time.perf_counter() - started:.0f} s)")
    return record, requester, w3.eth.block_number


def count_events(engine: Engine) -> int:
    with engine.connect() as connection:
        return len(connection.execute(select(table("events").c.id)).all())


def ingest(
    w3: Web3, record: DeploymentRecord, settings: Settings, url: str
) -> tuple[Indexer, float, float]:
    indexer = Indexer(w3, make_engine(url, writer=True), record, settings)
    indexer.prepare()
    started = time.perf_counter()
    indexer.sync()
    ingest_rate = indexer.events_written / (time.perf_counter() - started)
    started = time.perf_counter()
    replayed = indexer.store.rebuild()
    rebuild_rate = replayed / (time.perf_counter() - started)
    return indexer, ingest_rate, rebuild_rate


def latency(
    indexer: Indexer, requester: TaskEscrowClient, poll: float, samples: int
) -> list[float]:
    """Seconds from a createTask receipt to the task's row being readable."""
    indexer.settings = indexer.settings.model_copy(update={"poll_interval": poll})
    stop = threading.Event()
    thread = threading.Thread(target=indexer.run, args=(stop,))
    thread.start()
    tasks = table("tasks")
    results = []
    try:
        for _ in range(samples):
            now = latest_timestamp(requester.w3)
            params = TaskParams(
                manifest_cid=MANIFEST, reward=10**12, slots=1, deadline=now + 86400,
                review_period=3600, lease=600,
            )  # fmt: skip
            value = requester.funding_for(params)
            call = requester.contract.functions.createTask(params.as_abi())
            signed = requester.account.sign_transaction(
                dict(requester.sender.build(call, value=value))  # type: ignore[arg-type]
            )
            task_id = requester.task_count() + 1
            requester.w3.eth.send_raw_transaction(signed.raw_transaction)
            mined = time.perf_counter()  # anvil mines the block before it answers
            query = select(tasks.c.task_id).where(tasks.c.task_id == task_id)
            while True:
                with indexer.engine.connect() as connection:
                    if connection.execute(query).first() is not None:
                        break
                time.sleep(0.001)  # a benchmark polling the database as a reader would
            results.append(time.perf_counter() - mined)
    finally:
        stop.set()
        thread.join()
    return results


@contextmanager
def postgres() -> Iterator[PostgresServer | None]:
    bin_dir = find_pg_bin()
    if bin_dir is None:
        yield None
        return
    server = PostgresServer(bin_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--receipts", type=int, default=100, help="Receipt slots per task.")
    parser.add_argument("--latency-samples", type=int, default=15)
    options = parser.parse_args(argv)
    console = Console()
    say = console.print
    with tempfile.TemporaryDirectory() as scratch, postgres() as pg:
        root = Path(scratch)
        settings = Settings(
            project_root=REPO, data_dir=root / "data", deployments_dir=root / "deployments",
            cache_dir=REPO / ".microtask" / "cache", log_range_max=100_000,
        )  # fmt: skip
        with AnvilProcess(find_anvil(REPO), port=0) as anvil:
            w3 = connect_url(anvil.url)
            say(f"building a chain of {options.tasks} tasks on anvil …")
            record, requester, head = build_chain(
                w3, settings, options.tasks, options.receipts, say
            )
            databases: list[tuple[str, str]] = [("SQLite", f"sqlite:///{root / 'index.sqlite'}")]
            if pg is not None:
                databases.append(("PostgreSQL", pg.new_database()))
            else:
                say("PostgreSQL binaries not found: SQLite only")
            ingest_table = Table(title=f"indexer ingest: blocks 0-{head}")
            for column in ("database", "events", "ingest events/s", "rebuild events/s"):
                ingest_table.add_column(column, justify="right")
            latency_table = Table(title="createTask mined → task row readable in the database")
            for column in ("database", "poll interval", "samples", "p50 ms", "max ms"):
                latency_table.add_column(column, justify="right")
            for name, url in databases:
                say(f"indexing into {name} …")
                indexer, rate, rebuild = ingest(w3, record, settings, url)
                events = count_events(indexer.engine)
                ingest_table.add_row(name, f"{events:,}", f"{rate:,.0f}", f"{rebuild:,.0f}")
                for poll in (settings.poll_interval, 0.05):
                    samples = latency(indexer, requester, poll, options.latency_samples)
                    latency_table.add_row(
                        name, f"{poll:g} s", str(len(samples)),
                        f"{statistics.median(samples) * 1000:.0f}",
                        f"{max(samples) * 1000:.0f}",
                    )  # fmt: skip
                indexer.engine.dispose()
            console.print(ingest_table)
            console.print(latency_table)


if __name__ == "__main__":
    main()
