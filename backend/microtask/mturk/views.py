"""A HIT and its assignments as MTurk shows them, computed from where microtask keeps them.

An **assignment** is a slot holding a worker's submission: a receipt the task's verifier
signed (the gasless path: ``AcceptTime`` is when the slot was reserved, ``SubmitTime`` the
receipt's time), or a submission on chain (a slot added by
``CreateAdditionalAssignmentsForHIT`` is claimed on chain). Its status is the slot's state
on chain, read from the escrow itself, so an approval is visible the moment its
transaction is mined:

| slot on chain | ``AssignmentStatus`` |
| --- | --- |
| open (a receipt not presented), submitted | ``Submitted`` |
| approved (by review, by silence, by arbitration) | ``Approved`` |
| rejected, disputed, closed | ``Rejected`` (a dispute the worker wins turns it ``Approved``) |

``AutoApprovalTime`` is the submission time plus the task's review period: after it the
worker is paid by silence (the escrow enforces it) and the gateway approves it itself.

A **HIT** is ``Assignable`` while it takes work and has slots nobody holds,
``Unassignable`` while every free slot is held, ``Reviewable`` once every slot is in or it
expired (``Reviewing`` if the requester said so), ``Disposed`` once deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from microtask.client.errors import ApiRefused
from microtask.escrow import SlotState, Task, review_end
from microtask.manifests.answers import FormAnswer
from microtask.mturk import ids
from microtask.mturk.errors import MTurkError
from microtask.mturk.gateway import Gateway
from microtask.mturk.state import Hit, HitType, Review

ANSWERS_NS = (
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/"
    "QuestionFormAnswers.xsd"
)
STATUS_OF = {
    SlotState.OPEN: "Submitted",
    SlotState.SUBMITTED: "Submitted",
    SlotState.APPROVED: "Approved",
    SlotState.REJECTED: "Rejected",
    SlotState.DISPUTED: "Rejected",
    SlotState.CLOSED: "Rejected",
}


@dataclass(frozen=True)
class Work:
    """A slot's submission, wherever it came from."""

    slot: int
    worker: str
    envelope_cid: str
    accepted_at: int
    submitted_at: int
    settled_at: int | None = None
    """When the index saw it approved or rejected (settlements made elsewhere)."""


@dataclass(frozen=True)
class AssignmentView:
    task_id: int
    work: Work
    status: str
    task: Task
    review: Review | None

    @property
    def auto_approval_time(self) -> int:
        return review_end(self.work.submitted_at, self.task.review_period)

    def as_mturk(self, gateway: Gateway, *, with_answer: bool = True) -> dict[str, Any]:
        work = self.work
        found: dict[str, Any] = {
            "AssignmentId": ids.assignment_id(self.task_id, work.slot),
            "WorkerId": ids.worker_id(work.worker),
            "HITId": ids.hit_id(self.task_id),
            "AssignmentStatus": self.status,
            "AcceptTime": work.accepted_at,
            "SubmitTime": work.submitted_at,
            "AutoApprovalTime": self.auto_approval_time,
            "Deadline": work.accepted_at + self.task.lease,
        }
        settled = self.review.at if self.review is not None else work.settled_at
        if self.status == "Approved" and settled is not None:
            found["ApprovalTime"] = settled
        if self.status == "Rejected" and settled is not None:
            found["RejectionTime"] = settled
        if self.review is not None and self.review.feedback:
            found["RequesterFeedback"] = self.review.feedback
        if with_answer:
            answers = gateway.answers(self.task_id, work.slot, work.worker, work.envelope_cid)
            found["Answer"] = question_form_answers(
                [a.answer for a in answers.answers if isinstance(a.answer, FormAnswer)]
            )
        return found


def question_form_answers(answers: list[FormAnswer]) -> str:
    """MTurk's ``QuestionFormAnswers`` XML of a form's fields: each field an ``Answer``
    with its ``QuestionIdentifier`` and its ``FreeText`` (a name given more than once, as
    check boxes sharing a name, joins its values with ``|``) or its
    ``SelectionIdentifier``s."""
    merged: dict[str, list[str]] = {}
    chosen: dict[str, list[str]] = {}
    for answer in answers:
        for field in answer.fields:
            if field.selections is not None:
                chosen.setdefault(field.name, []).extend(field.selections)
            else:
                merged.setdefault(field.name, []).append(field.text or "")
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="no"?>']
    parts.append(f'<QuestionFormAnswers xmlns="{ANSWERS_NS}">')
    for name in dict.fromkeys([*merged, *chosen]):
        parts.append(f"<Answer><QuestionIdentifier>{escape(name)}</QuestionIdentifier>")
        for selection in chosen.get(name, []):
            parts.append(f"<SelectionIdentifier>{escape(selection)}</SelectionIdentifier>")
        if name in merged:
            parts.append(f"<FreeText>{escape('|'.join(merged[name]))}</FreeText>")
        parts.append("</Answer>")
    parts.append("</QuestionFormAnswers>")
    return "".join(parts)


# ----------------------------------------------------------------------------- assignments


def submitted_work(gateway: Gateway, task_id: int) -> list[Work]:
    """Every slot of the task holding a submission: receipts, then what the index has of
    submissions on chain (and when it saw a slot settled), by slot."""
    platform = gateway.platform
    found: dict[int, Work] = {}
    for row in gateway.requester.receipts(task_id):
        found[row.slot] = Work(
            row.slot, row.worker, row.envelope_cid, row.reserved_at, row.submitted_at
        )
    settled: dict[int, int] = {}
    cursor: str | None = None
    while True:
        try:
            page = platform.api.get(
                f"/tasks/{task_id}/assignments", {"limit": 100, "cursor": cursor}
            )
        except ApiRefused as refused:
            if refused.status == 404:  # not indexed yet
                break
            raise
        for row in page["data"]:
            ended = row.get("ended_at") or row.get("rejected_at")
            if ended is not None:
                settled[row["slot"]] = int(ended)
            if row.get("source") == "claim" and row.get("result_cid"):
                found[row["slot"]] = Work(
                    row["slot"],
                    row["worker"],
                    row["result_cid"],
                    int(row.get("claimed_at") or row["submitted_at"]),
                    int(row["submitted_at"]),
                )
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return [
        Work(w.slot, w.worker, w.envelope_cid, w.accepted_at, w.submitted_at, settled.get(w.slot))
        for _, w in sorted(found.items())
    ]


def assignments(gateway: Gateway, task_id: int, task: Task | None = None) -> list[AssignmentView]:
    """The HIT's assignments (see the module's note), by slot."""
    task = task or gateway.platform.task(task_id)
    with gateway.session() as session:
        reviews = {r.slot: r for r in session.query(Review).filter(Review.task_id == task_id)}
    views = []
    for work in submitted_work(gateway, task_id):
        state = gateway.platform.slot(task_id, work.slot).state
        status = STATUS_OF.get(state)
        if status is None:
            continue  # claimed anew after a lapse: not handed in
        review = reviews.get(work.slot)
        if review is not None and review.worker != work.worker:
            review = None
        views.append(AssignmentView(task_id, work, status, task, review))
    return views


def assignment(gateway: Gateway, assignment_id: str) -> AssignmentView:
    """One assignment of a HIT the gateway made, by its id."""
    task_id, slot = ids.slot_of_assignment(assignment_id)
    with gateway.session() as session:
        gateway.hit(session, task_id, deleted=True)
    for view in assignments(gateway, task_id):
        if view.work.slot == slot:
            return view
    raise MTurkError(
        f"Assignment {assignment_id} does not exist (nothing was handed in for it).",
        "AWS.MechanicalTurk.AssignmentDoesNotExist",
    )


# ----------------------------------------------------------------------------- HITs


@dataclass(frozen=True)
class Counts:
    submitted: int = 0
    pending: int = 0
    completed: int = 0


def counts(gateway: Gateway, task_id: int) -> Counts:
    """Assignments handed in, held now, and approved or rejected (from the verifier and the
    index; a task not indexed yet has none)."""
    platform = gateway.platform
    try:
        verification = platform.verification(task_id)
        detail = platform.task_details(task_id)
    except ApiRefused as refused:
        if refused.status in (404, 409):
            return Counts()
        raise
    states: dict[str, int] = detail.document().get("slot_states", {})
    completed = sum(states.get(name, 0) for name in ("approved", "rejected", "disputed", "closed"))
    return Counts(
        submitted=verification.receipted + verification.submitted_on_chain,
        pending=verification.reserved + states.get("claimed", 0),
        completed=completed,
    )


def expiration(hit: Hit, task: Task) -> int:
    """When the HIT stops taking work: the task's deadline, or earlier if the requester
    expired it through the gateway."""
    return task.deadline if hit.expires_at is None else min(task.deadline, hit.expires_at)


def hit_status(hit: Hit, task: Task, found: Counts, now: int) -> str:
    if hit.deleted_at is not None:
        return "Disposed"
    taking = not task.cancelled and now <= expiration(hit, task)
    if not taking or found.submitted >= task.slot_count:
        return "Reviewing" if hit.reviewing else "Reviewable"
    if task.slot_count - found.submitted - found.pending > 0:
        return "Assignable"
    return "Unassignable"


def hit_view(
    gateway: Gateway, hit: Hit, hit_type: HitType, task: Task | None = None
) -> dict[str, Any]:
    """The HIT structure MTurk answers with."""
    task = task or gateway.platform.task(hit.task_id)
    found = counts(gateway, hit.task_id)
    now = gateway.now()
    status = hit_status(hit, task, found, now)
    available = (
        max(0, task.slot_count - found.submitted - found.pending)
        if status in ("Assignable", "Unassignable")
        else 0
    )
    properties = hit_type.properties
    schema = gateway.manifest(hit.task_id).manifest.answer_schema
    view: dict[str, Any] = {
        "HITId": ids.hit_id(hit.task_id),
        "HITTypeId": hit.hit_type_id,
        "HITGroupId": hit.hit_type_id,
        "CreationTime": hit.created_at,
        "Title": properties["Title"],
        "Description": properties["Description"],
        "Question": getattr(schema, "question", ""),
        "HITStatus": status,
        "MaxAssignments": task.slot_count,
        "Reward": properties["Reward"],
        "AutoApprovalDelayInSeconds": properties["AutoApprovalDelayInSeconds"],
        "Expiration": expiration(hit, task),
        "AssignmentDurationInSeconds": properties["AssignmentDurationInSeconds"],
        "QualificationRequirements": properties["QualificationRequirements"],
        "HITReviewStatus": "NotReviewed",
        "NumberOfAssignmentsPending": found.pending if status != "Disposed" else 0,
        "NumberOfAssignmentsAvailable": available,
        "NumberOfAssignmentsCompleted": found.completed,
    }
    if properties.get("Keywords"):
        view["Keywords"] = properties["Keywords"]
    if hit.annotation is not None:
        view["RequesterAnnotation"] = hit.annotation
    return view
