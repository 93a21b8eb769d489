"""``/arbitrate``: the disputes awaiting the connected arbitrator's ruling, each with both
sides' documents read from content (the rejection's review batch, with its reason codes,
words and numbers; the worker's dispute document), and a ruling form: pay the worker, or
uphold the rejection with reasons (uploaded, so both sides read them). The ruling is the
arbitrator's own transaction; the escrow refuses it from anyone else (``NotArbitrator``)
and after the time to rule (``ArbitrationTimedOut``, when the worker is paid anyway).

Only the default arbitrator and the arbitrators tasks name see the page; others get 403.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from microtask.content import ContentStore, ContentStoreUnavailable
from microtask.db.base import DisputeStatus
from microtask.db.models import Assignment, Dispute, EscrowState, Manifest, Task
from microtask.web.app import PageDep
from microtask.web.pages.operator import forbidden
from microtask.web.pages.work import _batch, reason_names
from microtask.web.render import PageContext

router = APIRouter(include_in_schema=False)
SHOWN = 100
DOCUMENT_BYTES = 8_000
"""At most this much of a dispute document is shown (the worker's form takes 4,000 chars)."""


def _document(store: ContentStore | None, cid: str) -> str | None:
    """A dispute's or ruling's words, or None when the content store cannot give them."""
    if store is None:
        return None
    try:
        return store.cat(cid)[:DOCUMENT_BYTES].decode("utf-8", errors="replace")
    except Exception:
        return None


def _disputes(ctx: PageContext, arbitrator: str, status: DisputeStatus) -> list[dict[str, Any]]:
    with ctx.state.sessions() as session:
        timeout = session.scalar(select(EscrowState.arbitration_timeout)) or 0
        rows = session.execute(
            select(Dispute, Assignment, Task, Manifest.title)
            .join(
                Assignment,
                (Assignment.task_id == Dispute.task_id)
                & (Assignment.slot == Dispute.slot)
                & (Assignment.number == Dispute.assignment),
            )
            .join(Task, Task.task_id == Dispute.task_id)
            .outerjoin(Manifest, Manifest.cid == Task.manifest_cid)
            .where(Dispute.arbitrator == arbitrator, Dispute.status == status)
            .order_by(Dispute.opened_at, Dispute.task_id, Dispute.slot)
            .limit(SHOWN)
        ).all()
    try:
        store = ctx.state.content.get() if rows else None
    except ContentStoreUnavailable:
        store = None
    shown = []
    for dispute, assignment, task, title in rows:
        batch = (
            _batch(store, assignment.rejection_cid) if store and assignment.rejection_cid else None
        )
        rule_by = dispute.opened_at + timeout
        shown.append(
            {
                "d": dispute,
                "a": assignment,
                "task": task,
                "title": title,
                "review": batch.for_slot(dispute.slot) if batch else None,
                "worker_says": _document(store, dispute.reason_cid),
                "ruling": _document(store, dispute.ruling_cid) if dispute.ruling_cid else None,
                "rule_by": rule_by,
                "can_rule": ctx.now <= rule_by,
            }
        )
    return shown


@router.get("/arbitrate", response_class=HTMLResponse)
def arbitrate(ctx: PageDep) -> HTMLResponse:
    _ = ctx.gettext
    title = _("Disputes")
    arbitrator = ctx.worker
    if arbitrator is None or not ctx.roles.arbitrator:
        return forbidden(
            ctx,
            "arbitrate",
            title,
            _("This page is for arbitrators: connect an arbitrator's wallet."),
        )
    statuses = {
        DisputeStatus.UPHELD: _("rejection upheld"),
        DisputeStatus.OVERTURNED: _("worker paid"),
        DisputeStatus.TIMED_OUT: _("not ruled in time: worker paid"),
        DisputeStatus.SETTLED: _("approved by the requester"),
    }
    ruled = [entry for status in statuses for entry in _disputes(ctx, arbitrator, status)]
    return ctx.render(
        "arbitrate.html",
        page="arbitrate",
        title=title,
        waiting=_disputes(ctx, arbitrator, DisputeStatus.OPEN),
        ruled=ruled,
        statuses=statuses,
        reasons=reason_names(ctx),
        data={"escrowErrors": ctx.site.escrow_errors},
    )
