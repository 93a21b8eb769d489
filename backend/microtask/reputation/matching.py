"""Matching: which open tasks pay a worker best for their time, given how they do on them.

A task's match for a worker is its expected pay rate relative to the best open task in the
same token, times the share of the worker's work on that kind of task that is expected to
be accepted:

    match = (reward per estimated minute / best rate in this token) x expected acceptance

Expected acceptance is the worker's accuracy on the task's kind (gold accuracy, else
agreement with the crowd; see `scores.Tally.accuracy`), else their accuracy over all
kinds, else `PRIOR_ACCEPTANCE` for a newcomer. Rates are compared within a token only
(the index knows no prices), so the best-paid task in each token has a pay share of 100%.
Each match carries one line saying exactly that, with its numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from microtask.reputation.scores import WorkerScores

PRIOR_ACCEPTANCE: Final = 0.8
"""The acceptance assumed without evidence: the platform's default approve line."""


@dataclass(frozen=True)
class Candidate:
    """What matching needs to know about a task."""

    task_id: int
    token: str
    reward: int
    kind: str | None
    time_estimate_seconds: int | None


@dataclass(frozen=True)
class Match:
    score: float
    reward_per_minute: float
    """In the token's smallest unit."""
    pay_share: float
    acceptance: float
    basis: str
    explanation: str


def _rate(candidate: Candidate) -> float:
    if not candidate.time_estimate_seconds:
        return 0.0
    return candidate.reward * 60 / candidate.time_estimate_seconds


def expected_acceptance(scores: WorkerScores, kind: str | None) -> tuple[float, str]:
    """The worker's expected acceptance on ``kind`` and what it rests on."""
    if kind is not None:
        on_kind = scores.kind(kind).accuracy()
        if on_kind is not None:
            return on_kind[0], f"your {on_kind[1]} on {kind}"
    overall = scores.overall.accuracy()
    if overall is not None:
        where = f"no history on {kind}" if kind else "unknown kind"
        return overall[0], f"your {overall[1]} overall ({where})"
    return PRIOR_ACCEPTANCE, f"no history yet: {PRIOR_ACCEPTANCE:.0%} assumed"


def match_tasks(candidates: Sequence[Candidate], scores: WorkerScores) -> list[Match]:
    """One `Match` per candidate, in the candidates' order."""
    best: dict[str, float] = {}
    for candidate in candidates:
        best[candidate.token] = max(best.get(candidate.token, 0.0), _rate(candidate))
    matches = []
    for candidate in candidates:
        rate = _rate(candidate)
        top = best[candidate.token]
        share = rate / top if top > 0 else 0.0
        acceptance, basis = expected_acceptance(scores, candidate.kind)
        if candidate.time_estimate_seconds:
            pay = (
                f"{candidate.reward} per {candidate.time_estimate_seconds}s = "
                f"{rate:,.0f}/min ({share:.0%} of the best rate in this token)"
            )
        else:
            pay = "no time estimate (manifest not resolved)"
        score = share * acceptance
        matches.append(
            Match(
                score=score,
                reward_per_minute=rate,
                pay_share=share,
                acceptance=acceptance,
                basis=basis,
                explanation=f"{score:.2f} = {pay} x {acceptance:.0%} expected acceptance ({basis})",
            )
        )
    return matches
