"""What a command that talks to the escrow needs: the network, the record, a signer.

Every signing command takes ``--network`` and ``--account``; this opens them in one place,
so errors (unknown network, missing deployment, wrong password) read the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from eth_account import Account
from web3 import Web3
from web3.exceptions import Web3Exception

from microtask.chain.deployments import DeploymentRecord, DeploymentStore
from microtask.chain.escrow import TaskEscrowClient
from microtask.chain.networks import Connection, connect
from microtask.cli import console
from microtask.cli.context import settings_of, signer_for
from microtask.cli.units import Token, resolve_token
from microtask.config import Settings

NetworkOption = Annotated[str, typer.Option("--network", "-n", help="Network name.")]
AccountOption = Annotated[
    str | None,
    typer.Option("--account", "-a", help="Keystore account that signs (local: dev account 0)."),
]


@dataclass(frozen=True)
class EscrowSession:
    settings: Settings
    network: str
    connection: Connection
    record: DeploymentRecord
    client: TaskEscrowClient

    @property
    def w3(self) -> Any:
        return self.connection.w3

    def token(self, text: str | None) -> Token:
        """A token as the user typed it: eth, an address, or the symbol of a token whose
        deployment is recorded for this network (the demo's dUSD)."""
        if text is None or text.strip().lower() == "eth" or Web3.is_address(text):
            return resolve_token(self.w3, text)  # no need to read the deployed tokens
        return resolve_token(self.w3, text, deployed_tokens(self.w3, self.settings, self.network))


def deployed_tokens(w3: Any, settings: Settings, network: str) -> dict[str, str]:
    """Symbol to address of the ERC-20s whose deployments are recorded for ``network``.

    A record is a token if its ABI has ``symbol()``; the symbol is read from the chain.
    """
    tokens = {}
    for record in DeploymentStore(settings.deployments_dir, network).records():
        if not any(item.get("name") == "symbol" for item in record.abi):
            continue
        try:
            symbol = w3.eth.contract(address=record.address, abi=record.abi).functions.symbol()
            tokens[str(symbol.call())] = record.address
        except (Web3Exception, ValueError):
            continue  # recorded, but not (or no longer) on this chain
    return tokens


def listed_tokens(
    w3: Any, settings: Settings, network: str, asked: list[str] | None
) -> list[Token]:
    """What a balance listing shows: ETH and the tokens asked for (addresses or deployed
    symbols), or ETH and every token deployed on the network when none were asked for."""
    known = deployed_tokens(w3, settings, network)
    wanted = ["eth", *(asked if asked is not None else known.values())]
    return [resolve_token(w3, text, known) for text in dict.fromkeys(wanted)]


def open_escrow(
    ctx: typer.Context, network: str, account: str | None, *, read_only: bool = False
) -> EscrowSession:
    """Connect, find the deployed escrow, and unlock the signer (unless ``read_only``)."""
    settings = settings_of(ctx)
    signer = Account.create() if read_only else signer_for(settings, network, account)
    connection = connect(settings, network)
    store = DeploymentStore(settings.deployments_dir, network)
    store.guard_chain_id(connection.chain_id)
    record = store.load("TaskEscrow")
    client = TaskEscrowClient.at(connection.w3, record.address, record.abi, signer)
    return EscrowSession(settings, network, connection, record, client)


@contextmanager
def waiting(ctx: typer.Context, message: str) -> Iterator[None]:
    """A spinner on stderr while a transaction is mined (not in --json mode or a pipe)."""
    if console.json_mode(ctx) or not console.err.is_terminal:
        yield
        return
    with console.err.status(message):
        yield
