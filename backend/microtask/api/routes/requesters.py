"""``/requesters/{address}``: a requester's tasks by status, money per token, recent tasks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from microtask.api.deps import SessionDep, StateDep
from microtask.api.params import Address
from microtask.api.problems import problem_responses
from microtask.api.queries import chain_now, count_by_status, task_public, tasks_with_manifests
from microtask.api.schemas import RequesterMoney, RequesterPublic, TaskCounts
from microtask.db.models import Account, Task

router = APIRouter(prefix="/requesters", tags=["requesters"])


@router.get(
    "/{address}",
    response_model=RequesterPublic,
    summary="A requester's tasks and money",
    responses=problem_responses(422, 503),
)
def get_requester(
    address: Address,
    session: SessionDep,
    state: StateDep,
    recent: Annotated[int, Query(ge=0, le=100, description="How many recent tasks.")] = 10,
) -> RequesterPublic:
    """Money per token: what went into escrow and what came back (refunds are credited to
    the requester's ledger balance until withdrawn)."""
    now = chain_now(session, state.clock())
    counts = count_by_status(session, now, Task.requester == address)
    accounts = session.scalars(
        select(Account).where(Account.address == address).order_by(Account.token)
    ).all()
    rows = session.execute(
        tasks_with_manifests()
        .where(Task.requester == address)
        .order_by(Task.task_id.desc())
        .limit(recent)
    ).all()
    return RequesterPublic(
        address=address,
        tasks=TaskCounts.model_validate(counts),
        money=[
            RequesterMoney.model_validate(account)
            for account in accounts
            if account.funded or account.refunded
        ],
        recent_tasks=[task_public(row, now) for row in rows],
    )
