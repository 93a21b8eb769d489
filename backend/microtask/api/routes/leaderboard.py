"""``/leaderboard``: the top workers by earnings, approved slots or accuracy, per period.

Periods end at the chain head's time (as the indexer last saw it) and reach back a day,
a week, 30 days, or forever (see `microtask.reputation.leaderboard`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from microtask.api.deps import SessionDep, StateDep
from microtask.api.params import Address
from microtask.api.problems import invalid_field, problem_responses
from microtask.api.queries import chain_now
from microtask.api.schemas import Leaderboard, LeaderboardEntry
from microtask.reputation import Board, Period, leaderboard

router = APIRouter(prefix="/leaderboard", tags=["workers"])


@router.get(
    "",
    response_model=Leaderboard,
    summary="Top workers by earnings, approved slots or accuracy",
    responses=problem_responses(422, 503),
)
def get_leaderboard(
    session: SessionDep,
    state: StateDep,
    by: Annotated[Board, Query(description="What to rank by.")] = Board.APPROVED,
    period: Annotated[Period, Query(description="day, week, month (30 days) or all.")] = (
        Period.ALL
    ),
    token: Annotated[
        Address | None, Query(description="Only tasks paid in this token; required for earnings.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Leaderboard:
    """Earnings rank within one token; accuracy needs 10 gold items in the period."""
    if by is Board.EARNINGS and token is None:
        raise invalid_field("query", "token", "earnings are ranked within one token: name it")
    now = chain_now(session, state.clock())
    entries = leaderboard(session, board=by, period=period, now=now, token=token, limit=limit)
    return Leaderboard(
        by=by.value,
        period=period.value,
        since=period.since(now),
        token=token,
        data=[
            LeaderboardEntry(
                rank=entry.rank,
                worker=entry.worker,
                approved=entry.approved,
                earned=entry.earned,
                gold_items=entry.gold_items,
                gold_accuracy=entry.gold_accuracy,
            )
            for entry in entries
        ],
    )
