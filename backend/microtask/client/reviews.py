"""Review batches and dispute reasons: what a rejection or a dispute puts in the content store.

A rejection on chain carries one CID for many slots: a `ReviewBatch`, one `Review` per
slot, so each worker finds why their own slot was rejected. These builders are pure (no
key, no I/O), for any front end: the CLI, or a web server preparing what the requester's
wallet will send.

A slot handed in without gas and never presented is still open on chain: the escrow
rejects it only with a proof (`ReceiptRejection`: the verifier's receipt and signature,
the envelope's hash and the worker's envelope signature). `rejection_proofs` builds those
from the verifier's receipts and the envelopes, also without a key, so the CLI and the web
app's Review page follow one rule.

Example::

    batch = rejection_batch(3, [(1, worker)], {1: envelope_cid}, reviewer=me,
                            reason="incorrect", detail="item 4 is a dog", reviewed_at=now)
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, get_args

from microtask.chain.typed_data import ReceiptRejection
from microtask.client.errors import NoSubmission, Refused
from microtask.client.receipts import receipt_of
from microtask.manifests import RejectionReason, Review, ReviewBatch, SubmissionEnvelope, parse_as
from microtask.manifests.review import ReasonCode

REASON_CODES: tuple[str, ...] = get_args(ReasonCode)
"""Why a slot may be rejected (`manifests.review.ReasonCode`)."""


def check_reason_code(reason: str) -> ReasonCode:
    """``reason`` if it is one of `REASON_CODES`; `Refused` otherwise."""
    if reason not in REASON_CODES:
        raise Refused(f"--reason must be one of {', '.join(REASON_CODES)}")
    return reason  # type: ignore[return-value]  # checked against the Literal's values


def rejection_batch(
    task_id: int,
    pairs: Sequence[tuple[int, str]],
    submissions: Mapping[int, str],
    *,
    reviewer: str,
    reason: str,
    detail: str | None = None,
    feedback: str = "",
    reviewed_at: int,
) -> ReviewBatch:
    """One rejection per (slot, worker) in ``pairs``, citing the slot's submission CID
    (``submissions``: slot to envelope CID); `NoSubmission` for a slot without one (work
    through receipts is rejected by its verifier, which holds the envelopes)."""
    code = check_reason_code(reason)
    reviews = []
    for slot, _ in pairs:
        submission = submissions.get(slot)
        if submission is None:
            raise NoSubmission(slot)
        reviews.append(
            Review(
                task_id=task_id,
                slot=slot,
                submission=submission,
                reviewer=reviewer,
                decision="rejected",
                reasons=[RejectionReason(code=code, detail=detail)],
                feedback=feedback,
                reviewed_at=reviewed_at,
            )
        )
    return ReviewBatch(task_id=task_id, reviewer=reviewer, reviews=reviews)


def check_dispute_reason(reason: str) -> bytes:
    """A dispute's reason as stored (UTF-8); `Refused` when it says nothing."""
    if not reason.strip():
        raise Refused("--reason must say why")
    return reason.encode("utf-8")


def check_ruling(pay: bool, reason: str) -> bytes | None:
    """A ruling's reason as stored (None when there is none); upholding needs one."""
    if not pay and not reason.strip():
        raise Refused("upholding a rejection needs --reason")
    return reason.encode("utf-8") if reason.strip() else None


def rejection_proof(receipt: Mapping[str, Any], envelope: bytes) -> ReceiptRejection:
    """What rejecting an unpresented receipt slot takes: the receipt the verifier signed
    (``receipt``, as its API gives it), and the worker's own signature of the envelope it
    vouches for (``envelope``, the stored bytes), so the escrow knows the rejected worker
    really handed that work in."""
    signed, signature = receipt_of(receipt)
    handed_in = parse_as(SubmissionEnvelope, envelope)
    return ReceiptRejection(
        signed, signature, handed_in.envelope_hash(), bytes(handed_in.signature)
    )


def rejection_proofs(
    slots: Iterable[int],
    receipts: Mapping[int, Mapping[str, Any]],
    unpresented: Collection[int],
    envelope: Callable[[str], bytes],
) -> dict[int, ReceiptRejection]:
    """The proof for each of ``slots`` that is an unpresented receipt slot: it has a
    receipt (``receipts``, by slot) and is still open on chain (in ``unpresented``).
    ``envelope`` reads an envelope CID's bytes. Every other slot is rejected plainly."""
    return {
        slot: rejection_proof(receipts[slot], envelope(str(receipts[slot]["envelope_cid"])))
        for slot in slots
        if slot in receipts and slot in unpresented
    }


def proof_json(proof: ReceiptRejection) -> dict[str, Any]:
    """``proof`` as the ABI tuple a browser wallet sends (bytes as 0x hex, numbers as
    decimal strings so no precision is lost in JavaScript)."""
    receipt = proof.receipt
    return {
        "receipt": {
            "taskId": str(receipt.task_id),
            "slot": receipt.slot,
            "worker": receipt.worker,
            "resultDigest": "0x" + receipt.result_digest.hex(),
            "submittedAt": str(receipt.submitted_at),
            "expiry": str(receipt.expiry),
        },
        "signature": "0x" + proof.signature.hex(),
        "envelopeHash": "0x" + proof.envelope_hash.hex(),
        "workerSignature": "0x" + proof.worker_signature.hex(),
    }
