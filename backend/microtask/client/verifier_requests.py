"""What requesters and workers send the verifier, built without a key.

Each request is an EIP-712 message the sender signs (`SlotRequest` for a worker's gasless
claim, `VerifierCommand` for a requester's policy, "assess now" or message to workers, or
a worker's "show my inbox") plus the JSON body that carries it with its signature.
Building and signing are apart so that a web server can build the message, let the browser
wallet sign it, and send the body; `Worker` and `Requester` sign in process.

Example::

    request = slot_request(2, None, worker=me, now=platform.now())
    signature = request.sign(account, platform.chain_id, platform.escrow_address)
    grant = platform.api.post("/verifier/claims", claim_body(request, signature),
                              service="verifier")
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from microtask.client.errors import InvalidPolicy, NoAnswerForItem
from microtask.manifests import SubmissionAnswers
from microtask.quality import QualityRule
from microtask.verifier.messages import message_document
from microtask.verifier.policy import Policy
from microtask.verifier.typed_data import (
    ANY_SLOT,
    NO_PAYLOAD,
    SlotRequest,
    VerifierCommand,
    new_nonce,
    payload_hash,
)

REQUEST_LIFETIME: Final = 600
"""Seconds a slot request is good for: long enough to reach the verifier, no longer."""


def slot_request(task_id: int, slot: int | None, *, worker: str, now: int) -> SlotRequest:
    """A fresh request for ``slot`` of the task (None: whichever the verifier picks)."""
    return SlotRequest(
        task_id=task_id,
        slot=ANY_SLOT if slot is None else slot,
        worker=worker,
        nonce=new_nonce(),
        expiry=now + REQUEST_LIFETIME,
    )


def claim_body(request: SlotRequest, signature: bytes) -> dict[str, Any]:
    """``POST /verifier/claims``'s body: the request's fields and its signature."""
    return {
        "task_id": request.task_id,
        "slot": request.slot,
        "worker": request.worker,
        "nonce": request.nonce,
        "expiry": request.expiry,
        "signature": "0x" + signature.hex(),
    }


def answers_for_item(answers: SubmissionAnswers, item_id: str) -> SubmissionAnswers:
    """The answer to one item out of answers that may cover many (`NoAnswerForItem`)."""
    chosen = [answer for answer in answers.answers if answer.item_id == item_id]
    if not chosen:
        raise NoAnswerForItem(item_id)
    return SubmissionAnswers(answers=chosen, note=answers.note)


def policy_of(
    *,
    allow: list[str] | None = None,
    block: list[str] | None = None,
    rule: QualityRule | None = None,
    gold_salts: Mapping[str, Any] | None = None,
) -> Policy:
    """A policy: only ``allow`` (None: anyone), never ``block``, judged by ``rule`` (None:
    the platform's default), gold hidden with ``gold_salts``; `InvalidPolicy` if it is not
    one."""
    document = {"allow": allow, "block": block or [], "rule": rule, "gold_salts": gold_salts}
    try:
        return Policy.model_validate(document)
    except ValueError as error:
        raise InvalidPolicy(f"invalid policy: {error}") from None


def policy_command(task_id: int, policy: Policy, issued_at: int) -> VerifierCommand:
    """What the requester signs to set ``policy`` for the task (0: all their tasks)."""
    return VerifierCommand(task_id, "policy", payload_hash(policy.canonical()), issued_at)


def policy_body(
    command: VerifierCommand, policy: Policy, *, requester: str, signature: bytes
) -> dict[str, Any]:
    """``POST /verifier/policies``'s body."""
    return {
        "requester": requester,
        "task_id": command.task_id,
        "policy": policy.model_dump(mode="json"),
        "issued_at": command.issued_at,
        "signature": "0x" + signature.hex(),
    }


def assess_command(task_id: int, issued_at: int) -> VerifierCommand:
    """What the requester signs to have the task assessed and settled now."""
    return VerifierCommand(task_id, "assess", NO_PAYLOAD, issued_at)


def assess_body(command: VerifierCommand, signature: bytes) -> dict[str, Any]:
    """``POST /verifier/tasks/{id}/assess``'s body."""
    return {"issued_at": command.issued_at, "signature": "0x" + signature.hex()}


def message_command(subject: str, text: str, workers: list[str], issued_at: int) -> VerifierCommand:
    """What a requester signs to write to ``workers`` (checksummed addresses)."""
    document = message_document(subject, text, workers)
    return VerifierCommand(0, "message", payload_hash(document), issued_at)


def message_body(
    command: VerifierCommand,
    subject: str,
    text: str,
    workers: list[str],
    *,
    requester: str,
    signature: bytes,
) -> dict[str, Any]:
    """``POST /verifier/messages``'s body."""
    return {
        "requester": requester,
        "workers": workers,
        "subject": subject,
        "text": text,
        "issued_at": command.issued_at,
        "signature": "0x" + signature.hex(),
    }


def inbox_command(issued_at: int) -> VerifierCommand:
    """What a worker signs to read their messages."""
    return VerifierCommand(0, "inbox", NO_PAYLOAD, issued_at)


def inbox_body(command: VerifierCommand, worker: str, signature: bytes) -> dict[str, Any]:
    """``POST /verifier/inbox``'s body."""
    return {"worker": worker, "issued_at": command.issued_at, "signature": "0x" + signature.hex()}
