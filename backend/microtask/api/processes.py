"""The platform off one interpreter lock: the API in several processes, the verifier's
loop in one of its own (PostgreSQL).

One Python process serving the API, following the chain and running the verifier keeps
one core busy while the others idle (its interpreter lock). So on PostgreSQL `microtask
up` and `microtask api` run:

- `ApiWorkers`: N processes (``api_workers``, default one per core) serving the API on one
  listening socket, bound once by the parent and inherited by each (the kernel hands each
  connection to one of them). Under `microtask up` each also serves the verifier's routes
  through a `VerifierService` of its own that runs no loop (and the web app's pages): claims
  and receipts are single
  conditional writes in the database, safe from any number of processes
  (`microtask.verifier.claims`; proven by ``tests/verifier/test_across_processes.py``).
- `VerifierLoop`: the verifier's loop (assessment and settlement, which send its
  transactions) in one process of its own: one per key, since two would compete for its
  nonce. It hears of receipts from the workers through PostgreSQL's ``LISTEN``.

The indexer stays in the parent: it is the one writer of the index. SQLite keeps the
one-process layout: it takes one writer at a time (`microtask.db.engine`), so more
processes would only queue for its lock.

A child is this module run as ``python -m microtask.api.processes``, told what to be by a
JSON spec in `SPEC_VARIABLE` (the parent's settings as they were resolved, so a config
file or variables changed since do not make the children differ); it prints `READY` once
it serves, and stops cleanly on SIGINT, as any `ManagedProcess`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final

from microtask.services import ManagedProcess

if TYPE_CHECKING:
    from microtask.config import Settings
    from microtask.content import ContentStore
    from microtask.verifier import VerifierService

SPEC_VARIABLE: Final = "MICROTASK_PROCESS_SPEC"
READY: Final = "microtask process ready"
MAX_AUTO_WORKERS: Final = 8
PARENT_CHECK_SECONDS: Final = 1.0


def default_workers(settings: Settings, database_url: str) -> int:
    """The number of API processes for this machine: ``api_workers`` when set, else one
    per core (at most `MAX_AUTO_WORKERS`) on PostgreSQL and 1 on SQLite."""
    if settings.api_workers is not None:
        return settings.api_workers
    if not database_url.startswith("postgresql"):
        return 1
    return max(1, min(MAX_AUTO_WORKERS, os.cpu_count() or 1))


class _Child(ManagedProcess):
    """A child of this module (see the module's note), given its spec."""

    stop_signal = signal.SIGINT
    stop_timeout = 20.0
    tail_lines = 40

    def __init__(self, spec: dict[str, Any], log_file: Path) -> None:
        super().__init__(log_file=log_file)
        self.spec = spec

    def command(self) -> list[str]:
        return [sys.executable, "-m", "microtask.api.processes"]

    def environment(self) -> dict[str, str]:
        return {**os.environ, SPEC_VARIABLE: json.dumps(self.spec)}

    def on_output(self, line: str) -> bool:
        return READY in line

    @property
    def endpoint(self) -> str:
        return str(self.spec.get("role"))


class _ApiWorker(_Child):
    name = "an API worker"
    sock: socket.socket

    def inherited_fds(self) -> tuple[int, ...]:
        return (int(self.spec["fd"]),)


def _spec(settings: Settings, network: str, role: str, **more: Any) -> dict[str, Any]:
    return {
        "role": role,
        "network": network,
        "settings": json.loads(settings.model_dump_json()),
        **more,
    }


class ApiWorkers:
    """The API served by ``workers`` processes on ``host:port`` (a `Supervisor` service);
    ``verifier_rpc``: also the dev verifier's routes, reaching the chain there."""

    name: ClassVar[str] = "the API"

    def __init__(
        self,
        settings: Settings,
        network: str,
        host: str,
        port: int,
        workers: int,
        *,
        verifier_rpc: str | None = None,
    ) -> None:
        from microtask.api.server import bind

        self.sock = bind(host, port)
        self.host = host
        self.port = int(self.sock.getsockname()[1])
        self.verifier_rpc = verifier_rpc
        """Set before `start` when the chain's URL is known only then."""
        self.mturk_idle: str | None = None
        """Set before `start` to answer ``/mturk`` with this `RequestError` message (`up`
        says where the MTurk endpoint is, as the one-process API serves it there)."""
        logs = settings.data_dir / "logs"
        spec = _spec(settings, network, "api", fd=self.sock.fileno())
        self.children = [
            _ApiWorker({**spec, "index": n}, logs / f"api-{n}.log") for n in range(workers)
        ]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        for child in self.children:
            child.spec["verifier_rpc"] = self.verifier_rpc
            child.spec["mturk_idle"] = self.mturk_idle
            child.start()

    def check(self) -> None:
        for child in self.children:
            child.check()

    def stop(self) -> None:
        for child in self.children:
            child.stop()
        self.sock.close()


class VerifierLoop(_Child):
    """The dev verifier's loop in a process of its own (see the module's note)."""

    name = "the verifier"

    def __init__(self, settings: Settings, network: str, rpc: str) -> None:
        log_file = settings.data_dir / "logs" / "verifier.log"
        super().__init__(_spec(settings, network, "verifier", verifier_rpc=rpc), log_file)


# ------------------------------------------------------------------ in the child


def _dev_verifier(
    settings: Settings, network: str, rpc: str, content: ContentStore | None = None
) -> VerifierService:
    """The platform's verifier as `microtask up` runs it: dev account 2, on the index (on
    ``content``, else a content store of its own)."""
    from microtask.chain.accounts import dev_verifier
    from microtask.chain.deployments import DeploymentStore
    from microtask.chain.networks import connect
    from microtask.content import open_content_store
    from microtask.db import database_url
    from microtask.verifier import VerifierService

    connection = connect(settings, network, url=rpc)
    return VerifierService.open(
        settings,
        w3=connection.w3,
        record=DeploymentStore(settings.deployments_dir, network).load("TaskEscrow"),
        account=dev_verifier(),
        database_url=database_url(settings, network),
        content=content or open_content_store(settings),
        owns_content=content is None,
    )


def _serve(settings: Settings, spec: dict[str, Any]) -> None:
    """Serve the API (under `up`, with the verifier's routes and the web app's pages)."""
    import uvicorn

    from microtask.api import create_app
    from microtask.api.app import attach_verifier
    from microtask.api.server import (
        GRACEFUL_SHUTDOWN_SECONDS,
        KEEP_ALIVE_SECONDS,
        StoppingServer,
    )
    from microtask.client import Platform
    from microtask.content import open_content_store
    from microtask.web import attach_site, site_for_platform

    network, rpc = spec["network"], spec.get("verifier_rpc")
    content = open_content_store(settings)
    app = create_app(
        settings, network=network, content=content, with_verifier=rpc is not None,
        with_pages=rpc is not None,
    )  # fmt: skip
    if spec.get("mturk_idle") is not None:
        from microtask.mturk.app import mount_mturk

        mount_mturk(app, idle=spec["mturk_idle"])
    verifier = platform = None
    if rpc is not None:
        verifier = _dev_verifier(settings, network, rpc, content)
        attach_verifier(app, verifier)  # requests only: the loop runs in `VerifierLoop`
        platform = Platform.open(settings, network, url=rpc, content=content)
        cid_version = settings.content_cid_version
        attach_site(app, site_for_platform(platform, rpc_url=rpc, cid_version=cid_version))
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    server = StoppingServer(config, app.state.stopping, ready=READY)
    try:
        server.run(sockets=[socket.socket(fileno=int(spec["fd"]))])
    finally:
        for opened in (platform, verifier, content):
            if opened is not None:
                opened.close()


def _loop(settings: Settings, spec: dict[str, Any]) -> None:
    verifier = _dev_verifier(settings, spec["network"], spec["verifier_rpc"])
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    verifier.start()
    print(READY, flush=True)
    try:
        while not stop.wait(0.5):
            verifier.check()
    finally:
        verifier.stop()


def _end_with_parent(parent: int) -> None:
    """SIGINT this process once ``parent`` is gone (killed outright, it could not stop
    us): a child never outlives the `up` or `api` that started it."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=watch, name="parent watch", daemon=True).start()


def main() -> None:
    from microtask.config import Settings

    _end_with_parent(os.getppid())

    spec = json.loads(os.environ[SPEC_VARIABLE])
    settings = Settings.model_validate(spec["settings"])
    handler = logging.StreamHandler()  # the parent keeps it in the child's log file
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s", "%H:%M:%S"))
    logging.getLogger("microtask").handlers[:] = [handler]
    logging.getLogger("microtask").setLevel(logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the SIGINT it got
        (_serve if spec["role"] == "api" else _loop)(settings, spec)


if __name__ == "__main__":
    main()
