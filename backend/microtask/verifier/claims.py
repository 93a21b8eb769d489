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
for it).

**Cost and exactly-once.** Every receipt slot has a row (`ensure_slots`, once per task),
so a claim reads the worker's own rows and the first free slot through a partial index of
the slots not yet receipted: nothing task-wide, whatever the task's size. Eligibility is
read before the write transaction, which holds only the reservation. Two grants never
share a slot, in one process or many: on PostgreSQL the free slot is read ``FOR UPDATE
SKIP LOCKED`` (a concurrent claim takes the next one instead of waiting; only when every
free row is locked does it wait for them, so a claim that is about to fail and give its row
back never makes another one answer "no slot"), and on any
database the reservation is a compare-and-set on the row (`SlotTaken` when it lost);
SQLite's single write lock serialises grants on top of that (`microtask.db.engine`: one
writer at a time, which is why several processes are for PostgreSQL). A request's digest is
a primary key, so a request replayed concurrently gets its own grant back, never two.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence, Set
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Engine,
    Select,
    and_,
    bindparam,
    insert,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from microtask.db.models import Account, Assignment, Slot
from microtask.db.verifier_models import (
    Outcome,
    SlotHold,
    VerifierDecision,
    VerifierRequest,
    VerifierResult,
    VerifierSlot,
)
from microtask.encoding import checksum
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
from microtask.verifier.slots import SlotView, read_slot
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


def grant_of(row: VerifierSlot | SlotView, item_id: str, *, replayed: bool = False) -> Grant:
    """The grant a held (reserved or receipted) slot's row records."""
    if row.worker is None or row.request_digest is None or row.reserved_at is None:
        raise ValueError(f"slot {row.slot} of task {row.task_id} is not held")
    return Grant(
        task_id=row.task_id,
        slot=row.slot,
        item_index=row.item_index,
        item_id=item_id,
        worker=row.worker,
        reserved_at=row.reserved_at,
        lease_end=row.lease_end or row.reserved_at,
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
    worker = checksum(request.worker)
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


def replayed_grant(
    connection: Connection, context: TaskContext, digest: str, now: int
) -> Grant | None:
    """The grant a request already received, when it is sent again; None for a new one.

    A worker who lost the answer asks again with the same signed request and gets the same
    slot back while it is theirs; once it lapsed, the request is spent (`Replayed`).
    """
    used = connection.execute(_USED_REQUEST, {"digest": digest}).first()
    if used is None:
        return None
    row = read_slot(connection, used.task_id, used.slot)
    if (
        row is not None
        and row.request_digest == digest
        and (
            row.status is SlotHold.RECEIPTED
            or (row.status is SlotHold.RESERVED and (row.lease_end or 0) >= now)
        )
    ):
        return grant_of(row, context.item_of(row.slot)[1], replayed=True)
    raise Replayed(
        "this signed request was used already and its reservation has lapsed; sign a new request"
    )


def check_eligible(connection: Connection, context: TaskContext, worker: str, now: int) -> None:
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
        task_policy(connection, terms.requester, terms.task_id) is None
    ):
        raise TaskClosed(
            f"task {terms.task_id} opens once its requester has set its policy; try again in "
            "a moment"
        )
    policy = effective_policy(connection, terms.requester, terms.task_id)
    refusal = policy.admits(worker)
    if refusal is not None:
        raise NotEligible(refusal)
    record = connection.execute(_RECORD, {"token": terms.token, "worker": worker}).first()
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
        with Session(bind=connection) as session:  # the reputation reads through a session
            scores = worker_scores(session, worker)
        missing += unmet(context.manifest.qualifications, scores)
    if missing:
        raise NotEligible("you do not meet the task's qualifications: " + "; ".join(missing))


class SlotTaken(Exception):
    """The chosen slot was taken between choosing and reserving it (another process got
    there first): the caller starts the claim over."""


def ensure_slots(connection: Connection, context: TaskContext) -> None:
    """Give every receipt slot of the task a row (``free`` unless it already has one), so
    claims find free slots through ``ix_verifier_slots_open``; idempotent, and safe when
    two processes do it at once (conflicting rows are left as they are).

    On PostgreSQL the rows go in as one statement over two arrays: an ``executemany``
    sends (and SQLAlchemy builds the parameters of) one statement per slot, thousands for
    a large task."""
    terms = context.terms
    slots = list(range(terms.receipt_slots))
    if not slots:
        return
    items = [context.manifest.item_index(slot) for slot in slots]
    if connection.dialect.name == "postgresql":
        connection.execute(
            _SLOT_ROWS,
            {"task_id": terms.task_id, "slots": slots, "items": items, "free": SlotHold.FREE.value},
        )
        return
    rows = [
        {"task_id": terms.task_id, "slot": slot, "item_index": item, "status": SlotHold.FREE.value}
        for slot, item in zip(slots, items, strict=True)
    ]
    for start in range(0, len(rows), 5_000):
        statement = sqlite_insert(VerifierSlot).on_conflict_do_nothing()
        connection.execute(statement, rows[start : start + 5_000])


class SlotRows:
    """The tasks whose receipt slots have rows, as far as this process knows: a claim
    makes them (`ensure_slots`) once per task and process, not once per claim.

    The first claims of a task arrive together (a crowd starting on it): they wait for
    the one making the rows instead of each sending the same thousands of rows."""

    def __init__(self) -> None:
        self._known: dict[int, int] = {}
        """Task -> receipt slots known to have rows."""
        self._lock = threading.Lock()

    def ensure(self, engine: Engine, context: TaskContext) -> None:
        """Rows for every receipt slot of the task (again if the task grew)."""
        task_id, count = context.task_id, context.terms.receipt_slots
        if self._known.get(task_id, -1) >= count:
            return
        with self._lock:
            if self._known.get(task_id, -1) >= count:
                return
            with engine.begin() as connection:
                ensure_slots(connection, context)
            self._known[task_id] = count


def grant_slot(
    connection: Connection,
    context: TaskContext,
    request: SlotRequest,
    digest: str,
    now: int,
    preferred: Sequence[Set[int]] = (),
) -> Grant:
    """Reserve a receipt slot for the request's worker (eligibility already checked).

    What it reads does not grow with the task: the worker's own rows, then the first free
    slot through the open-slots index, skipping (on PostgreSQL, ``SKIP LOCKED``) a slot
    another claim is reserving at this moment. The reservation itself is a compare-and-set
    on the slot's row (free, or a lapsed reservation), so a slot taken meanwhile raises
    `SlotTaken` instead of being handed out twice; the unique ``ix_verifier_slots_held``
    refuses a second live reservation of one worker (an ``IntegrityError``) and the used
    request's primary key a second grant for one request.
    """
    terms = context.terms
    worker = checksum(request.worker)
    mine = {"task_id": terms.task_id, "worker": worker}
    done: set[int] = set()
    lapsed: list[int] = []
    for slot, item, status, lease_end in connection.execute(_WORKER_ROWS, mine):
        if status is SlotHold.RECEIPTED:
            done.add(item)
        elif status is SlotHold.RESERVED and lease_end is not None and lease_end >= now:
            raise NoSlot(
                f"you hold slot {slot} of task {terms.task_id} until {lease_end}: "
                "submit it (or let it lapse) before asking for another"
            )
        elif status is SlotHold.RESERVED:
            lapsed.append(slot)
    done.update(
        context.manifest.item_index(slot) for slot in connection.scalars(_ANSWERED_ON_CHAIN, mine)
    )
    if lapsed:
        _give_back(connection, terms.task_id, lapsed, worker)
    if request.slot != ANY_SLOT:
        slot = _asked_for(connection, context, request.slot, done, now)
    else:
        slot = _first_free(connection, context, done, now, preferred)
    item_index, item_id = context.item_of(slot)
    lease_end = min(now + terms.lease, terms.deadline)
    taken = connection.execute(
        _RESERVE,
        {
            "of_task": terms.task_id,
            "of_slot": slot,
            "now": now,
            "new_item_index": item_index,
            "new_worker": worker,
            "new_request_digest": digest,
            "new_lease_end": lease_end,
        },
    )
    if taken.rowcount != 1:
        raise SlotTaken(slot)
    connection.execute(
        _USE_REQUEST,
        {
            "digest": digest,
            "task_id": terms.task_id,
            "slot": slot,
            "worker": worker,
            "expiry": request.expiry,
        },
    )
    return Grant(
        task_id=terms.task_id,
        slot=slot,
        item_index=item_index,
        item_id=item_id,
        worker=worker,
        reserved_at=now,
        lease_end=lease_end,
        request_digest=digest,
    )


def _is_free(now: int | BindParameter[int]) -> ColumnElement[bool]:
    """A row no one holds: free, or reserved with its lease lapsed (never receipted).

    The receipted test is a literal, not a bound parameter, so the planner can use the
    partial index ``ix_verifier_slots_open`` (whose predicate it is)."""
    return and_(
        literal_column("verifier_slots.status != 'receipted'"),
        or_(VerifierSlot.status == SlotHold.FREE, VerifierSlot.lease_end < now),
    )


def _settled_on_chain(task_id: int | BindParameter[int]) -> ColumnElement[bool]:
    """The index has the slot: the chain settled it (a presented receipt, a direct
    approval or rejection), whatever this verifier knows of it.

    One primary-key lookup per candidate row. ``OFFSET 0`` keeps PostgreSQL from turning
    the test into an anti-join, which it planned (from the statistics of a task whose
    slots were not settled yet) as a scan of every settled slot of the task for each
    candidate: the claims' most expensive statement by far as a task filled up."""
    return (
        select(Slot.slot)
        .where(Slot.task_id == task_id, Slot.slot == VerifierSlot.slot)
        .offset(0)
        .exists()
    )


def _give_back(connection: Connection, task_id: int, slots: list[int], worker: str) -> None:
    """Free the worker's own lapsed reservations, so they may hold a new one."""
    connection.execute(
        update(VerifierSlot)
        .where(
            VerifierSlot.task_id == task_id,
            VerifierSlot.slot.in_(slots),
            VerifierSlot.worker == worker,
            VerifierSlot.status == SlotHold.RESERVED,
        )
        .values(
            status=SlotHold.FREE,
            worker=None,
            request_digest=None,
            reserved_at=None,
            lease_end=None,
        )
    )


def _first_free(
    connection: Connection,
    context: TaskContext,
    done: Set[int],
    now: int,
    preferred: Sequence[Set[int]],
) -> int:
    """The lowest free slot whose item the worker has not answered, from the preferred
    items first (see the module's note)."""
    task_id = context.task_id
    params: dict[str, Any] = {"task_id": task_id, "now": now, "done": sorted(done)}
    for items in preferred:
        wanted = sorted(set(items) - set(done))
        if wanted:
            query = _free_slot(among=True, skip_done=bool(done), wait=False)
            found = connection.scalar(query, {**params, "wanted": wanted})
            if found is not None:
                return int(found)
    found = connection.scalar(_free_slot(among=False, skip_done=bool(done), wait=False), params)
    if found is None and connection.dialect.name == "postgresql":
        # every free row may be locked by claims that will still fail (a request raced
        # from two processes holds two rows for a moment): wait for them, not "no slot"
        found = connection.scalar(_free_slot(among=False, skip_done=bool(done), wait=True), params)
    if found is not None:
        return int(found)
    raise NoSlot(
        f"no receipt slot of task {task_id} is left for you: the free ones are for "
        "items you answered already, or every slot is taken (some may free up as leases lapse)"
    )


def _asked_for(
    connection: Connection, context: TaskContext, wanted: int, done: Set[int], now: int
) -> int:
    """``wanted``, if it is a receipt slot that is free and whose item is new to the worker."""
    terms = context.terms
    if not is_receipt_slot(wanted, terms.receipt_slots):
        raise NoSlot(
            f"slot {wanted} is not a receipt slot of task {terms.task_id} "
            f"(those are 0 to {terms.receipt_slots - 1})"
        )
    free = connection.scalar(
        select(VerifierSlot.slot)
        .where(
            VerifierSlot.task_id == terms.task_id,
            VerifierSlot.slot == wanted,
            _is_free(now),
            ~_settled_on_chain(terms.task_id),
        )
        .with_for_update()
    )
    if free is None:
        raise NoSlot(f"slot {wanted} of task {terms.task_id} is taken")
    if context.manifest.item_index(wanted) in done:
        raise NoSlot(f"you answered slot {wanted}'s item already; each item once per worker")
    return wanted


def preferred_items(connection: Connection, context: TaskContext, worker: str) -> list[set[int]]:
    """The items (by index) to offer ``worker`` first, in order (see the module's note):
    gold items when the worker has an undecided slot, then items with nothing but
    rejected answers (as the task's last assessment recorded them)."""
    gold: set[int] = set()
    if context.gold_items:
        undecided = connection.scalar(_UNDECIDED, {"task_id": context.task_id, "worker": worker})
        gold = set(context.gold_items) if undecided is not None else set()
    emptied = connection.scalar(_EMPTIED, {"task_id": context.task_id})
    return [gold, set(emptied or ())]


# ---------------------------------------------------------------- statements
# A claim runs a dozen statements. Built for each call, SQLAlchemy constructs, keys and
# (through the ORM session) wraps every one: about 200 us each, most of a claim's time.
# Built once with bound parameters and run on a plain connection (no ORM session, identity
# map or instances: `VerifierService` hands the claim one for its reads and one for its
# write) they cost a third of that, for the same SQL.

_USED_REQUEST: Final = select(VerifierRequest.task_id, VerifierRequest.slot).where(
    VerifierRequest.digest == bindparam("digest")
)
_RECORD: Final = select(Account.approved, Account.rejected).where(
    Account.token == bindparam("token"), Account.address == bindparam("worker")
)
_WORKER_ROWS: Final = select(
    VerifierSlot.slot, VerifierSlot.item_index, VerifierSlot.status, VerifierSlot.lease_end
).where(VerifierSlot.task_id == bindparam("task_id"), VerifierSlot.worker == bindparam("worker"))
_ANSWERED_ON_CHAIN: Final = select(Assignment.slot).where(
    Assignment.worker == bindparam("worker"),
    Assignment.task_id == bindparam("task_id"),
    Assignment.result_cid.is_not(None),
)
_RESERVE: Final = (
    update(VerifierSlot)
    .where(
        VerifierSlot.task_id == bindparam("of_task"),
        VerifierSlot.slot == bindparam("of_slot"),
        _is_free(bindparam("now")),
    )
    .values(
        item_index=bindparam("new_item_index"),
        worker=bindparam("new_worker"),
        status=SlotHold.RESERVED,
        request_digest=bindparam("new_request_digest"),
        reserved_at=bindparam("now"),
        lease_end=bindparam("new_lease_end"),
        envelope_cid=None,
        result_digest=None,
        signature=None,
        submitted_at=None,
        receipt_expiry=None,
    )
)
_USE_REQUEST: Final = insert(VerifierRequest)
_UNDECIDED: Final = (
    select(VerifierDecision.slot)
    .where(
        VerifierDecision.task_id == bindparam("task_id"),
        VerifierDecision.worker == bindparam("worker"),
        VerifierDecision.outcome == Outcome.UNDECIDED,
    )
    .limit(1)
)
_SLOT_ROWS: Final = text(
    "INSERT INTO verifier_slots (task_id, slot, item_index, status) "
    "SELECT :task_id, slot, item_index, :free "
    "FROM unnest(CAST(:slots AS BIGINT[]), CAST(:items AS BIGINT[])) AS given(slot, item_index) "
    "ON CONFLICT DO NOTHING"
)
"""`ensure_slots` on PostgreSQL: every receipt slot's row in one statement."""
_EMPTIED: Final = select(VerifierResult.emptied_items).where(
    VerifierResult.task_id == bindparam("task_id")
)


@cache
def _free_slot(*, among: bool, skip_done: bool, wait: bool) -> Select[int]:
    """The lowest free slot of the task not settled on chain (parameters ``task_id`` and
    ``now``), of an item not in ``done`` (``skip_done``) and in ``wanted`` (``among``);
    ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, or waiting for locked rows (``wait``)."""
    task_id = bindparam("task_id", type_=VerifierSlot.task_id.type)
    query = (
        select(VerifierSlot.slot)
        .where(
            VerifierSlot.task_id == task_id,
            _is_free(bindparam("now", type_=VerifierSlot.lease_end.type)),
            ~_settled_on_chain(task_id),
        )
        .order_by(VerifierSlot.slot)
        .limit(1)
    )
    if skip_done:
        query = query.where(VerifierSlot.item_index.not_in(bindparam("done", expanding=True)))
    if among:
        query = query.where(VerifierSlot.item_index.in_(bindparam("wanted", expanding=True)))
    return query.with_for_update() if wait else query.with_for_update(skip_locked=True)
