"""Assignments through boto3: reading them, rejecting with feedback the worker reads,
overriding a rejection, bonuses, the balance, and approval by silence."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from microtask.chain.devchain import advance_time
from microtask.client import Worker
from tests.mturk.conftest import Turk, worker_id
from tests.quality.scenario import WORKERS

REWARD = 250_000  # "0.25" in the test dollar's 6 decimals


def turk_code(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    code: str = caught.value.response["TurkErrorCode"]
    return code


def earned(mturk: Turk, name: str) -> int:
    worker = Worker(mturk.served.platform, address=WORKERS[name].address)
    return worker.balance(mturk.served.world.token.address)


def test_a_rejection_carries_the_feedback_and_can_be_overridden(mturk: Turk) -> None:
    client = mturk.client()
    hit_id = mturk.create_hit(client, MaxAssignments=1)["HITId"]
    slot = mturk.worker("G1", {"sentiment": "negative"}, hit_id)
    assignment_id = f"{hit_id}S{slot}"
    got = client.get_assignment(AssignmentId=assignment_id)
    assert got["HIT"]["HITId"] == hit_id
    assert got["Assignment"]["WorkerId"] == worker_id("G1")
    assert got["Assignment"]["AssignmentStatus"] == "Submitted"
    assert got["Assignment"]["AutoApprovalTime"] > got["Assignment"]["SubmitTime"]
    with pytest.raises(ClientError):
        client.reject_assignment(AssignmentId=assignment_id, RequesterFeedback="x" * 1025)
    client.reject_assignment(
        AssignmentId=assignment_id, RequesterFeedback="The review is clearly positive."
    )
    rejected = client.get_assignment(AssignmentId=assignment_id)["Assignment"]
    assert rejected["AssignmentStatus"] == "Rejected"
    assert rejected["RequesterFeedback"] == "The review is clearly positive."
    assert "RejectionTime" in rejected
    mturk.served.world.sync()
    [why] = Worker(mturk.served.platform, WORKERS["G1"]).reviews(int(hit_id[1:]))
    assert why.review.feedback == "The review is clearly positive."  # the worker may dispute it
    assert turk_code(lambda: client.approve_assignment(AssignmentId=assignment_id)) == (
        "AWS.MechanicalTurk.InvalidAssignmentState"
    )
    before = earned(mturk, "G1")
    client.approve_assignment(AssignmentId=assignment_id, OverrideRejection=True)
    assert (
        client.get_assignment(AssignmentId=assignment_id)["Assignment"]["AssignmentStatus"]
        == "Approved"
    )
    assert earned(mturk, "G1") - before == REWARD
    assert (
        turk_code(
            lambda: client.reject_assignment(AssignmentId=assignment_id, RequesterFeedback="no")
        )
        == "AWS.MechanicalTurk.InvalidAssignmentState"
    )
    assert turk_code(lambda: client.get_assignment(AssignmentId=f"{hit_id}S99")) == (
        "AWS.MechanicalTurk.AssignmentDoesNotExist"
    )


def test_bonuses_are_paid_listed_and_paid_once(mturk: Turk) -> None:
    client = mturk.client()
    hit_id = mturk.create_hit(client, MaxAssignments=2)["HITId"]
    slots = {name: mturk.worker(name, {"sentiment": "positive"}, hit_id) for name in ("G1", "G2")}
    balance = float(client.get_account_balance()["AvailableBalance"])
    before = earned(mturk, "G1")
    assignment_id = f"{hit_id}S{slots['G1']}"
    bonus = {
        "WorkerId": worker_id("G1"),
        "AssignmentId": assignment_id,
        "BonusAmount": "1.50",
        "Reason": "Careful work, thank you.",
        "UniqueRequestToken": "bonus-g1",
    }
    client.send_bonus(**bonus)
    assert turk_code(lambda: client.send_bonus(**bonus)) == "AWS.MechanicalTurk.BonusAlreadyPaid"
    assert (
        turk_code(
            lambda: client.send_bonus(
                **{**bonus, "WorkerId": worker_id("G2"), "UniqueRequestToken": "b2"}
            )
        )
        == "AWS.MechanicalTurk.InvalidParameterValue"
    )  # not G2's assignment
    assert earned(mturk, "G1") - before == 1_500_000
    assert float(client.get_account_balance()["AvailableBalance"]) < balance
    for listed in (
        client.list_bonus_payments(HITId=hit_id),
        client.list_bonus_payments(AssignmentId=assignment_id),
    ):
        [paid] = listed["BonusPayments"]
        assert (paid["WorkerId"], paid["BonusAmount"], paid["Reason"]) == (
            worker_id("G1"),
            "1.50",
            "Careful work, thank you.",
        )
    assert client.list_bonus_payments(AssignmentId=f"{hit_id}S{slots['G2']}")["BonusPayments"] == []


def test_assignments_nobody_reviews_are_approved_at_their_auto_approval_time(
    mturk: Turk,
) -> None:
    client = mturk.client()
    hit_id = mturk.create_hit(client, MaxAssignments=2, AutoApprovalDelayInSeconds=60)["HITId"]
    for name in ("G1", "G2"):
        mturk.worker(name, {"sentiment": "positive"}, hit_id)
    pages = client.get_paginator("list_assignments_for_hit").paginate(
        HITId=hit_id, PaginationConfig={"PageSize": 1}
    )
    listed = [a for page in pages for a in page["Assignments"]]
    assert [a["WorkerId"] for a in listed] == [worker_id("G1"), worker_id("G2")]
    assert {a["AssignmentStatus"] for a in listed} == {"Submitted"}
    before = earned(mturk, "G1")
    advance_time(mturk.served.world.w3, 120)
    mturk.round()
    approved = client.list_assignments_for_hit(HITId=hit_id)["Assignments"]
    assert {a["AssignmentStatus"] for a in approved} == {"Approved"}
    assert earned(mturk, "G1") - before == REWARD
