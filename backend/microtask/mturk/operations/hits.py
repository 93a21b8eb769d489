"""HITs: ``CreateHITType``, ``CreateHIT``, ``CreateHITWithHITType``, ``GetHIT``, ``ListHITs``,
``ListHITsForQualificationType``,
``ListReviewableHITs``, ``UpdateExpirationForHIT``, ``DeleteHIT``,
``CreateAdditionalAssignmentsForHIT``, ``UpdateHITReviewStatus``.

A HIT is a task on the escrow, made by the requester's `Requester.draft_task` and
`Requester.create_task`:

| MTurk | the task |
| --- | --- |
| ``MaxAssignments`` | its slots, every one handed out through the platform's verifier without gas |
| ``Reward`` (dollars) | its reward in the stablecoin's units (`Gateway.units`) |
| ``LifetimeInSeconds`` | its deadline |
| ``AssignmentDurationInSeconds`` | its lease |
| ``AutoApprovalDelayInSeconds`` | its review period (0 is one second: the escrow needs one) |
| ``Title``, ``Description``, ``Question`` | the manifest's title, instructions, `form` schema |
| ``Keywords`` | the manifest's tags (lower case, hyphens) |
| ``QualificationRequirements`` | `requirements` |

``CreateAdditionalAssignmentsForHIT`` adds slots with the escrow's ``addSlots``, which adds
slots claimed on chain (the worker pays gas for those). ``UpdateExpirationForHIT`` moves
the deadline later on chain, or closes the HIT to new workers now or at an earlier time
(the gateway's own expiry, enforced through the HIT's policy). ``DeleteHIT`` cancels the
task, which refunds every slot nobody holds.
"""

from __future__ import annotations

import re
from typing import Any, Final

from sqlalchemy import select

from microtask.client import TaskTerms
from microtask.encoding import canonical_json
from microtask.manifests.limits import MAX_REDUNDANCY, MAX_TAGS, MAX_TIME_ESTIMATE_SECONDS
from microtask.mturk import ids, paging, requirements, views
from microtask.mturk.errors import INVALID_VALUE, MTurkError, unsupported
from microtask.mturk.gateway import Gateway, epoch, operation
from microtask.mturk.state import Hit, HitType, QualificationType, RequestToken
from microtask.mturk.wire import Params

DAY: Final = 86_400
DEFAULT_AUTO_APPROVAL: Final = 30 * DAY
TOKEN_LIFETIME: Final = DAY
ITEM_ID: Final = "hit"
_SLUG = re.compile(r"[^a-z0-9]+")


# ----------------------------------------------------------------------------- HIT types


def hit_type_properties(gateway: Gateway, params: Params) -> dict[str, Any]:
    """A HIT type's properties from a request, checked, in MTurk's names."""
    params.refuse("HITLayoutId", "HITLayoutParameters", why="use a Question document")
    params.refuse(
        "AssignmentReviewPolicy",
        "HITReviewPolicy",
        why="MTurk's review policies do not exist here (the requester reviews, or "
        "auto-approval does)",
    )
    reward = params.required_text("Reward")
    gateway.units(reward, "Reward")  # checked now, converted when the HIT is made
    properties: dict[str, Any] = {
        "Title": params.required_text("Title", max_length=128),
        "Description": params.required_text("Description", max_length=2000),
        "Keywords": params.text("Keywords", max_length=1000) or "",
        "Reward": reward,
        "AssignmentDurationInSeconds": params.required_integer(
            "AssignmentDurationInSeconds", minimum=30, maximum=365 * DAY
        ),
        "AutoApprovalDelayInSeconds": params.integer(
            "AutoApprovalDelayInSeconds", minimum=0, maximum=30 * DAY, default=DEFAULT_AUTO_APPROVAL
        ),
        "QualificationRequirements": requirements.normalize(
            params.items("QualificationRequirements")
        ),
    }
    if not properties["Title"].strip() or not properties["Description"].strip():
        raise MTurkError("Title and Description must not be blank", INVALID_VALUE)
    honoured(gateway, properties)  # refuse what cannot be honoured before anything is made
    return properties


def honoured(gateway: Gateway, properties: dict[str, Any]) -> requirements.Honoured:
    with gateway.session() as session:
        own = {
            row.type_id: row.name
            for row in session.scalars(
                select(QualificationType).where(
                    QualificationType.deleted_at.is_(None), QualificationType.status == "Active"
                )
            )
        }
    return requirements.honour(properties["QualificationRequirements"], own)


def register_hit_type(gateway: Gateway, properties: dict[str, Any]) -> str:
    """The HIT type with these properties: the same properties give the same id."""
    canonical = canonical_json({"requester": gateway.address, **properties})
    type_id = ids.hit_type_id(canonical)
    with gateway.session() as session:
        if session.get(HitType, type_id) is None:
            session.add(HitType(hit_type_id=type_id, properties=properties, created_at=epoch()))
    return type_id


@operation("CreateHITType")
def create_hit_type(gateway: Gateway, params: Params) -> dict[str, Any]:
    return {"HITTypeId": register_hit_type(gateway, hit_type_properties(gateway, params))}


# ----------------------------------------------------------------------------- making HITs


def tags(keywords: str) -> list[str]:
    """The manifest's tags from MTurk's comma-separated keywords."""
    found: list[str] = []
    for keyword in keywords.split(","):
        slug = _SLUG.sub("-", keyword.strip().lower()).strip("-")[:32].strip("-")
        if slug and slug not in found:
            found.append(slug)
    return found[:MAX_TAGS]


def _remembered(gateway: Gateway, params: Params, operation_name: str) -> str | None:
    token = params.text("UniqueRequestToken", max_length=64)
    if token is None:
        return None
    with gateway.session() as session:
        row = session.get(RequestToken, (operation_name, token))
        if row is not None and epoch() - row.created_at < TOKEN_LIFETIME:
            raise MTurkError(
                f"The request with UniqueRequestToken {token} was done already: "
                f"{row.result['summary']}",
                row.result["code"],
            )
    return token


def remember(
    gateway: Gateway, operation_name: str, token: str | None, summary: str, code: str
) -> None:
    if token is None:
        return
    with gateway.session() as session:
        session.merge(
            RequestToken(
                operation=operation_name,
                token=token,
                result={"summary": summary, "code": code},
                created_at=epoch(),
            )
        )


def make_hit(gateway: Gateway, params: Params, hit_type_id: str) -> dict[str, Any]:
    with gateway.session() as session:
        hit_type = session.get(HitType, hit_type_id)
        if hit_type is None:
            raise MTurkError(
                f"HITType {hit_type_id} does not exist", "AWS.MechanicalTurk.HITTypeDoesNotExist"
            )
        properties = dict(hit_type.properties)
    question = params.text("Question", max_length=131_072)
    if question is None:
        raise MTurkError(f"{params.operation}: the parameter Question is required", INVALID_VALUE)
    slots = params.integer("MaxAssignments", minimum=1, maximum=1_000_000, default=1)
    lifetime = params.required_integer("LifetimeInSeconds", minimum=30, maximum=365 * DAY)
    annotation = params.text("RequesterAnnotation", max_length=255)
    assert slots is not None
    with gateway.writing():
        token = _remembered(gateway, params, "CreateHIT")
        honour = honoured(gateway, properties)  # types may have changed since
        manifest = {
            "type": "microtask/task-manifest",
            "title": properties["Title"],
            "instructions": properties["Description"],
            "kind": "form",
            "answer_schema": {"kind": "form", "question": question},
            "inputs": {"source": "inline", "items": [{"id": ITEM_ID}]},
            "redundancy": min(slots, MAX_REDUNDANCY),
            "tags": tags(properties["Keywords"]),
            "time_estimate_seconds": min(
                properties["AssignmentDurationInSeconds"], MAX_TIME_ESTIMATE_SECONDS
            ),
            "requester_qualifications": honour.manifest,
            "waits_for_policy": True,
        }
        terms = TaskTerms(
            reward=gateway.units(properties["Reward"], "Reward"),
            token=gateway.token,
            slots=slots,
            deadline_in=lifetime,
            review_period=max(1, properties["AutoApprovalDelayInSeconds"]),
            lease=properties["AssignmentDurationInSeconds"],
            gasless=True,
            min_approved=honour.min_approved,
            min_approval_bps=honour.min_approval_bps,
        )
        if terms.reward <= 0:
            raise MTurkError("Reward must be at least 0.01", INVALID_VALUE)
        draft = gateway.requester.draft_task(manifest, terms)
        task_id = gateway.requester.create_task(draft).task_id
        with gateway.session() as session:
            session.add(
                Hit(
                    task_id=task_id,
                    hit_type_id=hit_type_id,
                    annotation=annotation,
                    created_at=epoch(),
                )
            )
        remember(
            gateway,
            "CreateHIT",
            token,
            f"the HIT with ID {ids.hit_id(task_id)} exists",
            "AWS.MechanicalTurk.HitAlreadyExists",
        )
        gateway.policies.push(task_id)  # the HIT opens once the verifier has its policy
    return {"HIT": get_view(gateway, task_id)}


@operation("CreateHIT")
def create_hit(gateway: Gateway, params: Params) -> dict[str, Any]:
    properties = hit_type_properties(gateway, params)
    return make_hit(gateway, params, register_hit_type(gateway, properties))


@operation("CreateHITWithHITType")
def create_hit_with_hit_type(gateway: Gateway, params: Params) -> dict[str, Any]:
    params.refuse("HITLayoutId", "HITLayoutParameters", why="use a Question document")
    params.refuse(
        "AssignmentReviewPolicy", "HITReviewPolicy", why="review policies do not exist here"
    )
    return make_hit(gateway, params, params.required_entity("HITTypeId"))


# ----------------------------------------------------------------------------- reading HITs


def get_view(gateway: Gateway, task_id: int, *, deleted: bool = False) -> dict[str, Any]:
    with gateway.session() as session:
        hit = gateway.hit(session, task_id, deleted=deleted)
        hit_type = session.get(HitType, hit.hit_type_id)
    assert hit_type is not None
    return views.hit_view(gateway, hit, hit_type)


@operation("GetHIT")
def get_hit(gateway: Gateway, params: Params) -> dict[str, Any]:
    task_id = ids.task_of_hit(params.required_entity("HITId"))
    return {"HIT": get_view(gateway, task_id, deleted=True)}


def _hits(gateway: Gateway, params: Params, hit_type_id: str | None = None) -> list[Hit]:
    """The gateway's HITs after the page token's, in the order they were made."""
    last = paging.after(params)
    with gateway.session() as session:
        query = select(Hit).where(Hit.deleted_at.is_(None))
        if hit_type_id is not None:
            query = query.where(Hit.hit_type_id == hit_type_id)
        if last is not None:
            query = query.where(Hit.task_id > int(last))
        return list(session.scalars(query.order_by(Hit.task_id)))


def _hit_page(
    gateway: Gateway, params: Params, hits: list[Hit], keep: Any = None
) -> dict[str, Any]:
    size = paging.page_size(params)
    found: list[dict[str, Any]] = []
    last = None
    with gateway.session() as session:
        types = {row.hit_type_id: row for row in session.scalars(select(HitType))}
    for hit in hits:
        view = views.hit_view(gateway, hit, types[hit.hit_type_id])
        last = hit.task_id
        if keep is None or keep(view):
            found.append(view)
        if len(found) == size:
            break
    return paging.answer(params, "HITs", found, last)


@operation("ListHITs")
def list_hits(gateway: Gateway, params: Params) -> dict[str, Any]:
    return _hit_page(gateway, params, _hits(gateway, params))


@operation("ListReviewableHITs")
def list_reviewable_hits(gateway: Gateway, params: Params) -> dict[str, Any]:
    wanted = params.choice("Status", ("Reviewable", "Reviewing"), default="Reviewable")
    hits = _hits(gateway, params, params.entity("HITTypeId", required=False))
    return _hit_page(gateway, params, hits, keep=lambda view: view["HITStatus"] == wanted)


# ----------------------------------------------------------------------------- changing HITs


@operation("UpdateExpirationForHIT")
def update_expiration(gateway: Gateway, params: Params) -> dict[str, Any]:
    task_id = ids.task_of_hit(params.required_entity("HITId"))
    expire_at = int(params.timestamp("ExpireAt"))
    with gateway.writing():
        with gateway.session() as session:
            gateway.hit(session, task_id)
        task = gateway.platform.task(task_id)
        if task.cancelled:
            raise MTurkError(
                f"HIT {ids.hit_id(task_id)} is cancelled", "AWS.MechanicalTurk.InvalidHITState"
            )
        if expire_at > task.deadline:
            gateway.requester.extend(task_id, expire_at - task.deadline)
        with gateway.session() as session:
            hit = gateway.hit(session, task_id)
            hit.expires_at = expire_at if expire_at < task.deadline else None
        gateway.policies.push(task_id)
    return {}


@operation("DeleteHIT")
def delete_hit(gateway: Gateway, params: Params) -> dict[str, Any]:
    """MTurk deletes only a HIT that is reviewable with every assignment reviewed; here a
    deleted HIT's task is cancelled, refunding every slot nobody holds."""
    task_id = ids.task_of_hit(params.required_entity("HITId"))
    with gateway.writing():
        with gateway.session() as session:
            hit = gateway.hit(session, task_id, deleted=True)
            if hit.deleted_at is not None:
                return {}
            hit_type = session.get(HitType, hit.hit_type_id)
        assert hit_type is not None
        task = gateway.platform.task(task_id)
        status = views.hit_status(hit, task, views.counts(gateway, task_id), gateway.now())
        if status not in ("Reviewable", "Reviewing"):
            raise MTurkError(
                f"This HIT is currently in the state '{status}'. This operation can be called "
                "with a status of: Reviewing, Reviewable",
                "AWS.MechanicalTurk.InvalidHITState",
            )
        pending = [v for v in views.assignments(gateway, task_id, task) if v.status == "Submitted"]
        if pending:
            raise MTurkError(
                f"HIT {ids.hit_id(task_id)} has {len(pending)} submitted assignments not yet "
                "approved or rejected",
                "AWS.MechanicalTurk.InvalidHITState",
            )
        if not task.cancelled:
            gateway.requester.cancel(task_id)
        with gateway.session() as session:
            gateway.hit(session, task_id, deleted=True).deleted_at = epoch()
    return {}


@operation("CreateAdditionalAssignmentsForHIT")
def add_assignments(gateway: Gateway, params: Params) -> dict[str, Any]:
    task_id = ids.task_of_hit(params.required_entity("HITId"))
    count = params.required_integer("NumberOfAdditionalAssignments", minimum=1, maximum=1_000_000)
    with gateway.writing():
        with gateway.session() as session:
            gateway.hit(session, task_id)
        token = _remembered(gateway, params, "CreateAdditionalAssignmentsForHIT")
        gateway.requester.add_slots(task_id, count)
        remember(
            gateway,
            "CreateAdditionalAssignmentsForHIT",
            token,
            f"{count} assignments were added to {ids.hit_id(task_id)}",
            "AWS.MechanicalTurk.RequestAlreadyDone",
        )
    return {}


@operation("UpdateHITReviewStatus")
def update_review_status(gateway: Gateway, params: Params) -> dict[str, Any]:
    task_id = ids.task_of_hit(params.required_entity("HITId"))
    revert = params.flag("Revert")
    with gateway.writing():
        with gateway.session() as session:
            hit = gateway.hit(session, task_id)
            hit_type = session.get(HitType, hit.hit_type_id)
        assert hit_type is not None
        status = views.hit_view(gateway, hit, hit_type)["HITStatus"]
        wanted = "Reviewing" if revert else "Reviewable"
        if status != wanted:
            raise MTurkError(
                f"This HIT is currently in the state '{status}'. This operation can be called "
                f"with a status of: {wanted}",
                "AWS.MechanicalTurk.InvalidHITState",
            )
        with gateway.session() as session:
            gateway.hit(session, task_id).reviewing = not revert
    return {}


@operation("UpdateHITTypeOfHIT")
def update_hit_type_of_hit(gateway: Gateway, params: Params) -> dict[str, Any]:
    raise unsupported("UpdateHITTypeOfHIT", "a HIT's terms are fixed on the escrow when it is made")


@operation("ListHITsForQualificationType")
def list_hits_for_qualification_type(gateway: Gateway, params: Params) -> dict[str, Any]:
    """The HITs whose requirements name the type (the built-in ones too)."""
    type_id = params.required_entity("QualificationTypeId")
    with gateway.session() as session:
        types = {
            row.hit_type_id
            for row in session.scalars(select(HitType))
            if any(
                requirement["QualificationTypeId"] == type_id
                for requirement in row.properties["QualificationRequirements"]
            )
        }
    hits = [hit for hit in _hits(gateway, params) if hit.hit_type_id in types]
    return _hit_page(gateway, params, hits)
