"""``/workers/{address}``: a worker's record and earnings per token, their history, their
scores from the verifier's assessments and the badges they earned."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from microtask.api.deps import SessionDep
from microtask.api.params import Address
from microtask.api.problems import problem_responses
from microtask.api.schemas import (
    AssignmentPublic,
    BadgePublic,
    KindScore,
    WorkerPublic,
    WorkerRecord,
    WorkerScoresPublic,
)
from microtask.db.models import Account, Assignment
from microtask.escrow import approval_rate_bps
from microtask.reputation import Tally, WorkerScores, badges_of, qualification_values, worker_scores

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
            approval_bps=approval_rate_bps(account.approved, account.rejected),
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
        scores=scores_public(worker_scores(session, address)),
        badges=[
            BadgePublic(
                id=badge.id,
                title=badge.title,
                description=badge.description,
                earned_at=badge.earned_at,
            )
            for badge in badges_of(session, address)
        ],
    )


def kind_score(kind: str, tally: Tally) -> KindScore:
    accuracy = tally.accuracy()
    return KindScore(
        kind=kind,
        tasks=tally.tasks,
        slots=tally.slots,
        gold_items=tally.gold_checked,
        gold_accuracy=tally.gold_accuracy,
        agreement_items=tally.agreement_items,
        agreement=tally.agreement,
        accuracy=accuracy[0] if accuracy else None,
        accuracy_basis=accuracy[1] if accuracy else None,
        approved=tally.approved,
        rejected=tally.rejected,
        undecided=tally.undecided,
    )


def scores_public(scores: WorkerScores) -> WorkerScoresPublic:
    """A worker's scores as the API shows them: overall, per kind, and as qualifications."""
    return WorkerScoresPublic(
        overall=kind_score("all", scores.overall),
        by_kind=[kind_score(kind, tally) for kind, tally in sorted(scores.by_kind.items())],
        qualifications=qualification_values(scores),
    )
