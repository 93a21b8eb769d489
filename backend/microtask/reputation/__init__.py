"""Reputation: what a worker's history says about them, read from the database only.

Two sources, each written by its own single writer: the index (`microtask.db.models`:
settlements and the escrow's per-token records, from chain events) and the verifier's
assessments (`microtask.db.verifier_models`: gold and agreement per task and worker).
Nothing here writes; the API's read routes and the verifier's claim checks both use it,
so a qualification means the same in ``GET /tasks?eligible_for=`` as when a slot is granted.

- `scores`: `WorkerScores`, tallies overall and per task kind, and the on-chain record;
- `qualifications`: the names a manifest may require and whether a worker meets them;
- `matching`: pay per estimated minute times expected acceptance, explained in one line;
- `badges`: milestones from history, with when they were earned;
- `leaderboard`: top workers by earnings, approved slots or accuracy, per period.
"""

from microtask.reputation.badges import Badge, badges_of
from microtask.reputation.leaderboard import Board, Entry, Period, leaderboard
from microtask.reputation.matching import Candidate, Match, expected_acceptance, match_tasks
from microtask.reputation.qualifications import (
    KNOWN_NAMES,
    Shortfall,
    kind_name,
    qualification_values,
    shortfalls,
    unmet,
)
from microtask.reputation.scores import MIN_EVIDENCE, Tally, WorkerScores, worker_scores

__all__ = [
    "KNOWN_NAMES",
    "MIN_EVIDENCE",
    "Badge",
    "Board",
    "Candidate",
    "Entry",
    "Match",
    "Period",
    "Shortfall",
    "Tally",
    "WorkerScores",
    "badges_of",
    "expected_acceptance",
    "kind_name",
    "leaderboard",
    "match_tasks",
    "qualification_values",
    "shortfalls",
    "unmet",
    "worker_scores",
]
