"""``/events``: a real client reads the live feed from a real uvicorn server.

No sleeps: each test waits for the messages it expects (a read blocks until the server
sends them), with a timeout that only a failure reaches.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from microtask.api import create_app
from microtask.api.server import ApiServer
from microtask.config import Settings
from microtask.content import LocalStore
from microtask.db.models import Event, Reorg
from tests.api.seed import NOW, TASKS, WALL, seed

TIMEOUT = httpx.Timeout(10.0)
SEEDED_EVENTS = len(TASKS) + 2


@dataclass
class Message:
    id: int | None
    event: str | None
    data: dict[str, Any] | None
    comments: list[str]


def messages(lines: Iterator[str]) -> Iterator[Message]:
    """SSE messages (and comment-only blocks) as they arrive."""
    fields: dict[str, str] = {}
    comments: list[str] = []
    for line in lines:
        if line == "":
            if fields or comments:
                yield Message(
                    int(fields["id"]) if "id" in fields else None,
                    fields.get("event"),
                    json.loads(fields["data"]) if "data" in fields else None,
                    comments,
                )
            fields, comments = {}, []
        elif line.startswith(":"):
            comments.append(line[1:].strip())
        else:
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")


def events(lines: Iterator[str], count: int) -> list[Message]:
    """The next ``count`` event messages (comments skipped)."""
    found: list[Message] = []
    for message in messages(lines):
        if message.id is not None:
            found.append(message)
            if len(found) == count:
                return found
    raise AssertionError(f"the stream ended after {len(found)} of {count} events")


def add_event(engine: Engine, name: str, task_id: int | None, **args: Any) -> int:
    with Session(engine) as session, session.begin():
        number = 900 + (task_id or 0) + len(args) + int(time.monotonic_ns() % 10_000)
        row = Event(
            block_number=number, block_hash="0x" + f"{number:064x}", block_timestamp=NOW,
            tx_hash="0x" + "77" * 32, tx_index=0, log_index=0, name=name, task_id=task_id,
            args=args,
        )  # fmt: skip
        session.add(row)
        session.flush()
        return row.id


def notices_and_events(lines: Iterator[str], count: int) -> list[Message]:
    """The next ``count`` messages that carry an event or a reorganisation's notice."""
    found = []
    for message in messages(lines):
        if message.event is not None:
            found.append(message)
            if len(found) == count:
                return found
    raise AssertionError(f"the stream ended after {len(found)} of {count} messages")


def roll_back(engine: Engine, ids: list[int], fork_block: int) -> None:
    """What the indexer's rollback leaves for the feed, in one transaction: the newest
    events gone, and a `Reorg` row naming their ids (`tests/indexer/test_reorg.py` checks
    that the indexer writes exactly this)."""
    with Session(engine) as session, session.begin():
        session.execute(delete(Event).where(Event.id.in_(ids)))
        session.add(
            Reorg(
                fork_block=fork_block,
                first_event_id=min(ids),
                last_event_id=max(ids),
                dropped=len(ids),
                detected_at=time.time(),
            )
        )


@contextmanager
def client_stream(live: ApiServer, headers: dict[str, str]) -> Iterator[Iterator[str]]:
    with (
        httpx.Client(base_url=live.url, timeout=TIMEOUT) as client,
        client.stream("GET", "/events", headers=headers) as response,
    ):
        yield response.iter_lines()


@pytest.fixture
def live(engine: Engine, api_settings: Settings, store: LocalStore) -> Iterator[ApiServer]:
    """A real uvicorn server over a seeded index of its own (tests add events to it)."""
    seed(engine)
    settings = api_settings.model_copy(
        update={"api_events_poll_interval": 0.02, "api_events_keepalive": 0.3}
    )
    server = ApiServer(
        create_app(settings, engine=engine, content=store, clock=lambda: WALL), "127.0.0.1", 0
    )
    server.start()
    yield server
    server.stop()


def test_replay_then_live_then_resume(live: ApiServer, engine: Engine) -> None:
    with (
        httpx.Client(base_url=live.url, timeout=TIMEOUT) as client,
        client.stream("GET", "/events", params={"after": 0}) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        lines = response.iter_lines()
        history = events(lines, SEEDED_EVENTS)
        assert [m.id for m in history] == sorted(m.id for m in history)
        assert history[0].event == "TaskCreated"
        assert history[0].data == {
            "task_id": 1, "block": 11, "timestamp": NOW - 100, "tx": "0x" + f"{1001:064x}",
            "log_index": 0, "args": {"taskId": "1"},
        }  # fmt: skip
        assert history[-1].event == "FeeChanged"
        assert history[-1].data is not None
        assert history[-1].data["task_id"] is None
        new = add_event(engine, "SlotClaimed", 2, taskId="2", slot="0")
        (live_message,) = events(lines, 1)
        assert live_message.id == new
        assert live_message.event == "SlotClaimed"
        last_seen = live_message.id

    later = [add_event(engine, "WorkSubmitted", 2, taskId="2"), add_event(engine, "Paused", None)]
    with (
        httpx.Client(base_url=live.url, timeout=TIMEOUT) as client,
        client.stream(
            "GET", "/events", params={"after": 0}, headers={"Last-Event-ID": str(last_seen)}
        ) as response,
    ):
        resumed = events(response.iter_lines(), 2)  # the header wins over ?after=
        assert [m.id for m in resumed] == later
        assert [m.event for m in resumed] == ["WorkSubmitted", "Paused"]


def test_task_filter(live: ApiServer, engine: Engine) -> None:
    with (
        httpx.Client(base_url=live.url, timeout=TIMEOUT) as client,
        client.stream("GET", "/events", params={"after": 0, "task_id": 1}) as response,
    ):
        lines = response.iter_lines()
        first = events(lines, 2)
        assert [(m.event, m.data["task_id"] if m.data else None) for m in first] == [
            ("TaskCreated", 1),
            ("SlotClaimed", 1),
        ]
        add_event(engine, "TaskCreated", 99)  # not this task's: skipped
        wanted = add_event(engine, "SlotFreed", 1, taskId="1")
        (message,) = events(lines, 1)
        assert message.id == wanted


def test_without_a_position_only_new_events_come(live: ApiServer, engine: Engine) -> None:
    with (
        httpx.Client(base_url=live.url, timeout=TIMEOUT) as client,
        client.stream("GET", "/events") as response,
    ):
        lines = response.iter_lines()
        opening = next(messages(lines))  # sent at once: the retry hint and a comment
        assert opening.comments == [f"feed after event {SEEDED_EVENTS}"]
        new = add_event(engine, "Unpaused", None)
        (message,) = events(lines, 1)
        assert message.id == new


def test_keep_alive_comments(live: ApiServer) -> None:
    with (
        httpx.Client(base_url=live.url, timeout=TIMEOUT) as client,
        client.stream("GET", "/events") as response,
    ):
        for message in messages(response.iter_lines()):
            if "keep-alive" in message.comments:
                break


def test_disconnect_ends_the_stream_on_the_server(live: ApiServer) -> None:
    state = live.app.state.api
    with httpx.Client(base_url=live.url, timeout=TIMEOUT) as client:
        with client.stream("GET", "/events") as response:
            next(messages(response.iter_lines()))
            assert state.open_feeds == 1
        deadline = time.monotonic() + 10
        while state.open_feeds:
            assert time.monotonic() < deadline, "the server kept the feed after the client left"
            time.sleep(0.01)  # awaiting the server's state, not a fixed delay


def test_shutdown_ends_open_streams(live: ApiServer) -> None:
    with (
        httpx.Client(base_url=live.url, timeout=TIMEOUT) as client,
        client.stream("GET", "/events") as response,
    ):
        lines = response.iter_lines()
        next(messages(lines))
        started = time.monotonic()
        live.stop()
        assert list(lines) is not None  # the stream ends instead of hanging
        assert time.monotonic() - started < 3
    assert not live.alive()


@pytest.mark.parametrize(
    ("params", "headers", "field"),
    [
        ({"after": -1}, {}, "after"),
        ({"task_id": "x"}, {}, "task_id"),
        ({}, {"Last-Event-ID": "abc"}, "Last-Event-ID"),
    ],
)
def test_bad_positions_are_422(
    api: Any, params: dict[str, Any], headers: dict[str, str], field: str
) -> None:
    response = api.get("/events", params=params, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def reorg_of(message: Message) -> tuple[int, int, int]:
    assert (message.id, message.event) == (None, "reorg")
    assert message.data is not None
    return message.data["first_event_id"], message.data["last_event_id"], message.data["dropped"]


def test_a_reorganisation_retracts_what_the_client_saw(live: ApiServer, engine: Engine) -> None:
    with (
        httpx.Client(base_url=live.url, timeout=TIMEOUT) as client,
        client.stream("GET", "/events") as response,
    ):
        lines = response.iter_lines()
        kept = add_event(engine, "SlotClaimed", 2, taskId="2", slot="0")
        orphaned = [add_event(engine, "WorkSubmitted", 2, taskId="2") for _ in range(2)]
        assert [m.id for m in events(lines, 3)] == [kept, *orphaned]
        roll_back(engine, orphaned, fork_block=950)
        new_branch = add_event(engine, "SlotFreed", 2, taskId="2", slot="0")
        notice, after = notices_and_events(lines, 2)
        assert reorg_of(notice) == (orphaned[0], orphaned[1], 2)
        assert notice.data is not None
        assert notice.data["fork_block"] == 950
        assert after.id == new_branch > orphaned[-1]  # ids are never reused

    # a client that left after a dropped event, before the notice, gets it on reconnecting
    resumed = {"Last-Event-ID": str(orphaned[0])}
    with client_stream(live, resumed) as lines:
        notice, after = notices_and_events(lines, 2)
        assert reorg_of(notice) == (orphaned[0], orphaned[1], 2)
        assert after.id == new_branch
    # one that saw the new branch, or nothing that was dropped, is not told again
    with client_stream(live, {"Last-Event-ID": str(new_branch)}) as lines:
        marker = add_event(engine, "Paused", None)
        assert [(m.id, m.event) for m in notices_and_events(lines, 1)] == [(marker, "Paused")]
    with client_stream(live, {"Last-Event-ID": str(kept)}) as lines:
        assert [m.id for m in notices_and_events(lines, 2)] == [new_branch, marker]


def test_a_reorganisation_the_client_never_saw_is_not_announced(
    live: ApiServer, engine: Engine
) -> None:
    with (
        httpx.Client(base_url=live.url, timeout=TIMEOUT) as client,
        client.stream("GET", "/events", params={"task_id": 3}) as response,
    ):
        lines = response.iter_lines()
        next(messages(lines))  # the opening: the stream is up before anything changes
        other_task = add_event(engine, "SlotClaimed", 2, taskId="2", slot="1")
        roll_back(engine, [other_task], fork_block=960)
        wanted = add_event(engine, "SlotClaimed", 3, taskId="3", slot="0")
        (first,) = notices_and_events(lines, 1)
        assert first.id == wanted
