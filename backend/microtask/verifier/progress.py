"""What changed since the verifier's loop last looked: its incremental view of each task.

Deciding whether a task is due for assessment (`VerifierService.due`) needs, per task, how
many submissions there are and when the oldest one not settled for good arrived. Reading
every receipted slot for that after each receipt made the loop's cost grow with the
square of a task's size. Instead the loop keeps, per task it serves, in memory:

- the receipted slots and when each arrived: read in full once (`Progress.load`), then
  kept current from ``verifier_arrivals`` (`Progress.collect`), the rows each receipt's
  transaction adds, whatever process issued it; the loop reads them all (a handful: only
  the receipts since its last round), folds them in and deletes them. A receipt whose
  transaction commits late is simply read a round later. Folding is idempotent (slots are
  keys), so a receipt seen both in the full read and as an arrival counts once;
- the slots whose decision is settled for good (approved, rejected, settled by someone
  else, or missed), re-read after each assessment and settlement of the task;
- the on-chain submissions (the index's assignments with a result), re-read only when
  the index has moved and the task has on-chain slots at all.

Each loop takes only the arrivals of its own key's tasks, so verifiers of several keys can
share a database. As a safety net against anything that bypasses the arrivals (a second
loop on the same key deleting them, against the rule of one verifier per key), each task is
read in full again every `RELOAD_SECONDS`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import Connection, bindparam, delete, select, tuple_

from microtask.db.models import Assignment, Checkpoint, Task
from microtask.db.verifier_models import (
    Settled,
    SlotHold,
    VerifierArrival,
    VerifierDecision,
    VerifierSlot,
)
from microtask.verifier.tasks import TaskContext

RELOAD_SECONDS: Final = 300.0
UNSETTLED: Final = (Settled.PENDING, Settled.LEFT)


@dataclass
class TaskProgress:
    """One task as the loop knows it (see the module's note)."""

    receipted: dict[int, int] = field(default_factory=dict)
    """Receipted slot -> when its submission arrived (the receipt's ``submittedAt``)."""
    onchain: list[tuple[int, int]] = field(default_factory=list)
    """(slot, when) of each submission made on chain."""
    final: set[int] = field(default_factory=set)
    """Slots whose decision is settled for good."""
    onchain_block: int | None = None
    loaded_at: float = 0.0

    @property
    def submissions(self) -> int:
        return len(self.receipted) + len(self.onchain)

    def oldest_open(self) -> int | None:
        """When the oldest submission not settled for good arrived (None: there is none)."""
        times = [at for slot, at in self.receipted.items() if slot not in self.final]
        times += [at for slot, at in self.onchain if slot not in self.final]
        return min(times) if times else None


_ARRIVALS: Final = select(  # read every round of the loop: built once
    VerifierArrival.task_id, VerifierArrival.slot, VerifierArrival.submitted_at
).where(
    VerifierArrival.task_id.in_(select(Task.task_id).where(Task.verifier == bindparam("verifier")))
)


class Progress:
    """The loop's view of every task it serves (see the module's note)."""

    def __init__(self) -> None:
        self.tasks: dict[int, TaskProgress] = {}
        self._monotonic = time.monotonic

    def collect(self, connection: Connection, verifier: str) -> list[tuple[int, int]]:
        """Fold in the receipts issued since they were last forgotten for ``verifier``'s
        tasks (another key's loop on the same database takes its own); their (task, slot)
        keys, for `forget_arrivals` once folded in."""
        arrivals = connection.execute(_ARRIVALS, {"verifier": verifier}).all()
        for task_id, slot, submitted_at in arrivals:
            known = self.tasks.get(task_id)
            if known is not None:
                known.receipted[slot] = submitted_at
        return [(task_id, slot) for task_id, slot, _ in arrivals]

    @staticmethod
    def forget_arrivals(connection: Connection, keys: Sequence[tuple[int, int]]) -> None:
        """Delete the arrivals `collect` folded in (and only those: a receipt committed
        since is read next round)."""
        for start in range(0, len(keys), 500):
            connection.execute(
                delete(VerifierArrival).where(
                    tuple_(VerifierArrival.task_id, VerifierArrival.slot).in_(
                        list(keys[start : start + 500])
                    )
                )
            )

    def of(self, connection: Connection, context: TaskContext) -> TaskProgress:
        """The task's progress, read in full the first time (and every `RELOAD_SECONDS`),
        with its on-chain submissions re-read if the index moved."""
        task_id = context.task_id
        known = self.tasks.get(task_id)
        if known is None or self._monotonic() - known.loaded_at > RELOAD_SECONDS:
            known = self.tasks[task_id] = TaskProgress(loaded_at=self._monotonic())
            known.receipted = {
                slot: at or 0
                for slot, at in connection.execute(
                    select(VerifierSlot.slot, VerifierSlot.submitted_at).where(
                        VerifierSlot.task_id == task_id,
                        VerifierSlot.status == SlotHold.RECEIPTED,
                    )
                )
            }
            self.settled(connection, task_id)
        if context.terms.slot_count > context.terms.receipt_slots:
            block = connection.scalar(select(Checkpoint.block_number).limit(1))
            if block != known.onchain_block:
                known.onchain = [
                    (slot, at or claimed or 0)
                    for slot, at, claimed in connection.execute(
                        select(Assignment.slot, Assignment.submitted_at, Assignment.claimed_at)
                        .where(Assignment.task_id == task_id, Assignment.result_cid.is_not(None))
                        .order_by(Assignment.slot, Assignment.number)
                    )
                ]
                known.onchain_block = block
        return known

    def settled(self, connection: Connection, task_id: int) -> None:
        """Re-read which of the task's slots are settled for good (after an assessment or
        a settlement)."""
        known = self.tasks.get(task_id)
        if known is None:
            return
        known.final = set(
            connection.scalars(
                select(VerifierDecision.slot).where(
                    VerifierDecision.task_id == task_id,
                    VerifierDecision.settled.not_in(UNSETTLED),
                )
            )
        )

    def forget(self, task_id: int) -> None:
        self.tasks.pop(task_id, None)
