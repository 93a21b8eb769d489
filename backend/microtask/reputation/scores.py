"""A worker's scores: what the verifier's assessments say about them, summed over tasks.

Each assessment leaves one ``verifier_worker_tasks`` row per (task, worker): gold items
met and right, items compared with the crowd's aggregate and the summed agreement, and
the verifier's outcomes. Summing rows (never averaging averages) gives exact totals per
task kind and overall. A score counts only from `MIN_EVIDENCE` observations on: two lucky
answers say nothing about a worker.

The on-chain record (approved and rejected slots, per token in the escrow) comes from the
index's ``accounts``: it counts every settlement, the verifier's or not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from microtask.db.models import Account
from microtask.db.verifier_models import VerifierWorkerTask

MIN_EVIDENCE: Final = 5
"""Gold items (or compared items, or decided slots) before a score counts."""


@dataclass(frozen=True)
class Tally:
    """Counts from the verifier's assessments, for one kind of task or for all."""

    gold_checked: int = 0
    gold_correct: int = 0
    agreement_items: int = 0
    agreement_sum: float = 0.0
    tasks: int = 0
    slots: int = 0
    approved: int = 0
    rejected: int = 0
    undecided: int = 0

    def plus(self, other: Tally) -> Tally:
        return Tally(
            gold_checked=self.gold_checked + other.gold_checked,
            gold_correct=self.gold_correct + other.gold_correct,
            agreement_items=self.agreement_items + other.agreement_items,
            agreement_sum=self.agreement_sum + other.agreement_sum,
            tasks=self.tasks + other.tasks,
            slots=self.slots + other.slots,
            approved=self.approved + other.approved,
            rejected=self.rejected + other.rejected,
            undecided=self.undecided + other.undecided,
        )

    @property
    def gold_accuracy(self) -> float | None:
        """Right gold answers over gold answers; None before any."""
        return self.gold_correct / self.gold_checked if self.gold_checked else None

    @property
    def agreement(self) -> float | None:
        """Mean agreement with the crowd's aggregate over compared items; None before any."""
        return self.agreement_sum / self.agreement_items if self.agreement_items else None

    def accuracy(self, min_items: int = MIN_EVIDENCE) -> tuple[float, str] | None:
        """The best evidence of how often this worker is right, and what it rests on.

        Gold accuracy when enough gold items were met (gold is ground truth), else agreement
        with the crowd when enough items were compared, else None.
        """
        if self.gold_checked >= min_items and self.gold_accuracy is not None:
            return self.gold_accuracy, f"gold accuracy over {self.gold_checked} items"
        if self.agreement_items >= min_items and self.agreement is not None:
            return self.agreement, f"agreement with the crowd over {self.agreement_items} items"
        return None


@dataclass(frozen=True)
class WorkerScores:
    """A worker's tallies overall and per task kind, and their on-chain record."""

    worker: str
    overall: Tally = field(default_factory=Tally)
    by_kind: dict[str, Tally] = field(default_factory=dict)
    approved: int = 0
    """Approved slots on the escrow's record, all tokens."""
    rejected: int = 0

    def kind(self, kind: str) -> Tally:
        return self.by_kind.get(kind, Tally())

    @property
    def approval_rate(self) -> float | None:
        decided = self.approved + self.rejected
        return self.approved / decided if decided >= MIN_EVIDENCE else None


def worker_scores(session: Session, worker: str, *, since: int | None = None) -> WorkerScores:
    """``worker``'s scores from assessments made at or after ``since`` (all when None)."""
    t = VerifierWorkerTask
    query = (
        select(
            t.kind,
            func.sum(t.gold_checked),
            func.sum(t.gold_correct),
            func.sum(t.agreement_items),
            func.sum(t.agreement_sum),
            func.count(),
            func.sum(t.slots),
            func.sum(t.approved),
            func.sum(t.rejected),
            func.sum(t.undecided),
        )
        .where(t.worker == worker)
        .group_by(t.kind)
    )
    if since is not None:
        query = query.where(t.assessed_at >= since)
    by_kind: dict[str, Tally] = {}
    overall = Tally()
    for kind, *sums in session.execute(query):
        tally = Tally(
            gold_checked=int(sums[0] or 0),
            gold_correct=int(sums[1] or 0),
            agreement_items=int(sums[2] or 0),
            agreement_sum=float(sums[3] or 0.0),
            tasks=int(sums[4] or 0),
            slots=int(sums[5] or 0),
            approved=int(sums[6] or 0),
            rejected=int(sums[7] or 0),
            undecided=int(sums[8] or 0),
        )
        by_kind[str(kind)] = tally
        overall = overall.plus(tally)
    record = session.execute(
        select(func.sum(Account.approved), func.sum(Account.rejected)).where(
            Account.address == worker
        )
    ).one()
    return WorkerScores(
        worker=worker,
        overall=overall,
        by_kind=by_kind,
        approved=int(record[0] or 0),
        rejected=int(record[1] or 0),
    )
