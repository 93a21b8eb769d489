"""`ArrivalListener`: wake the verifier's loop when another process issues a receipt.

On PostgreSQL each receipt's transaction notifies `receipts.ARRIVALS_CHANNEL` when it
commits; this thread holds one connection that listens on it and calls ``wake`` for every
notification, so a loop running in its own process reacts to receipts issued by the API's
worker processes at once rather than at its next poll. A lost connection is retried with
backoff (the loop still polls meanwhile, so nothing is missed, only later).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Final

import psycopg
from sqlalchemy.engine import make_url

from microtask.verifier.receipts import ARRIVALS_CHANNEL

log = logging.getLogger("microtask.verifier")

LISTEN_TIMEOUT: Final = 1.0
"""Seconds between checks of the stop flag while no notification arrives."""
RETRY_MAX: Final = 30.0


def libpq_url(database_url: str) -> str:
    """A SQLAlchemy ``postgresql+psycopg://`` URL as libpq takes it."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class ArrivalListener:
    """Calls ``wake`` whenever a receipt is committed, in any process (PostgreSQL)."""

    def __init__(self, database_url: str, wake: Callable[[], None]) -> None:
        self.url = libpq_url(database_url)
        self.wake = wake
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="verifier wakeups", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(LISTEN_TIMEOUT * 3)

    def _run(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as connection:
                    connection.execute(f"LISTEN {ARRIVALS_CHANNEL}")
                    delay = 0.5
                    while not self._stop.is_set():
                        for _ in connection.notifies(timeout=LISTEN_TIMEOUT):
                            self.wake()
            except psycopg.Error as error:
                log.warning("not listening for receipts (%s); retrying", error)
                self._stop.wait(delay)
                delay = min(delay * 2, RETRY_MAX)
