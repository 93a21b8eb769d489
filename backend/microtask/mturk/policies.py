"""Each HIT's policy with the verifier: who may take its assignments, and how it is judged.

The verifier hands out a HIT's slots, so what MTurk enforced when a worker accepted is
the verifier's to enforce, and it learns it from the requester's signed policy for the
HIT's task (`microtask.verifier.policy.Policy`):

- ``block``: the requester's block list (``CreateWorkerBlock``);
- ``qualification_values``: who holds which value of the qualification types the HIT
  requires (``AssociateQualificationWithWorker``); the requirements themselves are public,
  in the task's manifest;
- ``allow = []`` once the requester expired the HIT before its deadline
  (``UpdateExpirationForHIT``): nobody new takes a slot, those holding one finish;
- ``rule``: `MTURK_RULE`, under which the verifier approves and rejects nothing itself:
  on MTurk the requester reviews (or auto-approval does), and so here.

A HIT's manifest says ``waits_for_policy``, so no slot is handed out before its first
policy arrives; `PolicyPusher.push` sends it as the HIT is made. Later changes (a block, a
qualification granted) mark the HITs they concern, and the gateway's round sends each
marked HIT's policy once, however many changes came in between: policies are ordered by
the second they are signed at, and a burst of changes must not run that clock ahead.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

from eth_utils.crypto import keccak
from sqlalchemy import select

from microtask.client.errors import ApiRefused
from microtask.mturk.requirements import requester_types
from microtask.mturk.state import Hit, HitType, Qualification, WorkerBlock
from microtask.quality import QualityRule
from microtask.verifier.policy import Policy

if TYPE_CHECKING:
    from microtask.mturk.gateway import Gateway

log = logging.getLogger("microtask.mturk")

MTURK_RULE: Final = QualityRule.model_validate(
    {
        "timing": {"action": "ignore"},
        "copying": {"action": "ignore"},
        "straight_lining": {"action": "ignore"},
        "missing_item": "review",
        "approve_without_evidence": False,
    }
)
"""Leave every decision to the requester (see the module's note)."""


class PolicyPusher:
    """Builds and sends HITs' policies for one gateway."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def policy(self, task_id: int) -> Policy:
        """The HIT's policy as the gateway's state says now."""
        gateway = self.gateway
        with gateway.session() as session:
            hit = gateway.hit(session, task_id, deleted=True)
            hit_type = session.get(HitType, hit.hit_type_id)
            assert hit_type is not None
            needed = requester_types(hit_type.properties["QualificationRequirements"])
            values: dict[str, dict[str, int]] = {type_id: {} for type_id in needed}
            for row in session.scalars(
                select(Qualification).where(
                    Qualification.type_id.in_(needed), Qualification.status == "Granted"
                )
            ):
                values[row.type_id][row.worker] = row.value
            blocked = list(session.scalars(select(WorkerBlock.worker).order_by(WorkerBlock.worker)))
            closed = hit.deleted_at is not None or (
                hit.expires_at is not None and hit.expires_at <= gateway.now()
            )
        return Policy(
            allow=[] if closed else None,
            block=blocked,
            rule=MTURK_RULE,
            qualification_values=values or None,
        )

    def push(self, task_id: int, *, attempts: int = 40) -> bool:
        """Send the HIT's policy if it changed; retried while the verifier does not know
        the task yet (it learns of it from the index, a moment after it is mined)."""
        gateway = self.gateway
        policy = self.policy(task_id)
        digest = "0x" + bytes(keccak(policy.canonical())).hex()
        with gateway.session() as session:
            hit = gateway.hit(session, task_id, deleted=True)
            if hit.policy_hash == digest:
                return True
            last = hit.policy_issued_at
        waited = gateway.wake
        for attempt in range(attempts):
            issued_at = max(gateway.now(), last + 1)
            try:
                gateway.requester.set_policy(task_id, policy, issued_at=issued_at)
            except ApiRefused as refused:
                if refused.status == 404 and attempt + 1 < attempts:
                    waited.wait(0.25)  # the index has not seen the task yet
                    continue
                raise
            with gateway.session() as session:
                hit = gateway.hit(session, task_id, deleted=True)
                hit.policy_issued_at, hit.policy_hash = issued_at, digest
            return True
        return False

    def mark(self, task_ids: list[int] | None = None) -> None:
        """Send these HITs' policies (None: every open HIT's) at the next round."""
        with self.gateway.session() as session:
            query = select(Hit).where(Hit.deleted_at.is_(None))
            if task_ids is not None:
                query = query.where(Hit.task_id.in_(task_ids))
            for hit in session.scalars(query):
                hit.policy_hash = None
        self.gateway.wake.set()

    def push_marked(self) -> None:
        """One round: send the policy of every HIT marked, or whose expiry just came."""
        gateway = self.gateway
        now = gateway.now()
        with gateway.session() as session:
            due = [
                hit.task_id
                for hit in session.scalars(select(Hit).where(Hit.deleted_at.is_(None)))
                if hit.policy_hash is None
                or (hit.expires_at is not None and hit.policy_issued_at < hit.expires_at <= now)
            ]
        for task_id in due:
            try:
                with gateway.writing():
                    self.push(task_id, attempts=1)
            except Exception as error:  # retried at the next round
                log.warning("HIT T%d: its policy could not be sent yet: %s", task_id, error)
