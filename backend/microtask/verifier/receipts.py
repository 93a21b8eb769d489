"""Receipts: a reserved slot's submission checked, and the verifier's signed word for it.

The worker uploads their sealed envelope (``POST /content``) and hands the verifier its
CID. Before signing anything the verifier checks that the envelope is

- for this chain, escrow, task, slot and the task's manifest, and signed by the worker
  who holds the slot (`manifests.verify_envelope`);
- sealed to the verifier too, and opens with its key to answers that fit the manifest's
  answer schema (`manifests.open_submission`);
- an answer to the slot's own item, and to nothing else;
- in before the task's deadline.

The receipt (`chain.typed_data.Receipt`) names the task, the slot, the worker, the
envelope's digest (the sha2-256 digest of its CID, so a CIDv0 envelope's ``Qm...`` is
``base58(0x1220 || resultDigest)``), the chain time it arrived and an expiry: the end of the
task's receipt window (deadline + review period), after which the escrow would refuse it
anyway. The slot then moves from ``reserved`` to ``receipted`` in one conditional update,
once: the same envelope sent again gets the same receipt back, another envelope is
refused. The same transaction leaves a ``verifier_arrivals`` row for the verifier's loop:
that is how it learns what changed (`microtask.verifier.progress`). On PostgreSQL the
service then announces the receipt on `ARRIVALS_CHANNEL` once it is committed, so a loop
in another process wakes at once (`microtask.verifier.wakeups`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from eth_account.signers.local import LocalAccount
from sqlalchemy import Connection, bindparam, insert, update

from microtask.chain.typed_data import Receipt
from microtask.content import ContentStore, parse_cid
from microtask.content.cid import canonical_sha256
from microtask.content.errors import ContentNotFound, ContentTooLarge, InvalidCid
from microtask.db.verifier_models import SlotHold, VerifierArrival, VerifierSlot
from microtask.encoding.eip712 import sign
from microtask.escrow import has_ended
from microtask.manifests import (
    DecryptionFailed,
    NotARecipient,
    SignatureInvalid,
    SubmissionAnswers,
    SubmissionEnvelope,
    open_submission,
    parse_as,
)
from microtask.manifests.limits import MAX_ENVELOPE_BYTES
from microtask.verifier.errors import NoSlot, SubmissionRefused, TaskClosed
from microtask.verifier.slots import SlotView, read_slot
from microtask.verifier.tasks import TaskContext


@dataclass(frozen=True)
class IssuedReceipt:
    """A signed receipt and what it vouches for."""

    receipt: Receipt
    signature: bytes
    envelope_cid: str
    verifier: str

    def as_json(self) -> dict[str, Any]:
        r = self.receipt
        return {
            "task_id": r.task_id,
            "slot": r.slot,
            "worker": r.worker,
            "result_digest": "0x" + r.result_digest.hex(),
            "submitted_at": r.submitted_at,
            "expiry": r.expiry,
            "signature": "0x" + self.signature.hex(),
            "envelope_cid": self.envelope_cid,
            "verifier": self.verifier,
        }


ARRIVALS_CHANNEL = "microtask_verifier_arrivals"
"""The PostgreSQL notification channel receipts are announced on once committed (no
payload), which the verifier's loop listens on (`microtask.verifier.wakeups`)."""


def receipt_of(row: VerifierSlot | SlotView, verifier: str) -> IssuedReceipt:
    """The receipt recorded for a receipted slot."""
    if not (row.result_digest and row.signature and row.envelope_cid and row.worker):
        raise ValueError(f"slot {row.slot} of task {row.task_id} has no receipt")
    if row.submitted_at is None or row.receipt_expiry is None:
        raise ValueError(f"slot {row.slot} of task {row.task_id} has no receipt")
    return IssuedReceipt(
        receipt=Receipt(
            task_id=row.task_id,
            slot=row.slot,
            worker=row.worker,
            result_digest=bytes.fromhex(row.result_digest[2:]),
            submitted_at=row.submitted_at,
            expiry=row.receipt_expiry,
        ),
        signature=bytes.fromhex(row.signature[2:]),
        envelope_cid=row.envelope_cid,
        verifier=verifier,
    )


def result_digest(envelope_cid: str) -> tuple[str, bytes]:
    """The CID normalised, and its sha2-256 digest (what the receipt carries)."""
    fast = canonical_sha256(envelope_cid.strip())  # as `POST /content` names it: no CID made
    if fast is not None:
        return fast
    try:
        cid = parse_cid(envelope_cid)
    except (InvalidCid, ValueError):
        raise SubmissionRefused(f"{envelope_cid!r} is not a CID") from None
    if cid.hashfun.name != "sha2-256" or len(cid.raw_digest) != 32:
        raise SubmissionRefused(
            f"the envelope's CID is hashed with {cid.hashfun.name}; receipts carry sha2-256 "
            "digests (upload it through POST /content)"
        )
    return str(cid), bytes(cid.raw_digest)


def holder(connection: Connection, task_id: int, slot: int) -> SlotView:
    row = read_slot(connection, task_id, slot)
    if row is None or row.status is SlotHold.FREE:
        raise NoSlot(
            f"slot {slot} of task {task_id} was not reserved through this verifier: ask for a "
            "slot first"
        )
    return row


def check_envelope(
    context: TaskContext,
    row: SlotView,
    envelope_cid: str,
    *,
    store: ContentStore,
    verifier_key: bytes,
    chain_id: int,
    escrow: str,
) -> tuple[SubmissionEnvelope, SubmissionAnswers]:
    """Raise `SubmissionRefused` (or `DocumentInvalid`) unless the envelope checks out;
    the envelope and its opened answers when it does (kept for the assessment:
    `opened`)."""
    terms = context.terms
    try:
        data = store.cat(envelope_cid, max_bytes=MAX_ENVELOPE_BYTES)
    except ContentNotFound:
        raise SubmissionRefused(
            f"no content at {envelope_cid}: upload the envelope (POST /content) first"
        ) from None
    except ContentTooLarge as error:
        raise SubmissionRefused(str(error)) from None
    envelope = parse_as(SubmissionEnvelope, data)
    named = (envelope.task_id, envelope.slot)
    if named != (terms.task_id, row.slot):
        raise SubmissionRefused(
            f"the envelope is for task {named[0]} slot {named[1]}, not task {terms.task_id} "
            f"slot {row.slot}"
        )
    if envelope.worker != row.worker:
        raise SubmissionRefused(
            f"the envelope names worker {envelope.worker}; slot {row.slot} is {row.worker}'s"
        )
    if envelope.manifest != terms.manifest_cid:
        raise SubmissionRefused(
            f"the envelope answers manifest {envelope.manifest}, the task's is {terms.manifest_cid}"
        )
    try:
        answers = open_submission(
            envelope, verifier_key, chain_id=chain_id, escrow=escrow, manifest=context.manifest
        )
    except (SignatureInvalid, NotARecipient, DecryptionFailed) as error:
        raise SubmissionRefused(str(error)) from None
    _, item_id = context.item_of(row.slot)
    answered = [answer.item_id for answer in answers.answers]
    if answered != [item_id]:
        raise SubmissionRefused(
            f"slot {row.slot} is item {item_id!r}: answer that item, and only it "
            f"(the envelope answers {', '.join(map(repr, answered))})"
        )
    return envelope, answers


def issue_receipt(
    connection: Connection,
    context: TaskContext,
    row: SlotView,
    envelope_cid: str,
    digest: bytes,
    *,
    signer: LocalAccount,
    chain_id: int,
    escrow: str,
    now: int,
    opened: bytes | None = None,
) -> IssuedReceipt | None:
    """Sign the receipt and record it, if the slot is still the worker's reservation
    (with ``opened``: the answers the check opened, sealed, `opened.OpeningSeal`).

    Returns None when the row changed since it was read (another submission or a new
    reservation got there first): the caller reads it again.
    """
    terms = context.terms
    if has_ended(terms.deadline, now):
        raise TaskClosed(
            f"task {terms.task_id}'s deadline ({terms.deadline}) has passed; no receipt can "
            "be issued for work handed in after it"
        )
    if row.worker is None:
        return None  # freed since it was read
    receipt = Receipt(
        task_id=terms.task_id,
        slot=row.slot,
        worker=row.worker,
        result_digest=digest,
        submitted_at=now,
        expiry=terms.receipt_window_end,
    )
    signature = sign(signer, receipt.signable(chain_id, escrow))
    changed = connection.execute(
        _RECEIPT,
        {
            "of_task": terms.task_id,
            "of_slot": row.slot,
            "of_worker": row.worker,
            "of_request": row.request_digest,
            "new_envelope_cid": envelope_cid,
            "new_result_digest": "0x" + digest.hex(),
            "new_submitted_at": now,
            "new_receipt_expiry": receipt.expiry,
            "new_signature": "0x" + signature.hex(),
            "new_opened": opened,
        },
    )
    if changed.rowcount != 1:
        return None
    connection.execute(_ARRIVAL, {"task_id": terms.task_id, "slot": row.slot, "submitted_at": now})
    return IssuedReceipt(receipt, signature, envelope_cid, signer.address)


# Built once (see `claims`, statements): a receipt is one conditional update and one row
# for the loop, whatever else is going on.
_RECEIPT: Final = (
    update(VerifierSlot)
    .where(
        VerifierSlot.task_id == bindparam("of_task"),
        VerifierSlot.slot == bindparam("of_slot"),
        VerifierSlot.worker == bindparam("of_worker"),
        VerifierSlot.status == SlotHold.RESERVED,
        VerifierSlot.request_digest == bindparam("of_request"),
    )
    .values(
        status=SlotHold.RECEIPTED,
        envelope_cid=bindparam("new_envelope_cid"),
        result_digest=bindparam("new_result_digest"),
        submitted_at=bindparam("new_submitted_at"),
        receipt_expiry=bindparam("new_receipt_expiry"),
        signature=bindparam("new_signature"),
        opened=bindparam("new_opened"),
    )
)
_ARRIVAL: Final = insert(VerifierArrival)
