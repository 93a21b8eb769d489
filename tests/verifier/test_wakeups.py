"""A receipt committed in one process wakes the verifier's loop in another (PostgreSQL):
the issuing process announces it after the commit, from its own connection, and the
loop's listener hears it (`microtask.verifier.wakeups`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from microtask.verifier.wakeups import ArrivalAnnouncer, ArrivalListener, libpq_url
from tests.postgres import PostgresServer

WAIT = 30.0  # a bound for a broken wake-up to fail the test, not a measured time


class Wakes:
    """Counts the listener's wake-ups, and lets a test wait for the next one."""

    def __init__(self) -> None:
        self.count = 0
        self._changed = threading.Condition()

    def __call__(self) -> None:
        with self._changed:
            self.count += 1
            self._changed.notify_all()

    def beyond(self, count: int, within: float = WAIT) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.count > count, within)


@pytest.fixture
def database(postgres_server: PostgresServer) -> str:
    return postgres_server.new_database()


@pytest.fixture
def listening(database: str) -> Iterator[Wakes]:
    wakes = Wakes()
    listener = ArrivalListener(database, wakes)
    listener.start()
    listener.ready.wait(WAIT)
    yield wakes
    listener.stop()


@pytest.fixture
def announcer(database: str) -> Iterator[ArrivalAnnouncer]:
    announcer = ArrivalAnnouncer(database)
    yield announcer
    announcer.close()


def test_an_announcement_wakes_the_listener_in_another_connection(
    listening: Wakes, announcer: ArrivalAnnouncer
) -> None:
    announcer.announce()
    assert listening.beyond(0)


def test_every_announcement_is_followed_by_a_notification_sent_after_it(
    listening: Wakes, announcer: ArrivalAnnouncer
) -> None:
    for round_ in range(3):
        seen = listening.count
        for _ in range(20):  # a burst: may share notifications, never lose the last
            announcer.announce()
        assert listening.beyond(seen), f"round {round_} woke nothing"
    announcer.close()
    # counted after NOTIFY returns, which may be after the listener heard it: read once the
    # announcer's thread has ended
    assert 3 <= announcer.sent <= 60


def test_an_announcer_never_used_opens_no_connection(database: str) -> None:
    announcer = ArrivalAnnouncer(database)
    announcer.close()
    assert announcer.sent == 0
    announcer.announce()  # after close: nothing starts
    assert announcer.sent == 0


def test_both_connections_are_opened_again_when_the_server_drops_them(
    database: str, listening: Wakes, announcer: ArrivalAnnouncer
) -> None:
    announcer.announce()
    assert listening.beyond(0)
    with psycopg.connect(libpq_url(database), autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE pid <> pg_backend_pid() AND datname = current_database()"
        )
    seen = listening.count
    deadline = time.monotonic() + WAIT  # the listener's first retry comes after RETRY_FIRST
    while listening.count == seen and time.monotonic() < deadline:
        announcer.announce()  # the first ones may go to the dropped connection
        listening.beyond(seen, within=0.2)
    assert listening.count > seen
