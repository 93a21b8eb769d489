"""``/health``: how far behind the chain the index is, and whether content answers.

The API never asks the chain itself: the indexer records the head it last saw (and when)
in its checkpoint, so an RPC outage shows here as a growing poll age while every other
route keeps serving the index as it is.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter

from microtask.api.deps import SessionDep, StateDep
from microtask.api.problems import problem_responses
from microtask.api.queries import checkpoint
from microtask.api.schemas import ContentStoreHealth, Health
from microtask.content import ContentStoreUnavailable
from microtask.content.errors import ContentCorrupted

router = APIRouter(prefix="/health", tags=["health"])

EMPTY_FILE_CID: Final = "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"
"""The empty UnixFS file: asking a store whether it has it proves the store answers."""
LAG_TOLERANCE_BLOCKS: Final = 10
STALE_AFTER_POLLS: Final = 20
STALE_AFTER_MIN_SECONDS: Final = 30.0


def _content_health(state: StateDep) -> ContentStoreHealth:
    try:
        store = state.content.get()
        store.has(EMPTY_FILE_CID)
    except (ContentStoreUnavailable, ContentCorrupted) as error:
        state.content.failed()
        return ContentStoreHealth(kind=None, status="unavailable", detail=str(error))
    return ContentStoreHealth(kind=store.kind, status="ok", detail=store.describe())


@router.get(
    "",
    response_model=Health,
    summary="Index freshness and content store status",
    responses=problem_responses(503),
)
def get_health(session: SessionDep, state: StateDep) -> Health:
    """``status`` is ok, starting (nothing indexed yet) or degraded (see ``problems``);
    the answer is 200 either way, and 503 only when the database itself does not answer."""
    point = checkpoint(session)
    content = _content_health(state)
    problems = []
    if content.status != "ok":
        problems.append(f"content store unavailable: {content.detail}")
    database = session.get_bind().dialect.name
    if point is None:
        problems.insert(0, "nothing indexed yet: is the indexer running?")
        return Health(
            status="starting", problems=problems, database=database, chain_id=None,
            contract=None, chain_head=None, chain_head_time=None, indexed_block=None,
            indexed_block_time=None, lag_blocks=None, lag_seconds=None, last_poll_at=None,
            last_poll_age_seconds=None, content_store=content,
        )  # fmt: skip
    now = state.clock()
    age = max(0.0, now - point.chain_head_seen_at)
    lag_blocks = max(0, point.chain_head - point.block_number)
    lag_seconds = max(0, point.chain_head_timestamp - point.block_timestamp)
    stale_after = max(STALE_AFTER_MIN_SECONDS, STALE_AFTER_POLLS * state.settings.poll_interval)
    if age > stale_after:
        problems.append(f"the indexer last polled the chain {age:.0f} s ago")
    if lag_blocks > state.settings.confirmations + LAG_TOLERANCE_BLOCKS:
        problems.append(f"the index is {lag_blocks} blocks behind the chain head")
    return Health(
        status="degraded" if problems else "ok",
        problems=problems,
        database=database,
        chain_id=point.chain_id,
        contract=point.contract,
        chain_head=point.chain_head,
        chain_head_time=point.chain_head_timestamp,
        indexed_block=point.block_number,
        indexed_block_time=point.block_timestamp,
        lag_blocks=lag_blocks,
        lag_seconds=lag_seconds,
        last_poll_at=point.chain_head_seen_at,
        last_poll_age_seconds=round(age, 3),
        content_store=content,
    )
