"""What the API holds while it runs: the database engine, the content store, a stop flag.

The content store is opened on first use and reopened after a failure, so an API started
while a configured Kubo node is down serves everything else and answers content requests
with 503 until the node is back, instead of refusing to start.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from microtask.api.cache import IndexVersion, ResponseCache
from microtask.config import Settings
from microtask.content import ContentStore, ContentStoreUnavailable, open_content_store
from microtask.errors import ConfigurationError


class ContentStores:
    """The one content store of this API, opened lazily and reopened after it failed."""

    def __init__(self, settings: Settings, store: ContentStore | None = None) -> None:
        self._settings = settings
        self._store = store
        self._owned = store is None
        self._lock = threading.Lock()

    def get(self) -> ContentStore:
        """The store, or `ContentStoreUnavailable` (a 503) when it cannot be opened."""
        with self._lock:
            if self._store is None:
                try:
                    self._store = open_content_store(self._settings)
                except ConfigurationError as error:
                    raise ContentStoreUnavailable(str(error)) from None
            return self._store

    def opened(self) -> ContentStore | None:
        """The store if it is open, without waiting for the lock (which `get` holds while
        it opens one): the event loop may ask, a thread opens."""
        return self._store

    def failed(self) -> None:
        """Forget a store that stopped answering, so the next request opens it afresh."""
        with self._lock:
            if self._owned and self._store is not None:
                self._store.close()
                self._store = None

    def close(self) -> None:
        with self._lock:
            if self._owned and self._store is not None:
                self._store.close()
            self._store = None


@dataclass
class ApiState:
    """Everything a request may need besides itself."""

    settings: Settings
    network: str
    engine: Engine
    sessions: sessionmaker[Session]
    content: ContentStores
    stopping: threading.Event
    """Set when the server shuts down: live feeds end instead of holding shutdown up."""
    versions: IndexVersion
    """Whether the index changed: the key of cached answers."""
    cache: ResponseCache = field(default_factory=ResponseCache)
    clock: Callable[[], float] = field(default=time.time)
    open_feeds: int = 0
    """Live feeds streaming now (changed only on the event loop)."""
