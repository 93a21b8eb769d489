"""`microtask index`: follow a network's escrow into the database, in the foreground."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from microtask.cli import console
from microtask.cli.context import settings_of
from microtask.db import describe_url
from microtask.indexer.follower import Indexer
from microtask.indexer.service import IndexerService
from microtask.services import Supervisor

CAUGHT_UP_CHECK = 0.2


def configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s", "%H:%M:%S"))
    root = logging.getLogger("microtask")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    root.propagate = False


def _progress() -> Progress:
    return Progress(
        TextColumn("indexing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("blocks, {task.fields[events]} events, {task.fields[rate]}/s"),
        TimeElapsedColumn(),
        console=console.err,
        transient=True,
    )


def _progress_of(progress: Progress, indexer: Indexer) -> Callable[[int, int], None]:
    """An `Indexer.on_progress` callback moving a bar from the deployment block on."""
    started = time.monotonic()
    bar = progress.add_task("index", total=None, events=0, rate=0)
    first = indexer.deployment_block

    def show(indexed: int, target: int) -> None:
        elapsed = max(time.monotonic() - started, 1e-6)
        progress.update(
            bar,
            completed=max(0, indexed - first + 1),
            total=max(1, target - first + 1),
            events=indexer.events_written,
            rate=int(indexer.events_written / elapsed),
        )

    return show


def _index_once(service: IndexerService, network: str, progress: Progress) -> None:
    """`--once`: catch up with the chain and the manifests, then stop."""
    indexer = service.indexer
    try:
        block = indexer.sync()
        service.worker.run_once()
    finally:
        service.stop()
    progress.stop()
    console.success(f"indexed {network} up to block {block} ({indexer.events_written} new events)")


def _caught_up(service: IndexerService) -> bool:
    target, indexed = service.indexer.target_block, service.indexer.indexed_block
    return target is not None and indexed is not None and indexed >= target


def index_command(
    ctx: typer.Context,
    network: str = typer.Option("local", "--network", "-n", help="Network to index."),
    rpc_url: str | None = typer.Option(None, "--rpc-url", help="Override the network's RPC URL."),
    once: bool = typer.Option(False, "--once", help="Catch up with the chain, then exit."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every batch written."),
) -> None:
    """Index the network's TaskEscrow events into the database until Ctrl-C.

    The database is MICROTASK_DATABASE_URL, else DATA_DIR/index-NETWORK.sqlite. It starts
    at the deployment block in deployments/NETWORK/TaskEscrow.json and resumes where it
    stopped. Example: microtask index --network local
    """
    settings = settings_of(ctx)
    configure_logging(verbose)
    service = IndexerService.open(settings, network, rpc_url=rpc_url)
    indexer = service.indexer
    console.info(f"database: {describe_url(service.url)}")
    with _progress() as progress:
        show = _progress_of(progress, indexer)
        indexer.on_progress.append(show)
        if once:
            _index_once(service, network, progress)
            return
        with Supervisor(watch_interval=CAUGHT_UP_CHECK) as services:
            services.start(service)
            if services.wait(until=lambda: _caught_up(service)):
                indexer.on_progress.remove(show)
                progress.stop()
                console.success(
                    f"caught up at block {indexer.indexed_block} "
                    f"({indexer.events_written} events); following {network}, "
                    "Ctrl-C stops"
                )
                services.wait()
    console.success(f"stopped at block {indexer.indexed_block}")
