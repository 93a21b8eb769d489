"""``/stats``: the platform in numbers, per token where money is concerned."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import distinct, func, select

from microtask.api.amounts import combine, sum_columns, width
from microtask.api.deps import SessionDep, StateDep
from microtask.api.problems import problem_responses
from microtask.api.queries import chain_now, checkpoint, count_by_status
from microtask.api.schemas import Stats, TaskCounts, TokenStats
from microtask.db.models import Account, Assignment, Event, Task

router = APIRouter(prefix="/stats", tags=["stats"])

ACCOUNT_SUMS = ("funded", "earned", "bonuses", "fees", "refunded", "withdrawn")


def _sums_by_token(
    session: SessionDep, model: type[Task] | type[Account], names: tuple[str, ...]
) -> dict[str, list[int]]:
    dialect = session.get_bind().dialect.name
    step = width(dialect)
    expressions = [e for name in names for e in sum_columns(dialect, getattr(model, name))]
    rows = session.execute(
        select(model.token, func.count(), *expressions).group_by(model.token)
    ).all()
    result = {}
    for token, count, *values in rows:
        sums = [combine(values[i * step : (i + 1) * step]) for i in range(len(names))]
        result[token] = [int(count), *sums]
    return result


@router.get("", response_model=Stats, summary="Platform totals", responses=problem_responses(503))
def get_stats(session: SessionDep, state: StateDep) -> Stats:
    """Counts of tasks, assignments, workers and requesters, and money per token."""
    now = chain_now(session, state.clock())
    tasks = TaskCounts.model_validate(count_by_status(session, now))
    assignments = {
        status.value: int(count)
        for status, count in session.execute(
            select(Assignment.status, func.count()).group_by(Assignment.status)
        ).all()
    }
    workers = session.scalar(select(func.count(distinct(Assignment.worker)))) or 0
    requesters = session.scalar(select(func.count(distinct(Task.requester)))) or 0
    events = session.scalar(select(func.count()).select_from(Event)) or 0
    point = checkpoint(session)
    escrow = _sums_by_token(session, Task, ("escrow",))
    money = _sums_by_token(session, Account, ACCOUNT_SUMS)
    tokens = []
    for token in sorted(set(escrow) | set(money)):
        task_count, held = escrow.get(token, [0, 0])
        _, funded, earned, bonuses, fees, refunded, withdrawn = money.get(token, [0] * 7)
        tokens.append(
            TokenStats(
                token=token,
                tasks=task_count,
                escrow=held,
                funded=funded,
                paid=earned,
                bonuses=bonuses,
                fees=fees,
                refunded=refunded,
                withdrawn=withdrawn,
            )
        )
    return Stats(
        tasks=tasks,
        assignments=assignments,
        workers=workers,
        requesters=requesters,
        events=events,
        indexed_block=point.block_number if point else None,
        tokens=tokens,
    )
