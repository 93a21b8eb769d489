"""`microtask up`: the whole platform on this machine, until Ctrl-C.

That is a local anvil with the contracts compiled and deployed, the indexer following the
escrow into the database, the verifier (dev account 2: gasless claims and receipts,
automatic quality control and settlement) and the HTTP API serving the index, the
verifier's routes and the web app's pages (at ``/``). One `microtask.services.Supervisor`
runs them all: started in that order, watched, and stopped in reverse order on Ctrl-C,
SIGTERM, or when one of them dies.
The content store is a Kubo node when one is configured or running, else the embedded
local store. The chain's state is saved in the data directory when anvil stops, so the
next `up` continues the same chain (and finds the contracts already deployed) unless
`--fresh` is given.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from microtask.api import create_app
from microtask.api.app import attach_verifier
from microtask.api.processes import ApiWorkers, VerifierLoop, default_workers
from microtask.api.server import ApiServer
from microtask.chain.accounts import DEV_VERIFIER_INDEX, dev_accounts, dev_verifier
from microtask.chain.anvil import AnvilProcess, find_anvil
from microtask.chain.artifacts import CompiledProject
from microtask.chain.compiler import compile_project
from microtask.chain.deployer import deploy_platform, platform_plan
from microtask.chain.deployments import DeploymentStore
from microtask.chain.devchain import latest_timestamp
from microtask.chain.escrow import TaskEscrowClient
from microtask.chain.networks import Connection, connect
from microtask.chain.transactions import TransactionSender
from microtask.cli import console
from microtask.cli.context import settings_of
from microtask.cli.deploy_cmd import report
from microtask.cli.index_cmd import configure_logging
from microtask.cli.mturk_serve import demo_gateway, print_demo_lines, serve_demo
from microtask.client import Platform
from microtask.config import ANVIL_CHAIN_ID, NetworkProfile, Settings
from microtask.content import ContentStore, open_content_store
from microtask.db import database_url, describe_url
from microtask.demo import DemoMarketplace, seed_demo
from microtask.demo.guide import demo_next_steps
from microtask.demo.seed import apply_demo_policy
from microtask.errors import ConfigurationError
from microtask.indexer.service import IndexerService
from microtask.mturk.app import mount_mturk
from microtask.services import Supervisor
from microtask.verifier import VerifierService
from microtask.web import attach_site, site_for_platform

NETWORK = "local"
NO_MTURK_REQUESTER = (
    "no requester's MTurk endpoint is served here: `microtask up --demo` serves the demo "
    "requester's at /mturk, `microtask mturk serve --account NAME` a requester's own"
)


def _state_file(settings: Settings) -> Path:
    return settings.data_dir / "chains" / NETWORK / "anvil-state.json"


def _anvil(settings: Settings, profile: NetworkProfile, port: int | None) -> AnvilProcess:
    """The local network's anvil, keeping its state in the data directory."""
    log_file = settings.data_dir / "logs" / "anvil.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    return AnvilProcess(
        find_anvil(settings.node_root),
        host=profile.host,
        port=profile.port if port is None else port,
        chain_id=profile.chain_id or ANVIL_CHAIN_ID,
        state_file=_state_file(settings),
        block_time=settings.anvil_block_time,
        log_file=log_file,
    )


def _deploy(
    ctx: typer.Context,
    connection: Connection,
    store: DeploymentStore,
    project: CompiledProject,
    content: ContentStore,
    *,
    demo: bool,
) -> DemoMarketplace | None:
    """Deploy what is missing or changed (reported as `deploy` does), then the demo's tasks."""
    sender = TransactionSender(connection.w3, dev_accounts()[0])
    report(
        ctx,
        deploy_platform(sender, store, project, plan=platform_plan(settings_of(ctx).escrow)),
        store,
    )
    if not demo:
        return None
    escrow = TaskEscrowClient.from_deployment(connection.w3, store, dev_accounts()[0])
    return seed_demo(connection.w3, escrow, project, store, content)


def _verifier(
    settings: Settings,
    connection: Connection,
    store: DeploymentStore,
    indexer: IndexerService,
    market: DemoMarketplace | None,
) -> VerifierService:
    """The platform's verifier (dev account 2) on the index, woken by each indexed batch."""
    verifier = VerifierService.open(
        settings,
        w3=connection.w3,
        record=store.load_escrow(),
        account=dev_verifier(),
        database_url=indexer.url,
        content=indexer.content,
    )
    indexer.indexer.on_commit.append(verifier.wake)
    if market is not None:
        apply_demo_policy(verifier, latest_timestamp(connection.w3))
    return verifier


def _summary(
    anvil: AnvilProcess,
    chain_id: int,
    store: DeploymentStore,
    content: ContentStore,
    indexer: IndexerService,
    verifier: VerifierService,
    api: ApiServer | ApiWorkers,
) -> Table:
    """Where everything listens and lives, as `up` prints it once all is running."""
    table = Table(show_header=False, box=None)
    table.add_row("RPC URL", anvil.url)
    table.add_row("chain id", str(chain_id))
    for record_file in sorted(store.directory.glob("*.json")):
        table.add_row("deployment", str(record_file))
    table.add_row("dev accounts", ", ".join(a.address for a in dev_accounts()[:3]) + ", …")
    table.add_row("chain state", str(anvil.state_file))
    table.add_row("anvil log", str(anvil.log_file))
    table.add_row("content store", content.describe())
    table.add_row("index database", describe_url(indexer.url))
    table.add_row("web app", f"{api.url}/ (open it in a browser)")
    table.add_row("API", f"{api.url} (docs: {api.url}/docs)")
    table.add_row("processes", _layout(api))
    table.add_row(
        "verifier", f"{verifier.address} (dev account {DEV_VERIFIER_INDEX}; {api.url}/verifier)"
    )
    return table


def _layout(api: ApiServer | ApiWorkers) -> str:
    if isinstance(api, ApiServer):
        return "1 (API, indexer and verifier in this one; SQLite takes one writer at a time)"
    return (
        f"{len(api.children)} serving the API and the verifier's routes, 1 verifier loop, 1 indexer"
    )


def _serve_pages(
    services: Supervisor, api: ApiServer, settings: Settings, rpc_url: str, content: ContentStore
) -> None:
    """Tell the web app's pages which deployment they serve, through the client library's
    platform on it (closed when the services stop)."""
    platform = Platform.open(settings, NETWORK, url=rpc_url, content=content)
    services.on_stop("the web app's platform", platform.close)
    site = site_for_platform(platform, rpc_url=rpc_url, cid_version=settings.content_cid_version)
    attach_site(api.app, site)


def _with_demo(table: Table, market: DemoMarketplace | None) -> Table:
    if market is not None:
        table.add_row("demo coin", f"{market.token} (dUSD, 6 decimals)")
        table.add_row("demo tasks", ", ".join(map(str, market.task_ids)))
    return table


def _api(
    settings: Settings, content: ContentStore, port: int | None, demo: bool
) -> ApiServer | ApiWorkers:
    """The API in this process, or in several on PostgreSQL (`microtask.api.processes`;
    the demo's MTurk endpoint is then on a port of its own: `_gateway`)."""
    port = settings.api_port if port is None else port
    workers = default_workers(settings, database_url(settings, NETWORK))
    if workers > 1:
        return ApiWorkers(settings, NETWORK, settings.api_host, port, workers)
    app = create_app(
        settings, network=NETWORK, content=content, with_verifier=True, with_pages=True
    )
    mount_mturk(app, idle=None if demo else NO_MTURK_REQUESTER)
    return ApiServer(app, settings.api_host, port)


def _gateway(settings: Settings, api: ApiServer | ApiWorkers, demo: bool) -> ApiServer | None:
    """Where the demo requester's MTurk endpoint is served: in the API's own process, or,
    with the API in several processes, in a server of `up`'s (whose URL the API's
    ``/mturk`` then names); None without ``--demo``."""
    if isinstance(api, ApiServer):
        return api if demo else None
    gateway, where = demo_gateway(settings, api.url) if demo else (None, NO_MTURK_REQUESTER)
    api.mturk_idle = where
    return gateway


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
    if fresh:
        _state_file(settings).unlink(missing_ok=True)
    anvil = _anvil(settings, profile, port)
    content = open_content_store(settings)  # an unreachable configured Kubo fails before anvil
    api = _api(settings, content, api_port, demo)  # bound now: a taken port fails before anvil
    gateway = _gateway(settings, api, demo)
    console.info("starting anvil …")
    with Supervisor() as services:
        _bring_up(ctx, services, anvil, content, api, project, gateway=gateway, demo=demo)
        try:
            services.wait()
        finally:
            console.info("stopping …")
    console.success("stopped; the chain state is saved for the next `microtask up`")


def _bring_up(
    ctx: typer.Context,
    services: Supervisor,
    anvil: AnvilProcess,
    content: ContentStore,
    api: ApiServer | ApiWorkers,
    project: CompiledProject,
    *,
    gateway: ApiServer | None,
    demo: bool,
) -> None:
    """Start anvil, deploy (and seed the demo), then the indexer, verifier and API (with
    the pages, told which deployment they serve), in that order under ``services``; print
    where everything listens."""
    settings = settings_of(ctx)
    services.on_stop("the content store", content.close)
    services.start(anvil)
    connection = connect(settings, NETWORK, url=anvil.url)
    store = DeploymentStore(settings.deployments_dir, NETWORK)
    market = _deploy(ctx, connection, store, project, content, demo=demo)
    configure_logging(verbose=False)
    indexer = IndexerService.open(settings, NETWORK, connection=connection, content=content)
    services.start(indexer)
    verifier = _verifier(settings, connection, store, indexer, market)
    if isinstance(api, ApiServer):
        attach_verifier(api.app, verifier)
        _serve_pages(services, api, settings, anvil.url, content)
        services.start(verifier)
    else:  # its loop in a process of its own; its routes and the pages in each API process
        services.on_stop("the verifier", verifier.close)
        services.start(VerifierLoop(settings, NETWORK, anvil.url))
        api.verifier_rpc = anvil.url
    services.start(api)
    mturk = (
        serve_demo(settings, anvil.url, content, services, api.url, gateway)
        if gateway is not None
        else None
    )
    summary = _summary(anvil, connection.chain_id, store, content, indexer, verifier, api)
    console.out.print(_with_demo(summary, market))
    if mturk is not None:
        print_demo_lines(*mturk)
    console.success("microtask is up; press Ctrl-C to stop")
    if market is not None:
        console.out.print(demo_next_steps())
