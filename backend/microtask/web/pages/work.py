"""``/my-work``: the connected worker's slots and where each stands, the reviewer's reasons
for every rejection (with their numbers), dispute forms while the window is open, and
(from the script) the receipts this browser keeps, with enforce, download and import.

Enforcing a receipt is the wallet's transactions; what to send next is the client
library's `enforcement_step` over the chain's view of the slot, which the script asks
``/my-work/enforcement/{task}/{slot}`` for before each step (the same decision
`microtask work enforce` takes).

Slots reach the index once they touch the chain (claimed, presented, settled); slots a
verifier has only receipted so far live in the worker's browser, which the script lists.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from microtask.api.params import Address
from microtask.api.problems import not_found, unavailable
from microtask.client.receipts import enforcement_step
from microtask.content import ContentStore
from microtask.db.base import AssignmentStatus
from microtask.db.models import Assignment, Manifest, Task
from microtask.encoding import canonical_json
from microtask.escrow import dispute_end, is_open, review_end
from microtask.manifests import ReviewBatch, parse_as
from microtask.web.app import PageDep
from microtask.web.render import PageContext

router = APIRouter(include_in_schema=False)
SHOWN = 200


@lru_cache(maxsize=1024)
def _batch(store: ContentStore, cid: str) -> ReviewBatch | None:
    try:
        return parse_as(ReviewBatch, canonical_json(store.cat_json(cid)))
    except Exception:
        return None


def reason_names(ctx: PageContext) -> dict[str, str]:
    _ = ctx.gettext
    return {
        "incorrect": _("Incorrect"),
        "incomplete": _("Incomplete"),
        "gold_failed": _("Failed the gold items"),
        "off_instructions": _("Did not follow the instructions"),
        "spam": _("Spam"),
        "duplicate": _("Duplicate"),
        "other": _("Other"),
    }


def status_names(ctx: PageContext) -> dict[str, str]:
    _ = ctx.gettext
    return {
        AssignmentStatus.CLAIMED: _("claimed"),
        AssignmentStatus.RELEASED: _("released"),
        AssignmentStatus.LAPSED: _("lapsed"),
        AssignmentStatus.SUBMITTED: _("receipted, in review"),
        AssignmentStatus.REJECTED: _("rejected"),
        AssignmentStatus.DISPUTED: _("disputed"),
        AssignmentStatus.APPROVED: _("approved and paid"),
        AssignmentStatus.CLOSED: _("rejected for good"),
    }


def _slots(ctx: PageContext, worker: str) -> list[dict[str, Any]]:
    with ctx.state.sessions() as session:
        rows = session.execute(
            select(Assignment, Task.token, Task.review_period, Manifest.title)
            .join(Task, Task.task_id == Assignment.task_id)
            .outerjoin(Manifest, Manifest.cid == Task.manifest_cid)
            .where(Assignment.worker == worker)
            .order_by(Assignment.task_id.desc(), Assignment.slot, Assignment.number)
            .limit(SHOWN)
        ).all()
    store = ctx.state.content.get() if any(row[0].rejection_cid for row in rows) else None
    slots = []
    for assignment, token, review_period, title in rows:
        review = None
        if assignment.rejection_cid and store is not None:
            batch = _batch(store, assignment.rejection_cid)
            review = batch.for_slot(assignment.slot) if batch else None
        window_end = dispute_end(assignment.rejected_at or 0, ctx.site.dispute_window)
        slots.append(
            {
                "a": assignment,
                "title": title,
                "token": token,
                "review": review,
                "reasons_missing": assignment.rejection_cid is not None and review is None,
                "disputable": assignment.status is AssignmentStatus.REJECTED
                and is_open(window_end, ctx.now),
                "dispute_until": window_end,
                "pays_after": review_end(assignment.submitted_at or 0, review_period)
                if assignment.status is AssignmentStatus.SUBMITTED
                else None,
            }
        )
    return slots


@router.get("/my-work", response_class=HTMLResponse)
def my_work(ctx: PageDep) -> HTMLResponse:
    _ = ctx.gettext
    worker = ctx.worker
    return ctx.render(
        "work.html",
        page="work",
        title=_("My work"),
        slots=_slots(ctx, worker) if worker else [],
        reasons=reason_names(ctx),
        statuses=status_names(ctx),
    )


@router.get("/my-work/enforcement/{task_id}/{slot}")
def enforcement(
    ctx: PageDep,
    task_id: Annotated[int, PathParam(ge=0, le=2**63 - 1)],
    slot: Annotated[int, PathParam(ge=0, le=2**32 - 1)],
    worker: Annotated[Address, Query()],
) -> dict[str, Any]:
    """What enforcing ``worker``'s receipt for the slot does next, from the chain itself
    (the index may lag a transaction the wallet just sent): ``present``, ``finalize``,
    ``wait`` (until ``payable_after``) or ``none``, and the slot's state."""
    platform = ctx.site.platform
    if platform is None:
        raise unavailable("chain", "these pages serve no chain: enforce with the CLI")
    with ctx.state.sessions() as session:
        known = session.get(Task, task_id)
        if known is None or slot >= known.slot_count:
            raise not_found(f"no slot {slot} of task {task_id} in the index")
    try:
        review_period = platform.task(task_id).review_period
        view = platform.slot(task_id, slot)
        now = platform.now()
    except Exception as error:  # the node is down or behind: say so, never a 500
        raise unavailable("chain", f"the chain did not answer: {type(error).__name__}") from None
    step = enforcement_step(view, worker, review_period, now)
    return {
        "action": step.action,
        "payable_after": step.payable_after,
        "state": view.state.value,
    }
