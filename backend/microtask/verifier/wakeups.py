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
from collections.abc import Callable, Iterator
from typing import Any, Final

import psycopg
from sqlalchemy.engine import make_url

from microtask.verifier.receipts import ARRIVALS_CHANNEL

log = logging.getLogger("microtask.verifier")

LISTEN_TIMEOUT: Final = 1.0
"""Seconds between checks of the stop flag while no notification arrives."""
RETRY_FIRST: Final = 0.5
RETRY_MAX: Final = 30.0
"""Seconds before a lost connection is opened again: `RETRY_FIRST`, doubling up to this."""
ANNOUNCE_INTERVAL: Final = 0.01
"""Seconds an announcer waits after a notification before it sends the next one: the
receipts committed meanwhile share it (the loop's rounds are further apart anyway,
`service.MIN_ROUND_SECONDS`)."""


def libpq_url(database_url: str) -> str:
    """A SQLAlchemy ``postgresql+psycopg://`` URL as libpq takes it."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


OnConnection = Callable[["psycopg.Connection[Any]"], Iterator[None]]
"""What a thread does on its connection: set it up, yield once (it works: the backoff
starts over), then run until the thread is told to stop."""


def _keep_connected(url: str, stop: threading.Event, doing: str, use: OnConnection) -> None:
    """Run ``use`` on an autocommit connection to ``url`` until ``stop``; a connection
    lost on the way is opened again after a wait that doubles from `RETRY_FIRST` to
    `RETRY_MAX`, and the loop's polling covers what is missed meanwhile."""
    delay = RETRY_FIRST
    while not stop.is_set():
        try:
            with psycopg.connect(url, autocommit=True) as connection:
                for _ in use(connection):
                    delay = RETRY_FIRST
        except psycopg.Error as error:
            log.warning("not %s (%s); retrying", doing, error)
            stop.wait(delay)
            delay = min(delay * 2, RETRY_MAX)


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
        _keep_connected(self.url, self._stop, "listening for receipts", self._listen)

    def _listen(self, connection: psycopg.Connection[Any]) -> Iterator[None]:
        connection.execute(f"LISTEN {ARRIVALS_CHANNEL}")
        self.ready.set()
        yield
        try:
            while not self._stop.is_set():
                for _ in connection.notifies(timeout=LISTEN_TIMEOUT):
                    self.wake()
        except psycopg.Error:
            self.ready.clear()
            raise


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
        _keep_connected(self.url, self._stop, "announcing receipts", self._announce)

    def _announce(self, connection: psycopg.Connection[Any]) -> Iterator[None]:
        # the notification needs no flush to disk: when one is lost (a crash right
        # after), the loop's next poll finds the receipt
        connection.execute("SET synchronous_commit = off")
        yield
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
