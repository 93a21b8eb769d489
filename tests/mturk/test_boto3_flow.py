"""The script a requester moving from MTurk runs, unchanged but for the endpoint: create a
HIT with an HTMLQuestion, wait for its assignments, read the answers, approve them; the
workers are paid on chain."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from microtask.client import Worker
from tests.mturk.conftest import HTML_FORM, Turk
from tests.quality.scenario import WORKERS

NS = {
    "a": "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"
}


def answers_of(xml: str) -> dict[str, str]:
    root = ET.fromstring(xml)  # noqa: S314 (the gateway's own answer, in a test)
    return {
        answer.findtext("a:QuestionIdentifier", namespaces=NS) or "": answer.findtext(
            "a:FreeText", namespaces=NS
        )
        or ""
        for answer in root.findall("a:Answer", NS)
    }


def test_an_unchanged_boto3_script_creates_reads_and_approves(mturk: Turk) -> None:
    client = mturk.client()
    created = client.create_hit(
        Title="Is this review positive?",
        Description="Read one product review and say if it is positive.",
        Keywords="sentiment, reviews",
        Reward="0.25",
        MaxAssignments=2,
        LifetimeInSeconds=3600,
        AssignmentDurationInSeconds=600,
        AutoApprovalDelayInSeconds=86_400,
        Question=HTML_FORM,
        RequesterAnnotation="batch-7",
    )["HIT"]
    hit_id = created["HITId"]
    assert created["HITStatus"] == "Assignable"
    assert (created["MaxAssignments"], created["Reward"], created["Question"]) == (
        2,
        "0.25",
        HTML_FORM,
    )
    assert created["NumberOfAssignmentsAvailable"] == 2
    got = client.get_hit(HITId=hit_id)["HIT"]
    assert (got["HITTypeId"], got["RequesterAnnotation"]) == (created["HITTypeId"], "batch-7")
    assert got["Expiration"] > got["CreationTime"]  # datetimes, parsed by botocore

    for name, said in (("G1", "positive"), ("G2", "negative")):
        mturk.worker(name, {"sentiment": said}, hit_id)
    listed = client.list_assignments_for_hit(HITId=hit_id, AssignmentStatuses=["Submitted"])
    found = {a["WorkerId"]: answers_of(a["Answer"]) for a in listed["Assignments"]}
    worker_ids = {name: "A" + WORKERS[name].address[2:].upper() for name in ("G1", "G2")}
    assert found == {
        worker_ids["G1"]: {"sentiment": "positive"},
        worker_ids["G2"]: {"sentiment": "negative"},
    }
    token = mturk.served.platform.token_at(mturk.served.world.token.address)
    before = {
        n: Worker(mturk.served.platform, address=WORKERS[n].address).balance(token.address)
        for n in worker_ids
    }
    for assignment in listed["Assignments"]:
        client.approve_assignment(
            AssignmentId=assignment["AssignmentId"], RequesterFeedback="Thanks!"
        )
    approved = client.list_assignments_for_hit(HITId=hit_id)["Assignments"]
    assert {a["AssignmentStatus"] for a in approved} == {"Approved"}
    assert all(a["RequesterFeedback"] == "Thanks!" and "ApprovalTime" in a for a in approved)
    for name in worker_ids:
        after = Worker(mturk.served.platform, address=WORKERS[name].address).balance(token.address)
        assert after - before[name] == 250_000  # 0.25 TUSD, paid on chain


CROWD_FORM = """<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd">
<HTMLContent><![CDATA[<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form answer-format="flatten-objects">
<p>Is this review positive? "Broke after a day."</p>
<crowd-radio-group>
<crowd-radio-button name="positive" value="positive">yes</crowd-radio-button>
<crowd-radio-button name="negative" value="negative">no</crowd-radio-button>
</crowd-radio-group></crowd-form>]]></HTMLContent>
<FrameHeight>0</FrameHeight></HTMLQuestion>"""


def test_a_crowd_forms_task_answers_come_back_as_free_text(mturk: Turk) -> None:
    client = mturk.client()
    hit = mturk.create_hit(client, MaxAssignments=1, Question=CROWD_FORM)
    assert client.get_hit(HITId=hit["HITId"])["HIT"]["Question"] == CROWD_FORM
    task_answers = '[{"negative":{"on":true},"positive":{"on":false}}]'
    slot = mturk.worker("G1", {"taskAnswers": task_answers}, hit["HITId"])
    got = client.get_assignment(AssignmentId=f"{hit['HITId']}S{slot}")["Assignment"]
    assert answers_of(got["Answer"]) == {"taskAnswers": task_answers}
