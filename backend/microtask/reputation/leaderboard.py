"""Leaderboards: the top workers by earnings, approved slots or accuracy, over a period.

Periods end at chain time "now" and reach back a day, a week, 30 days, or forever.

- ``approved``: slots approved in the period (the index's ``settlements``, any token);
- ``earnings``: rewards of slots approved in the period, in one token (amounts in
  different tokens do not add up; bonuses are not counted, being the requester's gift
  rather than pay for work);
- ``accuracy``: gold accuracy over the gold items met in tasks assessed in the period,
  for workers with at least `MIN_GOLD_ITEMS` of them.

Ties keep a stable order (the second measure, then the address); ranks count from 1.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from microtask.db.base import SettlementOutcome
from microtask.db.models import Settlement, Task
from microtask.db.verifier_models import VerifierWorkerTask

MIN_GOLD_ITEMS: Final = 10


class Board(StrEnum):
    EARNINGS = "earnings"
    APPROVED = "approved"
    ACCURACY = "accuracy"


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    ALL = "all"

    @property
    def seconds(self) -> int | None:
        return {"day": 86_400, "week": 7 * 86_400, "month": 30 * 86_400}.get(self.value)

    def since(self, now: int) -> int | None:
        seconds = self.seconds
        return None if seconds is None else now - seconds


@dataclass(frozen=True)
class Entry:
    rank: int
    worker: str
    approved: int
    earned: int | None = None
    gold_items: int | None = None
    gold_accuracy: float | None = None


def _approved_counts(
    session: Session, since: int | None, token: str | None
) -> dict[str, dict[int, int]]:
    """Per worker: approved slots per reward amount (rewards differ between tasks)."""
    s = Settlement
    query = (
        select(s.worker, s.reward, func.count())
        .where(s.outcome == SettlementOutcome.APPROVED)
        .group_by(s.worker, s.reward)
    )
    if since is not None:
        query = query.where(s.at >= since)
    if token is not None:
        query = query.join(Task, Task.task_id == s.task_id).where(Task.token == token)
    counts: dict[str, dict[int, int]] = defaultdict(dict)
    for worker, reward, count in session.execute(query):
        counts[worker][int(reward or 0)] = int(count)
    return counts


def leaderboard(
    session: Session,
    *,
    board: Board,
    period: Period,
    now: int,
    token: str | None = None,
    limit: int = 20,
) -> list[Entry]:
    """The top ``limit`` workers on ``board`` (``token`` is required for earnings)."""
    since = period.since(now)
    if board is Board.ACCURACY:
        return _accuracy(session, since, limit)
    if board is Board.EARNINGS and token is None:
        raise ValueError("earnings are ranked within one token: name it")
    counts = _approved_counts(session, since, token)
    rows = [
        (worker, sum(by_reward.values()), sum(r * c for r, c in by_reward.items()))
        for worker, by_reward in counts.items()
    ]
    if board is Board.EARNINGS:
        rows.sort(key=lambda row: (-row[2], -row[1], row[0]))
    else:
        rows.sort(key=lambda row: (-row[1], -row[2], row[0]))
    return [
        Entry(
            rank=index + 1,
            worker=worker,
            approved=approved,
            earned=earned if token is not None else None,
        )
        for index, (worker, approved, earned) in enumerate(rows[:limit])
    ]


def _accuracy(session: Session, since: int | None, limit: int) -> list[Entry]:
    t = VerifierWorkerTask
    query = (
        select(t.worker, func.sum(t.gold_checked), func.sum(t.gold_correct), func.sum(t.approved))
        .group_by(t.worker)
        .having(func.sum(t.gold_checked) >= MIN_GOLD_ITEMS)
    )
    if since is not None:
        query = query.where(t.assessed_at >= since)
    rows = [
        (worker, int(checked), int(correct), int(approved or 0))
        for worker, checked, correct, approved in session.execute(query)
    ]
    rows.sort(key=lambda row: (-row[2] / row[1], -row[1], row[0]))
    return [
        Entry(
            rank=index + 1,
            worker=worker,
            approved=approved,
            gold_items=checked,
            gold_accuracy=correct / checked,
        )
        for index, (worker, checked, correct, approved) in enumerate(rows[:limit])
    ]
