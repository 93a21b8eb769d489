"""Notifications through boto3: a HIT type's events reach the requester's webhook, a
webhook that fails is retried until it takes them, SQS and SNS are refused clearly."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.exceptions import ClientError

from microtask.chain.devchain import advance_time, latest_timestamp
from tests.mturk.conftest import Turk

WAIT = 30.0


class Webhook:
    """An HTTP server on 127.0.0.1 that records each message; its first ``failures``
    answers are 503."""

    def __init__(self, failures: int = 0) -> None:
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.failures = failures
        self.attempts = 0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.attempts += 1
                if hook.failures > 0:
                    hook.failures -= 1
                    self.send_response(503)
                else:
                    hook.messages.put(json.loads(body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/mturk-events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def next_event(self) -> dict[str, Any]:
        message = self.messages.get(timeout=WAIT)
        [event] = message["Events"]
        return dict(event)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


def spec(url: str, *events: str) -> dict[str, Any]:
    return {"Destination": url, "Transport": "REST", "Version": "2006-05-05",
            "EventTypes": list(events)}  # fmt: skip


def test_a_hit_types_events_reach_the_webhook(mturk: Turk, webhook: Webhook) -> None:
    client = mturk.client()
    hit = mturk.create_hit(client, MaxAssignments=1)
    client.update_notification_settings(
        HITTypeId=hit["HITTypeId"],
        Notification=spec(
            webhook.url, "AssignmentSubmitted", "AssignmentApproved", "HITReviewable"
        ),
        Active=True,
    )
    slot = mturk.worker("G1", {"sentiment": "positive"}, hit["HITId"])
    assignment_id = f"{hit['HITId']}S{slot}"
    events = [webhook.next_event(), webhook.next_event()]
    assert {(e["EventType"], e.get("AssignmentId")) for e in events} == {
        ("AssignmentSubmitted", assignment_id),
        ("HITReviewable", None),
    }
    assert all(e["HITId"] == hit["HITId"] and e["HITTypeId"] == hit["HITTypeId"] for e in events)
    client.approve_assignment(AssignmentId=assignment_id)
    approved = webhook.next_event()
    assert (approved["EventType"], approved["AssignmentId"]) == (
        "AssignmentApproved",
        assignment_id,
    )
    client.update_notification_settings(HITTypeId=hit["HITTypeId"], Active=False)


def test_a_failing_webhook_is_retried_until_it_takes_the_message(mturk: Turk) -> None:
    hook = Webhook(failures=2)
    try:
        mturk.client().send_test_event_notification(
            Notification=spec(hook.url, "Ping"), TestEventType="Ping"
        )
        assert hook.next_event()["EventType"] == "Ping"
        assert hook.attempts == 3
    finally:
        hook.close()


def test_sqs_and_sns_are_refused_with_a_request_error(mturk: Turk) -> None:
    client = mturk.client()
    hit = mturk.create_hit(client, MaxAssignments=1)
    for transport, destination in (
        ("SQS", "https://sqs.us-east-1.amazonaws.com/123456789012/q"),
        ("SNS", "arn:aws:sns:us-east-1:123456789012:t"),
    ):
        with pytest.raises(ClientError) as caught:
            client.update_notification_settings(
                HITTypeId=hit["HITTypeId"],
                Notification={**spec(destination, "AssignmentSubmitted"), "Transport": transport},
            )
        error = caught.value.response
        assert error["Error"]["Code"] == "RequestError"
        assert transport in error["Error"]["Message"]
        assert "webhook" in error["Error"]["Message"]


def test_a_rejection_and_the_expiry_reach_the_webhook_and_unused_slots_are_refunded(
    mturk: Turk, webhook: Webhook
) -> None:
    """Stage 1 left these untested: ``AssignmentRejected`` and ``HITExpired`` events, and
    the round that gives the requester the money of slots nobody used."""
    client = mturk.client()
    hit = mturk.create_hit(
        client, MaxAssignments=2, LifetimeInSeconds=600, AutoApprovalDelayInSeconds=60
    )
    client.update_notification_settings(
        HITTypeId=hit["HITTypeId"],
        Notification=spec(webhook.url, "AssignmentRejected", "HITExpired"),
        Active=True,
    )
    slot = mturk.worker("G1", {"sentiment": "positive"}, hit["HITId"])
    assignment_id = f"{hit['HITId']}S{slot}"
    client.reject_assignment(AssignmentId=assignment_id, RequesterFeedback="Not positive")
    rejected = webhook.next_event()
    assert (rejected["EventType"], rejected["AssignmentId"]) == (
        "AssignmentRejected",
        assignment_id,
    )

    # the deadline passes with one slot never used; then its receipt and equivocation
    # windows: the round reclaims that slot and refunds the requester's wallet
    platform = mturk.served.platform
    task = platform.task(int(hit["HITId"][1:]))
    token = platform.token_at(task.token)
    requester = mturk.service.gateway.requester
    before = requester.wallet_balance(token)
    window = task.review_period + platform.reader.dispute_window()
    advance_time(mturk.served.world.w3, task.deadline - latest_timestamp(mturk.served.world.w3))
    advance_time(mturk.served.world.w3, window + 2)
    ledger = requester.balance(token.address)  # refunds the escrow credited already
    mturk.round()
    expired = webhook.next_event()
    assert (expired["EventType"], expired["HITId"]) == ("HITExpired", hit["HITId"])
    assert "AssignmentId" not in expired
    refunded = requester.wallet_balance(token) - before
    # the unused slot's reward and fee, to the unit, with whatever the ledger held
    assert refunded == ledger + task.reward + task.fee
    assert requester.balance(token.address) == 0
    assert client.get_hit(HITId=hit["HITId"])["HIT"]["NumberOfAssignmentsAvailable"] == 0
