"""An escrow deployed with its record, parties around it, and indexers of it.

Each test deploys a fresh TaskEscrow and a test token (on a fresh embedded chain, or inside
the worker's anvil snapshot), so its index starts at a deployment block of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine
from web3 import Web3
from web3.contract import Contract

from microtask.chain.accounts import dev_accounts
from microtask.chain.artifacts import CompiledProject
from microtask.chain.deployer import deploy_contract
from microtask.chain.deployments import DeploymentRecord, DeploymentStore
from microtask.chain.devchain import advance_time, latest_timestamp
from microtask.chain.escrow import TaskEscrowClient
from microtask.chain.transactions import TransactionSender
from microtask.config import Settings
from microtask.db import make_engine
from microtask.escrow import ETH, TaskParams
from microtask.indexer import Indexer
from tests.database_fixtures import DatabaseFactory, new_database_url, postgres_server

__all__ = ["new_database_url", "postgres_server"]

NETWORK = "test"
FEE_BPS = 250
DISPUTE_WINDOW = 24 * 3600
ARBITRATION_TIMEOUT = 2 * 24 * 3600
REVIEW_PERIOD = 3600
LEASE = 600
REWARD = 10**16
TOKEN_REWARD = 1_500_000
MANIFEST = b"\x12\x20" + bytes(range(32))
RESULT = b"\x12\x20" + bytes(range(32, 64))
REASON = b"\x12\x20" + bytes(range(64, 96))


@dataclass
class EscrowWorld:
    """A deployed escrow and token, the people around them, and their settings."""

    w3: Web3
    settings: Settings
    record: DeploymentRecord
    escrow: Contract
    token: Contract
    owner: LocalAccount
    requester: LocalAccount
    verifier: LocalAccount
    arbitrator: LocalAccount
    treasury: LocalAccount
    workers: list[LocalAccount]
    engines: list[Engine] = field(default_factory=list)
    _clients: dict[str, TaskEscrowClient] = field(default_factory=dict)

    def client(self, account: LocalAccount) -> TaskEscrowClient:
        if account.address not in self._clients:
            self._clients[account.address] = TaskEscrowClient(
                self.escrow, TransactionSender(self.w3, account)
            )
        return self._clients[account.address]

    @property
    def as_requester(self) -> TaskEscrowClient:
        return self.client(self.requester)

    def now(self) -> int:
        return latest_timestamp(self.w3)

    def advance(self, seconds: int) -> int:
        return advance_time(self.w3, seconds)

    def params(self, **overrides: Any) -> TaskParams:
        values: dict[str, Any] = {
            "manifest_cid": MANIFEST,
            "reward": REWARD,
            "slots": 3,
            "deadline": self.now() + 7 * 24 * 3600,
            "review_period": REVIEW_PERIOD,
            "lease": LEASE,
            "token": ETH,
            "verifier": self.verifier.address,
        }
        values.update(overrides)
        return TaskParams(**values)

    def create(self, **overrides: Any) -> int:
        task_id, _ = self.as_requester.create_task(self.params(**overrides))
        return task_id

    def engine(self, url: str) -> Engine:
        engine = make_engine(url, writer=True)
        self.engines.append(engine)
        return engine

    def indexer(self, url: str, **settings: Any) -> Indexer:
        chosen = self.settings.model_copy(update=settings) if settings else self.settings
        return Indexer(self.w3, self.engine(url), self.record, chosen)


def deploy_world(w3: Web3, compiled: CompiledProject, settings: Settings) -> EscrowWorld:
    accounts = dev_accounts()
    owner = TransactionSender(w3, accounts[0])
    store = DeploymentStore(settings.deployments_dir, NETWORK)
    args = [
        accounts[0].address,
        accounts[9].address,
        FEE_BPS,
        accounts[8].address,
        DISPUTE_WINDOW,
        ARBITRATION_TIMEOUT,
    ]
    record = deploy_contract(owner, store, compiled.get("TaskEscrow"), args, force=True).record
    artifact = compiled.get("MockERC20")
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = owner.transact(factory.constructor("Test Dollar", "TUSD", 6))
    token = w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)
    for account in accounts[:3]:
        owner.transact(token.functions.mint(account.address, 10**24))
    escrow = w3.eth.contract(address=Web3.to_checksum_address(record.address), abi=record.abi)
    return EscrowWorld(
        w3=w3,
        settings=settings,
        record=record,
        escrow=escrow,
        token=token,
        owner=accounts[0],
        requester=accounts[1],
        verifier=accounts[2],
        arbitrator=accounts[8],
        treasury=accounts[9],
        workers=list(accounts[3:8]),
    )


@pytest.fixture
def world(any_chain: Web3, compiled: CompiledProject, settings: Settings) -> Iterator[EscrowWorld]:
    built = deploy_world(any_chain, compiled, settings)
    yield built
    for engine in built.engines:
        engine.dispose()


@pytest.fixture
def anvil_world(
    anvil_w3: Web3, compiled: CompiledProject, settings: Settings
) -> Iterator[EscrowWorld]:
    built = deploy_world(anvil_w3, compiled, settings)
    yield built
    for engine in built.engines:
        engine.dispose()


@pytest.fixture
def database(new_database_url: DatabaseFactory) -> DatabaseFactory:
    return new_database_url


@pytest.fixture
def embedded_world(
    embedded_chain: Web3, compiled: CompiledProject, settings: Settings
) -> Iterator[EscrowWorld]:
    built = deploy_world(embedded_chain, compiled, settings)
    yield built
    for engine in built.engines:
        engine.dispose()
