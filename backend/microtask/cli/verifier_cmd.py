"""`microtask verifier`: the verifier service in the foreground (or one round of it).

It serves the verifier's routes (gasless claims and receipts, requesters' policies and
"assess now") on its own port and runs its loop: assess each of its tasks when due and
settle the decisions on chain. It reads the index that `microtask index` (or `microtask
up`, which runs a verifier of its own) writes, in the same database. On a local chain it
signs as dev account 2 unless told otherwise; elsewhere the key comes from a keystore
(``--account``). Run one verifier per key: two would compete for its nonces.
"""

from __future__ import annotations

import typer
from eth_account.signers.local import LocalAccount
from rich.table import Table

from microtask.api.routes.verifier import verifier_app
from microtask.api.server import ApiServer
from microtask.chain.accounts import DEV_VERIFIER_INDEX, dev_verifier
from microtask.chain.deployments import DeploymentStore
from microtask.chain.networks import connect
from microtask.cli import console
from microtask.cli.context import settings_of, signer_for
from microtask.cli.index_cmd import configure_logging
from microtask.cli.options import AccountOption, NetworkOption
from microtask.config import Settings
from microtask.content import open_content_store
from microtask.db import database_url, describe_url
from microtask.errors import UserError
from microtask.services import Supervisor
from microtask.verifier import VerifierService


def verifier_signer(settings: Settings, network: str, account: str | None) -> LocalAccount:
    """The keystore ``account``, or dev account 2 on a local chain."""
    if account is not None:
        return signer_for(settings, network, account)
    if settings.network(network).kind in ("anvil", "embedded"):
        return dev_verifier()
    raise UserError(f"network {network!r} is not a local testnet: choose the key with --account")


def verifier_command(
    ctx: typer.Context,
    network: NetworkOption = "local",
    account: AccountOption = None,
    host: str | None = typer.Option(
        None, "--host", help="Address to listen on (default: verifier_host, 127.0.0.1)."
    ),
    port: int | None = typer.Option(
        None, "--port", "-p", min=0, max=65535, help="Port (default: verifier_port, 8001)."
    ),
    once: bool = typer.Option(
        False, "--once", help="Assess and settle what is due once, then exit (no HTTP)."
    ),
) -> None:
    """Run the verifier: gasless claims and receipts, automatic quality control, settlement.

    Example: microtask verifier --account verifier --port 8001
    """
    settings = settings_of(ctx)
    url = database_url(settings, network)
    service = _open_verifier(settings, network, account, url)
    if once:
        _one_round(ctx, service)
        return
    configure_logging(verbose=False)
    server = ApiServer(
        verifier_app(service),
        settings.verifier_host if host is None else host,
        settings.verifier_port if port is None else port,
        name="the verifier's server",
    )
    with Supervisor() as services:
        services.start(service)
        services.start(server)  # stopped first: no request arrives while the loop stops
        console.out.print(_summary(service, url, server))
        if account is None:
            console.info(f"signing as dev account {DEV_VERIFIER_INDEX} (a local chain)")
        console.success("the verifier is running; press Ctrl-C to stop")
        services.wait()
    console.success("verifier stopped")


def _open_verifier(
    settings: Settings, network: str, account: str | None, url: str
) -> VerifierService:
    """The verifier of ``network``'s escrow, signing as ``account``, on the index at ``url``."""
    signer = verifier_signer(settings, network, account)
    connection = connect(settings, network)
    records = DeploymentStore(settings.deployments_dir, network)
    records.guard_chain_id(connection.chain_id)
    return VerifierService.open(
        settings,
        w3=connection.w3,
        record=records.load_escrow(),
        account=signer,
        database_url=url,
        content=open_content_store(settings),
        owns_content=True,
    )


def _one_round(ctx: typer.Context, service: VerifierService) -> None:
    """`--once`: assess and settle what is due, report it, release the service."""
    try:
        reports = [report.as_json() for report in service.tick()]
    finally:
        service.close()
    console.emit(
        ctx,
        {"verifier": service.address, "reports": reports},
        lambda: console.success(f"{len(reports)} task(s) assessed and settled"),
    )


def _summary(service: VerifierService, database: str, server: ApiServer) -> Table:
    table = Table(show_header=False, box=None)
    table.add_row("verifier", service.address)
    table.add_row("public key", service.public_key)
    table.add_row("escrow", f"{service.escrow} (chain {service.chain_id})")
    table.add_row("index database", describe_url(database))
    table.add_row("routes", f"{server.url}/verifier (docs: {server.url}/docs)")
    return table
