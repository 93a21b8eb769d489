"""Qualifications: ``CreateQualificationType``, ``GetQualificationType``,
``ListQualificationTypes``, ``UpdateQualificationType``, ``DeleteQualificationType``,
``AssociateQualificationWithWorker``, ``DisassociateQualificationFromWorker``,
``GetQualificationScore``, ``ListWorkersWithQualificationType``.

A requester's qualification types and who holds which value are the requester's (kept by
the gateway); a HIT that requires one names it in its manifest, and the verifier gets the
holders' values in the HIT's policy, which it checks when it hands out a slot (`policies`).
A grant or revocation reaches the verifier at the gateway's next round.

Qualification tests and requests (``Test``, ``AnswerKey``, ``AutoGranted``; the
``...QualificationRequest`` operations) do not exist here: workers cannot ask for a
qualification, the requester grants it.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from microtask.mturk import ids, paging, requirements
from microtask.mturk.errors import INVALID_VALUE, MTurkError
from microtask.mturk.gateway import Gateway, epoch, operation
from microtask.mturk.state import Hit, HitType, Qualification, QualificationType
from microtask.mturk.wire import Params

MISSING_TYPE: Final = "AWS.MechanicalTurk.QualificationTypeDoesNotExist"
STATUSES: Final = ("Active", "Inactive")
NO_TESTS: Final = "qualification tests do not exist here: the requester grants qualifications"


def type_view(row: QualificationType) -> dict[str, Any]:
    found: dict[str, Any] = {
        "QualificationTypeId": row.type_id,
        "CreationTime": row.created_at,
        "Name": row.name,
        "Description": row.description,
        "QualificationTypeStatus": row.status,
        "IsRequestable": False,
        "AutoGranted": False,
    }
    if row.keywords:
        found["Keywords"] = row.keywords
    if row.retry_delay is not None:
        found["RetryDelayInSeconds"] = row.retry_delay
    return found


def built_in_view(type_id: str) -> dict[str, Any]:
    return {
        "QualificationTypeId": type_id,
        "CreationTime": 0,
        "Name": requirements.BUILT_IN[type_id],
        "Description": "The worker's record on the escrow in the HIT's token "
        + ("(percent approved)" if type_id == requirements.APPROVAL_RATE else "(approved count)"),
        "QualificationTypeStatus": "Active",
        "IsRequestable": False,
        "AutoGranted": False,
    }


def own_type(gateway: Gateway, session: Session, type_id: str) -> QualificationType:
    row = session.get(QualificationType, type_id)
    if row is None or row.deleted_at is not None:
        raise MTurkError(f"QualificationType {type_id} does not exist.", MISSING_TYPE)
    return row


@operation("CreateQualificationType")
def create_qualification_type(gateway: Gateway, params: Params) -> dict[str, Any]:
    params.refuse("Test", "AnswerKey", "TestDurationInSeconds", why=NO_TESTS)
    if params.flag("AutoGranted"):
        raise MTurkError(
            f"CreateQualificationType: AutoGranted is not supported: {NO_TESTS}", INVALID_VALUE
        )
    name = params.required_text("Name", max_length=200)
    status = params.choice("QualificationTypeStatus", STATUSES)
    if status is None:
        raise MTurkError(
            "CreateQualificationType: QualificationTypeStatus is required", INVALID_VALUE
        )
    with gateway.writing(), gateway.session() as session:
        if session.scalar(
            select(QualificationType).where(
                QualificationType.name == name, QualificationType.deleted_at.is_(None)
            )
        ):
            raise MTurkError(
                f"You have already created a QualificationType with this name: {name}",
                "AWS.MechanicalTurk.QualificationTypeAlreadyExists",
            )
        row = QualificationType(
            type_id=ids.new_qualification_type_id(),
            name=name,
            description=params.required_text("Description", max_length=2000),
            keywords=params.text("Keywords", max_length=1000),
            status=status,
            retry_delay=params.integer("RetryDelayInSeconds", minimum=0),
            created_at=epoch(),
        )
        session.add(row)
        return {"QualificationType": type_view(row)}


@operation("GetQualificationType")
def get_qualification_type(gateway: Gateway, params: Params) -> dict[str, Any]:
    type_id = params.required_entity("QualificationTypeId")
    if type_id in requirements.BUILT_IN:
        return {"QualificationType": built_in_view(type_id)}
    with gateway.session() as session:
        return {"QualificationType": type_view(own_type(gateway, session, type_id))}


@operation("ListQualificationTypes")
def list_qualification_types(gateway: Gateway, params: Params) -> dict[str, Any]:
    if params.flag("MustBeRequestable"):
        return paging.answer(params, "QualificationTypes", [], None)  # none is requestable
    query = (params.text("Query", max_length=1000) or "").lower()
    mine = params.flag("MustBeOwnedByCaller")
    size, last = paging.page_size(params), paging.after(params)
    with gateway.session() as session:
        rows = [
            type_view(row)
            for row in session.scalars(
                select(QualificationType)
                .where(QualificationType.deleted_at.is_(None))
                .order_by(QualificationType.type_id)
            )
        ]
    if not mine:
        rows += [built_in_view(type_id) for type_id in requirements.BUILT_IN]
    rows.sort(key=lambda row: str(row["QualificationTypeId"]))
    found = [
        row
        for row in rows
        if (
            not query
            or query in f"{row['Name']} {row.get('Keywords', '')} {row['Description']}".lower()
        )
        and (last is None or row["QualificationTypeId"] > last)
    ][:size]
    return paging.answer(
        params, "QualificationTypes", found, found[-1]["QualificationTypeId"] if found else None
    )


@operation("UpdateQualificationType")
def update_qualification_type(gateway: Gateway, params: Params) -> dict[str, Any]:
    params.refuse("Test", "AnswerKey", "TestDurationInSeconds", why=NO_TESTS)
    if params.flag("AutoGranted"):
        raise MTurkError(
            f"UpdateQualificationType: AutoGranted is not supported: {NO_TESTS}", INVALID_VALUE
        )
    type_id = params.required_entity("QualificationTypeId")
    with gateway.writing(), gateway.session() as session:
        row = own_type(gateway, session, type_id)
        description = params.text("Description", max_length=2000)
        status = params.choice("QualificationTypeStatus", STATUSES)
        delay = params.integer("RetryDelayInSeconds", minimum=0)
        if description is not None:
            row.description = description
        if status is not None:
            row.status = status
        if delay is not None:
            row.retry_delay = delay
        return {"QualificationType": type_view(row)}


def _hits_requiring(session: Session, type_id: str) -> list[int]:
    """The open HITs whose type requires ``type_id`` (their policies carry its values)."""
    types = {
        row.hit_type_id
        for row in session.scalars(select(HitType))
        if type_id in requirements.requester_types(row.properties["QualificationRequirements"])
    }
    return list(
        session.scalars(
            select(Hit.task_id).where(Hit.deleted_at.is_(None), Hit.hit_type_id.in_(types))
        )
    )


@operation("DeleteQualificationType")
def delete_qualification_type(gateway: Gateway, params: Params) -> dict[str, Any]:
    type_id = params.required_entity("QualificationTypeId")
    with gateway.writing():
        with gateway.session() as session:
            row = own_type(gateway, session, type_id)
            row.deleted_at = epoch()
            row.status = "Inactive"
            session.query(Qualification).filter(Qualification.type_id == type_id).delete()
            affected = _hits_requiring(session, type_id)
        gateway.policies.mark(affected)  # nobody holds it any more
    return {}


@operation("AssociateQualificationWithWorker")
def associate(gateway: Gateway, params: Params) -> dict[str, Any]:
    type_id = params.required_entity("QualificationTypeId")
    worker = ids.address_of_worker(params.required_text("WorkerId"))
    value = params.integer("IntegerValue", minimum=-(2**31), maximum=2**31 - 1, default=1)
    assert value is not None
    with gateway.writing():
        with gateway.session() as session:
            row = own_type(gateway, session, type_id)
            if row.status != "Active":
                raise MTurkError(
                    f"QualificationType {type_id} is Inactive",
                    "AWS.MechanicalTurk.InvalidQualificationTypeState",
                )
            session.merge(
                Qualification(
                    type_id=type_id,
                    worker=worker,
                    value=value,
                    status="Granted",
                    granted_at=epoch(),
                )
            )
            affected = _hits_requiring(session, type_id)
        gateway.policies.mark(affected)
    return {}


@operation("DisassociateQualificationFromWorker")
def disassociate(gateway: Gateway, params: Params) -> dict[str, Any]:
    type_id = params.required_entity("QualificationTypeId")
    worker = ids.address_of_worker(params.required_text("WorkerId"))
    params.text("Reason", max_length=4096)
    with gateway.writing():
        with gateway.session() as session:
            own_type(gateway, session, type_id)
            held = session.get(Qualification, (type_id, worker))
            if held is None or held.status != "Granted":
                raise MTurkError(
                    f"Worker {ids.worker_id(worker)} does not hold {type_id}",
                    "AWS.MechanicalTurk.QualificationDoesNotExist",
                )
            held.status = "Revoked"
            affected = _hits_requiring(session, type_id)
        gateway.policies.mark(affected)
    return {}


def _qualification_view(row: Qualification) -> dict[str, Any]:
    return {
        "QualificationTypeId": row.type_id,
        "WorkerId": ids.worker_id(row.worker),
        "GrantTime": row.granted_at,
        "IntegerValue": row.value,
        "Status": row.status,
    }


@operation("GetQualificationScore")
def get_qualification_score(gateway: Gateway, params: Params) -> dict[str, Any]:
    type_id = params.required_entity("QualificationTypeId")
    worker = ids.address_of_worker(params.required_text("WorkerId"))
    with gateway.session() as session:
        own_type(gateway, session, type_id)
        held = session.get(Qualification, (type_id, worker))
        if held is None:
            raise MTurkError(
                f"You requested a Qualification that does not exist: {type_id} for worker "
                f"{ids.worker_id(worker)}",
                "AWS.MechanicalTurk.QualificationDoesNotExist",
            )
        return {"Qualification": _qualification_view(held)}


@operation("ListWorkersWithQualificationType")
def list_workers_with_qualification_type(gateway: Gateway, params: Params) -> dict[str, Any]:
    type_id = params.required_entity("QualificationTypeId")
    status = params.choice("Status", ("Granted", "Revoked"))
    size, last = paging.page_size(params), paging.after(params)
    with gateway.session() as session:
        own_type(gateway, session, type_id)
        query = select(Qualification).where(Qualification.type_id == type_id)
        if status is not None:
            query = query.where(Qualification.status == status)
        if last is not None:
            query = query.where(Qualification.worker > str(last))
        rows = list(session.scalars(query.order_by(Qualification.worker).limit(size)))
    found = [_qualification_view(row) for row in rows]
    return paging.answer(params, "Qualifications", found, rows[-1].worker if rows else None)
