"""HITs through boto3: types, creation, reading, paging, expiry, more assignments, review
status, deletion, requirements, idempotency."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from microtask.client.errors import ApiRefused
from microtask.mturk.requirements import APPROVAL_RATE, APPROVED_COUNT
from tests.mturk.conftest import HTML_FORM, Turk


def turk_code(call: Any) -> tuple[str, str]:
    """MTurk's error code and message of a refused call."""
    with pytest.raises(ClientError) as caught:
        call()
    assert caught.value.response["Error"]["Code"] == "RequestError"
    return caught.value.response["TurkErrorCode"], caught.value.response["Error"]["Message"]


def test_hit_types_are_idempotent_and_hits_made_with_them(mturk: Turk) -> None:
    client = mturk.client()
    properties = {
        "Title": "Label a photo",
        "Description": "Say what the photo shows.",
        "Reward": "0.10",
        "AssignmentDurationInSeconds": 300,
        "AutoApprovalDelayInSeconds": 3600,
        "Keywords": "images, Labels",
    }
    first = client.create_hit_type(**properties)["HITTypeId"]
    assert client.create_hit_type(**properties)["HITTypeId"] == first
    assert client.create_hit_type(**{**properties, "Reward": "0.11"})["HITTypeId"] != first
    hit = client.create_hit_with_hit_type(
        HITTypeId=first, MaxAssignments=3, LifetimeInSeconds=600, Question=HTML_FORM
    )["HIT"]
    assert (hit["HITTypeId"], hit["Reward"], hit["MaxAssignments"]) == (first, "0.10", 3)
    assert (hit["Keywords"], hit["AutoApprovalDelayInSeconds"]) == ("images, Labels", 3600)
    task = mturk.served.platform.task(int(hit["HITId"][1:]))
    assert (task.reward, task.slot_count, task.lease, task.review_period) == (
        100_000,
        3,
        300,
        3600,
    )
    assert task.deadline - (hit["CreationTime"].timestamp()) == pytest.approx(600, abs=5)
    code, _ = turk_code(
        lambda: client.create_hit_with_hit_type(
            HITTypeId="3HTNOSUCHTYPE", LifetimeInSeconds=600, Question=HTML_FORM
        )
    )
    assert code == "AWS.MechanicalTurk.HITTypeDoesNotExist"


def test_a_unique_request_token_makes_one_hit(mturk: Turk) -> None:
    client = mturk.client()
    mturk.create_hit(client, UniqueRequestToken="batch-1-hit-1")
    code, message = turk_code(lambda: mturk.create_hit(client, UniqueRequestToken="batch-1-hit-1"))
    assert code == "AWS.MechanicalTurk.HitAlreadyExists"
    assert "batch-1-hit-1" in message
    assert len(client.list_hits()["HITs"]) == 1


def test_list_hits_pages_as_botocores_paginator_expects(mturk: Turk) -> None:
    client = mturk.client()
    made = [mturk.create_hit(client, MaxAssignments=1)["HITId"] for _ in range(3)]
    first = client.list_hits(MaxResults=2)
    assert [h["HITId"] for h in first["HITs"]] == made[:2]
    assert first["NextToken"]
    second = client.list_hits(MaxResults=2, NextToken=first["NextToken"])
    assert [h["HITId"] for h in second["HITs"]] == made[2:]
    assert second["NextToken"]  # a non-empty page always carries a token, as MTurk's
    last = client.list_hits(MaxResults=2, NextToken=second["NextToken"])
    assert (last["HITs"], last["NumResults"], "NextToken" in last) == ([], 0, False)
    pages = client.get_paginator("list_hits").paginate(PaginationConfig={"PageSize": 1})
    assert [h["HITId"] for page in pages for h in page["HITs"]] == made
    code, _ = turk_code(lambda: client.list_hits(NextToken="not-a-token"))
    assert code == "AWS.MechanicalTurk.InvalidParameterValue"
    token = client.list_worker_blocks(MaxResults=1)  # an empty list: no token to misuse
    assert "NextToken" not in token


def test_reviewable_hits_review_status_and_deletion(mturk: Turk) -> None:
    client = mturk.client()
    hit_id = mturk.create_hit(client, MaxAssignments=1)["HITId"]
    other = mturk.create_hit(client, MaxAssignments=1)["HITId"]
    assert client.list_reviewable_hits()["HITs"] == []
    code, _ = turk_code(lambda: client.delete_hit(HITId=hit_id))
    assert code == "AWS.MechanicalTurk.InvalidHITState"  # still Assignable
    mturk.worker("G1", {"sentiment": "positive"}, hit_id)
    assert client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Reviewable"
    reviewable = client.list_reviewable_hits()["HITs"]
    assert [h["HITId"] for h in reviewable] == [hit_id]
    client.update_hit_review_status(HITId=hit_id, Revert=False)
    assert client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Reviewing"
    assert [h["HITId"] for h in client.list_reviewable_hits(Status="Reviewing")["HITs"]] == [hit_id]
    client.update_hit_review_status(HITId=hit_id, Revert=True)
    assert client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Reviewable"
    code, message = turk_code(lambda: client.delete_hit(HITId=hit_id))
    assert code == "AWS.MechanicalTurk.InvalidHITState"
    assert "not yet" in message
    [assignment] = client.list_assignments_for_hit(HITId=hit_id)["Assignments"]
    client.approve_assignment(AssignmentId=assignment["AssignmentId"])
    client.delete_hit(HITId=hit_id)
    assert client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Disposed"
    assert [h["HITId"] for h in client.list_hits()["HITs"]] == [other]
    code, _ = turk_code(lambda: client.get_hit(HITId="T999999"))
    assert code == "AWS.MechanicalTurk.HITDoesNotExist"


def test_expiring_a_hit_closes_it_and_a_later_expiry_extends_the_task(mturk: Turk) -> None:
    client = mturk.client()
    hit = mturk.create_hit(client, MaxAssignments=2)
    task_id = int(hit["HITId"][1:])
    later = hit["Expiration"].timestamp() + 7200
    client.update_expiration_for_hit(HITId=hit["HITId"], ExpireAt=later)
    assert mturk.served.platform.task(task_id).deadline == int(later)
    assert client.get_hit(HITId=hit["HITId"])["HIT"]["Expiration"].timestamp() == int(later)
    client.update_expiration_for_hit(HITId=hit["HITId"], ExpireAt=0)  # now: MTurk's idiom
    assert client.get_hit(HITId=hit["HITId"])["HIT"]["HITStatus"] == "Reviewable"
    with pytest.raises(ApiRefused):  # the verifier hands out no slot of an expired HIT
        mturk.worker("G1", {"sentiment": "positive"}, hit["HITId"])


def test_more_assignments_are_more_slots(mturk: Turk) -> None:
    client = mturk.client()
    hit_id = mturk.create_hit(client, MaxAssignments=1)["HITId"]
    client.create_additional_assignments_for_hit(
        HITId=hit_id, NumberOfAdditionalAssignments=2, UniqueRequestToken="more-1"
    )
    assert client.get_hit(HITId=hit_id)["HIT"]["MaxAssignments"] == 3
    code, _ = turk_code(
        lambda: client.create_additional_assignments_for_hit(
            HITId=hit_id, NumberOfAdditionalAssignments=2, UniqueRequestToken="more-1"
        )
    )
    assert code == "AWS.MechanicalTurk.RequestAlreadyDone"
    assert client.get_hit(HITId=hit_id)["HIT"]["MaxAssignments"] == 3


def test_requirements_become_the_escrows_thresholds_or_a_clear_refusal(mturk: Turk) -> None:
    client = mturk.client()
    hit = mturk.create_hit(
        client,
        QualificationRequirements=[
            {"QualificationTypeId": APPROVAL_RATE, "Comparator": "GreaterThanOrEqualTo",
             "IntegerValues": [95]},
            {"QualificationTypeId": APPROVED_COUNT, "Comparator": "GreaterThan",
             "IntegerValues": [100]},
        ],
    )  # fmt: skip
    task = mturk.served.platform.task(int(hit["HITId"][1:]))
    assert (task.min_approval_bps, task.min_approved) == (9500, 101)
    assert [r["QualificationTypeId"] for r in hit["QualificationRequirements"]] == [
        APPROVAL_RATE,
        APPROVED_COUNT,
    ]
    before = len(client.list_hits()["HITs"])
    locale = {
        "QualificationTypeId": "00000000000000000071",
        "Comparator": "EqualTo",
        "LocaleValues": [{"Country": "US"}],
    }
    code, message = turk_code(lambda: mturk.create_hit(client, QualificationRequirements=[locale]))
    assert code == "AWS.MechanicalTurk.InvalidParameterValue"
    assert "locale" in message
    masters = {"QualificationTypeId": "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH", "Comparator": "Exists"}
    code, message = turk_code(lambda: mturk.create_hit(client, QualificationRequirements=[masters]))
    assert code == "AWS.MechanicalTurk.QualificationTypeDoesNotExist"
    assert "Masters" in message
    rate_below = {
        "QualificationTypeId": APPROVAL_RATE,
        "Comparator": "LessThan",
        "IntegerValues": [50],
    }
    code, _ = turk_code(lambda: mturk.create_hit(client, QualificationRequirements=[rate_below]))
    assert code == "AWS.MechanicalTurk.InvalidParameterValue"
    assert len(client.list_hits()["HITs"]) == before  # nothing was made for a refusal


def test_bad_parameters_are_request_errors_naming_them(mturk: Turk) -> None:
    client = mturk.client()
    code, message = turk_code(lambda: mturk.create_hit(client, Reward="0.255"))
    assert "Reward" in message
    code, message = turk_code(lambda: mturk.create_hit(client, Question="<p>not MTurk's</p>"))
    assert code == "AWS.MechanicalTurk.InvalidParameterValue"
    code, message = turk_code(lambda: mturk.create_hit(client, LifetimeInSeconds=5))
    assert code == "AWS.ParameterOutOfRange"
    assert "LifetimeInSeconds" in message
