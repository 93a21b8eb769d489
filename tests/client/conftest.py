"""Worlds for the client library's tests.

- `chain`: a fresh embedded (eth-tester) chain per test with the escrow and a 6-decimals
  test dollar deployed and recorded, a local content store, and the library's `Platform`
  over them, built from its parts (the embedded chain lives in this process only). Its API
  URL answers nothing: the methods tested here read the chain and the content store.
- `served`: the verifier's test platform (a real anvil, the indexer, the verifier,
  tests/verifier/conftest.py) with the API and the verifier's routes served on 127.0.0.1,
  and the library's `Platform` over all of it: for what goes through the API.

Parties sign with the development accounts: owner (0, also treasury and default
arbitrator), requester (1), workers alice (3) and bob (4).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from microtask.api import create_app
from microtask.api.app import attach_verifier
from microtask.api.server import ApiServer
from microtask.chain.accounts import dev_accounts
from microtask.chain.anvil import AnvilProcess
from microtask.chain.artifacts import CompiledProject
from microtask.chain.deployer import deploy_contract, deploy_platform
from microtask.chain.deployments import DeploymentStore
from microtask.chain.embedded import embedded_web3
from microtask.chain.networks import Connection, Endpoint, reach
from microtask.chain.transactions import TransactionSender
from microtask.client import ApiClient, Platform
from microtask.config import Settings
from microtask.content import LocalStore
from tests.conftest import make_settings
from tests.verifier.conftest import Platform as VerifierWorld
from tests.verifier.conftest import platform

__all__ = ["platform"]

OWNER, REQUESTER, ALICE, BOB = (dev_accounts()[i] for i in (0, 1, 3, 4))
DOLLAR = 10**6
NOWHERE = "http://127.0.0.1:9"
"""An API URL nothing answers at (port 9, discard)."""


def manifest_document(items: int = 3, **extra: Any) -> dict[str, Any]:
    """A classification manifest with ``items`` inline items, as a requester writes it."""
    return {
        "type": "microtask/task-manifest",
        "title": "Sentiment of short reviews",
        "instructions": "Is the review **positive** or **negative**?",
        "kind": "classification",
        "answer_schema": {
            "kind": "classification",
            "labels": [{"id": "pos", "text": "Positive"}, {"id": "neg", "text": "Negative"}],
        },
        "inputs": {
            "source": "inline",
            "items": [{"id": f"r{i}", "data": {"text": f"review {i}"}} for i in range(items)],
        },
        "redundancy": 1,
        "time_estimate_seconds": 30,
        **extra,
    }


@dataclass
class Chain:
    """The embedded world of one test."""

    w3: Web3
    settings: Settings
    token: Contract
    platform: Platform
    owner: TransactionSender

    def mint(self, account: LocalAccount, amount: int) -> None:
        self.owner.transact(self.token.functions.mint(account.address, amount))

    def wallet(self, account: LocalAccount) -> int:
        return int(self.token.functions.balanceOf(account.address).call())


@pytest.fixture
def chain(compiled: CompiledProject, tmp_path: Path) -> Iterator[Chain]:
    settings = make_settings(tmp_path, content_store="local", content_fsync=False, api_url=NOWHERE)
    w3 = embedded_web3()
    owner = TransactionSender(w3, OWNER)
    records = DeploymentStore(settings.deployments_dir, "embedded")
    deploy_platform(owner, records, compiled, force=True)
    artifact = compiled.get("MockERC20")
    deployed = deploy_contract(owner, records, artifact, ["Test Dollar", "TUSD", 6], force=True)
    token = w3.eth.contract(
        address=Web3.to_checksum_address(deployed.record.address), abi=artifact.abi
    )
    profile = settings.network("embedded")
    chain_id = int(w3.eth.chain_id)
    endpoint = Endpoint(
        "embedded", profile, None, chain_id, Connection("embedded", profile, w3, chain_id)
    )
    store = LocalStore(settings.content_dir, fsync=False)
    world = Chain(
        w3,
        settings,
        token,
        Platform(settings, endpoint, records.load("TaskEscrow"), content=store),
        owner,
    )
    world.mint(REQUESTER, 1_000 * DOLLAR)
    try:
        yield world
    finally:
        world.platform.close()
        store.close()


@dataclass
class Served:
    """The served world of one test: the verifier's platform, its API, and the library."""

    world: VerifierWorld
    url: str
    platform: Platform


@pytest.fixture
def served(platform: VerifierWorld, anvil_process: AnvilProcess) -> Iterator[Served]:
    app = create_app(platform.settings, network="local", content=platform.store, with_verifier=True)
    attach_verifier(app, platform.verifier)
    server = ApiServer(app, "127.0.0.1", 0)
    server.start()
    endpoint = reach(platform.settings, "local", url=anvil_process.url)
    record = DeploymentStore(platform.settings.deployments_dir, "local").load("TaskEscrow")
    client = Platform(
        platform.settings, endpoint, record, content=platform.store, api=ApiClient(server.url)
    )
    try:
        yield Served(platform, server.url, client)
    finally:
        client.close()
        server.stop()
