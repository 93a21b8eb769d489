"""``/events``: the live feed, server-sent events read from the ``events`` table.

Each message is one indexed escrow event: ``id`` is its row id (ids only grow, and are
never reused, even after a reorganisation drops rows), ``event`` its name, ``data`` its
JSON. A client that reconnects sends ``Last-Event-ID`` (browsers' EventSource does so by
itself) and continues exactly after the last event it saw; ``?after=`` does the same for a
first connection, ``after=0`` replays the whole history. Without either, the feed starts
with the next new event.

**Reorganisations.** When the chain drops blocks the indexer had followed, it deletes their
events and notes which ids it dropped; a client that saw any of them gets a message with no
``id`` (so ``Last-Event-ID`` stays put), ``event: reorg`` and ``data``
``{"fork_block", "first_event_id", "last_event_id", "dropped"}``: every event it holds with
an id in that range is no longer on the chain (the new branch's events follow, with new
ids). The notice comes after the dropped events and before any event of the new branch,
and again on reconnecting with a ``Last-Event-ID`` inside the range; dropping ids is
idempotent, so a notice seen twice does no harm.

New rows are found by polling the database (``api_events_poll_interval``): the indexer is
another process, and polling by primary key is a few microseconds of index lookup. The
indexer writes events in one transaction per batch, one batch at a time, so ids commit
in order and a poll never skips one. Quiet periods carry a keep-alive comment so proxies
keep the connection; the stream ends when the client goes away (Starlette cancels it) or
the server shuts down (``stopping``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any, Final

import anyio
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

from microtask.api.deps import StateDep
from microtask.api.params import MAX_BIGINT, TaskId
from microtask.api.problems import problem_responses
from microtask.api.schemas import EventData, ReorgData
from microtask.api.state import ApiState
from microtask.db.models import Event, Reorg

log = logging.getLogger("microtask.api.events")
router = APIRouter(prefix="/events", tags=["events"])

BATCH: Final = 500
RETRY_MS: Final = 2_000
EVENT_STREAM: Final = "text/event-stream"
EventId = Annotated[int, Query(ge=0, le=MAX_BIGINT)]


def _newest_id(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.max(Event.id))) or 0)


def _newest_reorg(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.max(Reorg.id))) or 0)


def _reorgs_after(engine: Engine, cursor: int) -> Sequence[Any]:
    with engine.connect() as connection:
        return connection.execute(select(Reorg).where(Reorg.id > cursor).order_by(Reorg.id)).all()


def _reorgs_spanning(engine: Engine, last: int) -> Sequence[Any]:
    """Reorganisations that dropped the event ``last`` or older ones before it."""
    query = select(Reorg).where(Reorg.first_event_id <= last, Reorg.last_event_id >= last)
    with engine.connect() as connection:
        return connection.execute(query.order_by(Reorg.id)).all()


def _rows_after(engine: Engine, last: int, task_id: int | None) -> Sequence[Any]:
    query = select(Event).where(Event.id > last)
    if task_id is not None:
        query = query.where(Event.task_id == task_id)
    with engine.connect() as connection:
        return connection.execute(query.order_by(Event.id).limit(BATCH)).all()


def reorg_message(row: Any) -> str:
    """A reorganisation's notice: no ``id``, so the client's position does not move."""
    data = ReorgData(
        fork_block=row.fork_block,
        first_event_id=row.first_event_id,
        last_event_id=row.last_event_id,
        dropped=row.dropped,
    )
    return f"event: reorg\ndata: {json.dumps(data.model_dump(), separators=(',', ':'))}\n\n"


def in_order(events: Sequence[Any], reorgs: Sequence[Any], last: int) -> list[str]:
    """One poll's messages: each new reorganisation's notice right after its last dropped
    id (so before the new branch's events), where the client got a dropped event.

    ``reorgs`` are read after ``events``, so a new reorganisation's new branch cannot have
    reached the client in an earlier poll: if ``last`` (what it got so far) reaches the
    dropped range, it got a dropped event; else only this poll's events can be in it.
    """
    placed = [(row.id, 0, message(row)) for row in events]
    for reorg in reorgs:
        first, final = reorg.first_event_id, reorg.last_event_id
        if last >= first or any(first <= row.id <= final for row in events):
            placed.append((final, 1, reorg_message(reorg)))
    return [text for _, _, text in sorted(placed, key=lambda item: item[:2])]


def message(row: Any) -> str:
    """One event as an SSE message."""
    data = EventData(
        task_id=row.task_id,
        block=row.block_number,
        timestamp=row.block_timestamp,
        tx=row.tx_hash,
        log_index=row.log_index,
        args=row.args,
    )
    payload = json.dumps(data.model_dump(), separators=(",", ":"))
    return f"id: {row.id}\nevent: {row.name}\ndata: {payload}\n\n"


async def _stream(state: ApiState, last: int, task_id: int | None) -> AsyncIterator[str]:
    state.open_feeds += 1
    try:
        yield f"retry: {RETRY_MS}\n: feed after event {last}\n\n"
        async for message in _messages(state, last, task_id):
            yield message
    finally:
        state.open_feeds -= 1


async def _messages(state: ApiState, last: int, task_id: int | None) -> AsyncIterator[str]:
    interval = state.settings.api_events_poll_interval
    keepalive = state.settings.api_events_keepalive
    quiet_since = time.monotonic()
    try:
        cursor = await run_in_threadpool(_newest_reorg, state.engine)
        missed = await run_in_threadpool(_reorgs_spanning, state.engine, last)
    except DBAPIError as error:
        log.warning("live feed ends: the database failed: %s", str(error).splitlines()[0])
        return
    for reorg in missed:  # the client may have left between a dropped event and its notice
        if reorg.id <= cursor:
            yield reorg_message(reorg)
    while not state.stopping.is_set():
        try:
            rows = await run_in_threadpool(_rows_after, state.engine, last, task_id)
            # read after the events: a reorganisation that dropped any of them is seen now
            reorgs = await run_in_threadpool(_reorgs_after, state.engine, cursor)
        except DBAPIError as error:
            # Headers are sent: end the stream; the client reconnects with Last-Event-ID.
            log.warning("live feed ends: the database failed: %s", str(error).splitlines()[0])
            return
        for text in in_order(rows, reorgs, last):
            yield text
        if reorgs:
            cursor = reorgs[-1].id
        if rows:
            last = rows[-1].id
            quiet_since = time.monotonic()
            if len(rows) == BATCH:
                continue  # more are waiting
        elif time.monotonic() - quiet_since >= keepalive:
            yield ": keep-alive\n\n"
            quiet_since = time.monotonic()
        # A client that goes away cancels this generator at its next await (Starlette
        # listens for the disconnect beside the stream), so there is no check here.
        await anyio.sleep(interval)


@router.get(
    "",
    summary="Live feed of escrow events (server-sent events)",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": (
                "An endless text/event-stream: `id` the event id, `event` its name (e.g. "
                "TaskCreated, SlotClaimed, SlotsApproved), `data` an EventData object; after "
                "a chain reorganisation, a message without `id`, `event: reorg`, `data` a "
                "ReorgData object: the events with ids in its range are no longer on chain."
            ),
            "content": {
                EVENT_STREAM: {
                    "schema": {"type": "string"},
                    "example": (
                        'id: 42\nevent: SlotClaimed\ndata: {"task_id":7,"block":120,'
                        '"timestamp":1767139200,"tx":"0xab…","log_index":0,'
                        '"args":{"taskId":"7","slot":"0","worker":"0x9…","leaseEnd":"1767139800"}}'
                        "\n\n"
                    ),
                }
            },
        },
        **problem_responses(422, 503),
    },
)
async def stream_events(
    request: Request,
    state: StateDep,
    task_id: Annotated[TaskId | None, Query(description="Only this task's events.")] = None,
    after: Annotated[
        int | None,
        Query(ge=0, le=MAX_BIGINT, description="Start after this event id (0: from the start)."),
    ] = None,
    last_event_id: Annotated[
        int | None,
        Header(
            alias="Last-Event-ID",
            ge=0,
            le=MAX_BIGINT,
            description="Resume after this event id (what EventSource sends on reconnect).",
        ),
    ] = None,
) -> StreamingResponse:
    """Every indexed escrow event in id order, then new ones as the indexer adds them."""
    start = last_event_id if last_event_id is not None else after
    if start is None:
        # Asked before the response starts, so a database that is down is a 503 problem.
        start = await run_in_threadpool(_newest_id, state.engine)
    else:
        await run_in_threadpool(_rows_after, state.engine, MAX_BIGINT, None)  # reachable?
    return StreamingResponse(
        _stream(state, start, task_id),
        media_type=EVENT_STREAM,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
