"""`microtask index`: follow a network's escrow into the database, in the foreground."""

from __future__ import annotations

import logging
import time

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from microtask.cli import console
from microtask.cli.context import settings_of
from microtask.cli.signals import stop_signal
from microtask.db import describe_url
from microtask.indexer.service import IndexerService

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
    started = time.monotonic()
    with _progress() as progress:
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

        indexer.on_progress.append(show)
        if once:
            try:
                block = indexer.sync()
                service.worker.run_once()
            finally:
                service.stop()
            progress.stop()
            console.success(
                f"indexed {network} up to block {block} ({indexer.events_written} new events)"
            )
            return
        with stop_signal() as stop:
            service.start()
            try:
                while not stop.wait(CAUGHT_UP_CHECK):
                    if service.failure is not None:
                        raise service.failure
                    target, indexed = indexer.target_block, indexer.indexed_block
                    if target is not None and indexed is not None and indexed >= target:
                        break
                if not stop.is_set():
                    indexer.on_progress.remove(show)
                    progress.stop()
                    console.success(
                        f"caught up at block {indexer.indexed_block} "
                        f"({indexer.events_written} events); following {network}, "
                        "Ctrl-C stops"
                    )
                    while not stop.wait(CAUGHT_UP_CHECK):
                        if service.failure is not None:
                            raise service.failure
            finally:
                service.stop()
    console.success(f"stopped at block {indexer.indexed_block}")
