"""Notifications: ``UpdateNotificationSettings``, ``SendTestEventNotification``
(delivery and the webhook's message: `microtask.mturk.notifications`)."""

from __future__ import annotations

from typing import Any

from microtask.mturk import notifications
from microtask.mturk.errors import INVALID_VALUE, MTurkError
from microtask.mturk.gateway import Gateway, epoch, operation
from microtask.mturk.state import HitType
from microtask.mturk.wire import Params


@operation("UpdateNotificationSettings")
def update_notification_settings(gateway: Gateway, params: Params) -> dict[str, Any]:
    hit_type_id = params.required_entity("HITTypeId")
    given = params.structure("Notification")
    active = params.values.get("Active")
    if given is None and active is None:
        raise MTurkError("Give Notification, Active, or both", INVALID_VALUE)
    if active is not None and not isinstance(active, bool):
        raise MTurkError("Active must be true or false", INVALID_VALUE)
    spec = notifications.specification(given) if given is not None else None
    with gateway.writing(), gateway.session() as session:
        row = session.get(HitType, hit_type_id)
        if row is None:
            raise MTurkError(
                f"HITType {hit_type_id} does not exist", "AWS.MechanicalTurk.HITTypeDoesNotExist"
            )
        if spec is not None:
            row.notification = spec
            row.notification_active = True if active is None else active
        elif row.notification is None:
            raise MTurkError(
                f"HITType {hit_type_id} has no notification specification to turn on or off",
                INVALID_VALUE,
            )
        else:
            row.notification_active = bool(active)
    return {}


@operation("SendTestEventNotification")
def send_test_event_notification(gateway: Gateway, params: Params) -> dict[str, Any]:
    spec = notifications.specification(params.structure("Notification"), test=True)
    event_type = params.choice("TestEventType", notifications.EVENT_TYPES)
    if event_type is None:
        raise MTurkError("TestEventType is required", INVALID_VALUE)
    found = notifications.event(event_type, "3HTTEST", 0, 0, gateway.now())
    body = notifications.message(gateway, [found], spec["Version"])
    with gateway.session() as session:
        notifications.enqueue(session, spec["Destination"], body, float(epoch()))
    gateway.wake.set()
    return {}
