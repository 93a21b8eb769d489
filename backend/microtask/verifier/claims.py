"""Gasless claims: a worker's signed request becomes a receipt slot reserved for a lease.

The worker signs a `SlotRequest` (no transaction, no gas) and the verifier checks, in this
order: the signature is the worker's and the request is neither expired nor used; the
task is this verifier's and takes work (a manifest that ``waits_for_policy`` takes none
before its requester set the task's policy); the worker is not one of its parties, passes
the requester's allow and block lists, meets the escrow's record thresholds in the task's
token, the qualifications the requester grants (values in the policy) and the platform's
scores the manifest asks for; and does not already hold a slot of the task.
It then reserves the lowest receipt slot that is free and whose item the worker has not
answered (slots cycle through the items, so items get their first answers first), or the
slot asked for. Two kinds of free slot come first, from the task's last assessment:

- a gold item's, for a worker with an undecided slot: quality control leaves a worker
  undecided when the evidence is too thin to approve or reject, and their next gold answers
  decide it at the next assessment (`quality.Decision.wants_gold`);
- an item's whose every answer was rejected: while the task takes work, that item's
  remaining receipt slots go before the other items', so it gets an accepted answer first.

Receipt slots and on-chain claims never collide: the escrow reserves the first
``receiptSlots`` slots for receipts. A receipt slot is free when no live reservation or
receipt of this verifier holds it and the chain has not settled it (the index has no row
for it). All of this happens in one database transaction (SQLite's write lock serialises
two grants; on PostgreSQL the slot's primary key refuses the second).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from eth_utils.address import to_checksum_address
from sqlalchemy import select
from sqlalchemy.orm import Session

from microtask.db.models import Account, Assignment, Slot
from microtask.db.verifier_models import (
    Outcome,
    SlotHold,
    VerifierDecision,
    VerifierRequest,
    VerifierSlot,
)
from microtask.escrow import (
    has_ended,
    is_receipt_slot,
    meets_approval_rate,
    meets_min_approved,
)
from microtask.reputation import unmet, worker_scores
from microtask.verifier.errors import (
    BadSignature,
    NoSlot,
    NotEligible,
    Replayed,
    RequestInvalid,
    TaskClosed,
)
from microtask.verifier.policy import effective_policy, task_policy
from microtask.verifier.tasks import TaskContext
from microtask.verifier.typed_data import ANY_SLOT, SlotRequest

MAX_REQUEST_LIFETIME: Final = 24 * 3600


@dataclass(frozen=True)
class Grant:
    """A receipt slot reserved for a worker."""

    task_id: int
    slot: int
    item_index: int
    item_id: str
    worker: str
    reserved_at: int
    lease_end: int
    request_digest: str
    replayed: bool = False


def grant_of(row: VerifierSlot, item_id: str, *, replayed: bool = False) -> Grant:
    return Grant(
        task_id=row.task_id,
        slot=row.slot,
        item_index=row.item_index,
        item_id=item_id,
        worker=row.worker,
        reserved_at=row.reserved_at,
        lease_end=row.lease_end,
        request_digest=row.request_digest,
        replayed=replayed,
    )


def verify_request(
    request: SlotRequest, signature: bytes, *, chain_id: int, escrow: str, now: int
) -> str:
    """The request's digest (0x-hex) once its signature and expiry check out."""
    try:
        signer = request.signer(signature, chain_id, escrow)
    except ValueError:
        raise BadSignature("the request's signature is malformed") from None
    worker = to_checksum_address(request.worker)
    if signer != worker:
        raise BadSignature(
            f"the request is signed by {signer}, not by the worker it names ({worker}); it may "
            "have been signed for another escrow or chain"
        )
    if request.expiry < now:
        raise RequestInvalid(f"the request expired at {request.expiry} (now {now}); sign a new one")
    if request.expiry > now + MAX_REQUEST_LIFETIME:
        raise RequestInvalid(
            f"the request's expiry is more than {MAX_REQUEST_LIFETIME} s ahead; sign one that "
            "expires sooner"
        )
    return "0x" + request.digest(chain_id, escrow).hex()


def replayed_grant(session: Session, context: TaskContext, digest: str, now: int) -> Grant | None:
    """The grant a request already received, when it is sent again; None for a new one.

    A worker who lost the answer asks again with the same signed request and gets the same
    slot back while it is theirs; once it lapsed, the request is spent (`Replayed`).
    """
    used = session.get(VerifierRequest, digest)
    if used is None:
        return None
    row = session.get(VerifierSlot, (used.task_id, used.slot))
    if (
        row is not None
        and row.request_digest == digest
        and (row.status is SlotHold.RECEIPTED or row.lease_end >= now)
    ):
        return grant_of(row, context.item_of(row.slot)[1], replayed=True)
    raise Replayed(
        "this signed request was used already and its reservation has lapsed; sign a new request"
    )


def check_eligible(session: Session, context: TaskContext, worker: str, now: int) -> None:
    """Raise why ``worker`` may not take a receipt slot of the task now, if they may not."""
    terms = context.terms
    if terms.cancelled:
        raise TaskClosed(f"task {terms.task_id} is cancelled")
    if has_ended(terms.deadline, now):
        raise TaskClosed(f"task {terms.task_id}'s deadline ({terms.deadline}) has passed")
    if terms.receipt_slots == 0 or terms.receipt_slots_reclaimed:
        raise NoSlot(
            f"task {terms.task_id} has no receipt slots: claim one of its slots on chain instead"
        )
    if terms.is_party(worker):
        raise NotEligible(
            f"{worker} is task {terms.task_id}'s requester, verifier or arbitrator: "
            "parties to a task cannot be paid for it"
        )
    if context.manifest.waits_for_policy and (
        task_policy(session, terms.requester, terms.task_id) is None
    ):
        raise TaskClosed(
            f"task {terms.task_id} opens once its requester has set its policy; try again in "
            "a moment"
        )
    policy = effective_policy(session, terms.requester, terms.task_id)
    refusal = policy.admits(worker)
    if refusal is not None:
        raise NotEligible(refusal)
    record = session.get(Account, (terms.token, worker))
    approved = record.approved if record else 0
    rejected = record.rejected if record else 0
    if not meets_min_approved(approved, terms.min_approved):
        raise NotEligible(
            f"the task asks for {terms.min_approved} approved slots on your record in its "
            f"token; you have {approved}"
        )
    if not meets_approval_rate(approved, rejected, terms.min_approval_bps):
        decided = approved + rejected
        raise NotEligible(
            f"the task asks for an approval rate of {terms.min_approval_bps / 100:g}% in its "
            f"token; yours is {approved * 100 / decided:.1f}%"
        )
    missing = policy.unmet(context.manifest.requester_qualifications, worker)
    if context.manifest.qualifications:
        missing += unmet(context.manifest.qualifications, worker_scores(session, worker))
    if missing:
        raise NotEligible("you do not meet the task's qualifications: " + "; ".join(missing))


def grant_slot(
    session: Session, context: TaskContext, request: SlotRequest, digest: str, now: int
) -> Grant:
    """Reserve a receipt slot for the request's worker (eligibility already checked)."""
    terms = context.terms
    worker = to_checksum_address(request.worker)
    rows = session.scalars(select(VerifierSlot).where(VerifierSlot.task_id == terms.task_id))
    taken: set[int] = set()
    done: set[int] = set()
    for row in rows:
        live = row.status is SlotHold.RECEIPTED or row.lease_end >= now
        if live:
            taken.add(row.slot)
        if row.worker != worker:
            continue
        if row.status is SlotHold.RECEIPTED:
            done.add(row.item_index)
        elif live:
            raise NoSlot(
                f"you hold slot {row.slot} of task {terms.task_id} until {row.lease_end}: "
                "submit it (or let it lapse) before asking for another"
            )
    taken.update(
        session.scalars(
            select(Slot.slot).where(Slot.task_id == terms.task_id, Slot.slot < terms.receipt_slots)
        )
    )
    done.update(
        context.manifest.item_index(slot)
        for slot in session.scalars(
            select(Assignment.slot).where(
                Assignment.task_id == terms.task_id,
                Assignment.worker == worker,
                Assignment.result_cid.is_not(None),
            )
        )
    )
    slot = _choose(context, request.slot, taken, done, _preferred(session, context, worker))
    item_index, _ = context.item_of(slot)
    lease_end = min(now + terms.lease, terms.deadline)
    found = session.get(VerifierSlot, (terms.task_id, slot))
    row = found if found is not None else VerifierSlot(task_id=terms.task_id, slot=slot)
    if found is None:
        session.add(row)
    row.item_index = item_index
    row.worker = worker
    row.status = SlotHold.RESERVED
    row.request_digest = digest
    row.reserved_at = now
    row.lease_end = lease_end
    row.envelope_cid = row.result_digest = row.signature = None
    row.submitted_at = row.receipt_expiry = None
    session.add(
        VerifierRequest(
            digest=digest,
            task_id=terms.task_id,
            slot=slot,
            worker=worker,
            expiry=request.expiry,
        )
    )
    session.flush()
    return grant_of(row, context.item_of(slot)[1])


def _preferred(session: Session, context: TaskContext, worker: str) -> list[set[int]]:
    """The items (by index) to offer first, in order (see the module's note): gold items
    when the worker has an undecided slot, then items with nothing but rejected answers."""
    outcomes: dict[int, set[Outcome]] = {}
    undecided = False
    for slot, owner, outcome in session.execute(
        select(VerifierDecision.slot, VerifierDecision.worker, VerifierDecision.outcome).where(
            VerifierDecision.task_id == context.task_id
        )
    ):
        outcomes.setdefault(context.manifest.item_index(slot), set()).add(outcome)
        undecided = undecided or (owner == worker and outcome is Outcome.UNDECIDED)
    emptied = {item for item, seen in outcomes.items() if seen == {Outcome.REJECT}}
    gold: set[int] = set()
    if undecided and context.manifest.gold is not None:
        index = {item_id: n for n, item_id in enumerate(context.item_ids)}
        gold = {index[g.item_id] for g in context.manifest.gold.items if g.item_id in index}
    return [gold, emptied]


def _choose(
    context: TaskContext,
    wanted: int,
    taken: set[int],
    done: set[int],
    preferred: Sequence[set[int]] = (),
) -> int:
    terms = context.terms
    if wanted != ANY_SLOT:
        if not is_receipt_slot(wanted, terms.receipt_slots):
            raise NoSlot(
                f"slot {wanted} is not a receipt slot of task {terms.task_id} "
                f"(those are 0 to {terms.receipt_slots - 1})"
            )
        if wanted in taken:
            raise NoSlot(f"slot {wanted} of task {terms.task_id} is taken")
        if context.manifest.item_index(wanted) in done:
            raise NoSlot(f"you answered slot {wanted}'s item already; each item once per worker")
        return wanted
    free = [
        slot
        for slot in range(terms.receipt_slots)
        if slot not in taken and context.manifest.item_index(slot) not in done
    ]
    for items in preferred:
        for slot in free:
            if context.manifest.item_index(slot) in items:
                return slot
    if free:
        return free[0]
    raise NoSlot(
        f"no receipt slot of task {terms.task_id} is left for you: the free ones are for "
        "items you answered already, or every slot is taken (some may free up as leases lapse)"
    )
