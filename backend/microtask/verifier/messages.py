"""Messages from requesters to the workers who did their work (MTurk's ``NotifyWorkers``).

A requester signs a `typed_data.VerifierCommand` with action ``message`` over the hash of
the message document (`message_document`: subject, text and the workers it is for); the
verifier keeps one copy per worker for that worker's inbox. A worker reads their inbox by
signing a fresh ``inbox`` command, so nobody else reads it.

A requester may write only to workers who have done work for them (a receipt this verifier
signed, or a submission on chain, on one of the requester's tasks): an address that never
worked for them is refused for that worker, as MTurk refused to e-mail a worker who never
worked for the requester. The same signed message sent again is kept once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from microtask.db.models import Assignment, Task
from microtask.db.verifier_models import SlotHold, VerifierMessage, VerifierSlot
from microtask.encoding.canonical import canonical_json

MAX_SUBJECT_CHARS: Final = 200
MAX_MESSAGE_CHARS: Final = 4_096
MAX_RECIPIENTS: Final = 100
INBOX_PAGE: Final = 100
NEVER_WORKED: Final = "this worker has done no work for you, so they cannot be sent messages"


@dataclass(frozen=True)
class Delivery:
    """What became of one message: the workers it reached, and those refused with why."""

    sent: tuple[str, ...]
    refused: dict[str, str]


@dataclass(frozen=True)
class Message:
    id: int
    requester: str
    subject: str
    text: str
    sent_at: int

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "requester": self.requester,
            "subject": self.subject,
            "text": self.text,
            "sent_at": self.sent_at,
        }


def message_document(subject: str, text: str, workers: Sequence[str]) -> bytes:
    """The canonical JSON a requester's ``message`` command signs the hash of."""
    return canonical_json({"subject": subject, "text": text, "workers": list(workers)})


def check_message(subject: str, text: str, workers: Sequence[str]) -> str | None:
    """Why the message cannot be sent, or None."""
    if not subject.strip() or len(subject) > MAX_SUBJECT_CHARS:
        return f"the subject must be 1 to {MAX_SUBJECT_CHARS} characters"
    if not text.strip() or len(text) > MAX_MESSAGE_CHARS:
        return f"the text must be 1 to {MAX_MESSAGE_CHARS} characters"
    if not 1 <= len(workers) <= MAX_RECIPIENTS or len(set(workers)) != len(workers):
        return f"name 1 to {MAX_RECIPIENTS} distinct workers"
    return None


def worked_for(session: Session, worker: str, requester: str) -> bool:
    """Whether ``worker`` handed in work on one of ``requester``'s tasks."""
    receipted = exists().where(
        VerifierSlot.worker == worker,
        VerifierSlot.status == SlotHold.RECEIPTED,
        VerifierSlot.task_id == Task.task_id,
        Task.requester == requester,
    )
    submitted = exists().where(
        Assignment.worker == worker,
        Assignment.result_cid.is_not(None),
        Assignment.task_id == Task.task_id,
        Task.requester == requester,
    )
    return bool(session.scalar(select(receipted | submitted)))


def deliver(
    session: Session,
    *,
    requester: str,
    workers: Sequence[str],
    subject: str,
    text: str,
    sent_at: int,
    command: str,
) -> Delivery:
    """Keep the message for each worker who worked for ``requester`` (once per command)."""
    sent: list[str] = []
    refused: dict[str, str] = {}
    for worker in workers:
        if not worked_for(session, worker, requester):
            refused[worker] = NEVER_WORKED
            continue
        kept = session.scalar(
            select(VerifierMessage.id).where(
                VerifierMessage.command == command, VerifierMessage.worker == worker
            )
        )
        if kept is None:
            session.add(
                VerifierMessage(
                    requester=requester,
                    worker=worker,
                    subject=subject,
                    text=text,
                    sent_at=sent_at,
                    command=command,
                )
            )
        sent.append(worker)
    session.flush()
    return Delivery(tuple(sent), refused)


def inbox(session: Session, worker: str, *, before: int | None = None) -> list[Message]:
    """The newest messages to ``worker`` (older than message ``before``, if given)."""
    query = select(VerifierMessage).where(VerifierMessage.worker == worker)
    if before is not None:
        query = query.where(VerifierMessage.id < before)
    rows = session.scalars(query.order_by(VerifierMessage.id.desc()).limit(INBOX_PAGE))
    return [Message(r.id, r.requester, r.subject, r.text, r.sent_at) for r in rows]
