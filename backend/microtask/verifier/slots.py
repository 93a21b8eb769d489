"""A receipt slot's row as a hand-in reads it: one prebuilt statement, no ORM.

A submission reads its slot's row first (who holds it, under which request), and again
when its conditional update lost. Through the ORM (``Session.get``) that read builds an
identity map, an instance and its state for a row that is dropped a moment later; read as a
plain `SlotView` it is one statement run on the caller's connection. The sealed answers
(``opened``) are left out: the hand-in writes them, it never reads them back.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final

from sqlalchemy import Connection, bindparam, select

from microtask.db.verifier_models import SlotHold, VerifierSlot


@dataclass(frozen=True, slots=True)
class SlotView:
    """The columns of one ``verifier_slots`` row, but ``opened``."""

    task_id: int
    slot: int
    item_index: int
    worker: str | None
    status: SlotHold
    request_digest: str | None
    reserved_at: int | None
    lease_end: int | None
    envelope_cid: str | None
    result_digest: str | None
    submitted_at: int | None
    receipt_expiry: int | None
    signature: str | None


_SLOT: Final = select(*(getattr(VerifierSlot, f.name) for f in fields(SlotView))).where(
    VerifierSlot.task_id == bindparam("task_id"), VerifierSlot.slot == bindparam("slot")
)


def read_slot(connection: Connection, task_id: int, slot: int) -> SlotView | None:
    """The slot's row, None when it has none."""
    row = connection.execute(_SLOT, {"task_id": task_id, "slot": slot}).first()
    return None if row is None else SlotView(*row)
