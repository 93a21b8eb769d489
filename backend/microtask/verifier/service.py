"""`VerifierService`: the verifier as a running service, and what its HTTP routes call.

It holds the verifier's key (a keystore account; a development account under ``microtask
up``), a connection to the chain, the content store and two database engines on the index
database: a reader for the index tables, a writer for its own (`db.verifier_models`).

Requests (HTTP, through `microtask.api.routes.verifier`):

- `request_slot`: a signed `SlotRequest` becomes a reservation (`claims`);
- `submit`: an envelope CID for a reserved slot becomes a signed receipt (`receipts`);
- `set_policy` / `command_assess`: a requester's signed policy or "assess now";
- `receipts`: the receipts a task's slots got, for its requester to read the work;
- `send_message` / `inbox`: a requester's signed message to workers who did their work,
  and a worker's signed request for their messages (`messages`).

Requests need no loop: any number of processes may serve them for one key over one
PostgreSQL database (the API's processes under `microtask up`), since a slot's reservation
and receipt are single conditional writes there (see `claims` and `receipts`), and they
read the chain's time from the index, not the node (`clock`).

Its loop (`run`, a thread under `start`: one per key, in one process) finishes any
settlement a previous run left open, then assesses each of its tasks when it is due and
settles the decisions:

- every slot of the task has been submitted (redundancy complete), or
- the task's deadline passed with new submissions, or
- a submission's review period is about to close (after that, a presented receipt pays by
  silence and rejecting is no longer possible), or
- the requester asked (``assess``).

Whether a task is due is decided from what changed (`progress`: the receipts since the
last round, not every receipted slot), and the loop wakes on each receipt (in this process
directly; from other processes through PostgreSQL's ``LISTEN``, `wakeups`), at most once
every `MIN_ROUND_SECONDS`, so a burst of receipts costs one round.

Assessing and settling hold one lock, so the loop and an on-demand request never send
transactions at once (they share the verifier's nonce); on PostgreSQL it is also an
advisory lock on the verifier's address, held across processes (a requester's "assess now"
may arrive at any process serving the routes).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from sqlalchemy import Connection, Engine, bindparam, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from microtask.chain.deployments import DeploymentRecord
from microtask.chain.escrow import TaskEscrowClient
from microtask.config import Settings
from microtask.content import ContentStore
from microtask.db import make_engine, migrate, session_factory
from microtask.db.models import Assignment
from microtask.db.verifier_models import (
    IntentStatus,
    Settled,
    SlotHold,
    VerifierDecision,
    VerifierResult,
    VerifierSettlement,
    VerifierSlot,
)
from microtask.encoding import checksum
from microtask.escrow import has_ended, review_end
from microtask.manifests.sealing import public_key_of
from microtask.quality import Submission
from microtask.services import ServiceFailed
from microtask.verifier import assessment, claims, messages, receipts
from microtask.verifier.claims import Grant, SlotTaken
from microtask.verifier.clock import ChainClock
from microtask.verifier.errors import (
    BadSignature,
    NotEligible,
    RequestInvalid,
    SubmissionRefused,
    VerifierError,
)
from microtask.verifier.opened import OpenedKey, OpenedSubmissions, OpeningSeal
from microtask.verifier.policy import Policy, effective_policy, store_policy
from microtask.verifier.progress import Progress
from microtask.verifier.receipts import IssuedReceipt
from microtask.verifier.settlement import Settler
from microtask.verifier.slots import SlotView, read_slot
from microtask.verifier.tasks import TaskContext, TaskLoader, verified_task_ids
from microtask.verifier.typed_data import NO_PAYLOAD, SlotRequest, VerifierCommand, payload_hash
from microtask.verifier.wakeups import ArrivalListener

log = logging.getLogger("microtask.verifier")

COMMAND_FRESHNESS: Final = 600
"""Seconds a signed ``assess`` command stays good, and how far ahead a policy may be dated."""
GRANT_ATTEMPTS: Final = 5
MIN_ROUND_SECONDS: Final = 0.25
"""The loop's rounds start at least this far apart, however many receipts wake it."""


@dataclass(frozen=True)
class TaskReport:
    """What one assessment (and its settlement) did."""

    task_id: int
    reason: str
    run: int | None
    submissions: int
    outcomes: dict[str, int] = field(default_factory=dict)
    results_cid: str | None = None
    settled: dict[str, int] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)
    """Items, items answered, the items that lost every answer to rejections (`emptied`)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "reason": self.reason,
            "run": self.run,
            "submissions": self.submissions,
            "outcomes": self.outcomes,
            "results_cid": self.results_cid,
            "settled": self.settled,
            "coverage": self.coverage,
        }


# The loop's reads each round, built once (see `claims`, statements).
_ASSESSED: Final = select(VerifierResult.submissions).where(
    VerifierResult.task_id == bindparam("task_id")
)
_PENDING: Final = (
    select(VerifierDecision.slot)
    .where(
        VerifierDecision.task_id == bindparam("task_id"),
        VerifierDecision.settled == Settled.PENDING,
    )
    .limit(1)
)


class VerifierService:
    """The verifier of one escrow deployment, acting as one key."""

    name: ClassVar[str] = "the verifier"

    def __init__(
        self,
        *,
        w3: Web3,
        record: DeploymentRecord,
        account: LocalAccount,
        database_url: str,
        content: ContentStore,
        poll_interval: float = 2.0,
        clock: Callable[[], int] | None = None,
        owns_content: bool = False,
    ) -> None:
        self.w3 = w3
        self.record = record
        self.account = account
        self.address = to_checksum_address(account.address)
        self.escrow = to_checksum_address(record.address)
        self.chain_id = int(w3.eth.chain_id)
        self.content = content
        self.poll_interval = poll_interval
        self.database_url = database_url
        self.writer: Engine = make_engine(database_url, writer=True)
        migrate(self.writer)
        self.reader: Engine = make_engine(database_url)
        self.postgres = self.writer.dialect.name == "postgresql"
        self.writes: sessionmaker[Session] = session_factory(self.writer)
        self.reads: sessionmaker[Session] = session_factory(self.reader)
        self.clock: Callable[[], int] = clock or ChainClock.following(self.reader, w3)
        self.progress = Progress()
        self.opened = OpenedSubmissions()
        """Envelopes opened at hand-in or by an assessment, for the next assessments."""
        self.opening_seal = OpeningSeal(bytes(account.key))
        """Seals what the hand-in opened into the receipt's row, for other processes."""
        self._slotted: dict[int, int] = {}
        """Task -> receipt slots known to have rows (`claims.ensure_slots`)."""
        self.client = TaskEscrowClient.at(w3, record.address, record.abi, account)
        self.loader = TaskLoader(content, self.address)
        self.settler = Settler(self.writes, self.client, content, reader=self.reader)
        self.owns_content = owns_content
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listener: ArrivalListener | None = None
        self.failure: BaseException | None = None

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        w3: Web3,
        record: DeploymentRecord,
        account: LocalAccount,
        database_url: str,
        content: ContentStore,
        owns_content: bool = False,
    ) -> VerifierService:
        return cls(
            w3=w3,
            record=record,
            account=account,
            database_url=database_url,
            content=content,
            poll_interval=settings.verifier_poll_interval,
            owns_content=owns_content,
        )

    # ------------------------------------------------------------ identity

    @property
    def public_key(self) -> str:
        """The key submissions must be sealed to (0x04...), for manifests to name."""
        return "0x" + public_key_of(bytes(self.account.key)).hex()

    def info(self) -> dict[str, Any]:
        return {
            "verifier": self.address,
            "public_key": self.public_key,
            "chain_id": self.chain_id,
            "escrow": self.escrow,
        }

    def context(self, task_id: int) -> TaskContext:
        with self.reader.connect() as connection:
            return self.loader.context(connection, task_id)

    # ------------------------------------------------------------ workers

    def request_slot(self, request: SlotRequest, signature: bytes) -> Grant:
        """Reserve a receipt slot for a signed request (see `claims`).

        Everything but the reservation is read first, outside the write transaction: the
        request's signature and freshness, a replay, the worker's eligibility and the items
        to offer first. The transaction then holds only the reservation itself; a lost race
        (`SlotTaken`, or the database refusing a second grant) starts it over.
        """
        now = self.clock()
        digest = claims.verify_request(
            request, signature, chain_id=self.chain_id, escrow=self.escrow, now=now
        )
        worker = checksum(request.worker)  # remembered: the same workers ask again and again
        context: TaskContext | None = None
        for attempt in range(GRANT_ATTEMPTS):
            with self.reader.connect() as connection:
                if context is None:  # read once, with the first attempt's reads
                    context = self.loader.context(connection, request.task_id)
                replayed = claims.replayed_grant(connection, context, digest, now)
                if replayed is not None:
                    return replayed
                claims.check_eligible(connection, context, worker, now)
                preferred = claims.preferred_items(connection, context, worker)
            self._ensure_slots(context)
            try:
                with self.writer.begin() as connection:
                    grant = claims.grant_slot(connection, context, request, digest, now, preferred)
            except (IntegrityError, SlotTaken):
                if attempt == GRANT_ATTEMPTS - 1:
                    raise
                continue
            log.debug(
                "task %d: slot %d reserved for %s until %d",
                grant.task_id, grant.slot, worker, grant.lease_end,
            )  # fmt: skip
            return grant
        raise AssertionError("unreachable")

    def _ensure_slots(self, context: TaskContext) -> None:
        """Rows for every receipt slot of the task, once per process (and again if the
        task grows)."""
        if self._slotted.get(context.task_id, -1) >= context.terms.receipt_slots:
            return
        with self.writer.begin() as connection:
            claims.ensure_slots(connection, context)
        self._slotted[context.task_id] = context.terms.receipt_slots

    def submit(self, task_id: int, slot: int, envelope_cid: str) -> IssuedReceipt:
        """Check a reserved slot's envelope and sign its receipt (see `receipts`)."""
        now = self.clock()
        cid, digest = receipts.result_digest(envelope_cid)
        with self.reader.connect() as connection:
            context = self.loader.context(connection, task_id)
            row = receipts.holder(connection, task_id, slot)
        if row.status is SlotHold.RECEIPTED:
            return self._same_receipt(row, cid)
        opened_key = OpenedKey(task_id, slot, row.worker or "", cid, context.terms.manifest_cid)
        envelope, answers = receipts.check_envelope(
            context,
            row,
            cid,
            store=self.content,
            verifier_key=bytes(self.account.key),
            chain_id=self.chain_id,
            escrow=self.escrow,
        )
        with self.writer.begin() as connection:
            issued = receipts.issue_receipt(
                connection,
                context,
                row,
                cid,
                digest,
                signer=self.account,
                chain_id=self.chain_id,
                escrow=self.escrow,
                now=now,
                opened=self.opening_seal.seal(opened_key, answers),
            )
        if issued is None:
            with self.reader.connect() as connection:
                row = receipts.holder(connection, task_id, slot)
            if row.status is SlotHold.RECEIPTED:
                return self._same_receipt(row, cid)
            raise SubmissionRefused(
                f"slot {slot} of task {task_id} is no longer yours: its lease lapsed and it "
                "was reserved again"
            )
        log.debug("task %d: receipt for slot %d (%s)", task_id, slot, row.worker)
        # what `Submission.opened` would make, from parts validated already (the envelope
        # and answers just checked, the CID normalised, times from this verifier's clock)
        self.opened.keep(opened_key, Submission.model_construct(
            slot=envelope.slot,
            worker=envelope.worker,
            answers=tuple(answers.answers),
            submitted_at=now,
            started_at=row.reserved_at if (row.reserved_at or 0) <= now else None,
            cid=cid,
        ))  # fmt: skip
        self._wake.set()
        return issued

    def _same_receipt(self, row: SlotView, cid: str) -> IssuedReceipt:
        if row.envelope_cid != cid:
            raise SubmissionRefused(
                f"slot {row.slot} of task {row.task_id} has a receipt for another envelope "
                f"({row.envelope_cid}); a slot is receipted once"
            )
        return receipts.receipt_of(row, self.address)

    def receipts(
        self, task_id: int, *, after: int = -1, limit: int = 100
    ) -> list[tuple[IssuedReceipt, int]]:
        """The task's receipts by slot, from the first slot after ``after``: each with when
        its slot was reserved (what MTurk calls the assignment's accept time)."""
        with self.reads() as session:
            rows = session.scalars(
                select(VerifierSlot)
                .where(
                    VerifierSlot.task_id == task_id,
                    VerifierSlot.slot > after,
                    VerifierSlot.status == SlotHold.RECEIPTED,
                )
                .order_by(VerifierSlot.slot)
                .limit(limit)
            )
            return [  # a receipted slot was reserved first: reserved_at is set
                (receipts.receipt_of(row, self.address), row.reserved_at or 0) for row in rows
            ]

    def receipt(self, task_id: int, slot: int) -> IssuedReceipt | None:
        """The receipt issued for a slot, if any."""
        with self.reader.connect() as connection:
            row = read_slot(connection, task_id, slot)
        if row is None or row.status is not SlotHold.RECEIPTED:
            return None
        return receipts.receipt_of(row, self.address)

    # ------------------------------------------------------------ requesters

    def _command_signer(self, command: VerifierCommand, signature: bytes) -> str:
        try:
            return command.signer(signature, self.chain_id, self.escrow)
        except ValueError:
            raise BadSignature("the command's signature is malformed") from None

    def set_policy(
        self, requester: str, task_id: int, policy: Policy, issued_at: int, signature: bytes
    ) -> None:
        """Keep a requester's signed policy for one of their tasks (or all: task 0)."""
        requester = to_checksum_address(requester)
        command = VerifierCommand(task_id, "policy", payload_hash(policy.canonical()), issued_at)
        signer = self._command_signer(command, signature)
        if signer != requester:
            raise BadSignature(f"the policy is signed by {signer}, not by {requester}")
        if issued_at > self.clock() + COMMAND_FRESHNESS:
            raise RequestInvalid("the policy is dated in the future")
        if task_id != 0:
            context = self.context(task_id)
            if context.terms.requester != requester:
                raise NotEligible(f"task {task_id} is not {requester}'s")
        with self.writes.begin() as session:
            store_policy(
                session,
                requester=requester,
                task_id=task_id,
                policy=policy,
                issued_at=issued_at,
                signature=signature,
            )
        log.info("policy for %s task %d stored (issued at %d)", requester, task_id, issued_at)

    def command_assess(self, task_id: int, issued_at: int, signature: bytes) -> TaskReport:
        """Assess and settle a task now, at its requester's signed request."""
        command = VerifierCommand(task_id, "assess", NO_PAYLOAD, issued_at)
        signer = self._command_signer(command, signature)
        context = self.context(task_id)
        if signer != context.terms.requester:
            raise BadSignature(f"only task {task_id}'s requester may ask for an assessment")
        if abs(self.clock() - issued_at) > COMMAND_FRESHNESS:
            raise RequestInvalid(
                f"the command was signed at {issued_at}; sign a fresh one (good for "
                f"{COMMAND_FRESHNESS} s)"
            )
        return self.assess(task_id, reason="asked by the requester")

    def send_message(
        self,
        requester: str,
        workers: list[str],
        subject: str,
        text: str,
        issued_at: int,
        signature: bytes,
    ) -> messages.Delivery:
        """Keep a requester's signed message for each worker who worked for them."""
        requester = to_checksum_address(requester)
        workers = [to_checksum_address(worker) for worker in workers]
        problem = messages.check_message(subject, text, workers)
        if problem is not None:
            raise RequestInvalid(problem)
        document = messages.message_document(subject, text, workers)
        command = VerifierCommand(0, "message", payload_hash(document), issued_at)
        signer = self._command_signer(command, signature)
        if signer != requester:
            raise BadSignature(f"the message is signed by {signer}, not by {requester}")
        self._fresh(issued_at, "message")
        digest = "0x" + command.digest(self.chain_id, self.escrow).hex()
        with self.writes.begin() as session:
            delivery = messages.deliver(
                session,
                requester=requester,
                workers=workers,
                subject=subject,
                text=text,
                sent_at=issued_at,
                command=digest,
            )
        log.info("message from %s to %d workers", requester, len(delivery.sent))
        return delivery

    def inbox(
        self, worker: str, issued_at: int, signature: bytes, *, before: int | None = None
    ) -> list[messages.Message]:
        """The messages to ``worker``, who signed a fresh ``inbox`` command to read them."""
        worker = to_checksum_address(worker)
        command = VerifierCommand(0, "inbox", NO_PAYLOAD, issued_at)
        signer = self._command_signer(command, signature)
        if signer != worker:
            raise BadSignature(f"the inbox request is signed by {signer}, not by {worker}")
        self._fresh(issued_at, "inbox request")
        with self.reads() as session:
            return messages.inbox(session, worker, before=before)

    def _fresh(self, issued_at: int, what: str) -> None:
        if abs(self.clock() - issued_at) > COMMAND_FRESHNESS:
            raise RequestInvalid(
                f"the {what} was signed at {issued_at}; sign a fresh one (good for "
                f"{COMMAND_FRESHNESS} s)"
            )

    # ------------------------------------------------------------ assessing and settling

    def assess(self, task_id: int, *, reason: str = "on demand", settle: bool = True) -> TaskReport:
        """Assess the task now and (unless told not to) settle what was decided."""
        with self.exclusive():
            self.settler.recover()
            context = self.context(task_id)
            return self._assess(context, reason, settle=settle)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the right to assess and settle as this verifier: a lock in this process,
        and on PostgreSQL an advisory lock on the verifier's address for every process
        (they share its nonce)."""
        with self._lock:
            if not self.postgres:
                yield
                return
            key = int(self.address[2:17], 16)  # 60 bits: a positive bigint
            with self.writer.connect() as connection:
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
                try:
                    yield
                finally:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})

    def _assess(self, context: TaskContext, reason: str, *, settle: bool) -> TaskReport:
        now = self.clock()
        with self.reads() as session:
            works = assessment.submitted_work(session, context.task_id)
            policy = effective_policy(
                session.connection(), context.terms.requester, context.task_id
            )
            run = assessment.next_run(session, context.task_id)
        submissions, unopened = assessment.open_work(
            context,
            works,
            store=self.content,
            verifier_key=bytes(self.account.key),
            chain_id=self.chain_id,
            escrow=self.escrow,
            kept=self.opened,
            seal=self.opening_seal,
        )
        gold = assessment.gold_key(context, policy, bytes(self.account.key))
        judgement = assessment.judge(context, submissions, unopened, gold=gold, policy=policy)
        results_cid = assessment.seal(
            context,
            judgement,
            run=run,
            assessed_at=now,
            chain_id=self.chain_id,
            escrow=self.escrow,
            store=self.content,
        )
        with self.writes.begin() as session:
            outcomes = assessment.record(
                session, context, judgement, run=run, assessed_at=now, results_cid=results_cid
            )
        log.info(
            "task %d assessed (%s): %d submissions, %s; results %s",
            context.task_id, reason, len(works), dict(outcomes), results_cid,
        )  # fmt: skip
        settled = self.settler.settle(context, self.clock()) if settle else {}
        return TaskReport(
            task_id=context.task_id,
            reason=reason,
            run=run,
            submissions=len(works),
            outcomes=dict(outcomes),
            results_cid=results_cid,
            settled=settled,
            coverage=judgement.coverage(),
        )

    def due(self, connection: Connection, context: TaskContext, now: int) -> str | None:
        """Why the task should be assessed now, or None (see the module's note), from the
        loop's running view of it (`progress`), not from every submission."""
        known = self.progress.of(connection, context)
        submissions = known.submissions
        if not submissions:
            return None
        assessed = connection.scalar(_ASSESSED, {"task_id": context.task_id})
        if assessed is not None and assessed >= submissions:
            return None
        terms = context.terms
        if submissions >= min(terms.slot_count, context.manifest.slot_count):
            return "every slot is in"
        if has_ended(terms.deadline, now):
            return "the deadline passed"
        oldest = known.oldest_open()
        margin = min(max(60, terms.review_period // 10), terms.review_period // 2)
        if oldest is not None and review_end(oldest, terms.review_period) - margin <= now:
            return "a review period is closing"
        return None

    def tick(self) -> list[TaskReport]:
        """One round of the loop: recover, take in the new receipts, then assess and settle
        what is due."""
        reports = []
        with self.exclusive():
            self.settler.recover()
            now = self.clock()
            self._collect()
            for context, reason in self._due_tasks(now):
                if reason is not None:
                    reports.append(self._assess(context, reason, settle=True))
                else:
                    self.settler.settle(context, self.clock())
                with self.reader.connect() as connection:
                    self.progress.settled(connection, context.task_id)
        return reports

    def _collect(self) -> None:
        """Fold in the receipts issued since the last round (`Progress.collect`), reading
        them on a plain connection and opening a write transaction (on SQLite, one that
        claims and hand-ins wait behind) only to delete the ones there were."""
        with self.reader.connect() as connection:
            arrivals = self.progress.collect(connection, self.address)
        if arrivals:
            with self.writer.begin() as connection:
                self.progress.forget_arrivals(connection, arrivals)

    def _due_tasks(self, now: int) -> list[tuple[TaskContext, str | None]]:
        """The tasks to assess (with why) or to settle (None), found in one read
        transaction: the round's task list, each task's terms, whether it is due and, if
        it is not, whether a decision waits to be settled."""
        work: list[tuple[TaskContext, str | None]] = []
        with self.reader.connect() as connection:
            for task_id in verified_task_ids(connection, self.address, settleable_after=now):
                try:
                    context = self.loader.context(connection, task_id)
                except VerifierError as skipped:
                    log.debug("task %d skipped: %s", task_id, skipped)
                    continue
                reason = self.due(connection, context, now)
                if reason is not None:
                    work.append((context, reason))
                elif connection.scalar(_PENDING, {"task_id": task_id}) is not None:
                    work.append((context, None))
        return work

    # ------------------------------------------------------------ status

    def task_status(self, task_id: int) -> dict[str, Any]:
        """What the verifier holds for a task: slots, receipts, decisions, results."""
        context = self.context(task_id)
        now = self.clock()
        with self.reads() as session:
            held: dict[SlotHold, int] = {
                status: count
                for status, count in session.execute(
                    select(VerifierSlot.status, func.count())
                    .where(
                        VerifierSlot.task_id == task_id,
                        VerifierSlot.status != SlotHold.FREE,
                        (VerifierSlot.status == SlotHold.RECEIPTED)
                        | (VerifierSlot.lease_end >= now),
                    )
                    .group_by(VerifierSlot.status)
                )
            }
            # Columns, not ORM objects: a requester's page and `bench/load.py` poll this
            # while a task of thousands of slots settles.
            decisions = session.execute(
                select(
                    VerifierDecision.slot,
                    VerifierDecision.worker,
                    VerifierDecision.outcome,
                    VerifierDecision.settled,
                    VerifierDecision.reasons,
                    VerifierDecision.checks,
                    VerifierDecision.settle_tx,
                )
                .where(VerifierDecision.task_id == task_id)
                .order_by(VerifierDecision.slot)
            ).all()
            result = session.get(VerifierResult, task_id)
            txs = list(
                session.scalars(
                    select(VerifierSettlement)
                    .where(VerifierSettlement.task_id == task_id)
                    .order_by(VerifierSettlement.id)
                )
            )
            onchain = session.scalar(
                select(func.count()).where(
                    Assignment.task_id == task_id, Assignment.result_cid.is_not(None)
                )
            )
        reserved = int(held.get(SlotHold.RESERVED, 0))
        receipted = int(held.get(SlotHold.RECEIPTED, 0))
        return {
            "task_id": task_id,
            "verifier": self.address,
            "receipt_slots": context.terms.receipt_slots,
            "reserved": reserved,
            "receipted": receipted,
            "submitted_on_chain": int(onchain or 0),
            "run": result.run if result else None,
            "assessed_at": result.assessed_at if result else None,
            "results_cid": result.cid if result else None,
            "decisions": [
                {
                    "slot": d.slot,
                    "worker": d.worker,
                    "outcome": d.outcome.value,
                    "settled": d.settled.value,
                    "reasons": d.reasons,
                    "checks": d.checks,
                    "settle_tx": d.settle_tx,
                }
                for d in decisions
            ],
            "transactions": [
                {
                    "kind": t.kind.value,
                    "slots": t.slots,
                    "tx_hash": t.tx_hash,
                    "status": t.status.value,
                    "reason_cid": t.reason_cid,
                }
                for t in txs
                if t.status is not IntentStatus.DROPPED
            ],
        }

    # ------------------------------------------------------------ running

    def wake(self, *_: object) -> None:
        """Look for work now (after a receipt, or when the indexer committed new events)."""
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        """Loop until ``stop``: a tick, then wait for a wake-up (a receipt, new blocks) or
        the poll interval, rounds at least `MIN_ROUND_SECONDS` apart."""
        while not stop.is_set():
            started = time.monotonic()
            try:
                self.tick()
            except Exception:  # a chain or database hiccup must not end the loop
                log.exception("verifier round failed; retrying")
            self._wake.wait(self.poll_interval)
            stop.wait(max(0.0, started + MIN_ROUND_SECONDS - time.monotonic()))
            self._wake.clear()

    def start(self) -> None:
        """Run the loop in a thread until `stop`."""

        def guarded() -> None:
            try:
                self.run(self._stop)
            except BaseException as error:
                log.exception("the verifier stopped")
                self.failure = error

        self._stop.clear()
        if self.postgres:
            self._listener = ArrivalListener(self.database_url, self.wake)
            self._listener.start()
        self._thread = threading.Thread(target=guarded, name="verifier", daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def check(self) -> None:
        """Raise what ended the loop, if it ended (for the supervisor watching it)."""
        if self.failure is not None:
            raise self.failure
        if self._thread is not None and not self._stop.is_set() and not self.alive():
            raise ServiceFailed(f"{self.name} stopped unexpectedly; see the log above")

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._listener is not None:
            self._listener.stop()
        if self._thread is not None:
            self._thread.join(timeout)
        self.close()

    def close(self) -> None:
        self.writer.dispose()
        self.reader.dispose()
        if self.owns_content:
            self.content.close()
