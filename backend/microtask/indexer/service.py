"""The indexer as a running service: the follower and the manifest worker in threads.

`microtask index` runs it in the foreground and `microtask up` beside anvil, both under a
`microtask.services.Supervisor`: it watches `check` and calls `stop`, which lets the
current batch commit (or roll back) and joins the threads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError

from microtask.chain.deployments import DeploymentStore
from microtask.chain.networks import Connection, connect
from microtask.config import Settings
from microtask.content import ContentStore, open_content_store
from microtask.db import database_url, describe_url, make_engine
from microtask.db.engine import DatabaseUnavailable
from microtask.indexer.follower import Indexer
from microtask.indexer.manifests import ManifestWorker
from microtask.services import ServiceFailed

log = logging.getLogger("microtask.indexer")
ESCROW = "TaskEscrow"


@dataclass
class IndexerService:
    """An indexer and its manifest worker, started and stopped together."""

    name: ClassVar[str] = "the indexer"
    indexer: Indexer
    worker: ManifestWorker
    engine: Engine
    content: ContentStore
    url: str
    owns_content: bool = True

    @classmethod
    def open(
        cls,
        settings: Settings,
        network: str,
        *,
        rpc_url: str | None = None,
        connection: Connection | None = None,
        content: ContentStore | None = None,
    ) -> IndexerService:
        """Connect to ``network``, load its escrow's deployment record, open the database."""
        connection = connection or connect(settings, network, url=rpc_url)
        records = DeploymentStore(settings.deployments_dir, network)
        records.guard_chain_id(connection.chain_id)
        record = records.load_escrow()
        url = database_url(settings, network)
        engine = make_engine(url, writer=True)
        indexer = Indexer(connection.w3, engine, record, settings)
        try:
            indexer.prepare()  # migrations and a wrong database fail here, before any thread
        except (OperationalError, InterfaceError) as error:
            engine.dispose()
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise DatabaseUnavailable(f"cannot open {describe_url(url)}: {reason}") from None
        store = content or open_content_store(settings)
        worker = ManifestWorker(engine, store, settings)
        indexer.on_commit.append(worker.wake)
        return cls(indexer, worker, engine, store, url, owns_content=content is None)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.failure: BaseException | None = None
        """What ended a thread unexpectedly (a bug, or an index that is not this chain's)."""

    def _guarded(self, target: Callable[[threading.Event], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target(self._stop)
            except BaseException as error:
                log.exception("the indexer stopped")
                self.failure = error
                self._stop.set()

        return run

    def start(self) -> None:
        self._threads = [
            threading.Thread(target=self._guarded(self.indexer.run), name="indexer"),
            threading.Thread(target=self._guarded(self.worker.run), name="manifests"),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self.worker.wake()
        for thread in self._threads:
            thread.join(timeout)
        if self.owns_content:
            self.content.close()
        self.engine.dispose()

    def check(self) -> None:
        """Raise what ended a thread, if one ended (for the supervisor watching it)."""
        if self.failure is not None:
            raise self.failure
        if self._threads and not self._stop.is_set() and not self.alive():
            raise ServiceFailed(f"{self.name} stopped unexpectedly; see the log above")

    @property
    def stopping(self) -> threading.Event:
        return self._stop

    def alive(self) -> bool:
        return all(thread.is_alive() for thread in self._threads)
