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

Undecided receipt slots the worker handed in without gas and never presented are still
open on chain, so the index has no assignment for them: the page lists them from this
process's verifier's receipts, and the batch route also returns each one's proof (the
verifier's receipt and signature, the envelope's hash and the worker's envelope
signature, built by the client library's `rejection_proofs` as for ``microtask task
reject``); the script sends ``rejectReceipts`` with those and ``reject`` for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from microtask.api.problems import invalid_field
from microtask.client.errors import NoSubmission, Refused
from microtask.client.requester import MAX_ENVELOPE_BYTES
from microtask.client.reviews import REASON_CODES, proof_json, rejection_batch, rejection_proofs
from microtask.content import ContentStoreUnavailable
from microtask.db.base import AssignmentStatus
from microtask.db.models import Assignment, Task
from microtask.escrow import review_end
from microtask.web.app import PageDep
from microtask.web.pages.operator import forbidden
from microtask.web.pages.work import reason_names
from microtask.web.render import PageContext

router = APIRouter(include_in_schema=False)
SHOWN = 500


@dataclass(frozen=True)
class HandedIn:
    """A slot handed in without gas and never presented: what the page shows of it."""

    slot: int
    worker: str
    result_cid: str


def _verifier(ctx: PageContext, task: Task) -> Any:
    """This process's verifier when it is the task's (None otherwise)."""
    verifier = getattr(ctx.request.app.state, "verifier", None)
    if verifier is None or verifier.address != task.verifier:
        return None
    return verifier


def _unpresented(ctx: PageContext, task: Task) -> dict[int, dict[str, Any]]:
    """The receipts (as the verifier's API gives them) of the task's receipt slots that
    have no assignment in the index: handed in without gas, never presented."""
    verifier = _verifier(ctx, task)
    if verifier is None:
        return {}
    issued = [receipt.as_json() for receipt, _ in verifier.receipts(task.task_id, limit=SHOWN)]
    with ctx.state.sessions() as session:
        known = set(
            session.scalars(
                select(Assignment.slot).where(
                    Assignment.task_id == task.task_id,
                    Assignment.slot.in_([int(r["slot"]) for r in issued]),
                )
            ).all()
        )
    return {int(r["slot"]): r for r in issued if int(r["slot"]) not in known}


def _checks(ctx: PageContext, task: Task) -> dict[int, dict[str, Any]]:
    """The verifier's decision per slot (outcome, reasons, checks with their numbers)."""
    verifier = _verifier(ctx, task)
    if verifier is None:
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
    handed: list[tuple[Any, int]] = [(row, row.submitted_at or 0) for row in rows]
    handed += [
        (HandedIn(slot, str(r["worker"]), str(r["envelope_cid"])), int(r["submitted_at"]))
        for slot, r in _unpresented(ctx, task).items()
    ]
    shown = []
    for entry, submitted_at in sorted(handed, key=lambda pair: int(pair[0].slot)):
        decision = checks.get(entry.slot)
        if decision is not None and decision["outcome"] != "undecided":
            continue  # the verifier decided it: it settles it
        shown.append(
            {
                "a": entry,
                "decision": decision,
                "until": review_end(submitted_at, task.review_period),
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
    found: dict[int, tuple[str, str]] = {
        row.slot: (row.worker, str(row.result_cid)) for row in rows
    }
    receipts = _unpresented(ctx, task) if any(s not in found for s in fields.slots) else {}
    for slot, receipt in receipts.items():
        found.setdefault(slot, (str(receipt["worker"]), str(receipt["envelope_cid"])))
    missing = [slot for slot in fields.slots if slot not in found]
    if missing:
        raise invalid_field("body", "slots", f"slot {missing[0]} has no submission in review")
    try:
        proofs = rejection_proofs(
            fields.slots,
            receipts,
            receipts.keys(),
            lambda cid: ctx.state.content.get().cat(cid, max_bytes=MAX_ENVELOPE_BYTES),
        )
    except ContentStoreUnavailable:
        raise invalid_field("body", "slots", "the content store cannot give an envelope") from None
    try:
        batch = rejection_batch(
            task_id,
            [(slot, found[slot][0]) for slot in fields.slots],
            {slot: found[slot][1] for slot in fields.slots},
            reviewer=task.requester,
            reason=fields.reason,
            detail=fields.detail.strip() or None,
            reviewed_at=ctx.now,
        )
    except (Refused, NoSubmission) as error:
        raise invalid_field("body", "reason", str(error)) from None
    return {
        "batch": batch.model_dump(mode="json"),
        "workers": [found[slot][0] for slot in fields.slots],
        "proofs": [proof_json(proofs[slot]) for slot in fields.slots if slot in proofs],
    }
