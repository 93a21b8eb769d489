"""Wake the verifier's loop when another process issues a receipt (PostgreSQL).

`ArrivalAnnouncer`: a process that issues receipts notifies `receipts.ARRIVALS_CHANNEL`
after their transactions commit, from a thread of its own, once for every receipt or for
many at once. `ArrivalListener`: the loop's process holds one connection that listens on
the channel and calls ``wake`` for every notification, so a loop running in its own process
reacts to receipts issued by the API's worker processes at once rather than at its next
poll. A lost connection is retried with backoff (the loop still polls meanwhile, so nothing
is missed, only later).

The notification is not part of the receipt's transaction: PostgreSQL takes one
database-wide lock from a notifying transaction's commit to its end, so a ``NOTIFY`` in
every receipt's transaction made the receipts of every process commit one at a time,
each waiting for the previous one's flush. The announcer's own transaction is only the
notification (not flushed: a lost notification is made good by the loop's polling).
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
ANNOUNCE_INTERVAL: Final = 0.01
"""Seconds an announcer waits after a notification before it sends the next one: the
receipts committed meanwhile share it (the loop's rounds are further apart anyway,
`service.MIN_ROUND_SECONDS`)."""


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
        self.ready = threading.Event()
        """Set while the listener is listening (what is announced from then on wakes it)."""

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
                    self.ready.set()
                    delay = 0.5
                    while not self._stop.is_set():
                        for _ in connection.notifies(timeout=LISTEN_TIMEOUT):
                            self.wake()
            except psycopg.Error as error:
                self.ready.clear()
                log.warning("not listening for receipts (%s); retrying", error)
                self._stop.wait(delay)
                delay = min(delay * 2, RETRY_MAX)


class ArrivalAnnouncer:
    """Notifies `ARRIVALS_CHANNEL` after receipts are committed in this process.

    `announce` (called once a receipt's transaction has committed) only raises a flag; a
    thread clears it and then notifies, so every announcement is followed by a
    notification sent after it, and the announcements made while one is sent share the
    next. Started on the first announcement."""

    def __init__(self, database_url: str) -> None:
        self.url = libpq_url(database_url)
        self._due = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.sent = 0
        """Notifications sent (for tests and logs)."""

    def announce(self) -> None:
        """A receipt was committed: have the loop look (soon, in any process)."""
        self._due.set()
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._stop.is_set():
                    thread = threading.Thread(
                        target=self._run, name="verifier announcements", daemon=True
                    )
                    thread.start()
                    self._thread = thread

    def close(self) -> None:
        with self._lock:
            self._stop.set()
            self._due.set()
            thread = self._thread
        if thread is not None:
            thread.join(LISTEN_TIMEOUT * 3)

    def _run(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as connection:
                    # the notification needs no flush to disk: when one is lost (a crash
                    # right after), the loop's next poll finds the receipt
                    connection.execute("SET synchronous_commit = off")
                    delay = 0.5
                    while not self._stop.is_set():
                        self._due.wait(LISTEN_TIMEOUT)
                        if self._stop.is_set():
                            return
                        if not self._due.is_set():
                            continue
                        self._due.clear()
                        try:
                            connection.execute(f"NOTIFY {ARRIVALS_CHANNEL}")
                        except BaseException:
                            self._due.set()  # not sent: send it on the next connection
                            raise
                        self.sent += 1
                        self._stop.wait(ANNOUNCE_INTERVAL)
            except psycopg.Error as error:
                log.warning("not announcing receipts (%s); retrying", error)
                self._stop.wait(delay)
                delay = min(delay * 2, RETRY_MAX)
