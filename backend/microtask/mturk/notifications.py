"""HIT event notifications, delivered to the requester's webhook and retried until taken.

MTurk sent notifications of a HIT type's events to an SQS queue or an SNS topic (earlier,
to a URL: its ``REST`` transport). Here the transport is an HTTP(S) webhook of the
requester's: ``Transport`` ``REST`` (or ``HTTP``, ``HTTPS``) with a ``Destination`` URL.
SQS, SNS and e-mail are refused with a ``RequestError`` saying so.

Each message is a ``POST`` of ``application/json`` in the shape of MTurk's SQS messages::

    {"EventDocId": "...", "EventDocVersion": "2006-05-05", "SourceAccount": "0x...",
     "CustomerId": "A...", "Events": [{"EventType": "AssignmentSubmitted",
     "EventTimestamp": "2026-12-01T10:00:00Z", "HITTypeId": "3HT...", "HITId": "T7",
     "AssignmentId": "T7S0"}]}

Messages wait in the gateway's outbox until the destination answers 2xx: a failed attempt
is retried after 1, 2, 4 ... seconds (at most `MAX_BACKOFF`), `MAX_ATTEMPTS` times, so a
webhook that is down for a while misses nothing. A message may arrive twice (after a
timeout that hid a success): ``EventDocId`` tells duplicates apart.

The events sent: ``AssignmentSubmitted``, ``AssignmentApproved``, ``AssignmentRejected``,
``HITReviewable``, ``HITExpired``, ``HITCreated``, ``HITExtended``, ``HITDisposed`` (and
``Ping`` from ``SendTestEventNotification``). ``AssignmentAccepted``, ``...Abandoned`` and
``...Returned`` are accepted in a specification and never sent: a slot reserved or let
lapse is the verifier's business, not an event on chain.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from microtask.mturk import ids
from microtask.mturk.errors import INVALID_VALUE, MTurkError
from microtask.mturk.state import HitType, Outbox

if TYPE_CHECKING:
    from microtask.mturk.gateway import Gateway

log = logging.getLogger("microtask.mturk")

TRANSPORTS: Final = ("REST", "HTTP", "HTTPS")
VERSIONS: Final = ("2006-05-05", "2014-08-15")
EVENT_TYPES: Final = (
    "AssignmentAccepted",
    "AssignmentAbandoned",
    "AssignmentReturned",
    "AssignmentSubmitted",
    "AssignmentRejected",
    "AssignmentApproved",
    "HITCreated",
    "HITExpired",
    "HITReviewable",
    "HITExtended",
    "HITDisposed",
    "Ping",
)
MAX_ATTEMPTS: Final = 20
MAX_BACKOFF: Final = 600.0
OUTBOX_BATCH: Final = 50


def specification(spec: dict[str, Any] | None, *, test: bool = False) -> dict[str, Any]:
    """A notification specification, checked: a webhook and the events it wants."""
    if spec is None:
        raise MTurkError("Notification is required", INVALID_VALUE)
    transport = spec.get("Transport")
    destination = spec.get("Destination")
    if transport in ("SQS", "SNS", "Email"):
        raise MTurkError(
            f"Transport {transport} is not available here: notifications go to an HTTP(S) "
            "webhook (Transport REST, Destination its https:// URL)",
            "AWS.MechanicalTurk.InvalidTransportEndpoint",
        )
    if transport not in TRANSPORTS:
        raise MTurkError(f"Transport must be one of {', '.join(TRANSPORTS)}", INVALID_VALUE)
    parts = urlsplit(destination if isinstance(destination, str) else "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise MTurkError(
            "Destination must be the webhook's http:// or https:// URL",
            "AWS.MechanicalTurk.InvalidTransportEndpoint",
        )
    version = spec.get("Version")
    if version not in VERSIONS:
        raise MTurkError(f"Version must be one of {', '.join(VERSIONS)}", INVALID_VALUE)
    events = spec.get("EventTypes")
    if not isinstance(events, list) or not events or any(e not in EVENT_TYPES for e in events):
        raise MTurkError(f"EventTypes lists some of {', '.join(EVENT_TYPES)}", INVALID_VALUE)
    if "Ping" in events and not test:
        raise MTurkError("Ping is only for SendTestEventNotification", INVALID_VALUE)
    return {
        "Destination": destination,
        "Transport": transport,
        "Version": version,
        "EventTypes": events,
    }


def event(
    event_type: str, hit_type_id: str, task_id: int, slot: int | None, at: int
) -> dict[str, Any]:
    found = {
        "EventType": event_type,
        "EventTimestamp": datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "HITTypeId": hit_type_id,
        "HITId": ids.hit_id(task_id),
    }
    if slot is not None:
        found["AssignmentId"] = ids.assignment_id(task_id, slot)
    return found


def message(gateway: Gateway, events: list[dict[str, Any]], version: str) -> dict[str, Any]:
    return {
        "EventDocId": str(uuid.uuid4()),
        "EventDocVersion": version,
        "SourceAccount": gateway.address,
        "CustomerId": ids.worker_id(gateway.address),
        "Events": events,
    }


def enqueue(session: Session, destination: str, body: dict[str, Any], now: float) -> None:
    session.add(
        Outbox(destination=destination, body=body, created_at=int(now), next_attempt_at=now)
    )


def notify(
    gateway: Gateway,
    session: Session,
    hit_type_id: str,
    task_id: int,
    event_type: str,
    slot: int | None = None,
) -> None:
    """Queue ``event_type`` for the HIT type's webhook, if it is active and wants it."""
    hit_type = session.get(HitType, hit_type_id)
    spec = hit_type.notification if hit_type is not None else None
    if spec is None or not hit_type or not hit_type.notification_active:
        return
    if event_type not in spec["EventTypes"]:
        return
    found = event(event_type, hit_type_id, task_id, slot, gateway.now())
    enqueue(session, spec["Destination"], message(gateway, [found], spec["Version"]), _wall())
    gateway.wake.set()


def _wall() -> float:
    return datetime.now(UTC).timestamp()


def deliver_due(gateway: Gateway, http: httpx.Client, timeout: float) -> int:
    """Send every message whose time has come; returns how many were taken."""
    now = _wall()
    with gateway.session() as session:
        due = list(
            session.scalars(
                select(Outbox)
                .where(
                    Outbox.delivered_at.is_(None),
                    Outbox.given_up.is_(False),
                    Outbox.next_attempt_at <= now,
                )
                .order_by(Outbox.id)
                .limit(OUTBOX_BATCH)
            )
        )
    taken = 0
    for entry in due:
        error = _post(http, entry.destination, entry.body, timeout)
        with gateway.session() as session:
            row = session.get(Outbox, entry.id)
            assert row is not None
            row.attempts += 1
            if error is None:
                row.delivered_at = int(_wall())
                taken += 1
                continue
            row.last_error = error
            if row.attempts >= MAX_ATTEMPTS:
                row.given_up = True
                log.warning("notification %d to %s given up: %s", row.id, row.destination, error)
            else:
                row.next_attempt_at = _wall() + min(MAX_BACKOFF, 2.0 ** (row.attempts - 1))
    return taken


def _post(http: httpx.Client, destination: str, body: dict[str, Any], timeout: float) -> str | None:
    """None when the webhook took the message, else what went wrong."""
    try:
        answer = http.post(
            destination,
            json=body,
            timeout=timeout,
            headers={"User-Agent": "microtask-mturk-notifications/1"},
        )
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"
    if 200 <= answer.status_code < 300:
        return None
    return f"HTTP {answer.status_code}"
