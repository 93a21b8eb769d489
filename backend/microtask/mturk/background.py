"""The gateway's rounds: what MTurk did between requests, done here on a timer.

Every `microtask.config.Settings.mturk_poll_interval` seconds (at once when woken):

1. each HIT's policy that changed goes to the verifier (`policies`);
2. each live HIT is looked at: an assignment past its ``AutoApprovalTime`` that nobody
   reviewed is approved (the worker would be paid by silence anyway; approving pays them
   now, as MTurk did), and each change since the last look (an assignment submitted,
   approved, rejected; the HIT reviewable, expired) is queued for the webhook;
3. queued notifications are delivered (`notifications`);
4. a HIT whose receipt window has closed gets its unused slots' money back (the escrow's
   ``reclaimReceiptSlots``) and the requester's refunds go back to their wallet.

A HIT is live until it has expired, has nothing waiting for review and was notified of it
(a later change to it, an arbitrator's ruling, is not looked for). A failed round is
logged and retried at the next; nothing here stops the gateway.
"""

from __future__ import annotations

import logging
import threading
from typing import ClassVar, Final

import httpx
from sqlalchemy import select

from microtask.escrow import Task
from microtask.mturk import notifications, views
from microtask.mturk.gateway import Gateway
from microtask.mturk.operations.assignments import approve
from microtask.mturk.state import AssignmentState, Hit, HitType
from microtask.services import ServiceFailed

log = logging.getLogger("microtask.mturk")

EVENT_OF: Final = {
    "Submitted": "AssignmentSubmitted",
    "Approved": "AssignmentApproved",
    "Rejected": "AssignmentRejected",
}


class GatewayRounds:
    """The rounds of one gateway, in a thread (`start`, `stop`, `check` for a supervisor)."""

    name: ClassVar[str] = "the MTurk gateway"

    def __init__(self, gateway: Gateway, *, interval: float = 1.0, webhook_timeout: float = 10.0):
        self.gateway = gateway
        self.interval = interval
        self.webhook_timeout = webhook_timeout
        self.http = httpx.Client()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._one_at_a_time = threading.Lock()
        self.failure: BaseException | None = None

    # ------------------------------------------------------------ one round

    def round(self) -> None:
        """One round (see the module's note); a round asked for while another runs waits for
        it, so an assignment is never approved twice over."""
        with self._one_at_a_time:
            self._round()

    def _round(self) -> None:
        gateway = self.gateway
        gateway.policies.push_marked()
        with gateway.session() as session:
            live = [
                hit.task_id for hit in session.scalars(select(Hit).where(Hit.deleted_at.is_(None)))
            ]
        for task_id in live:
            try:
                self.look_at(task_id)
            except Exception as error:
                log.warning("HIT T%d: not looked at this round: %s", task_id, error)
        notifications.deliver_due(gateway, self.http, self.webhook_timeout)

    def look_at(self, task_id: int) -> None:
        """Approve what is due, queue what changed, reclaim what is left (one HIT)."""
        gateway = self.gateway
        with gateway.session() as session:
            hit = gateway.hit(session, task_id)
            if hit.reclaimed:
                return  # finished: expired, reviewed, its money back
            hit_type = session.get(HitType, hit.hit_type_id)
            assert hit_type is not None
        task = gateway.platform.task(task_id)
        now = gateway.now()
        found = views.assignments(gateway, task_id, task)
        due = [v for v in found if v.status == "Submitted" and now > v.auto_approval_time]
        if due:
            with gateway.writing():
                for view in due:
                    approve(gateway, view, None, automatic=True)
            found = views.assignments(gateway, task_id, task)
        self._queue_changes(hit, found, now, task)
        if now > task.receipt_window_end and not any(v.status == "Submitted" for v in found):
            self._reclaim(task_id, task)

    def _queue_changes(
        self, hit: Hit, found: list[views.AssignmentView], now: int, task: Task
    ) -> None:
        gateway = self.gateway
        status = views.hit_status(hit, task, views.counts(gateway, hit.task_id), now)
        with gateway.session() as session:
            seen = {
                row.slot: row
                for row in session.scalars(
                    select(AssignmentState).where(AssignmentState.task_id == hit.task_id)
                )
            }
            for view in found:
                before = seen.get(view.work.slot)
                if before is not None and before.status == view.status:
                    continue
                if before is None and view.status != "Submitted":
                    notifications.notify(
                        gateway,
                        session,
                        hit.hit_type_id,
                        hit.task_id,
                        EVENT_OF["Submitted"],
                        view.work.slot,
                    )
                notifications.notify(
                    gateway,
                    session,
                    hit.hit_type_id,
                    hit.task_id,
                    EVENT_OF[view.status],
                    view.work.slot,
                )
                session.merge(
                    AssignmentState(task_id=hit.task_id, slot=view.work.slot, status=view.status)
                )
            row = gateway.hit(session, hit.task_id)
            if status in ("Reviewable", "Reviewing") and not row.reviewable_notified:
                row.reviewable_notified = True
                notifications.notify(
                    gateway, session, hit.hit_type_id, hit.task_id, "HITReviewable"
                )
            if now > views.expiration(row, task) and not row.expired_notified:
                row.expired_notified = True
                notifications.notify(gateway, session, hit.hit_type_id, hit.task_id, "HITExpired")

    def _reclaim(self, task_id: int, task: Task) -> None:
        gateway = self.gateway
        with gateway.writing():
            if not task.receipt_slots_reclaimed and task.receipt_slots > task.receipt_slots_used:
                gateway.requester.reclaim(task_id)
            if gateway.requester.balance(task.token) > 0:
                gateway.requester.refund(gateway.platform.token_at(task.token))
            with gateway.session() as session:
                gateway.hit(session, task_id).reclaimed = True

    # ------------------------------------------------------------ running

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self.round()
            except Exception:
                log.exception("the MTurk gateway's round failed; retrying")
            self.gateway.wake.wait(self.interval)
            self.gateway.wake.clear()

    def start(self) -> None:
        def guarded() -> None:
            try:
                self.run()
            except BaseException as error:
                log.exception("the MTurk gateway's rounds stopped")
                self.failure = error

        self._stop.clear()
        self._thread = threading.Thread(target=guarded, name="mturk", daemon=True)
        self._thread.start()

    def check(self) -> None:
        if self.failure is not None:
            raise self.failure
        if self._thread is not None and not self._stop.is_set() and not self._thread.is_alive():
            raise ServiceFailed(f"{self.name} stopped unexpectedly; see the log above")

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self.gateway.wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.http.close()
