"""A whole platform for the verifier's tests, on the worker's real anvil.

Inside the anvil snapshot of each test: the escrow deployed with its record, a test
stablecoin, the indexer following the chain into a SQLite index (its real threads), a
local content store, and the verifier service over the same database. Workers work
gaslessly: they sign requests and envelopes and never need ETH.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from sqlalchemy import event
from web3 import Web3
from web3.contract import Contract

from microtask.chain.accounts import dev_accounts
from microtask.chain.anvil import AnvilProcess
from microtask.chain.artifacts import CompiledProject
from microtask.chain.deployer import deploy_platform
from microtask.chain.deployments import DeploymentRecord, DeploymentStore
from microtask.chain.devchain import advance_time, latest_timestamp
from microtask.chain.escrow import TaskEscrowClient
from microtask.chain.networks import connect
from microtask.chain.transactions import TransactionSender
from microtask.config import Settings
from microtask.content import LocalStore, parse_cid
from microtask.db import database_url
from microtask.escrow import TaskParams
from microtask.indexer.service import IndexerService
from microtask.manifests import ItemAnswer, SubmissionAnswers, TaskManifest, seal_submission
from microtask.verifier import ANY_SLOT, Grant, IssuedReceipt, SlotRequest, VerifierService
from microtask.verifier.clock import ChainClock
from microtask.verifier.typed_data import new_nonce
from tests.conftest import make_settings
from tests.postgres import PostgresServer
from tests.quality.scenario import NAME_OF, REQUESTER, VERIFIER, WORKERS, Crowd
from tests.world import deploy_test_dollar, send_ether

NETWORK = "local"
REWARD = 1_500_000  # 1.5 of a 6-decimals token
REVIEW = 24 * 3600
LEASE = 3600
INDEX_TIMEOUT = 30.0


@dataclass
class Platform:
    """The escrow, the index, the content store and the verifier of one test."""

    w3: Web3
    settings: Settings
    url: str
    record: DeploymentRecord
    token: Contract
    store: LocalStore
    indexer: IndexerService
    verifier: VerifierService
    owner: TransactionSender
    retired: list[VerifierService] = field(default_factory=list)
    _clients: dict[str, TaskEscrowClient] = field(default_factory=dict)

    @property
    def chain_id(self) -> int:
        return int(self.w3.eth.chain_id)

    @property
    def escrow(self) -> str:
        return Web3.to_checksum_address(self.record.address)

    def client(self, account: LocalAccount) -> TaskEscrowClient:
        if account.address not in self._clients:
            self._clients[account.address] = TaskEscrowClient.at(
                self.w3, self.record.address, self.record.abi, account
            )
        return self._clients[account.address]

    def events(self, name: str, task_id: int) -> list[dict[str, Any]]:
        """The escrow's ``name`` logs for one task, from the chain."""
        return self.client(REQUESTER).logs(
            name, from_block=self.record.block_number, task_id=task_id
        )

    def settled_slots(self, task_id: int) -> Counter[int]:
        """How many times each slot of the task was approved or rejected on chain."""
        settled: Counter[int] = Counter()
        for name in ("SlotsApproved", "SlotsRejected"):
            for log in self.events(name, task_id):
                settled.update(int(slot) for slot in log["slots"])
        return settled

    def sync(self) -> None:
        """Wait until the index holds every block mined so far."""
        head = self.w3.eth.block_number
        assert self.indexer.indexer.wait_for_block(head, timeout=INDEX_TIMEOUT), "index lags"

    def fund(self, account: LocalAccount, wei: int = 10**19) -> None:
        send_ether(self.owner, account.address, wei)

    def post(
        self,
        manifest: TaskManifest,
        *,
        slots: int | None = None,
        receipt_slots: int | None = None,
        review: int = REVIEW,
        reward: int = REWARD,
        requester: LocalAccount = REQUESTER,
        verifier: str | None = None,
        **params: Any,
    ) -> tuple[int, str]:
        """Upload ``manifest`` and fund a task for it (all slots receipt slots by default)."""
        cid = str(self.store.add_json(manifest.model_dump(mode="json")))
        count = slots or manifest.slot_count
        task_id, _ = self.client(requester).create_task(
            TaskParams(
                manifest_cid=bytes(parse_cid(cid)),
                reward=reward,
                slots=count,
                receipt_slots=count if receipt_slots is None else receipt_slots,
                deadline=latest_timestamp(self.w3) + 7 * 24 * 3600,
                review_period=review,
                lease=LEASE,
                token=self.token.address,
                verifier=verifier or self.verifier.address,
                **params,
            )
        )
        self.sync()
        return task_id, cid

    def request(self, worker: LocalAccount, task_id: int, slot: int = ANY_SLOT) -> Grant:
        """A worker asks for a slot, signed, as the CLI does."""
        # expiry by the verifier's clock, which runs on with the wall clock between blocks
        # (gasless work mines none): the latest block's time can lag it by minutes on a
        # loaded machine, and a request signed against it would arrive already expired
        request = SlotRequest(
            task_id, slot, worker.address, new_nonce(), self.verifier.clock() + 600
        )
        return self.verifier.request_slot(request, request.sign(worker, self.chain_id, self.escrow))

    def envelope(
        self,
        worker: LocalAccount,
        task_id: int,
        slot: int,
        manifest: TaskManifest,
        manifest_cid: str,
        answers: list[ItemAnswer],
    ) -> str:
        """Seal, sign and upload a worker's answers; the envelope's CID."""
        envelope = seal_submission(
            SubmissionAnswers(answers=answers),
            manifest=manifest,
            manifest_cid=manifest_cid,
            chain_id=self.chain_id,
            escrow=self.escrow,
            task_id=task_id,
            slot=slot,
            worker=worker,
        )
        return str(self.store.add_json(envelope.model_dump(mode="json")))

    def work(
        self,
        worker: LocalAccount,
        task_id: int,
        manifest: TaskManifest,
        manifest_cid: str,
        answers: dict[str, Any],
        *,
        slot: int = ANY_SLOT,
        seconds: int = 30,
    ) -> tuple[Grant, IssuedReceipt]:
        """Ask for a slot, take ``seconds`` of chain time over it, hand in its item's answer."""
        grant = self.request(worker, task_id, slot)
        lead = grant.reserved_at + seconds - latest_timestamp(self.w3)
        if lead > 0:
            advance_time(self.w3, lead)
        answer = ItemAnswer(item_id=grant.item_id, answer=answers[grant.item_id])
        cid = self.envelope(worker, task_id, grant.slot, manifest, manifest_cid, [answer])
        return grant, self.verifier.submit(task_id, grant.slot, cid)

    def work_crowd(self, scenario: Crowd) -> tuple[int, str]:
        """Post the scenario's task and have each planted worker do their planted slots,
        taking their planted time over each; returns the task id and manifest CID."""
        task_id, manifest_cid = self.post(scenario.manifest)
        for planted in sorted(
            scenario.submissions, key=lambda s: (NAME_OF[s.worker], s.started_at or 0)
        ):
            worker = WORKERS[NAME_OF[planted.worker]]
            assert planted.started_at is not None
            grant, issued = self.work(
                worker,
                task_id,
                scenario.manifest,
                manifest_cid,
                {a.item_id: a.answer for a in planted.answers},
                slot=planted.slot,
                seconds=planted.submitted_at - planted.started_at,
            )
            assert (grant.slot, issued.receipt.worker) == (planted.slot, worker.address)
        self.sync()
        return task_id, manifest_cid

    def restart_verifier(self) -> VerifierService:
        """A new verifier process's state: new engines and objects on the same database."""
        self.verifier.close()
        self.retired.append(self.verifier)
        self.verifier = VerifierService(
            w3=self.w3,
            record=self.record,
            account=VERIFIER,
            database_url=self.url,
            content=self.store,
            clock=ChainClock.of_node(self.w3),  # tests move the chain's time by hand
        )
        return self.verifier


@pytest.fixture
def platform(
    request: pytest.FixtureRequest,
    anvil_w3: Web3,
    anvil_process: AnvilProcess,
    compiled: CompiledProject,
    tmp_path: Path,
) -> Iterator[Platform]:
    """SQLite unless the test asks for ``postgresql`` (``indirect`` parametrization)."""
    database: dict[str, object] = {}
    if getattr(request, "param", "sqlite") == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        database["database_url"] = server.new_database()
    settings = make_settings(tmp_path, content_store="local", content_fsync=False, **database)
    owner = TransactionSender(anvil_w3, dev_accounts()[0])
    records = DeploymentStore(settings.deployments_dir, NETWORK)
    deploy_platform(owner, records, compiled, force=True)
    record = records.load("TaskEscrow")
    token = deploy_test_dollar(
        owner, compiled, holders=[REQUESTER.address], amount=10**15, store=records
    )
    store = LocalStore(settings.content_dir, fsync=False)
    connection = connect(settings, NETWORK, url=anvil_process.url)
    indexer = IndexerService.open(settings, NETWORK, connection=connection, content=store)
    indexer.start()
    url = database_url(settings, NETWORK)
    verifier = VerifierService(
        w3=anvil_w3, record=record, account=VERIFIER, database_url=url, content=store,
        clock=ChainClock.of_node(anvil_w3),
    )  # fmt: skip
    world = Platform(anvil_w3, settings, url, record, token, store, indexer, verifier, owner)
    for account in (REQUESTER, VERIFIER):
        world.fund(account)
    try:
        yield world
    finally:
        world.verifier.close()
        indexer.stop()
        store.close()


@contextmanager
def statements(verifier: VerifierService) -> Iterator[list[str]]:
    """Every statement the verifier's engines (reader and writer) send while the block
    runs, as SQL text on one line."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(" ".join(str(args[2]).split()))

    engines = (verifier.reader, verifier.writer)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
