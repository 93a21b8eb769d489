"""One test world: a deployed TaskEscrow, its tokens and the people around it, on a real chain.

The contracts', indexer's, API's and verifier's tests all need an escrow with parties and
money; this module is the one place they get it from (its fixtures are registered in
``tests/conftest.py``, so every test directory can ask for them):

- ``deployment`` (one per test worker, on its anvil) and ``shared_world``: the escrow
  deployed once with a well-behaved test stablecoin and three badly-behaved tokens; each
  test runs inside an anvil snapshot reverted afterwards, so every test starts from the
  same freshly deployed state. The contracts' tests call it ``world``.
- ``indexed_world`` (each kind of chain), ``anvil_world`` and ``embedded_world``: a fresh
  escrow and stablecoin per test, recorded in a `DeploymentStore` (so the index starts at
  a deployment block of its own) with `IndexedWorld.indexer` to follow it. The indexer's
  tests call ``indexed_world`` ``world``.

The parties are the dev accounts: owner 0, requester 1, verifier 2, workers 3 to 7,
arbitrator 8, treasury 9 (the first three hold 10**24 of each token). Named helpers
(`deploy`, `deploy_escrow`, `deploy_test_dollar`, `send_ether`) build anything else,
e.g. the verifier's platform in ``tests/verifier/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from microtask.chain.accounts import dev_accounts
from microtask.chain.anvil import AnvilProcess
from microtask.chain.artifacts import CompiledProject
from microtask.chain.deployer import deploy_contract
from microtask.chain.deployments import DeploymentRecord, DeploymentStore
from microtask.chain.devchain import advance_time, latest_timestamp
from microtask.chain.escrow import TaskEscrowClient
from microtask.chain.networks import connect_url
from microtask.chain.transactions import TransactionSender
from microtask.chain.typed_data import Receipt, ReceiptRejection
from microtask.config import Settings
from microtask.db import make_engine
from microtask.encoding.eip712 import sign
from microtask.escrow import ETH, TaskParams
from microtask.indexer import Indexer
from microtask.manifests.typed_data import submission_message

NETWORK = "test"
"""The network name an `IndexedWorld`'s deployment records are kept under."""

FEE_BPS = 250  # 2.5%: an odd fee, so rounding shows
DISPUTE_WINDOW = 24 * 3600
ARBITRATION_TIMEOUT = 2 * 24 * 3600
REVIEW_PERIOD = 3600
LEASE = 600
REWARD = 10**16  # 0.01 ETH
TOKEN_REWARD = 1_500_000  # 1.5 units of a 6-decimals stablecoin
MANIFEST = b"\x12\x20" + bytes(range(32))  # a CIDv0 in binary form
RESULT = b"\x12\x20" + bytes(range(32, 64))
REASON = b"\x12\x20" + bytes(range(64, 96))
DIGEST = bytes(range(1, 33))  # a receipt's result digest
ENVELOPE = bytes(range(2, 34))  # the keccak256 of a submission envelope
HOLDING = 10**24
"""What the owner, the requester and the verifier hold of each test token."""
TEST_DOLLAR = ("Test Dollar", "TUSD", 6)
"""MockERC20's constructor arguments: a 6-decimals stablecoin with permit."""
ODD_TOKENS = ("NoReturnToken", "FeeOnTransferToken", "ReentrantToken")
"""The shared deployment's misbehaving tokens, in `Deployment`'s field order."""


# ----------------------------------------------------------------------------- helpers


def parties() -> dict[str, Any]:
    """The named dev accounts, as keyword arguments of `World`."""
    accounts = dev_accounts()
    return {
        "owner": accounts[0],
        "requester": accounts[1],
        "verifier": accounts[2],
        "arbitrator": accounts[8],
        "treasury": accounts[9],
        "workers": list(accounts[3:8]),
    }


def escrow_args() -> list[Any]:
    """TaskEscrow's constructor arguments: owner, treasury, fee, arbitrator, windows."""
    named = parties()
    return [
        named["owner"].address,
        named["treasury"].address,
        FEE_BPS,
        named["arbitrator"].address,
        DISPUTE_WINDOW,
        ARBITRATION_TIMEOUT,
    ]


def deploy(sender: TransactionSender, compiled: CompiledProject, name: str, *args: Any) -> Contract:
    """Deploy the contract ``name`` with ``args``, unrecorded."""
    artifact = compiled.get(name)
    factory = sender.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = sender.transact(factory.constructor(*args))
    return sender.w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


def deploy_escrow(
    sender: TransactionSender, compiled: CompiledProject, store: DeploymentStore
) -> tuple[Contract, DeploymentRecord]:
    """A new TaskEscrow with the world's fee and windows, recorded in ``store``."""
    artifact = compiled.get("TaskEscrow")
    record = deploy_contract(sender, store, artifact, escrow_args(), force=True).record
    escrow = sender.w3.eth.contract(
        address=Web3.to_checksum_address(record.address), abi=record.abi
    )
    return escrow, record


def mint(
    sender: TransactionSender, token: Contract, holders: Iterable[str], amount: int = HOLDING
) -> None:
    for holder in holders:
        sender.transact(token.functions.mint(holder, amount))


def deploy_test_dollar(
    sender: TransactionSender,
    compiled: CompiledProject,
    *,
    holders: Iterable[str],
    amount: int = HOLDING,
    store: DeploymentStore | None = None,
) -> Contract:
    """The test stablecoin (`TEST_DOLLAR`) minted to ``holders``; recorded in ``store``
    when given (so the CLI finds it by its symbol)."""
    if store is None:
        token = deploy(sender, compiled, "MockERC20", *TEST_DOLLAR)
    else:
        artifact = compiled.get("MockERC20")
        record = deploy_contract(sender, store, artifact, list(TEST_DOLLAR), force=True).record
        token = sender.w3.eth.contract(
            address=Web3.to_checksum_address(record.address), abi=artifact.abi
        )
    mint(sender, token, holders, amount)
    return token


def send_ether(sender: TransactionSender, to: str, wei: int) -> None:
    """A plain transfer of ``wei`` from ``sender``'s account."""
    w3 = sender.w3
    sender.send(
        {
            "to": Web3.to_checksum_address(to),
            "value": wei,
            "gas": 21_000,
            "maxFeePerGas": 10**11,
            "maxPriorityFeePerGas": 10**9,
            "nonce": w3.eth.get_transaction_count(sender.address, "pending"),
            "chainId": w3.eth.chain_id,
        }
    )


# ----------------------------------------------------------------------------- the world


@dataclass
class Deployment:
    """The contracts of a world: the escrow and the test stablecoin, and (in the shared
    deployment) three tokens that misbehave, for the adversarial tests."""

    escrow: Contract
    token: Contract
    no_return_token: Contract | None = None
    fee_token: Contract | None = None
    reentrant_token: Contract | None = None


@dataclass
class World:
    """The escrow, its tokens and the people around it, with what tests do to them."""

    w3: Web3
    deployment: Deployment
    compiled: CompiledProject
    owner: LocalAccount
    requester: LocalAccount
    verifier: LocalAccount
    arbitrator: LocalAccount
    treasury: LocalAccount
    workers: list[LocalAccount]
    clients: dict[str, TaskEscrowClient] = field(default_factory=dict)

    @property
    def token(self) -> Contract:
        return self.deployment.token

    def client(self, account: LocalAccount) -> TaskEscrowClient:
        """The escrow's typed client acting as ``account`` (one per account)."""
        if account.address not in self.clients:
            self.clients[account.address] = TaskEscrowClient(
                self.deployment.escrow, TransactionSender(self.w3, account)
            )
        return self.clients[account.address]

    @property
    def escrow(self) -> TaskEscrowClient:
        """The escrow as the requester."""
        return self.client(self.requester)

    def now(self) -> int:
        return latest_timestamp(self.w3)

    def advance(self, seconds: int) -> int:
        return advance_time(self.w3, seconds)

    def params(self, **overrides: Any) -> TaskParams:
        """A task's parameters: 3 slots of `REWARD` ETH for a week, then ``overrides``."""
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
        """The requester creates and funds a task (see `params`); its id."""
        task_id, _ = self.escrow.create_task(self.params(**overrides))
        return task_id

    def submitted(self, task_id: int, slot: int, worker: LocalAccount) -> None:
        """``worker`` claims ``slot`` and submits a result."""
        client = self.client(worker)
        client.claim(task_id, slot)
        client.submit(task_id, slot, RESULT)

    def receipt(
        self, task_id: int, slot: int, worker: str, *, signer: LocalAccount | None = None
    ) -> tuple[Receipt, bytes]:
        """A receipt for ``worker``'s work on ``slot``, signed by ``signer`` (the verifier)."""
        receipt = Receipt(task_id, slot, worker, DIGEST, self.now(), self.now() + 7 * 24 * 3600)
        return receipt, self.client(signer or self.verifier).sign_receipt(receipt)

    def submission_signature(
        self, task_id: int, slot: int, worker: LocalAccount, envelope_hash: bytes = ENVELOPE
    ) -> bytes:
        """``worker``'s EIP-712 ``Submission`` signature, as in every submission envelope."""
        message = submission_message(
            chain_id=self.w3.eth.chain_id,
            escrow=self.deployment.escrow.address,
            task_id=task_id,
            slot=slot,
            worker=worker.address,
            envelope_hash=envelope_hash,
        )
        return sign(worker, message)

    def rejection(
        self, task_id: int, slot: int, worker: LocalAccount, *, signer: LocalAccount | None = None
    ) -> ReceiptRejection:
        """A receipt slot's rejection with its proof: ``worker``'s receipt (signed by
        ``signer``, the verifier by default) and ``worker``'s own submission signature."""
        receipt, signature = self.receipt(task_id, slot, worker.address, signer=signer)
        return ReceiptRejection(
            receipt, signature, ENVELOPE, self.submission_signature(task_id, slot, worker)
        )

    def events(self, receipt: TxReceipt, name: str) -> list[dict[str, Any]]:
        """The arguments of each ``name`` event the escrow logged in ``receipt``."""
        event = getattr(self.deployment.escrow.events, name)()
        return [dict(e["args"]) for e in event.process_receipt(receipt, errors=DISCARD)]

    def eth_balance(self, address: str) -> int:
        return int(self.w3.eth.get_balance(Web3.to_checksum_address(address)))

    def token_balance(self, token: Contract, address: str) -> int:
        return int(token.functions.balanceOf(address).call())

    def fund_worker(self, account: LocalAccount, ether: int = 1) -> None:
        """Give ``account`` ``ether`` ETH from the owner, for gas."""
        send_ether(TransactionSender(self.w3, self.owner), account.address, ether * 10**18)


@dataclass(kw_only=True)
class IndexedWorld(World):
    """A world whose escrow is recorded under `NETWORK`, with indexers to follow it."""

    settings: Settings
    record: DeploymentRecord
    engines: list[Engine] = field(default_factory=list)

    def engine(self, url: str) -> Engine:
        """A writer engine on ``url``, disposed of after the test."""
        engine = make_engine(url, writer=True)
        self.engines.append(engine)
        return engine

    def indexer(self, url: str, **settings: Any) -> Indexer:
        """An indexer of this escrow into ``url`` (``settings`` override the world's)."""
        chosen = self.settings.model_copy(update=settings) if settings else self.settings
        return Indexer(self.w3, self.engine(url), self.record, chosen)

    def close(self) -> None:
        for engine in self.engines:
            engine.dispose()


def deploy_indexed_world(w3: Web3, compiled: CompiledProject, settings: Settings) -> IndexedWorld:
    """A fresh escrow and test stablecoin on ``w3``, recorded in ``settings``' deployments."""
    named = parties()
    owner = TransactionSender(w3, named["owner"])
    store = DeploymentStore(settings.deployments_dir, NETWORK)
    escrow, record = deploy_escrow(owner, compiled, store)
    holders = [named[name].address for name in ("owner", "requester", "verifier")]
    token = deploy_test_dollar(owner, compiled, holders=holders)
    return IndexedWorld(
        w3=w3,
        deployment=Deployment(escrow, token),
        compiled=compiled,
        settings=settings,
        record=record,
        **named,
    )


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def deployment(anvil_process: AnvilProcess, compiled: CompiledProject) -> Deployment:
    """The escrow and every test token, deployed once per test worker on its anvil."""
    named = parties()
    owner = TransactionSender(connect_url(anvil_process.url), named["owner"])
    holders = [named[name].address for name in ("owner", "requester", "verifier")]
    escrow = deploy(owner, compiled, "TaskEscrow", *escrow_args())
    token = deploy(owner, compiled, "MockERC20", *TEST_DOLLAR)
    odd = [deploy(owner, compiled, name) for name in ODD_TOKENS]
    for contract in (token, *odd):
        mint(owner, contract, holders)
    return Deployment(escrow, token, *odd)


@pytest.fixture
def shared_world(anvil_w3: Web3, deployment: Deployment, compiled: CompiledProject) -> World:
    """The shared deployment, inside this test's anvil snapshot."""
    return World(w3=anvil_w3, deployment=deployment, compiled=compiled, **parties())


@pytest.fixture
def fresh_account(shared_world: World) -> Callable[[], LocalAccount]:
    """Make new funded accounts, for tests that need more workers than the dev set."""

    def make() -> LocalAccount:
        account: LocalAccount = Account.create()
        shared_world.fund_worker(account)
        return account

    return make


def _indexed(w3: Web3, compiled: CompiledProject, settings: Settings) -> Iterator[IndexedWorld]:
    built = deploy_indexed_world(w3, compiled, settings)
    yield built
    built.close()


@pytest.fixture
def indexed_world(
    any_chain: Web3, compiled: CompiledProject, settings: Settings
) -> Iterator[IndexedWorld]:
    """A fresh recorded escrow, once on the embedded chain and once on anvil."""
    yield from _indexed(any_chain, compiled, settings)


@pytest.fixture
def anvil_world(
    anvil_w3: Web3, compiled: CompiledProject, settings: Settings
) -> Iterator[IndexedWorld]:
    """A fresh recorded escrow on the worker's anvil (inside the test's snapshot)."""
    yield from _indexed(anvil_w3, compiled, settings)


@pytest.fixture
def embedded_world(
    embedded_chain: Web3, compiled: CompiledProject, settings: Settings
) -> Iterator[IndexedWorld]:
    """A fresh recorded escrow on a fresh in-process chain."""
    yield from _indexed(embedded_chain, compiled, settings)
