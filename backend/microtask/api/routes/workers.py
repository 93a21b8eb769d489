"""``/workers/{address}``: a worker's record and earnings per token, and their history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from microtask.api.deps import SessionDep
from microtask.api.params import Address
from microtask.api.problems import problem_responses
from microtask.api.schemas import AssignmentPublic, WorkerPublic, WorkerRecord, approval_bps
from microtask.db.models import Account, Assignment

router = APIRouter(prefix="/workers", tags=["workers"])


@router.get(
    "/{address}",
    response_model=WorkerPublic,
    summary="A worker's records, earnings and recent assignments",
    responses=problem_responses(422, 503),
)
def get_worker(
    address: Address,
    session: SessionDep,
    recent: Annotated[int, Query(ge=0, le=100, description="How many recent assignments.")] = 20,
) -> WorkerPublic:
    """Records are per token, as the contract keeps them (a qualification is checked in the
    task's token). An address the index has never seen has no records: not a 404, since
    any address may start working."""
    accounts = session.scalars(
        select(Account).where(Account.address == address).order_by(Account.token)
    ).all()
    records = [
        WorkerRecord(
            token=account.token,
            approved=account.approved,
            rejected=account.rejected,
            approval_bps=approval_bps(account.approved, account.rejected),
            disputes_won=account.disputes_won,
            disputes_lost=account.disputes_lost,
            earned=account.earned,
            bonuses=account.bonuses,
            balance=account.balance,
            withdrawn=account.withdrawn,
        )
        for account in accounts
        if account.approved or account.rejected or account.earned or account.bonuses
        or account.balance or account.withdrawn or account.disputes_won or account.disputes_lost
    ]  # fmt: skip
    by_status = session.execute(
        select(Assignment.status, func.count())
        .where(Assignment.worker == address)
        .group_by(Assignment.status)
    ).all()
    history = session.scalars(
        select(Assignment)
        .where(Assignment.worker == address)
        .order_by(Assignment.task_id.desc(), Assignment.slot.desc(), Assignment.number.desc())
        .limit(recent)
    ).all()
    return WorkerPublic(
        address=address,
        records=records,
        assignments={status.value: int(count) for status, count in by_status},
        recent_assignments=[AssignmentPublic.model_validate(row) for row in history],
    )
