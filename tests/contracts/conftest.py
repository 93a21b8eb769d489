"""A deployed TaskEscrow with tokens and named parties, on a real anvil, reset per test.

The contracts are deployed once per test worker; every test runs inside an anvil snapshot
that is reverted afterwards, so each starts from the same freshly deployed state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from microtask.chain.accounts import dev_accounts
from microtask.chain.anvil import AnvilProcess
from microtask.chain.artifacts import CompiledProject
from microtask.chain.devchain import advance_time, latest_timestamp
from microtask.chain.escrow import TaskEscrowClient
from microtask.chain.networks import connect_url
from microtask.chain.transactions import TransactionSender
from microtask.escrow import ETH, TaskParams

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


def deploy(sender: TransactionSender, compiled: CompiledProject, name: str, *args: Any) -> Contract:
    artifact = compiled.get(name)
    factory = sender.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = sender.transact(factory.constructor(*args))
    return sender.w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


@dataclass
class Deployment:
    """Addresses deployed once per worker."""

    escrow: Contract
    token: Contract
    no_return_token: Contract
    fee_token: Contract
    reentrant_token: Contract


@dataclass
class World:
    """The escrow, its tokens and the people around it."""

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
        task_id, _ = self.escrow.create_task(self.params(**overrides))
        return task_id

    def submitted(self, task_id: int, slot: int, worker: LocalAccount) -> None:
        """``worker`` claims ``slot`` and submits a result."""
        client = self.client(worker)
        client.claim(task_id, slot)
        client.submit(task_id, slot, RESULT)

    def events(self, receipt: TxReceipt, name: str) -> list[dict[str, Any]]:
        """The arguments of each ``name`` event the escrow logged in ``receipt``."""
        event = getattr(self.deployment.escrow.events, name)()
        return [dict(e["args"]) for e in event.process_receipt(receipt, errors=DISCARD)]

    def eth_balance(self, address: str) -> int:
        return int(self.w3.eth.get_balance(Web3.to_checksum_address(address)))

    def token_balance(self, token: Contract, address: str) -> int:
        return int(token.functions.balanceOf(address).call())

    def fund_worker(self, account: LocalAccount, ether: int = 1) -> None:
        TransactionSender(self.w3, self.owner).send(
            {
                "to": account.address,
                "value": ether * 10**18,
                "gas": 21_000,
                "maxFeePerGas": 10**11,
                "maxPriorityFeePerGas": 10**9,
                "nonce": self.w3.eth.get_transaction_count(self.owner.address),
                "chainId": self.w3.eth.chain_id,
            }
        )


@pytest.fixture(scope="session")
def deployment(anvil_process: AnvilProcess, compiled: CompiledProject) -> Deployment:
    w3 = connect_url(anvil_process.url)
    accounts = dev_accounts()
    owner = TransactionSender(w3, accounts[0])
    escrow = deploy(
        owner,
        compiled,
        "TaskEscrow",
        accounts[0].address,
        accounts[9].address,
        FEE_BPS,
        accounts[8].address,
        DISPUTE_WINDOW,
        ARBITRATION_TIMEOUT,
    )
    token = deploy(owner, compiled, "MockERC20", "Test Dollar", "TUSD", 6)
    no_return = deploy(owner, compiled, "NoReturnToken")
    fee_token = deploy(owner, compiled, "FeeOnTransferToken")
    reentrant = deploy(owner, compiled, "ReentrantToken")
    for contract in (token, no_return, fee_token, reentrant):
        for account in accounts[:3]:
            owner.transact(contract.functions.mint(account.address, 10**24))
    return Deployment(escrow, token, no_return, fee_token, reentrant)


@pytest.fixture
def world(anvil_w3: Web3, deployment: Deployment, compiled: CompiledProject) -> World:
    accounts = dev_accounts()
    return World(
        w3=anvil_w3,
        deployment=deployment,
        compiled=compiled,
        owner=accounts[0],
        requester=accounts[1],
        verifier=accounts[2],
        arbitrator=accounts[8],
        treasury=accounts[9],
        workers=list(accounts[3:8]),
    )


@pytest.fixture
def fresh_account(world: World) -> Callable[[], LocalAccount]:
    """Make new funded accounts, for tests that need more workers than the dev set."""

    def make() -> LocalAccount:
        account: LocalAccount = Account.create()
        world.fund_worker(account)
        return account

    return make
