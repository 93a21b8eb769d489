"""`microtask api`: serve the HTTP API over a network's index, in the foreground."""

from __future__ import annotations

import typer

from microtask.api import create_app
from microtask.api.processes import ApiWorkers, default_workers
from microtask.api.server import ApiServer
from microtask.cli import console
from microtask.cli.context import settings_of
from microtask.cli.index_cmd import configure_logging
from microtask.db import database_url, describe_url
from microtask.services import Supervisor


def api_command(
    ctx: typer.Context,
    network: str = typer.Option("local", "--network", "-n", help="Whose index to serve."),
    host: str | None = typer.Option(
        None, "--host", help="Address to listen on (default: api_host, 127.0.0.1)."
    ),
    port: int | None = typer.Option(
        None, "--port", "-p", min=0, max=65535, help="Port (default: api_port, 8000; 0 = any)."
    ),
) -> None:
    """Serve the API (tasks, workers, stats, health, live events, uploads) until Ctrl-C.

    It reads the index database (MICROTASK_DATABASE_URL, else DATA_DIR/index-NETWORK.sqlite)
    that `microtask index` or `microtask up` writes; on PostgreSQL in one process per core
    (MICROTASK_API_WORKERS). Example: microtask api --port 8000
    """
    settings = settings_of(ctx)
    settings.network(network)  # an unknown network is one line, before anything starts
    configure_logging(verbose=False)
    url = database_url(settings, network)
    host = settings.api_host if host is None else host
    port = settings.api_port if port is None else port
    workers = default_workers(settings, url)
    server: ApiServer | ApiWorkers = (
        ApiWorkers(settings, network, host, port, workers)
        if workers > 1
        else ApiServer(create_app(settings, network=network), host, port)
    )
    console.info(f"database: {describe_url(url)}; {workers} process(es) serving")
    with Supervisor() as services:
        services.start(server)  # opens and migrates the database; a failure is one line
        console.success(f"API at {server.url} (docs at {server.url}/docs); press Ctrl-C to stop")
        services.wait()
    console.success("API stopped")
