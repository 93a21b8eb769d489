"""Settlement: the verifier's decisions put on chain in batches, each exactly once.

**What to settle** is derived from the chain, never from memory: for each decision not yet
settled, the slot's state (``getSlot``) says what can still be done.

- an open receipt slot (its receipt never presented): approved or rejected directly, naming
  the worker, while the task's receipt window is open;
- a submitted slot (a presented receipt, or an on-chain submission) of the same worker:
  approved any time; rejected only while its review period has `REJECT_MARGIN` seconds
  left (after that the worker's pay by silence stands: ``missed``);
- an approved, rejected, disputed or closed slot: someone else settled it (``external``).

Approvals go out in batches of up to `MAX_BATCH` slots in one ``approve`` call; rejections
in batches of the same size with one `ReviewBatch` (each worker's reasons and the numbers
behind them) uploaded first and its CID on chain. Slots submitted on chain are rejected
with ``reject``; open receipt slots with ``rejectReceipts``, each with its proof (escrow
version 2):
the receipt this verifier signed and the worker's own signature from the envelope they
handed in, so only a worker who really submitted can be rejected, and can dispute.

**Exactly once, across crashes.** Each transaction is built (its gas estimated, so a
batch that would revert is never sent), signed, and persisted as a ``verifier_settlements``
row (``signed``, with the raw transaction and its hash) before it is broadcast; then
marked ``sent``, and ``mined`` (with its slots' decisions) or ``failed``. A restarted
verifier first `recover`s every row left ``signed`` or ``sent``: a mined one is recorded,
an unmined one is broadcast again, byte for byte (the same nonce and hash, so it can be
mined only once), and one whose nonce went to another transaction is ``dropped``. Only then
is anything new planned, from the chain's state. A batch the chain refuses at estimation
(a slot changed under it) is retried slot by slot, so one changed slot does not hold up
the others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from sqlalchemy import Engine, bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker
from web3.exceptions import TimeExhausted, TransactionNotFound, Web3Exception

from microtask.chain.escrow import TaskEscrowClient
from microtask.chain.reverts import TransactionReverted
from microtask.chain.typed_data import ReceiptRejection
from microtask.content import ContentStore, parse_cid
from microtask.db.verifier_models import (
    IntentKind,
    IntentStatus,
    Settled,
    VerifierDecision,
    VerifierSettlement,
)
from microtask.escrow import SlotState, has_ended, review_end, unused_receipt_slot
from microtask.manifests import RejectionReason, Review, ReviewBatch, SubmissionEnvelope, parse_as
from microtask.manifests.limits import MAX_ENVELOPE_BYTES
from microtask.verifier.errors import SettlementError
from microtask.verifier.receipts import receipt_of
from microtask.verifier.slots import read_slot
from microtask.verifier.tasks import TaskContext

log = logging.getLogger("microtask.verifier")

MAX_BATCH: Final = 200
REJECT_MARGIN: Final = 30
RECEIPT_TIMEOUT: Final = 120.0
OPEN_INTENTS: Final = (IntentStatus.SIGNED, IntentStatus.SENT)


@dataclass
class Plan:
    """What can be settled now, and what was found settled or out of reach."""

    approve: list[VerifierDecision] = field(default_factory=list)
    reject: list[VerifierDecision] = field(default_factory=list)
    reject_receipts: list[VerifierDecision] = field(default_factory=list)
    """Open receipt slots to reject: with their proofs (``rejectReceipts``)."""
    external: list[int] = field(default_factory=list)
    missed: list[int] = field(default_factory=list)


def plan(
    client: TaskEscrowClient, context: TaskContext, pending: Sequence[VerifierDecision], now: int
) -> Plan:
    """Sort pending decisions by what the chain allows (see the module's table)."""
    terms = context.terms
    result = Plan()
    views = client.slots(terms.task_id, [decision.slot for decision in pending])
    for decision, view in zip(pending, views, strict=True):
        if unused_receipt_slot(view.state, decision.slot, terms.receipt_slots):
            if not terms.receipt_window_open(now):
                result.missed.append(decision.slot)
                continue
            if decision.outcome != "approve":
                result.reject_receipts.append(decision)
                continue
        elif view.state is SlotState.SUBMITTED and view.worker == decision.worker:
            closes = review_end(view.timestamp, terms.review_period)
            if decision.outcome == "reject" and has_ended(closes, now + REJECT_MARGIN):
                result.missed.append(decision.slot)
                continue
        elif view.state is SlotState.CLAIMED:
            continue  # not submitted on chain (yet): nothing to settle
        else:
            result.external.append(decision.slot)
            continue
        (result.approve if decision.outcome == "approve" else result.reject).append(decision)
    return result


def review_batch(
    task_id: int, reviewer: str, decisions: Sequence[VerifierDecision], reviewed_at: int
) -> ReviewBatch:
    """The reasons behind one rejection transaction, one `Review` per slot."""
    reviews = [
        Review(
            task_id=task_id,
            slot=decision.slot,
            submission=decision.envelope_cid or "",
            reviewer=reviewer,
            decision="rejected",
            reasons=[RejectionReason.model_validate(r) for r in decision.reasons]
            or [RejectionReason(code="other", detail="see the checks below")],
            feedback="\n".join(f"- {line}" for line in decision.checks)[:10_000],
            reviewed_at=reviewed_at,
        )
        for decision in sorted(decisions, key=lambda d: d.slot)
    ]
    return ReviewBatch(task_id=task_id, reviewer=reviewer, reviews=reviews)


class Settler:
    """Sends the verifier's settlement transactions and keeps their intents."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        client: TaskEscrowClient,
        store: ContentStore,
        *,
        reader: Engine | None = None,
        receipt_timeout: float = RECEIPT_TIMEOUT,
    ) -> None:
        self.sessions = sessions
        self.reader: Engine = reader or sessions.kw["bind"]
        """Where each round's look for open intents and the rejection proofs' receipts are
        read: a plain reader (on SQLite, a writer's connection is a write transaction that
        claims and hand-ins wait behind)."""
        self.client = client
        self.store = store
        self.receipt_timeout = receipt_timeout

    @property
    def account(self) -> LocalAccount:
        return self.client.account

    # ------------------------------------------------------------ intents

    def prepare(
        self,
        kind: IntentKind,
        task_id: int,
        pairs: Sequence[tuple[int, str]],
        reason_cid: str | None = None,
        *,
        with_proofs: bool = False,
    ) -> int:
        """Build, sign and persist one settlement transaction; its intent's id. A rejection
        ``with_proofs`` (of open receipt slots) carries each slot's receipt and the worker's
        signature (``rejectReceipts``).

        Raises `TransactionReverted` when the chain would refuse it (nothing persisted).
        """
        slots = [slot for slot, _ in pairs]
        workers = [worker for _, worker in pairs]
        build = self.client.build
        if kind is IntentKind.APPROVE:
            transaction = build("approve", task_id, slots, workers, False)
        elif with_proofs:
            assert reason_cid is not None
            proofs = [proof.message() for proof in self.rejection_proofs(task_id, slots)]
            transaction = build("rejectReceipts", task_id, proofs, _cid_bytes(reason_cid))
        else:
            assert reason_cid is not None
            transaction = build("reject", task_id, slots, workers, _cid_bytes(reason_cid))
        signed = self.account.sign_transaction(dict(transaction))  # type: ignore[arg-type]
        with self.sessions.begin() as session:
            intent = VerifierSettlement(
                task_id=task_id,
                kind=kind,
                slots=slots,
                workers=workers,
                reason_cid=reason_cid,
                sender=self.account.address,
                nonce=int(transaction["nonce"]),
                tx_hash=signed.hash.to_0x_hex(),
                raw_tx=signed.raw_transaction.to_0x_hex(),
                status=IntentStatus.SIGNED,
                created_wall=time.time(),
            )
            session.add(intent)
            session.flush()
            return intent.id

    def rejection_proofs(self, task_id: int, slots: Sequence[int]) -> list[ReceiptRejection]:
        """Each receipt slot's rejection proof: the receipt this verifier issued for it and
        the worker's own signature of the envelope it vouches for. The slots' rows are read
        on one connection (no session; a connection per slot was a sixth of the loop's
        time on PostgreSQL)."""
        with self.reader.connect() as connection:
            rows = [read_slot(connection, task_id, slot) for slot in slots]
        proofs = []
        for slot, row in zip(slots, rows, strict=True):
            if row is None:
                raise SettlementError(f"slot {slot} of task {task_id} has no receipt here")
            issued = receipt_of(row, self.account.address)
            data = self.store.cat(issued.envelope_cid, max_bytes=MAX_ENVELOPE_BYTES)
            envelope = parse_as(SubmissionEnvelope, data)
            proofs.append(
                ReceiptRejection(
                    issued.receipt,
                    issued.signature,
                    envelope.envelope_hash(),
                    bytes(envelope.signature),
                )
            )
        return proofs

    def broadcast(self, intent_id: int) -> None:
        """Send a signed intent's transaction (again): it is the same bytes every time."""
        with self.sessions() as session:
            intent = session.get(VerifierSettlement, intent_id)
            assert intent is not None
            raw, tx_hash = intent.raw_tx, intent.tx_hash
        w3 = self.client.w3
        try:
            w3.eth.send_raw_transaction(HexStr(raw))
        except (ValueError, Web3Exception) as error:
            if not self._known(tx_hash):
                self._mark(intent_id, IntentStatus.SIGNED, error=str(error))
                raise SettlementError(f"cannot broadcast {tx_hash}: {error}") from None
        self._mark(intent_id, IntentStatus.SENT)

    def confirm(self, intent_id: int) -> IntentStatus:
        """Wait for a sent intent's receipt and record the outcome with its decisions."""
        with self.sessions() as session:
            intent = session.get(VerifierSettlement, intent_id)
            assert intent is not None
            tx_hash = intent.tx_hash
        try:
            receipt = self.client.w3.eth.wait_for_transaction_receipt(
                tx_hash,  # type: ignore[arg-type]
                timeout=self.receipt_timeout,
            )
        except TimeExhausted:
            raise SettlementError(
                f"{tx_hash} was not mined within {self.receipt_timeout:.0f} s"
            ) from None
        return self._record_receipt(intent_id, receipt)

    def recover(self) -> list[int]:
        """Finish every intent a previous run left signed or sent; the ids finished."""
        with self.reader.connect() as connection:  # every round: no session for one read
            open_ids = list(connection.scalars(_OPEN_INTENTS, {"sender": self.account.address}))
        finished = []
        for intent_id in open_ids:
            self._recover_one(intent_id)
            finished.append(intent_id)
        return finished

    def _recover_one(self, intent_id: int) -> None:
        with self.sessions() as session:
            intent = session.get(VerifierSettlement, intent_id)
            assert intent is not None
            tx_hash, nonce = intent.tx_hash, intent.nonce
        w3 = self.client.w3
        try:
            receipt = w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            receipt = None
        if receipt is not None:
            self._record_receipt(intent_id, receipt)
            return
        confirmed = w3.eth.get_transaction_count(self.account.address, "latest")
        if confirmed > nonce and not self._known(tx_hash):
            # the nonce went to another transaction: this one can never be mined
            self._mark(intent_id, IntentStatus.DROPPED, error=f"nonce {nonce} used elsewhere")
            log.warning("settlement %s dropped: its nonce was used by another transaction", tx_hash)
            return
        log.info("re-sending settlement %s left unconfirmed by a previous run", tx_hash)
        self.broadcast(intent_id)
        self.confirm(intent_id)

    def _known(self, tx_hash: str) -> bool:
        try:
            self.client.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            return False
        return True

    def _mark(self, intent_id: int, status: IntentStatus, *, error: str | None = None) -> None:
        with self.sessions.begin() as session:
            intent = session.get(VerifierSettlement, intent_id)
            assert intent is not None
            intent.status = status
            intent.error = error[:2000] if error else None

    def _record_receipt(self, intent_id: int, receipt: Any) -> IntentStatus:
        status = IntentStatus.MINED if receipt["status"] == 1 else IntentStatus.FAILED
        with self.sessions.begin() as session:
            intent = session.get(VerifierSettlement, intent_id)
            assert intent is not None
            intent.status = status
            intent.block_number = int(receipt["blockNumber"])
            if status is IntentStatus.MINED:
                settled = (
                    Settled.APPROVED if intent.kind is IntentKind.APPROVE else Settled.REJECTED
                )
                # each slot's decision, if it is still that worker's: one statement for the
                # batch (up to `MAX_BATCH` slots), not an ORM object per slot
                session.connection().execute(
                    _SETTLED,
                    [
                        {
                            "of_task": intent.task_id,
                            "of_slot": slot,
                            "of_worker": worker,
                            "new_settled": settled,
                            "new_settle_tx": intent.tx_hash,
                        }
                        for slot, worker in zip(intent.slots, intent.workers, strict=True)
                    ],
                )
            else:
                intent.error = "reverted on chain"
        return status

    # ------------------------------------------------------------ settling a task

    def settle(self, context: TaskContext, now: int) -> dict[str, int]:
        """Settle the task's pending decisions; counts of what happened to them."""
        task_id = context.task_id
        with self.sessions() as session:
            pending = list(
                session.scalars(
                    select(VerifierDecision)
                    .where(
                        VerifierDecision.task_id == task_id,
                        VerifierDecision.settled == Settled.PENDING,
                    )
                    .order_by(VerifierDecision.slot)
                )
            )
        counts = {"approved": 0, "rejected": 0, "external": 0, "missed": 0}
        if not pending:
            return counts
        found = plan(self.client, context, pending, now)
        self._note(task_id, found.external, Settled.EXTERNAL)
        self._note(task_id, found.missed, Settled.MISSED)
        counts["external"], counts["missed"] = len(found.external), len(found.missed)
        for batch in _chunks(found.approve):
            counts["approved"] += self._send(IntentKind.APPROVE, context, batch, now)
        for batch in _chunks(found.reject):
            counts["rejected"] += self._send(IntentKind.REJECT, context, batch, now)
        for batch in _chunks(found.reject_receipts):
            counts["rejected"] += self._send(IntentKind.REJECT, context, batch, now, proofs=True)
        return counts

    def _send(
        self,
        kind: IntentKind,
        context: TaskContext,
        batch: list[VerifierDecision],
        now: int,
        *,
        proofs: bool = False,
    ) -> int:
        """Send one batch (slot by slot if the chain refuses it whole); slots settled."""
        try:
            return self._send_batch(kind, context, batch, now, proofs=proofs)
        except TransactionReverted as refused:
            if len(batch) == 1:
                log.warning(
                    "task %d slot %d not %sd: %s", context.task_id, batch[0].slot, kind, refused
                )
                return 0
            log.info("task %d: batch refused (%s); settling slot by slot", context.task_id, refused)
            return sum(self._send(kind, context, [one], now, proofs=proofs) for one in batch)

    def _send_batch(
        self,
        kind: IntentKind,
        context: TaskContext,
        batch: list[VerifierDecision],
        now: int,
        *,
        proofs: bool = False,
    ) -> int:
        pairs = [(decision.slot, decision.worker) for decision in batch]
        reason_cid = None
        if kind is IntentKind.REJECT:
            reasons = review_batch(context.task_id, self.account.address, batch, now)
            reason_cid = str(self.store.add_json(reasons.model_dump(mode="json")))
        intent_id = self.prepare(kind, context.task_id, pairs, reason_cid, with_proofs=proofs)
        self.broadcast(intent_id)
        status = self.confirm(intent_id)
        return len(batch) if status is IntentStatus.MINED else 0

    def _note(self, task_id: int, slots: Sequence[int], settled: Settled) -> None:
        if not slots:
            return
        with self.sessions.begin() as session:
            for slot in slots:
                decision = session.get(VerifierDecision, (task_id, slot))
                if decision is not None and decision.settled is Settled.PENDING:
                    decision.settled = settled


_OPEN_INTENTS: Final = (  # read every round of the loop: built once
    select(VerifierSettlement.id)
    .where(
        VerifierSettlement.status.in_(OPEN_INTENTS),
        VerifierSettlement.sender == bindparam("sender"),
    )
    .order_by(VerifierSettlement.nonce, VerifierSettlement.id)
)
_SETTLED: Final = (
    update(VerifierDecision)
    .where(
        VerifierDecision.task_id == bindparam("of_task"),
        VerifierDecision.slot == bindparam("of_slot"),
        VerifierDecision.worker == bindparam("of_worker"),
    )
    .values(settled=bindparam("new_settled"), settle_tx=bindparam("new_settle_tx"))
)


def _chunks(decisions: list[VerifierDecision]) -> list[list[VerifierDecision]]:
    return [decisions[i : i + MAX_BATCH] for i in range(0, len(decisions), MAX_BATCH)]


def _cid_bytes(cid: str) -> bytes:
    return bytes(parse_cid(cid))
