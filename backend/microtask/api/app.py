"""`create_app`: the FastAPI application, from settings.

The lifespan opens what requests share: the database engine (the index's URL for the
network, migrated to the newest schema first: the API may start before the indexer has
ever run) and the content store (opened on first use, see `ContentStores`). Tests pass an
engine and a store of their own; `microtask api` and `microtask up` pass settings only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Final

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Engine

from microtask import __version__
from microtask.api import telemetry
from microtask.api.body_limit import BodyLimit
from microtask.api.cache import IndexVersion
from microtask.api.lane import FastLane, LaneRoute
from microtask.api.offload import Offload
from microtask.api.problems import install_problem_handlers
from microtask.api.repeats import single_query_values
from microtask.api.routes import content as content_routes
from microtask.api.routes import (
    events,
    health,
    leaderboard,
    requesters,
    results,
    stats,
    tasks,
    verifier,
    workers,
)
from microtask.api.state import ApiState, ContentStores
from microtask.config import Settings
from microtask.content import ContentStore
from microtask.db import database_url, make_engine, migrate, session_factory
from microtask.verifier import VerifierService

DESCRIPTION: Final = """\
Read the microtask index: tasks and their slots, workers' records, scores and badges,
leaderboards, requesters' money, a live feed of escrow events, tasks' published results;
upload manifests and files to the content store. Under `microtask up` the verifier's
routes (`/verifier`: gasless claims and receipts) are served here too.

The API reads the database the indexer writes and never waits on the chain: `/health`
says how far behind the chain head the index is. Token amounts are decimal strings in the
token's smallest unit; addresses are checksummed; times are unix seconds of chain time.
Every error is `application/problem+json` (RFC 9457).
"""


def _open_engine(settings: Settings, network: str) -> Engine:
    url = database_url(settings, network)
    # Migrate through a writer engine: on SQLite it takes the write lock up front, so a
    # migration racing the indexer's waits for it instead of failing half way.
    writer = make_engine(url, writer=True)
    try:
        migrate(writer)
    finally:
        writer.dispose()
    return make_engine(url, reader=True)


def _build_routes(app: FastAPI) -> None:
    """Have FastAPI build every included router's routes now, at startup.

    FastAPI builds an included router's routes (their dependency graphs, their field
    models) on the first request whose path walks past them: tens of milliseconds of CPU
    per router, hundreds for the API, the verifier, the pages and MTurk together, which
    the first workers' claims would otherwise wait on. Matching a path no route has walks
    all of them."""
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": "/\x00",
        "root_path": "",
        "headers": [],
        "query_string": b"",
    }
    for route in app.router.routes:
        route.matches(scope)


def create_app(
    settings: Settings,
    *,
    network: str = "local",
    engine: Engine | None = None,
    content: ContentStore | None = None,
    clock: Callable[[], float] = time.time,
    with_verifier: bool = False,
    with_pages: bool = False,
) -> FastAPI:
    """The API for ``network``'s index; ``engine`` and ``content`` override the settings'.

    ``with_verifier`` adds the verifier's routes (``/verifier``), answering 503 until a
    running `VerifierService` is attached with `attach_verifier`. ``with_pages`` adds the
    web app's pages (``/``: `microtask.web`), answering 503 until `attach_site` names the
    deployment they serve.
    """
    stopping = threading.Event()
    offload = Offload()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stopping.clear()
        try:
            if engine is None:
                opened = _open_engine(settings, network)
            else:
                migrate(engine)
                opened = engine
        except Exception as error:
            app.state.startup_error = error  # for `ApiServer` to report in one line
            raise
        stores = ContentStores(settings, content)
        app.state.api = ApiState(
            settings=settings,
            network=network,
            engine=opened,
            sessions=session_factory(opened),
            content=stores,
            stopping=stopping,
            versions=IndexVersion(opened),
            clock=clock,
        )
        _build_routes(app)
        try:
            yield
        finally:
            stopping.set()
            offload.close()
            stores.close()
            app.state.api.versions.close()
            if engine is None:
                opened.dispose()

    app = FastAPI(
        title="microtask API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(single_query_values)],
        telemetry=telemetry.OFF,
    )
    app.state.stopping = stopping
    app.state.offload = offload
    install_problem_handlers(app)
    lane: dict[tuple[str, str], LaneRoute] = dict(content_routes.LANE)
    app.add_middleware(FastLane, routes=lane)  # inside CORS, added next (see `FastLane`)
    body_limits: dict[tuple[str, str], int] = {}
    app.add_middleware(BodyLimit, limits=body_limits)  # outside the lane: both ways limited
    if settings.api_cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api_cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Last-Event-ID"],
            expose_headers=["Location"],
        )
    for module in (tasks, results, workers, leaderboard, requesters, stats, health, events):
        app.include_router(module.router)
    app.include_router(content_routes.router)
    app.state.verifier = None
    if with_verifier:
        app.include_router(verifier.router)
        lane.update(verifier.LANE)
        body_limits.update(verifier.BODY_LIMITS)
    if with_pages:
        from microtask.web import mount_pages

        mount_pages(app)
    return app


def attach_verifier(app: FastAPI, service: VerifierService) -> None:
    """Serve ``service`` on the app's ``/verifier`` routes (see `create_app`)."""
    app.state.verifier = service
