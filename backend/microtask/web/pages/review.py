"""``/my-tasks/{task_id}/review``: the requester reviews the slots handed in on chain and
still in their review period (every such slot of a task without a verifier; for a task
with one, those it left to the requester), beside the verifier's checks with their
numbers when this process runs the task's verifier. The script opens each submission in
the browser with the requester's derived key, and beside it the crowd's aggregate from
the published result set when there is one.

Approving is the wallet's ``approve``. Rejecting cites a review batch: the page asks
``POST /my-tasks/{task_id}/review/batch`` to build it with the client library's
`rejection_batch` (reason code, words, the submission each review concerns), the script
uploads that JSON and the wallet sends ``reject`` with its CID; each worker reads why on
their My work page and may dispute.

Undecided receipt slots the worker has not presented need the verifier's receipt and the
worker's envelope signature as proofs: ``microtask task reject`` gathers those.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from microtask.api.problems import invalid_field
from microtask.client.errors import NoSubmission, Refused
from microtask.client.reviews import REASON_CODES, rejection_batch
from microtask.db.base import AssignmentStatus
from microtask.db.models import Assignment, Task
from microtask.escrow import review_end
from microtask.web.app import PageDep
from microtask.web.pages.operator import forbidden
from microtask.web.pages.work import reason_names
from microtask.web.render import PageContext

router = APIRouter(include_in_schema=False)
SHOWN = 500


def _checks(ctx: PageContext, task: Task) -> dict[int, dict[str, Any]]:
    """The verifier's decision per slot (outcome, reasons, checks with their numbers)."""
    verifier = getattr(ctx.request.app.state, "verifier", None)
    if verifier is None or verifier.address != task.verifier:
        return {}
    try:
        status = verifier.task_status(task.task_id)
    except Exception:
        return {}
    return {int(d["slot"]): d for d in status["decisions"]}


def _reviewable(ctx: PageContext, task: Task) -> list[dict[str, Any]]:
    with ctx.state.sessions() as session:
        rows = session.scalars(
            select(Assignment)
            .where(
                Assignment.task_id == task.task_id,
                Assignment.status == AssignmentStatus.SUBMITTED,
                Assignment.result_cid.is_not(None),
            )
            .order_by(Assignment.slot)
            .limit(SHOWN)
        ).all()
    checks = _checks(ctx, task)
    shown = []
    for assignment in rows:
        decision = checks.get(assignment.slot)
        if decision is not None and decision["outcome"] != "undecided":
            continue  # the verifier decided it: it settles it
        shown.append(
            {
                "a": assignment,
                "decision": decision,
                "until": review_end(assignment.submitted_at or 0, task.review_period),
            }
        )
    return shown


def _own_task(ctx: PageContext, task_id: int) -> Task | None:
    with ctx.state.sessions() as session:
        task = session.get(Task, task_id)
    if task is None or ctx.worker is None or task.requester != ctx.worker:
        return None
    return task


@router.get("/my-tasks/{task_id}/review", response_class=HTMLResponse)
def review(ctx: PageDep, task_id: Annotated[int, PathParam(ge=0, le=2**63 - 1)]) -> HTMLResponse:
    _ = ctx.gettext
    title = _("Review task %(task)s", task=task_id)
    task = _own_task(ctx, task_id)
    if task is None:
        return forbidden(
            ctx, "review", title, _("Only the task's requester reviews it: connect that wallet.")
        )
    slots = _reviewable(ctx, task)
    return ctx.render(
        "review.html",
        page="review",
        title=title,
        task=task,
        slots=slots,
        reasons=reason_names(ctx),
        reason_codes=REASON_CODES,
        data={
            "taskId": task_id,
            "escrowErrors": ctx.site.escrow_errors,
            "envelopes": {str(s["a"].slot): s["a"].result_cid for s in slots},
            "workers": {str(s["a"].slot): s["a"].worker for s in slots},
        },
    )


class RejectionFields(BaseModel):
    slots: list[int] = Field(min_length=1, max_length=SHOWN)
    reason: str
    detail: str = Field(default="", max_length=2_000)


@router.post("/my-tasks/{task_id}/review/batch")
def review_batch(
    ctx: PageDep,
    task_id: Annotated[int, PathParam(ge=0, le=2**63 - 1)],
    fields: Annotated[RejectionFields, Body()],
) -> dict[str, Any]:
    """The review batch a rejection of ``fields.slots`` cites (the client library builds
    it, as for ``microtask task reject``); the script uploads it and the wallet sends it."""
    task = _own_task(ctx, task_id)
    if task is None:
        raise invalid_field("path", "task_id", f"task {task_id} is not the connected wallet's")
    with ctx.state.sessions() as session:
        rows = session.scalars(
            select(Assignment).where(
                Assignment.task_id == task_id,
                Assignment.slot.in_(fields.slots),
                Assignment.status == AssignmentStatus.SUBMITTED,
            )
        ).all()
    found = {row.slot: row for row in rows}
    missing = [slot for slot in fields.slots if slot not in found]
    if missing:
        raise invalid_field("body", "slots", f"slot {missing[0]} has no submission in review")
    try:
        batch = rejection_batch(
            task_id,
            [(slot, found[slot].worker) for slot in fields.slots],
            {slot: str(found[slot].result_cid) for slot in fields.slots},
            reviewer=task.requester,
            reason=fields.reason,
            detail=fields.detail.strip() or None,
            reviewed_at=ctx.now,
        )
    except (Refused, NoSubmission) as error:
        raise invalid_field("body", "reason", str(error)) from None
    return {
        "batch": batch.model_dump(mode="json"),
        "workers": [found[slot].worker for slot in fields.slots],
    }
