"""Assessing a task: open every submission, run quality control, record and publish.

The submissions are the slots this verifier receipted and the slots submitted on chain
(the index's assignments with a result CID): the verifier judges all the work of its
tasks, however it arrived. Each envelope is fetched and opened with the verifier's key
against the manifest, once (what the hand-in check or an earlier assessment opened is
taken as it was: `microtask.verifier.opened`); `quality.assess` then scores gold,
aggregates, measures agreement, looks for fraud and decides each slot under the
requester's rule (their policy's, else the platform default).

Times come from clocks the worker cannot set: a receipt slot started when it was
reserved and was submitted when the receipt says; an on-chain slot from its claim's and
submission's blocks.

A submission that cannot be opened or does not fit the manifest is rejected with that as
the reason (``off_instructions``), outside quality control; one whose content the store
does not have (yet) is left undecided and tried again at the next assessment.

What is recorded, in one transaction: a decision per slot (a slot settled already keeps
how it was settled), each worker's scores in the task (replacing the previous
assessment's), the result set's CID, and the items left with nothing but rejected answers
(claims offer their free slots first). The result set (`results.SealedResultSet`) is
on the content store before that transaction starts, so a recorded CID always resolves.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from microtask.content import ContentStore
from microtask.content.errors import ContentError, ContentNotFound, ContentTooLarge
from microtask.db.models import Assignment
from microtask.db.verifier_models import (
    Outcome,
    Settled,
    SlotHold,
    VerifierDecision,
    VerifierResult,
    VerifierSlot,
    VerifierWorkerTask,
)
from microtask.manifests import (
    ManifestError,
    RejectionReason,
    SubmissionEnvelope,
    open_submission,
    parse_as,
)
from microtask.manifests.limits import MAX_ENVELOPE_BYTES
from microtask.quality import Assessment, GoldKey, GoldUnavailable, Submission, assess
from microtask.verifier.opened import OpenedKey, OpenedSubmissions, OpeningSeal
from microtask.verifier.policy import Policy
from microtask.verifier.results import ResultContext, seal_results
from microtask.verifier.tasks import TaskContext

log = logging.getLogger("microtask.verifier")

FINAL_SETTLEMENTS = frozenset(
    {Settled.APPROVED, Settled.REJECTED, Settled.EXTERNAL, Settled.MISSED}
)


@dataclass(frozen=True)
class SubmittedWork:
    """One slot's submission, before it is opened."""

    slot: int
    worker: str
    envelope_cid: str
    started_at: int | None
    submitted_at: int
    source: Literal["receipt", "chain"]
    sealed: bytes | None = None
    """The answers the hand-in check opened, sealed (`opened.OpeningSeal`); receipts only."""


@dataclass(frozen=True)
class Unopened:
    """A submission quality control could not take, and why."""

    work: SubmittedWork
    reason: str
    retry: bool
    """True when the content may still arrive (left undecided), False when it is unusable."""


@dataclass
class Judgement:
    """A task's assessment: quality control's, plus the submissions it could not take."""

    assessment: Assessment | None
    unopened: list[Unopened] = field(default_factory=list)

    @property
    def submissions(self) -> int:
        judged = len(self.assessment.decisions) if self.assessment else 0
        return judged + len(self.unopened)

    def coverage(self) -> dict[str, Any]:
        """How many items the result set answers, and which lost every answer to
        rejections (no result for them: a warning for the requester)."""
        if self.assessment is None:
            return {}
        coverage = self.assessment.coverage
        return {
            "items": coverage.items,
            "answered": coverage.answered,
            "emptied": list(coverage.emptied),
            "unanswered": len(coverage.unanswered),
        }


def submitted_work(session: Session, task_id: int) -> list[SubmittedWork]:
    """Every submission of the task: receipted slots and on-chain submissions."""
    works = [
        SubmittedWork(
            slot=row.slot,
            worker=row.worker or "",
            envelope_cid=row.envelope_cid or "",
            started_at=row.reserved_at,
            submitted_at=row.submitted_at or row.reserved_at or 0,
            source="receipt",
            sealed=row.opened,
        )
        for row in session.scalars(
            select(VerifierSlot).where(
                VerifierSlot.task_id == task_id, VerifierSlot.status == SlotHold.RECEIPTED
            )
        )
    ]
    for row in session.scalars(
        select(Assignment)
        .where(Assignment.task_id == task_id, Assignment.result_cid.is_not(None))
        .order_by(Assignment.slot, Assignment.number)
    ):
        works.append(
            SubmittedWork(
                slot=row.slot,
                worker=row.worker,
                envelope_cid=row.result_cid or "",
                started_at=row.claimed_at,
                submitted_at=row.submitted_at or row.claimed_at or 0,
                source="chain",
            )
        )
    return sorted(works, key=lambda work: work.slot)


def open_work(
    context: TaskContext,
    works: Sequence[SubmittedWork],
    *,
    store: ContentStore,
    verifier_key: bytes,
    chain_id: int,
    escrow: str,
    kept: OpenedSubmissions | None = None,
    seal: OpeningSeal | None = None,
) -> tuple[list[Submission], list[Unopened]]:
    """Each submission opened into a `quality.Submission`, or set aside with the reason;
    one opened already (``kept``, or sealed in its row and opening with ``seal``: see
    `opened`) is taken from there, and one opened here is left in ``kept``."""
    opened: list[Submission] = []
    unopened: list[Unopened] = []
    for work in works:
        if not work.envelope_cid or work.envelope_cid.startswith("0x"):
            unopened.append(Unopened(work, "the submitted result is not a CID", retry=True))
            continue
        started = work.started_at
        if started is not None and started > work.submitted_at:
            started = None
        key = OpenedKey(
            context.task_id, work.slot, work.worker, work.envelope_cid, context.terms.manifest_cid
        )
        known = kept.get(key) if kept is not None else None
        if known is None and work.sealed is not None and seal is not None:
            answers = seal.open(key, work.sealed)
            if answers is not None:  # checked at hand-in against this key's every part
                known = Submission.model_construct(
                    slot=work.slot,
                    worker=work.worker,
                    answers=tuple(answers.answers),
                    submitted_at=work.submitted_at,
                    started_at=started,
                    cid=work.envelope_cid,
                )
                if kept is not None:
                    kept.keep(key, known)
        if known is not None:
            opened.append(at_times(known, submitted_at=work.submitted_at, started_at=started))
            continue
        try:
            data = store.cat(work.envelope_cid, max_bytes=MAX_ENVELOPE_BYTES)
        except ContentNotFound:
            unopened.append(
                Unopened(work, f"{work.envelope_cid} is not on the content store", retry=True)
            )
            continue
        except (ContentTooLarge, ContentError) as error:
            unopened.append(Unopened(work, str(error), retry=False))
            continue
        try:
            envelope = parse_as(SubmissionEnvelope, data)
            if (envelope.task_id, envelope.slot, envelope.worker) != (
                context.task_id,
                work.slot,
                work.worker,
            ):
                raise ManifestError("the envelope names another task, slot or worker")
            answers = open_submission(
                envelope,
                verifier_key,
                chain_id=chain_id,
                escrow=escrow,
                manifest=context.manifest,
            )
        except ManifestError as error:
            unopened.append(Unopened(work, f"the submission cannot be used: {error}", retry=False))
            continue
        submission = Submission.opened(
            envelope,
            answers,
            submitted_at=work.submitted_at,
            started_at=started,
            cid=work.envelope_cid,
        )
        if kept is not None:
            kept.keep(key, submission)
        opened.append(submission)
    return opened, unopened


def at_times(submission: Submission, *, submitted_at: int, started_at: int | None) -> Submission:
    """A kept opening with the times this assessment reads for its slot (the same ones,
    unless the slot's row changed: then a copy with the row's)."""
    if (submission.submitted_at, submission.started_at) == (submitted_at, started_at):
        return submission
    return submission.model_copy(update={"submitted_at": submitted_at, "started_at": started_at})


def gold_key(context: TaskContext, policy: Policy, verifier_key: bytes) -> GoldKey:
    """The task's gold, opened with the verifier's key or the requester's salts."""
    salts = dict(policy.gold_salts) if policy.gold_salts is not None else None
    try:
        return GoldKey.from_manifest(
            context.manifest, verifier_private_key=verifier_key, salts=salts
        )
    except GoldUnavailable as error:
        log.warning("task %d: scoring without gold: %s", context.task_id, error)
        return GoldKey()


def judge(
    context: TaskContext,
    submissions: Sequence[Submission],
    unopened: list[Unopened],
    *,
    gold: GoldKey,
    policy: Policy,
) -> Judgement:
    """Quality control over the opened submissions (none: nothing to assess)."""
    if not submissions:
        return Judgement(None, unopened)
    assessment = assess(
        context.manifest, submissions, gold=gold, rule=policy.rule, item_ids=context.item_ids
    )
    if assessment.coverage.emptied:
        log.warning(
            "task %d: %s; items %s have no result (every answer rejected): their free "
            "receipt slots are offered first, and the result set marks them 'emptied'",
            context.task_id,
            assessment.coverage.summary(),
            ", ".join(assessment.coverage.emptied[:20]),
        )
    return Judgement(assessment, unopened)


def seal(
    context: TaskContext,
    judgement: Judgement,
    *,
    run: int,
    assessed_at: int,
    chain_id: int,
    escrow: str,
    store: ContentStore,
) -> str | None:
    """Publish the result set sealed to the requester; its CID (None: nothing assessed)."""
    if judgement.assessment is None:
        return None
    sealed = seal_results(
        judgement.assessment.results(),
        context=ResultContext(
            chain_id=chain_id,
            escrow=escrow,
            task_id=context.task_id,
            requester=context.terms.requester,
            run=run,
        ),
        requester_public_key=context.manifest.requester_public_key,
        method=judgement.assessment.method,
        assessed_at=assessed_at,
    )
    return str(store.add_json(sealed.model_dump(mode="json")))


def next_run(session: Session, task_id: int) -> int:
    current = session.get(VerifierResult, task_id)
    return 1 if current is None else current.run + 1


def _decision_rows(judgement: Judgement) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    if judgement.assessment is not None:
        for decision in judgement.assessment.decisions:
            rows.append(
                {
                    "slot": decision.slot,
                    "worker": decision.worker,
                    "envelope_cid": decision.submission,
                    "outcome": Outcome(decision.outcome),
                    "reasons": [r.model_dump(mode="json") for r in decision.reasons],
                    "checks": [f"{c.verdict}: {c.name}: {c.line}" for c in decision.checks]
                    + (
                        ["wants gold: more gold items would decide it; offered first"]
                        if decision.wants_gold
                        else []
                    ),
                }
            )
    for item in judgement.unopened:
        work = item.work
        rejected = not item.retry
        reasons = (
            [RejectionReason(code="off_instructions", detail=item.reason[:2000])]
            if rejected
            else []
        )
        rows.append(
            {
                "slot": work.slot,
                "worker": work.worker,
                "envelope_cid": work.envelope_cid if rejected else None,
                "outcome": Outcome.REJECT if rejected else Outcome.UNDECIDED,
                "reasons": [r.model_dump(mode="json") for r in reasons],
                "checks": [("fail" if rejected else "not_judged") + ": envelope: " + item.reason],
            }
        )
    return rows


def record(
    session: Session,
    context: TaskContext,
    judgement: Judgement,
    *,
    run: int,
    assessed_at: int,
    results_cid: str | None,
) -> Counter[str]:
    """Store the decisions, the workers' scores and the result set's CID; outcome counts.

    Each round re-decides every slot of the task, and most decisions come out as they
    were: those rows only get the round's ``run`` and ``assessed_at``, in one statement;
    new and changed rows are written in one statement each, not through an ORM object per
    slot (a 2,000-slot task spent most of its recording time on those)."""
    task_id = context.task_id
    connection = session.connection()
    existing = {row.slot: row for row in connection.execute(_DECISIONS, {"of_task": task_id})}
    outcomes: Counter[str] = Counter()
    seen: dict[int, set[Outcome]] = {}
    inserted: list[dict[str, object]] = []
    changed: list[dict[str, object]] = []
    unchanged: list[int] = []
    for values in _decision_rows(judgement):
        slot = int(str(values["slot"]))
        outcome = Outcome(str(values["outcome"]))
        outcomes[outcome.value] += 1
        seen.setdefault(context.manifest.item_index(slot), set()).add(outcome)
        row = existing.get(slot)
        same_worker = row is not None and row.worker == values["worker"]
        settled = (
            row.settled
            if row is not None and same_worker and row.settled in FINAL_SETTLEMENTS
            else Settled.LEFT
            if outcome is Outcome.UNDECIDED
            else Settled.PENDING
        )
        # the slot has a new worker: a new decision, no settlement of the old one's
        settle_tx = row.settle_tx if row is not None and same_worker else None
        full = {
            **values,
            "task_id": task_id,
            "run": run,
            "assessed_at": assessed_at,
            "settled": settled,
            "settle_tx": settle_tx,
        }
        if row is None:
            inserted.append(full)
        elif (settled, settle_tx) != (row.settled, row.settle_tx) or any(
            getattr(row, key) != value for key, value in values.items()
        ):
            del full["task_id"], full["slot"]  # the key: not set again
            changed.append({"of_task": task_id, "of_slot": slot, **full})
        else:
            unchanged.append(slot)
    if inserted:
        connection.execute(insert(_DECISION_TABLE), inserted)
    if changed:
        connection.execute(_CHANGED_DECISION, changed)
    for start in range(0, len(unchanged), _SLOTS_PER_STATEMENT):
        connection.execute(
            _ASSESSED_AGAIN,
            {
                "of_task": task_id,
                "of_slots": unchanged[start : start + _SLOTS_PER_STATEMENT],
                "new_run": run,
                "new_at": assessed_at,
            },
        )
    session.execute(delete(VerifierWorkerTask).where(VerifierWorkerTask.task_id == task_id))
    if judgement.assessment is not None:
        _record_scores(session, context, judgement.assessment, assessed_at)
    if results_cid is not None and judgement.assessment is not None:
        result = session.get(VerifierResult, task_id)
        if result is None:
            result = VerifierResult(task_id=task_id)
            session.add(result)
        result.requester = context.terms.requester
        result.run = run
        result.cid = results_cid
        result.items = len(context.item_ids)
        result.method = judgement.assessment.method
        result.submissions = judgement.submissions
        result.approved = outcomes["approve"]
        result.rejected = outcomes["reject"]
        result.undecided = outcomes["undecided"]
        result.assessed_at = assessed_at
    result = session.get(VerifierResult, task_id)
    if result is not None:  # claims offer these items' free slots first
        result.emptied_items = sorted(i for i, got in seen.items() if got == {Outcome.REJECT})
    return outcomes


def _record_scores(
    session: Session, context: TaskContext, assessment: Assessment, assessed_at: int
) -> None:
    per_worker: dict[str, Counter[str]] = {}
    for decision in assessment.decisions:
        per_worker.setdefault(decision.worker, Counter())[decision.outcome] += 1
    for worker, counts in sorted(per_worker.items()):
        gold = assessment.gold.get(worker)
        agreement = assessment.agreement.get(worker)
        compared = agreement.compared if agreement and agreement.score is not None else 0
        session.add(
            VerifierWorkerTask(
                task_id=context.task_id,
                worker=worker,
                kind=str(context.manifest.kind),
                gold_checked=gold.checked if gold else 0,
                gold_correct=gold.correct if gold else 0,
                agreement_items=compared,
                agreement_sum=(agreement.score or 0.0) * compared if agreement else 0.0,
                slots=sum(counts.values()),
                approved=counts["approve"],
                rejected=counts["reject"],
                undecided=counts["undecided"],
                assessed_at=assessed_at,
            )
        )


_SLOTS_PER_STATEMENT = 10_000
"""Slots one `_ASSESSED_AGAIN` names, each a bound parameter: under SQLite's limit of
32,766 and psycopg's of 65,535 parameters a statement, whatever the task's size."""
_DECISION_TABLE: Table = VerifierDecision.__table__  # type: ignore[assignment]
_DECISIONS = select(
    VerifierDecision.slot,
    VerifierDecision.worker,
    VerifierDecision.envelope_cid,
    VerifierDecision.outcome,
    VerifierDecision.reasons,
    VerifierDecision.checks,
    VerifierDecision.settled,
    VerifierDecision.settle_tx,
).where(VerifierDecision.task_id == bindparam("of_task"))
_CHANGED_DECISION = update(_DECISION_TABLE).where(  # SET: the columns each row's values name
    _DECISION_TABLE.c.task_id == bindparam("of_task"),
    _DECISION_TABLE.c.slot == bindparam("of_slot"),
)
_ASSESSED_AGAIN = (
    update(_DECISION_TABLE)
    .where(
        _DECISION_TABLE.c.task_id == bindparam("of_task"),
        _DECISION_TABLE.c.slot.in_(bindparam("of_slots", expanding=True)),
    )
    .values(run=bindparam("new_run"), assessed_at=bindparam("new_at"))
)
