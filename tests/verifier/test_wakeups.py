"""A receipt committed in one process wakes the verifier's loop in another (PostgreSQL):
the issuing process announces it after the commit, from its own connection, and the
loop's listener hears it (`microtask.verifier.wakeups`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from microtask.verifier.wakeups import ArrivalAnnouncer, ArrivalListener
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

    def beyond(self, count: int) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.count > count, WAIT)


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


def test_an_announcement_wakes_the_listener_in_another_connection(
    database: str, listening: Wakes
) -> None:
    announcer = ArrivalAnnouncer(database)
    try:
        announcer.announce()
        assert listening.beyond(0)
    finally:
        announcer.close()


def test_every_announcement_is_followed_by_a_notification_sent_after_it(
    database: str, listening: Wakes
) -> None:
    announcer = ArrivalAnnouncer(database)
    try:
        for round_ in range(3):
            seen = listening.count
            for _ in range(20):  # a burst: may share notifications, never lose the last
                announcer.announce()
            assert listening.beyond(seen), f"round {round_} woke nothing"
    finally:
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
