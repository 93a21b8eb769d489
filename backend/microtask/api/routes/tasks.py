"""``/tasks``: find work (filters, sorts, keyset pages), one task, its assignments.

``eligible_for`` leaves out tasks whose manifest requires a qualification the worker does
not meet (`microtask.reputation.qualifications`, joined on ``manifest_qualifications``).
``sort=match`` (with ``eligible_for``) orders by pay per estimated minute times the
worker's expected acceptance on the task's kind, explained in one line per task
(`microtask.reputation.matching`); it ranks the `MATCH_CANDIDATES` best-paid eligible
tasks, paged by position.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased
from starlette.concurrency import run_in_threadpool

from microtask.api.deps import SessionDep, StateDep
from microtask.api.pagination import after, decode_cursor, encode_cursor, page_of
from microtask.api.params import Address, Amount, CursorText, Limit, TaskId
from microtask.api.problems import invalid_field, not_found, problem_responses
from microtask.api.queries import (
    AnySelect,
    Unindexed,
    chain_now,
    status_condition,
    task_fields,
    task_public,
    tasks_with_manifests,
)
from microtask.api.schemas import (
    AssignmentPublic,
    AssignmentsPage,
    MatchPublic,
    SlotPublic,
    TaskDetail,
    TasksPage,
    TaskStatus,
)
from microtask.api.state import ApiState
from microtask.db.base import AssignmentStatus
from microtask.db.models import (
    Account,
    Assignment,
    Manifest,
    ManifestQualification,
    ManifestTag,
    Slot,
    Task,
)
from microtask.escrow import BPS, SlotState, is_receipt_slot, slot_state
from microtask.manifests import TaskKind
from microtask.reputation import Candidate, match_tasks, qualification_values, worker_scores

router = APIRouter(prefix="/tasks", tags=["tasks"])

MATCH_CANDIDATES = 500


class TaskSort(StrEnum):
    REWARD = "reward"
    REWARD_DESC = "-reward"
    CREATED = "created"
    CREATED_DESC = "-created"
    DEADLINE = "deadline"
    DEADLINE_DESC = "-deadline"
    MATCH = "match"


class StatusFilter(StrEnum):
    OPEN = "open"
    FULL = "full"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    ALL = "all"


class TaskListQuery(BaseModel):
    """The filters of ``GET /tasks``; all of them must match."""

    model_config = ConfigDict(extra="forbid")

    status: StatusFilter = Field(
        default=StatusFilter.OPEN,
        description=(
            "open: not cancelled, deadline not passed (at the chain head's time), a slot "
            "available; full; expired; cancelled; or all."
        ),
    )
    token: Address | None = Field(default=None, description="Paid in this token (0x0…0 = ETH).")
    min_reward: Amount | None = Field(default=None, description="Reward per slot at least this.")
    kind: TaskKind | None = Field(default=None, description="The manifest's task kind.")
    tag: list[
        Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9][a-z0-9-]*$")]
    ] = Field(
        default_factory=list,
        max_length=20,
        description="Repeatable; the manifest must carry every tag given.",
    )
    language: str | None = Field(
        default=None,
        min_length=2,
        max_length=35,
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
        description="The manifest's language tag (BCP 47, e.g. en, pt-BR).",
    )
    requester: Address | None = None
    min_open_slots: int | None = Field(
        default=None, ge=1, le=2**31, description="At least this many slots available."
    )
    eligible_for: Address | None = Field(
        default=None,
        description=(
            "Only tasks this worker may take: their record in the task's token meets "
            "min_approved and min_approval_bps (no history passes the rate), they meet the "
            "manifest's qualifications, and they are not the task's requester, verifier or "
            "arbitrator."
        ),
    )
    sort: TaskSort = Field(
        default=TaskSort.CREATED_DESC,
        description="Order; - for descending. match (needs eligible_for): pay per estimated "
        "minute x the worker's expected acceptance on the task's kind, best first.",
    )
    cursor: CursorText | None = None
    limit: Limit = 20


def _sort_columns(sort: TaskSort) -> tuple[Any, ...]:
    if sort in (TaskSort.REWARD, TaskSort.REWARD_DESC):
        return (Task.reward, Task.task_id)
    if sort in (TaskSort.DEADLINE, TaskSort.DEADLINE_DESC):
        return (Task.deadline, Task.task_id)
    return (Task.task_id,)


def _unqualified(values: dict[str, float]) -> ColumnElement[bool]:
    """Tasks requiring a qualification the worker lacks, given their ``values``: a name they
    have no value for, or a minimum above their value."""
    q = ManifestQualification
    fails = or_(
        q.name.not_in(list(values)),
        *[and_(q.name == name, q.min_score > value) for name, value in values.items()],
    )
    return exists().where(q.cid == Task.manifest_cid, fails)


def _filtered(
    query: AnySelect,
    filters: TaskListQuery,
    now: int,
    *,
    paging: bool = False,
    qualified: dict[str, float] | None = None,
) -> AnySelect:
    """``query`` with every filter applied (joins only where a filter needs them).

    ``paging``: the query fetches one page, so the index of its ORDER BY should drive the
    scan: filter columns that would tempt SQLite's planner into another index and a sort
    of every match (status, token, reward, deadline) are marked `Unindexed` unless the
    sort's own index starts with them. Counts use the plain columns and any index.
    """
    reward_sort = filters.sort in (TaskSort.REWARD, TaskSort.REWARD_DESC)

    def column(attribute: Any, indexable: bool) -> Any:
        return Unindexed(attribute) if paging and not indexable else attribute

    where: list[ColumnElement[bool]] = []
    if filters.status is not StatusFilter.ALL:
        where.append(status_condition(TaskStatus(filters.status.value), now, paging=paging))
    if filters.token is not None:
        where.append(column(Task.token, reward_sort) == filters.token)
    if filters.min_reward is not None:
        where.append(column(Task.reward, reward_sort) >= filters.min_reward)
    if filters.requester is not None:
        where.append(Task.requester == filters.requester)
    if filters.min_open_slots is not None:
        where.append(Task.available_slots >= filters.min_open_slots)
    # Manifest filters as sets of CIDs (a few hundred manifests against many tasks): a count
    # checks each open task's CID in the index against the set, a page walks its sort's
    # index and stops at the page's end, and neither joins nor sorts every match.
    cids: list[Any] = []
    if filters.kind is not None:
        cids.append(select(Manifest.cid).where(Manifest.kind == filters.kind.value))
    if filters.language is not None:
        cids.append(select(Manifest.cid).where(Manifest.language == filters.language))
    for tag in dict.fromkeys(filters.tag):
        cids.append(select(ManifestTag.cid).where(ManifestTag.tag == tag))
    where += [column(Task.manifest_cid, False).in_(chosen) for chosen in cids]
    if filters.eligible_for is not None:
        worker = filters.eligible_for
        record = aliased(Account)
        query = query.outerjoin(record, and_(record.token == Task.token, record.address == worker))
        approved = func.coalesce(record.approved, 0)
        decided = approved + func.coalesce(record.rejected, 0)
        # `microtask.escrow.is_party` and `qualifies` (the contract's claim checks) in SQL
        where += [
            Task.requester != worker,
            Task.verifier != worker,
            Task.arbitrator != worker,
            approved >= Task.min_approved,
            or_(
                Task.min_approval_bps == 0,
                decided == 0,
                approved * BPS >= Task.min_approval_bps * decided,
            ),
            ~_unqualified(qualified or {}),
        ]
    return query.where(*where)


def _count(session: Session, filters: TaskListQuery, now: int, qualified: Any) -> int:
    count_query = select(func.count()).select_from(Task)
    return session.scalar(_filtered(count_query, filters, now, qualified=qualified)) or 0


def _page(state: ApiState, filters: TaskListQuery) -> bytes:
    if filters.sort is TaskSort.MATCH:
        return _match_page(state, filters)
    with state.sessions() as session:
        now = chain_now(session, state.clock())
        qualified = None
        if filters.eligible_for is not None:
            qualified = qualification_values(worker_scores(session, filters.eligible_for))
        columns = _sort_columns(filters.sort)
        descending = filters.sort.value.startswith("-")
        query = _filtered(tasks_with_manifests(), filters, now, paging=True, qualified=qualified)
        if filters.cursor is not None:
            cursor = decode_cursor(filters.cursor, filters.sort.value, len(columns))
            query = query.where(after(columns, cursor.key, descending=descending))
        order = [column.desc() if descending else column.asc() for column in columns]
        rows = session.execute(query.order_by(*order).limit(filters.limit + 1)).all()
        page, more = page_of(rows, filters.limit)
        count = _count(session, filters, now, qualified)
    next_cursor = None
    if more:
        last = page[-1]
        next_cursor = encode_cursor(filters.sort.value, [getattr(last, c.key) for c in columns])
    result = TasksPage(
        data=[task_public(row, now) for row in page], count=count, next_cursor=next_cursor
    )
    return result.model_dump_json().encode()


def _match_page(state: ApiState, filters: TaskListQuery) -> bytes:
    """The eligible tasks ranked by match for the worker, a page at a time by position."""
    assert filters.eligible_for is not None
    offset = 0
    if filters.cursor is not None:
        offset = decode_cursor(filters.cursor, TaskSort.MATCH.value, 1).key[0]
    with state.sessions() as session:
        now = chain_now(session, state.clock())
        scores = worker_scores(session, filters.eligible_for)
        qualified = qualification_values(scores)
        query = _filtered(tasks_with_manifests(), filters, now, qualified=qualified)
        rows = session.execute(
            query.order_by(Task.reward.desc(), Task.task_id).limit(MATCH_CANDIDATES)
        ).all()
        count = _count(session, filters, now, qualified)
    candidates = [
        Candidate(
            task_id=row.task_id,
            token=row.token,
            reward=row.reward,
            kind=row.m_kind,
            time_estimate_seconds=row.m_time_estimate_seconds,
        )
        for row in rows
    ]
    matches = match_tasks(candidates, scores)
    ranked = sorted(
        zip(rows, matches, strict=True),
        key=lambda pair: (-pair[1].score, -pair[0].reward, pair[0].task_id),
    )
    page = ranked[offset : offset + filters.limit]
    data = []
    for row, match in page:
        public = task_public(row, now)
        public.match = MatchPublic(
            score=match.score,
            reward_per_minute=match.reward_per_minute,
            pay_share=match.pay_share,
            acceptance=match.acceptance,
            basis=match.basis,
            explanation=match.explanation,
        )
        data.append(public)
    more = offset + filters.limit < len(ranked)
    next_cursor = encode_cursor(TaskSort.MATCH.value, [offset + filters.limit]) if more else None
    return TasksPage(data=data, count=count, next_cursor=next_cursor).model_dump_json().encode()


@router.get(
    "",
    response_model=TasksPage,
    summary="Find tasks",
    responses=problem_responses(422, 503),
)
async def list_tasks(
    request: Request, state: StateDep, filters: Annotated[TaskListQuery, Query()]
) -> Response:
    """Tasks matching every filter, in the order asked, a page at a time.

    Pages are keyset pages: pass ``next_cursor`` back as ``cursor`` with the same filters
    and sort. ``count`` is how many tasks match in all.
    """
    if filters.sort is TaskSort.MATCH and filters.eligible_for is None:
        raise invalid_field(
            "query", "sort", "sort=match ranks tasks for a worker: add eligible_for"
        )
    # The busiest route: answers are cached until the index changes (see `api.cache`),
    # so a hit costs no thread, no query and no serialisation.
    key = request.url.query
    version = await state.versions.current()
    body = state.cache.get(key, version)
    if body is None:
        body = await run_in_threadpool(_page, state, filters)
        if version is not None and await state.versions.current() == version:
            state.cache.put(key, version, body)
    return Response(body, media_type="application/json")


def _task_row(session: Session, task_id: int) -> Any:
    detail_columns = [
        Task.escrow,
        Task.funded,
        Task.paid,
        Task.fees_paid,
        Task.refunded,
        Task.bonuses,
        Task.approved_slots,
        Task.closed_slots,
        Task.receipt_slots_used,
        Task.receipt_slots_reclaimed,
        Task.cancelled_at,
        Task.updated_block,
    ]
    row = session.execute(
        tasks_with_manifests(*detail_columns).where(Task.task_id == task_id)
    ).first()
    if row is None:
        raise not_found(f"no task {task_id} in the index")
    return row


@router.get(
    "/{task_id}",
    response_model=TaskDetail,
    summary="One task, its manifest summary and its slots",
    responses=problem_responses(404, 422, 503),
)
def get_task(task_id: TaskId, session: SessionDep, state: StateDep) -> TaskDetail:
    """The task, its money, and every slot that has a row (the others are open)."""
    now = chain_now(session, state.clock())
    row = _task_row(session, task_id)
    slots = session.scalars(select(Slot).where(Slot.task_id == task_id).order_by(Slot.slot)).all()

    def state_of(index: int, stored: SlotState) -> SlotState:
        return slot_state(
            stored,
            index,
            receipt_slots=row.receipt_slots,
            cancelled=row.cancelled,
            receipt_slots_reclaimed=row.receipt_slots_reclaimed,
        )

    states = {member.value: 0 for member in SlotState}
    public = []
    for slot in slots:
        view = SlotPublic.model_validate(slot)
        view.state = state_of(slot.slot, slot.state)
        states[view.state.value] += 1
        public.append(view)
    stored = {slot.slot for slot in slots}
    touched_receipt = sum(1 for i in stored if is_receipt_slot(i, row.receipt_slots))
    untouched_receipt = row.receipt_slots - touched_receipt
    untouched_claimable = row.slot_count - len(stored) - untouched_receipt
    states[state_of(row.receipt_slots, SlotState.OPEN).value] += untouched_claimable
    if row.receipt_slots:
        states[state_of(0, SlotState.OPEN).value] += untouched_receipt
    values = task_fields(row, now)
    for key in (
        "escrow", "funded", "paid", "fees_paid", "refunded", "bonuses", "approved_slots",
        "closed_slots", "receipt_slots_used", "receipt_slots_reclaimed", "cancelled_at",
        "updated_block",
    ):  # fmt: skip
        values[key] = getattr(row, key)
    values["slot_states"] = {name: count for name, count in states.items() if count}
    values["slots"] = public
    return TaskDetail.model_validate(values)


class AssignmentListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: AssignmentStatus | None = Field(default=None, description="Only this status.")
    worker: Address | None = Field(default=None, description="Only this worker's.")
    cursor: CursorText | None = None
    limit: Limit = 20


ASSIGNMENT_ORDER = "slot"


@router.get(
    "/{task_id}/assignments",
    response_model=AssignmentsPage,
    summary="A task's assignments, by slot",
    responses=problem_responses(404, 422, 503),
)
def list_assignments(
    task_id: TaskId,
    session: SessionDep,
    filters: Annotated[AssignmentListQuery, Query()],
) -> AssignmentsPage:
    """Every turn a worker has had at one of the task's slots, in (slot, number) order."""
    if session.scalar(select(Task.task_id).where(Task.task_id == task_id)) is None:
        raise not_found(f"no task {task_id} in the index")
    where: list[ColumnElement[bool]] = [Assignment.task_id == task_id]
    if filters.status is not None:
        where.append(Assignment.status == filters.status)
    if filters.worker is not None:
        where.append(Assignment.worker == filters.worker)
    query = select(Assignment).where(*where)
    columns = (Assignment.slot, Assignment.number)
    if filters.cursor is not None:
        cursor = decode_cursor(filters.cursor, ASSIGNMENT_ORDER, 2)
        query = query.where(after(columns, cursor.key, descending=False))
    rows = session.scalars(query.order_by(*columns).limit(filters.limit + 1)).all()
    page, more = page_of(rows, filters.limit)
    count = session.scalar(select(func.count()).select_from(Assignment).where(*where)) or 0
    next_cursor = (
        encode_cursor(ASSIGNMENT_ORDER, [page[-1].slot, page[-1].number]) if more else None
    )
    return AssignmentsPage(
        data=[AssignmentPublic.model_validate(row) for row in page],
        count=count,
        next_cursor=next_cursor,
    )
