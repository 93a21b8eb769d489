"""Reads the routes share: the chain's "now", a task's status, tasks with their manifests.

"Now" is the chain head's time as the indexer last saw it, not the wall clock: deadlines
are compared with block times on chain, and a development chain's clock can be moved.
"""

from __future__ import annotations

from typing import Any, Final, TypeAlias

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    case,
    false,
    func,
    literal,
    literal_column,
    select,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from microtask.api.schemas import ManifestSummary, TaskPublic, TaskStatus
from microtask.db.base import ManifestStatus
from microtask.db.models import Checkpoint, EscrowState, Manifest, Task
from microtask.escrow import has_ended

AnySelect: TypeAlias = Select[*tuple[Any, ...]]
"""A SELECT of any columns (SQLAlchemy 2.1 types each column)."""

MANIFEST_COLUMNS: Final = (
    Manifest.status.label("m_status"),
    Manifest.error.label("m_error"),
    Manifest.title.label("m_title"),
    Manifest.kind.label("m_kind"),
    Manifest.language.label("m_language"),
    Manifest.tags.label("m_tags"),
    Manifest.time_estimate_seconds.label("m_time_estimate_seconds"),
    Manifest.item_count.label("m_item_count"),
    Manifest.redundancy.label("m_redundancy"),
)

TASK_LIST_COLUMNS: Final = (
    Task.task_id,
    Task.requester,
    Task.token,
    Task.manifest_cid,
    Task.reward,
    Task.fee,
    Task.slot_count,
    Task.receipt_slots,
    Task.open_slots,
    Task.available_slots,
    Task.deadline,
    Task.review_period,
    Task.lease,
    Task.verifier,
    Task.arbitrator,
    Task.min_approved,
    Task.min_approval_bps,
    Task.cancelled,
    Task.created_at,
    Task.created_block,
    Task.created_tx,
)


ARBITRATOR_IS_DEFAULT: Final = func.coalesce(
    Task.arbitrator == select(EscrowState.default_arbitrator).limit(1).scalar_subquery(), false()
).label("arbitrator_is_default")
"""Whether a task's arbitrator is the escrow's default (as the index last saw it)."""


def checkpoint(session: Session) -> Checkpoint | None:
    """The index's checkpoint (one escrow per database)."""
    return session.scalars(select(Checkpoint).limit(1)).first()


def chain_now(session: Session, fallback: float) -> int:
    """The chain head's timestamp as last polled, else ``fallback`` (the wall clock)."""
    seen = session.scalar(select(Checkpoint.chain_head_timestamp).limit(1))
    return int(seen) if seen is not None else int(fallback)


class Unindexed(FunctionElement[Any]):
    """A column SQLite must not pick an index for: rendered ``+column`` there (SQLite's
    documented way to disqualify a term from index use), the plain column elsewhere."""

    inherit_cache = True
    name = "unindexed"

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(Unindexed)
def _plain(element: Unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses.clauses[0], **kw))


@compiles(Unindexed, "sqlite")
def _unary_plus(element: Unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses.clauses[0], **kw))


def status_condition(status: TaskStatus, now: int, *, paging: bool = False) -> ColumnElement[bool]:
    """The SQL condition for tasks in ``status`` at chain time ``now``.

    ``paging``: for a page query, whose ORDER BY index should drive the scan. Without
    statistics SQLite prefers the status index (``cancelled = 0`` looks selective) and then
    sorts every open task for 20 rows: 130 ms at 100,000 tasks instead of 1 ms. Counting
    uses the status index (it covers the count), so counts keep the plain columns.
    """
    cancelled: Any = Task.cancelled
    deadline: Any = Task.deadline
    available: Any = Task.available_slots
    if paging:
        cancelled, deadline, available = (
            Unindexed(cancelled),
            Unindexed(deadline),
            Unindexed(available),
        )
    live = and_(cancelled == false(), deadline >= now)
    if status is TaskStatus.OPEN:
        return and_(live, available > 0)
    if status is TaskStatus.FULL:
        return and_(live, available == 0)
    if status is TaskStatus.EXPIRED:
        return and_(cancelled == false(), deadline < now)
    return and_(cancelled == true())


def status_of(cancelled: bool, deadline: int, available_slots: int, now: int) -> TaskStatus:
    """A task's status at chain time ``now`` (`status_condition` says the same in SQL)."""
    if cancelled:
        return TaskStatus.CANCELLED
    if has_ended(deadline, now):
        return TaskStatus.EXPIRED
    return TaskStatus.OPEN if available_slots > 0 else TaskStatus.FULL


def tasks_with_manifests(*extra: Any) -> AnySelect:
    """Task columns and the manifest summary (tasks whose manifest has no row yet too)."""
    query: AnySelect = select(*TASK_LIST_COLUMNS, ARBITRATOR_IS_DEFAULT, *MANIFEST_COLUMNS, *extra)
    return query.outerjoin(Manifest, Manifest.cid == Task.manifest_cid)


def manifest_summary(row: Row[Any]) -> ManifestSummary:
    status = row.m_status
    return ManifestSummary(
        cid=row.manifest_cid,
        status=status if status is not None else ManifestStatus.PENDING,
        error=row.m_error,
        title=row.m_title,
        kind=row.m_kind,
        language=row.m_language,
        tags=list(row.m_tags or ()),
        time_estimate_seconds=row.m_time_estimate_seconds,
        item_count=row.m_item_count,
        redundancy=row.m_redundancy,
    )


def task_fields(row: Row[Any], now: int) -> dict[str, Any]:
    """A `TaskPublic`'s fields from a `tasks_with_manifests` row."""
    values = {column.key: getattr(row, column.key) for column in TASK_LIST_COLUMNS}
    del values["manifest_cid"]
    values["arbitrator_is_default"] = bool(row.arbitrator_is_default)
    values["status"] = status_of(row.cancelled, row.deadline, row.available_slots, now)
    values["manifest"] = manifest_summary(row)
    return values


def task_public(row: Row[Any], now: int) -> TaskPublic:
    return TaskPublic.model_validate(task_fields(row, now))


def count_by_status(session: Session, now: int, *where: ColumnElement[bool]) -> dict[str, int]:
    """Tasks per status (and in total) among those matching ``where``."""
    status = case(
        (Task.cancelled == true(), literal(TaskStatus.CANCELLED.value)),
        (Task.deadline < now, literal(TaskStatus.EXPIRED.value)),
        (Task.available_slots > 0, literal(TaskStatus.OPEN.value)),
        else_=literal(TaskStatus.FULL.value),
    )
    label = status.label("task_status")
    rows = session.execute(
        select(label, func.count()).where(*where).group_by(literal_column("task_status"))
    ).all()
    counts = {member.value: 0 for member in TaskStatus}
    for name, count in rows:
        counts[str(name)] = int(count)
    counts["total"] = sum(counts.values())
    return counts
