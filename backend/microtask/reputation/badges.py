"""Badges: milestones earned from a worker's indexed history, each with when it was earned.

| badge | earned when |
| --- | --- |
| ``first-approved`` | the first slot approved (any basis: review, silence, arbitration) |
| ``hundred-approved`` | the hundredth approved slot |
| ``streak-30`` | approved work on 30 consecutive days (UTC days of chain time) |
| ``gold-99`` | 99% gold accuracy or better over at least 50 gold items |

Approvals come from the index's ``settlements`` (what the chain did), gold from the
verifier's assessments, summed in the order they were made. A badge is earned once: the
time is the moment the history first met the condition, and it stays earned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from microtask.db.base import SettlementOutcome
from microtask.db.models import Settlement
from microtask.db.verifier_models import VerifierWorkerTask

DAY: Final = 86_400
STREAK_DAYS: Final = 30
GOLD_ITEMS: Final = 50
GOLD_ACCURACY: Final = 0.99


@dataclass(frozen=True)
class Badge:
    id: str
    title: str
    description: str
    earned_at: int


TITLES: Final = {
    "first-approved": ("First approval", "Your first slot was approved and paid."),
    "hundred-approved": ("A hundred approved", "100 slots approved and paid."),
    "streak-30": ("30-day streak", f"Approved work on {STREAK_DAYS} days in a row."),
    "gold-99": (
        "Gold standard",
        f"{GOLD_ACCURACY:.0%} gold accuracy or better over {GOLD_ITEMS}+ gold items.",
    ),
}


def _badge(badge_id: str, earned_at: int) -> Badge:
    title, description = TITLES[badge_id]
    return Badge(badge_id, title, description, earned_at)


def streak_reached(times: list[int], days: int = STREAK_DAYS) -> int | None:
    """The first moment ``times`` (sorted) cover ``days`` consecutive UTC days, else None."""
    run, previous = 0, None
    for moment in times:
        day = moment // DAY
        if day == previous:
            continue
        run = run + 1 if previous is not None and day == previous + 1 else 1
        previous = day
        if run >= days:
            return moment
    return None


def gold_reached(rows: list[tuple[int, int, int]]) -> int | None:
    """When cumulative (assessed_at, checked, correct) rows first meet the gold badge."""
    checked = correct = 0
    for assessed_at, task_checked, task_correct in rows:
        checked += task_checked
        correct += task_correct
        if checked >= GOLD_ITEMS and correct >= GOLD_ACCURACY * checked:
            return assessed_at
    return None


def badges_of(session: Session, worker: str) -> list[Badge]:
    """The badges ``worker`` has earned, in the order they were earned."""
    times = list(
        session.scalars(
            select(Settlement.at)
            .where(Settlement.worker == worker, Settlement.outcome == SettlementOutcome.APPROVED)
            .order_by(Settlement.block_number, Settlement.log_index, Settlement.slot)
        )
    )
    earned: list[Badge] = []
    if times:
        earned.append(_badge("first-approved", times[0]))
    if len(times) >= 100:
        earned.append(_badge("hundred-approved", times[99]))
    streak = streak_reached(times)
    if streak is not None:
        earned.append(_badge("streak-30", streak))
    t = VerifierWorkerTask
    gold_rows = session.execute(
        select(t.assessed_at, t.gold_checked, t.gold_correct)
        .where(t.worker == worker, t.gold_checked > 0)
        .order_by(t.assessed_at, t.task_id)
    ).all()
    gold = gold_reached([(int(a), int(c), int(r)) for a, c, r in gold_rows])
    if gold is not None:
        earned.append(_badge("gold-99", gold))
    return sorted(earned, key=lambda badge: (badge.earned_at, badge.id))
