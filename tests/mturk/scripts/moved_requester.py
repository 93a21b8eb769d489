"""A requester's MTurk script as it ran against Amazon, unchanged: it names no endpoint and
no key, boto3 takes them from the environment (AWS_ENDPOINT_URL_MTURK, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY). It creates a HIT with an HTMLQuestion, prints its id, waits for
its assignments, reads the answers, approves them, and prints what it read as JSON.

Usage: python moved_requester.py QUESTION_FILE ASSIGNMENTS
"""

import json
import sys
import time
import xml.etree.ElementTree as ET

import boto3

NS = {
    "a": "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"
}

question = open(sys.argv[1]).read()
wanted = int(sys.argv[2])
client = boto3.client("mturk", region_name="us-east-1")
print("balance", client.get_account_balance()["AvailableBalance"], flush=True)
hit = client.create_hit(
    Title="Is this review positive?",
    Description="Read one product review and say if it is positive.",
    Keywords="sentiment, reviews",
    Reward="0.25",
    MaxAssignments=wanted,
    LifetimeInSeconds=3600,
    AssignmentDurationInSeconds=600,
    AutoApprovalDelayInSeconds=86400,
    Question=question,
)["HIT"]
print("HIT", hit["HITId"], flush=True)

given_up_at = time.time() + 120
while True:
    found = client.list_assignments_for_hit(HITId=hit["HITId"], AssignmentStatuses=["Submitted"])[
        "Assignments"
    ]
    if len(found) >= wanted:
        break
    if time.time() > given_up_at:
        sys.exit("no assignments came")
    time.sleep(1)

answers = {}
for assignment in found:
    root = ET.fromstring(assignment["Answer"])
    answers[assignment["WorkerId"]] = {
        a.findtext("a:QuestionIdentifier", namespaces=NS): a.findtext("a:FreeText", namespaces=NS)
        for a in root.findall("a:Answer", NS)
    }
    client.approve_assignment(AssignmentId=assignment["AssignmentId"])
statuses = [
    a["AssignmentStatus"]
    for a in client.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"]
]
print(json.dumps({"answers": answers, "statuses": statuses}), flush=True)
