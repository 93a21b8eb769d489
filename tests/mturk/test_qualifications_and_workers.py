"""Requester-assigned qualifications and block lists through boto3, enforced by the verifier
when it hands out a HIT's slots; messages to workers' inboxes."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from microtask.client import Worker
from microtask.client.errors import ApiRefused
from tests.mturk.conftest import Turk, worker_id
from tests.quality.scenario import WORKERS

ANSWER = {"sentiment": "positive"}


def turk_code(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    code: str = caught.value.response["TurkErrorCode"]
    return code


def test_qualification_types_and_the_workers_holding_them(mturk: Turk) -> None:
    client = mturk.client()
    made = client.create_qualification_type(
        Name="Careful annotator",
        Description="Passed our screening.",
        Keywords="screening",
        QualificationTypeStatus="Active",
    )["QualificationType"]
    type_id = made["QualificationTypeId"]
    assert (made["Name"], made["QualificationTypeStatus"], made["IsRequestable"]) == (
        "Careful annotator",
        "Active",
        False,
    )
    assert (
        turk_code(
            lambda: client.create_qualification_type(
                Name="Careful annotator", Description="again", QualificationTypeStatus="Active"
            )
        )
        == "AWS.MechanicalTurk.QualificationTypeAlreadyExists"
    )
    assert (
        turk_code(
            lambda: client.create_qualification_type(
                Name="Quiz", Description="a test", QualificationTypeStatus="Active", Test="<x/>"
            )
        )
        == "AWS.MechanicalTurk.InvalidParameterValue"
    )
    assert (
        client.get_qualification_type(QualificationTypeId=type_id)["QualificationType"][
            "Description"
        ]
        == "Passed our screening."
    )
    client.update_qualification_type(QualificationTypeId=type_id, Description="Screened.")
    mine = client.list_qualification_types(MustBeRequestable=False, MustBeOwnedByCaller=True)
    assert [(t["QualificationTypeId"], t["Description"]) for t in mine["QualificationTypes"]] == [
        (type_id, "Screened.")
    ]
    found = client.list_qualification_types(MustBeRequestable=False, Query="careful")
    assert [t["QualificationTypeId"] for t in found["QualificationTypes"]] == [type_id]

    for name, value in (("G1", 90), ("G2", 50), ("G3", 70)):
        client.associate_qualification_with_worker(
            QualificationTypeId=type_id, WorkerId=worker_id(name), IntegerValue=value,
            SendNotification=False,
        )  # fmt: skip
    score = client.get_qualification_score(QualificationTypeId=type_id, WorkerId=worker_id("G2"))
    assert (score["Qualification"]["IntegerValue"], score["Qualification"]["Status"]) == (
        50,
        "Granted",
    )
    client.disassociate_qualification_from_worker(
        QualificationTypeId=type_id, WorkerId=worker_id("G3"), Reason="left the team"
    )
    pages = client.get_paginator("list_workers_with_qualification_type").paginate(
        QualificationTypeId=type_id, Status="Granted", PaginationConfig={"PageSize": 1}
    )
    holders = {q["WorkerId"]: q["IntegerValue"] for p in pages for q in p["Qualifications"]}
    assert holders == {worker_id("G1"): 90, worker_id("G2"): 50}
    assert (
        turk_code(
            lambda: client.get_qualification_score(
                QualificationTypeId=type_id, WorkerId=worker_id("B")
            )
        )
        == "AWS.MechanicalTurk.QualificationDoesNotExist"
    )
    assert (
        turk_code(
            lambda: client.associate_qualification_with_worker(
                QualificationTypeId=type_id, WorkerId="A1B2C3", IntegerValue=1
            )
        )
        == "AWS.MechanicalTurk.InvalidParameterValue"
    )  # not a WorkerId of this platform

    hit_id = mturk.create_hit(
        client,
        MaxAssignments=3,
        QualificationRequirements=[
            {"QualificationTypeId": type_id, "Comparator": "GreaterThanOrEqualTo",
             "IntegerValues": [80]}
        ],
    )["HITId"]  # fmt: skip
    mturk.create_hit(client, MaxAssignments=1)  # requires nothing
    listed = client.list_hits_for_qualification_type(QualificationTypeId=type_id)["HITs"]
    assert [hit["HITId"] for hit in listed] == [hit_id]
    mturk.worker("G1", ANSWER, hit_id)
    for name in ("G2", "G3", "B"):  # too low, revoked, never granted
        with pytest.raises(ApiRefused):
            mturk.worker(name, ANSWER, hit_id)
    client.associate_qualification_with_worker(
        QualificationTypeId=type_id, WorkerId=worker_id("G2"), IntegerValue=85
    )
    mturk.round()  # the HIT's policy, with G2's new value, reaches the verifier
    mturk.worker("G2", ANSWER, hit_id)

    client.delete_qualification_type(QualificationTypeId=type_id)
    assert turk_code(lambda: client.get_qualification_type(QualificationTypeId=type_id)) == (
        "AWS.MechanicalTurk.QualificationTypeDoesNotExist"
    )


def test_blocked_workers_get_no_slot_and_messages_reach_those_who_worked(mturk: Turk) -> None:
    client = mturk.client()
    client.create_worker_block(WorkerId=worker_id("B"), Reason="Copied answers.")
    hit_id = mturk.create_hit(client, MaxAssignments=3)["HITId"]
    with pytest.raises(ApiRefused):
        mturk.worker("B", ANSWER, hit_id)
    mturk.worker("G1", ANSWER, hit_id)
    listed = client.list_worker_blocks()["WorkerBlocks"]
    assert listed == [{"WorkerId": worker_id("B"), "Reason": "Copied answers."}]
    client.delete_worker_block(WorkerId=worker_id("B"), Reason="cleared on appeal")
    mturk.round()
    mturk.worker("B", ANSWER, hit_id)
    assert client.list_worker_blocks()["WorkerBlocks"] == []

    failures = client.notify_workers(
        Subject="Thank you",
        MessageText="A bonus is on its way.",
        WorkerIds=[worker_id("G1"), worker_id("G2"), "ANOTANADDRESS"],
    )["NotifyWorkersFailureStatuses"]
    assert {f["WorkerId"] for f in failures} == {worker_id("G2"), "ANOTANADDRESS"}
    assert {f["NotifyWorkersFailureCode"] for f in failures} == {"HardFailure"}
    [message] = Worker(mturk.served.platform, WORKERS["G1"]).inbox().data
    assert (message.subject, message.text) == ("Thank you", "A bonus is on its way.")
    assert Worker(mturk.served.platform, WORKERS["G2"]).inbox().data == []
