"""Assignments: ``ListAssignmentsForHIT``, ``GetAssignment``, ``ApproveAssignment``,
``RejectAssignment``, ``SendBonus``, ``ListBonusPayments``.

The answer is decrypted with the requester's key (the worker sealed it to the requester
and the verifier) and given as MTurk's ``QuestionFormAnswers`` (`views`).

Approving pays the worker at once (the escrow's ``approve``). Rejecting uploads a review
whose feedback is the ``RequesterFeedback`` and rejects on chain; the worker reads it and
may dispute it before the task's arbitrator. As on MTurk, an assignment can be rejected
only until its ``AutoApprovalTime`` (after that the escrow pays it by silence), and a
rejected one approved with ``OverrideRejection`` while the escrow still allows it (the
rejection's dispute window, or a dispute, open); once it is closed for good, never.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import select

from microtask.mturk import ids, paging, views
from microtask.mturk.errors import INVALID_VALUE, MTurkError
from microtask.mturk.gateway import Gateway, epoch, operation
from microtask.mturk.operations.hits import _remembered, remember
from microtask.mturk.state import Bonus, HitType, Review
from microtask.mturk.wire import Params

STATUSES: Final = ("Submitted", "Approved", "Rejected")
INVALID_STATE: Final = "AWS.MechanicalTurk.InvalidAssignmentState"
MAX_FEEDBACK: Final = 1024


@operation("ListAssignmentsForHIT")
def list_assignments(gateway: Gateway, params: Params) -> dict[str, Any]:
    task_id = ids.task_of_hit(params.required_entity("HITId"))
    wanted = params.items("AssignmentStatuses", max_items=3) or list(STATUSES)
    if any(status not in STATUSES for status in wanted):
        raise MTurkError("AssignmentStatuses are Submitted, Approved or Rejected", INVALID_VALUE)
    size, last = paging.page_size(params), paging.after(params)
    with gateway.session() as session:
        gateway.hit(session, task_id, deleted=True)
    chosen = [
        view
        for view in views.assignments(gateway, task_id)
        if view.status in wanted and (last is None or view.work.slot > int(last))
    ][:size]
    found = [view.as_mturk(gateway) for view in chosen]
    return paging.answer(params, "Assignments", found, chosen[-1].work.slot if chosen else None)


@operation("GetAssignment")
def get_assignment(gateway: Gateway, params: Params) -> dict[str, Any]:
    view = views.assignment(gateway, params.required_entity("AssignmentId"))
    with gateway.session() as session:
        hit = gateway.hit(session, view.task_id, deleted=True)
        hit_type = session.get(HitType, hit.hit_type_id)
    assert hit_type is not None
    return {
        "Assignment": view.as_mturk(gateway),
        "HIT": views.hit_view(gateway, hit, hit_type, view.task),
    }


def _feedback(params: Params, *, required: bool) -> str | None:
    return params.text("RequesterFeedback", required=required, max_length=MAX_FEEDBACK)


def _record(
    gateway: Gateway,
    view: views.AssignmentView,
    action: str,
    feedback: str | None,
    *,
    automatic: bool = False,
) -> None:
    with gateway.session() as session:
        session.merge(
            Review(
                task_id=view.task_id,
                slot=view.work.slot,
                worker=view.work.worker,
                action=action,
                feedback=feedback,
                at=gateway.now(),
                automatic=automatic,
            )
        )


def approve(
    gateway: Gateway, view: views.AssignmentView, feedback: str | None, *, automatic: bool = False
) -> None:
    """Pay the assignment's worker now (the escrow's ``approve``)."""
    gateway.requester.approve(view.task_id, [(view.work.slot, view.work.worker)])
    _record(gateway, view, "approved", feedback, automatic=automatic)


@operation("ApproveAssignment")
def approve_assignment(gateway: Gateway, params: Params) -> dict[str, Any]:
    assignment_id = params.required_entity("AssignmentId")
    feedback = _feedback(params, required=False)
    override = params.flag("OverrideRejection")
    with gateway.writing():
        view = views.assignment(gateway, assignment_id)
        if view.status == "Approved":
            return {}  # approving twice changes nothing, as on MTurk
        if view.status == "Rejected":
            state = gateway.platform.slot(view.task_id, view.work.slot).state.name.lower()
            if not override:
                raise MTurkError(
                    f"This operation can be called with a status of: Submitted "
                    f"(assignment {assignment_id} is Rejected; pass OverrideRejection)",
                    INVALID_STATE,
                )
            if state == "closed":
                raise MTurkError(
                    f"Assignment {assignment_id}'s rejection is final on the escrow (its "
                    "dispute window closed): it can no longer be approved",
                    INVALID_STATE,
                )
        approve(gateway, view, feedback)
    return {}


@operation("RejectAssignment")
def reject_assignment(gateway: Gateway, params: Params) -> dict[str, Any]:
    assignment_id = params.required_entity("AssignmentId")
    feedback = _feedback(params, required=True)
    assert feedback is not None
    with gateway.writing():
        view = views.assignment(gateway, assignment_id)
        if view.status == "Rejected":
            return {}
        if view.status != "Submitted":
            raise MTurkError(
                f"This operation can be called with a status of: Submitted (assignment "
                f"{assignment_id} is {view.status})",
                INVALID_STATE,
            )
        if gateway.now() > view.auto_approval_time:
            raise MTurkError(
                f"Assignment {assignment_id} was approved automatically at "
                f"{view.auto_approval_time} (its AutoApprovalTime); it cannot be rejected",
                INVALID_STATE,
            )
        gateway.requester.reject(
            view.task_id,
            [(view.work.slot, view.work.worker)],
            "other",
            detail="rejected through the MTurk endpoint",
            feedback=feedback,
        )
        _record(gateway, view, "rejected", feedback)
    return {}


@operation("SendBonus")
def send_bonus(gateway: Gateway, params: Params) -> dict[str, Any]:
    worker = ids.address_of_worker(params.required_text("WorkerId"))
    assignment_id = params.required_entity("AssignmentId")
    amount_text = params.required_text("BonusAmount")
    reason = params.required_text("Reason", max_length=4096)
    units = gateway.units(amount_text, "BonusAmount")
    if units <= 0:
        raise MTurkError("BonusAmount must be at least 0.01", INVALID_VALUE)
    with gateway.writing():
        token = _remembered(gateway, params, "SendBonus")
        view = views.assignment(gateway, assignment_id)
        if view.work.worker != worker:
            raise MTurkError(
                f"Assignment {assignment_id} is not worker {ids.worker_id(worker)}'s", INVALID_VALUE
            )
        paid = gateway.requester.bonus(view.task_id, worker, units)
        with gateway.session() as session:
            session.add(
                Bonus(
                    task_id=view.task_id,
                    slot=view.work.slot,
                    worker=worker,
                    amount=str(units),
                    reason=reason,
                    granted_at=gateway.now(),
                    tx_hash=paid.transaction.hash,
                )
            )
        remember(
            gateway,
            "SendBonus",
            token,
            f"a bonus of {amount_text} was paid for {assignment_id}",
            "AWS.MechanicalTurk.BonusAlreadyPaid",
        )
    return {}


@operation("ListBonusPayments")
def list_bonus_payments(gateway: Gateway, params: Params) -> dict[str, Any]:
    hit_text = params.entity("HITId", required=False)
    assignment_text = params.entity("AssignmentId", required=False)
    if (hit_text is None) == (assignment_text is None):
        raise MTurkError("ListBonusPayments takes either HITId or AssignmentId", INVALID_VALUE)
    size, last = paging.page_size(params), paging.after(params)
    query = select(Bonus)
    if hit_text is not None:
        query = query.where(Bonus.task_id == ids.task_of_hit(hit_text))
    else:
        assert assignment_text is not None
        task_id, slot = ids.slot_of_assignment(assignment_text)
        query = query.where(Bonus.task_id == task_id, Bonus.slot == slot)
    if last is not None:
        query = query.where(Bonus.id > int(last))
    with gateway.session() as session:
        rows = list(session.scalars(query.order_by(Bonus.id).limit(size)))
    found = [
        {
            "WorkerId": ids.worker_id(row.worker),
            "BonusAmount": gateway.dollars(int(row.amount)),
            "AssignmentId": ids.assignment_id(row.task_id, row.slot),
            "Reason": row.reason,
            "GrantTime": row.granted_at,
        }
        for row in rows
    ]
    return paging.answer(params, "BonusPayments", found, rows[-1].id if rows else None)


__all__ = ["approve", "epoch"]
