"""`microtask up`: the whole platform on this machine, until Ctrl-C.

That is a local anvil with the contracts compiled and deployed, the indexer following the
escrow into the database, the verifier (dev account 2: gasless claims and receipts,
automatic quality control and settlement) and the HTTP API serving the index and the
verifier's routes (threads, stopped with the rest). The
content store is a Kubo node when one is configured or running, else the embedded local
store. The chain's state is saved in the data directory when anvil stops, so the next `up`
continues the same chain (and finds the contracts already deployed) unless `--fresh` is
given.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from microtask.api import create_app
from microtask.api.app import attach_verifier
from microtask.api.server import ApiServer, ApiStartFailed
from microtask.chain.accounts import DEV_VERIFIER_INDEX, dev_accounts, dev_verifier
from microtask.chain.anvil import AnvilProcess, find_anvil
from microtask.chain.compiler import compile_project
from microtask.chain.deployer import deploy_platform, platform_plan
from microtask.chain.deployments import DeploymentStore
from microtask.chain.devchain import latest_timestamp
from microtask.chain.escrow import TaskEscrowClient
from microtask.chain.networks import connect
from microtask.chain.transactions import TransactionSender
from microtask.cli import console
from microtask.cli.context import settings_of
from microtask.cli.deploy_cmd import report
from microtask.cli.index_cmd import configure_logging
from microtask.cli.signals import stop_signal
from microtask.config import Settings
from microtask.content import open_content_store
from microtask.db import describe_url
from microtask.demo import seed_demo
from microtask.demo.guide import demo_next_steps
from microtask.demo.seed import apply_demo_policy
from microtask.errors import ConfigurationError
from microtask.indexer.service import IndexerService
from microtask.verifier import VerifierService
from microtask.web import attach_site, site_for_deployment

NETWORK = "local"


def _state_file(settings: Settings) -> Path:
    return settings.data_dir / "chains" / NETWORK / "anvil-state.json"


def up_command(
    ctx: typer.Context,
    port: int | None = typer.Option(
        None, "--port", "-p", help="anvil's port (default: the local network's, 8545; 0 = any)."
    ),
    fresh: bool = typer.Option(False, "--fresh", help="Start a new chain; forget the saved one."),
    demo: bool = typer.Option(
        False, "--demo", help="Add a test stablecoin, fund the dev accounts, post a few tasks."
    ),
    api_port: int | None = typer.Option(
        None, "--api-port", min=0, max=65535, help="The API's port (default: api_port, 8000)."
    ),
) -> None:
    """Start the platform locally: anvil, the contracts deployed, and where it all listens.

    Example: microtask up --port 8545
    """
    settings = settings_of(ctx)
    profile = settings.network(NETWORK)
    if profile.kind != "anvil":
        raise ConfigurationError(f"network {NETWORK!r} must be of kind 'anvil' for `up`")
    project = compile_project(settings)  # a compile error shows before anything starts

    state_file = _state_file(settings)
    if fresh:
        state_file.unlink(missing_ok=True)
    log_file = settings.data_dir / "logs" / "anvil.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    anvil = AnvilProcess(
        find_anvil(settings.node_root),
        host=profile.host,
        port=profile.port if port is None else port,
        chain_id=profile.chain_id or 31337,
        state_file=state_file,
        block_time=settings.anvil_block_time,
        log_file=log_file,
    )
    content = open_content_store(settings)  # an unreachable configured Kubo fails before anvil
    # bound now, so a taken API port fails before anvil starts
    api = ApiServer(
        create_app(settings, network=NETWORK, content=content, with_verifier=True, with_pages=True),
        settings.api_host,
        settings.api_port if api_port is None else api_port,
    )
    console.info("starting anvil …")
    with stop_signal() as stop, content, anvil:
        connection = connect(settings, NETWORK, url=anvil.url)
        store = DeploymentStore(settings.deployments_dir, NETWORK)
        sender = TransactionSender(connection.w3, dev_accounts()[0])
        report(
            ctx, deploy_platform(sender, store, project, plan=platform_plan(settings.escrow)), store
        )
        market = None
        if demo:
            escrow = TaskEscrowClient.from_deployment(connection.w3, store, dev_accounts()[0])
            market = seed_demo(connection.w3, escrow, project, store, content)
        configure_logging(verbose=False)
        indexer = IndexerService.open(settings, NETWORK, connection=connection, content=content)
        indexer.start()
        verifier = VerifierService.open(
            settings,
            w3=connection.w3,
            record=store.load("TaskEscrow"),
            account=dev_verifier(),
            database_url=indexer.url,
            content=content,
        )
        indexer.indexer.on_commit.append(verifier.wake)
        if market is not None:
            apply_demo_policy(verifier, latest_timestamp(connection.w3))
        attach_verifier(api.app, verifier)
        attach_site(
            api.app,
            site_for_deployment(
                connection.w3,
                store,
                network=NETWORK,
                rpc_url=anvil.url,
                cid_version=settings.content_cid_version,
            ),
        )
        verifier.start()
        try:
            api.start()
        except BaseException:
            verifier.stop()
            indexer.stop()
            raise

        table = Table(show_header=False, box=None)
        table.add_row("RPC URL", anvil.url)
        table.add_row("chain id", str(connection.chain_id))
        for record_file in sorted(store.directory.glob("*.json")):
            table.add_row("deployment", str(record_file))
        table.add_row("dev accounts", ", ".join(a.address for a in dev_accounts()[:3]) + ", …")
        table.add_row("chain state", str(state_file))
        table.add_row("anvil log", str(log_file))
        table.add_row("content store", content.describe())
        table.add_row("index database", describe_url(indexer.url))
        table.add_row("web app", f"{api.url}/ (open it in a browser)")
        table.add_row("API", f"{api.url} (docs: {api.url}/docs)")
        table.add_row(
            "verifier", f"{verifier.address} (dev account {DEV_VERIFIER_INDEX}; {api.url}/verifier)"
        )
        if market is not None:
            table.add_row("demo coin", f"{market.token} (dUSD, 6 decimals)")
            table.add_row("demo tasks", ", ".join(map(str, market.task_ids)))
        console.out.print(table)
        console.success("microtask is up; press Ctrl-C to stop")
        if market is not None:
            console.out.print(demo_next_steps())
        try:
            while not stop.wait(0.5):
                if indexer.failure is not None:
                    raise indexer.failure
                if verifier.failure is not None:
                    raise verifier.failure
                if not api.alive():
                    raise ApiStartFailed("the API stopped unexpectedly; see the log above")
        finally:
            console.info("stopping …")
            api.stop()
            verifier.stop()
            indexer.stop()
    console.success("stopped; the chain state is saved for the next `microtask up`")
