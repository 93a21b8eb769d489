"""Why a worker may not take a task, in their language.

The same rules as the verifier's claim check (`microtask.verifier.claims.check_eligible`)
and ``GET /tasks?eligible_for=``: a party to the task cannot be paid for it; the escrow's
record thresholds in the task's token; the manifest's qualifications, from the worker's
scores. The domain gives the numbers; this module says them in words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microtask.db.models import Account, ManifestQualification
from microtask.reputation import KNOWN_NAMES, MIN_EVIDENCE, qualification_values, worker_scores

Gettext = Callable[..., str]


def reasons_not_eligible(
    session: Session,
    worker: str,
    rows: list[Any],
    gettext: Gettext,
    percent: Callable[[float], str],
) -> dict[int, list[str]]:
    """For each task row (a `tasks_with_manifests` row) the worker may not take, why."""
    records = {
        account.token: account
        for account in session.scalars(select(Account).where(Account.address == worker))
    }
    values = qualification_values(worker_scores(session, worker))
    cids = {row.manifest_cid for row in rows}
    required: dict[str, list[ManifestQualification]] = {}
    for qualification in session.scalars(
        select(ManifestQualification).where(ManifestQualification.cid.in_(cids))
    ):
        required.setdefault(qualification.cid, []).append(qualification)
    found: dict[int, list[str]] = {}
    for row in rows:
        reasons: list[str] = []
        if worker == row.requester:
            reasons.append(gettext("You posted this task: a requester cannot be paid for it."))
        elif worker in (row.verifier, row.arbitrator):
            reasons.append(
                gettext("You verify or arbitrate this task, so you cannot be paid for it.")
            )
        record = records.get(row.token)
        approved = record.approved if record else 0
        rejected = record.rejected if record else 0
        if approved < row.min_approved:
            reasons.append(
                gettext(
                    "It asks for %(needed)s approved slots in its token; you have %(have)s.",
                    needed=row.min_approved,
                    have=approved,
                )
            )
        decided = approved + rejected
        if row.min_approval_bps and decided and approved * 10_000 < row.min_approval_bps * decided:
            reasons.append(
                gettext(
                    "It asks for an approval rate of %(needed)s; yours is %(have)s.",
                    needed=percent(row.min_approval_bps / 10_000),
                    have=percent(approved / decided),
                )
            )
        for qualification in required.get(row.manifest_cid, []):
            name, minimum = qualification.name, qualification.min_score
            value = values.get(name)
            if name not in KNOWN_NAMES:
                reasons.append(
                    gettext("It asks for “%(name)s”, which no one can have here.", name=name)
                )
            elif value is None:
                reasons.append(
                    gettext(
                        "It asks for a “%(name)s” score: you get one after %(count)s assessed items on other tasks.",
                        name=name,
                        count=MIN_EVIDENCE,
                    )
                )
            elif minimum is not None and value < minimum:
                reasons.append(
                    gettext(
                        "It asks for “%(name)s” of at least %(needed)s; yours is %(have)s.",
                        name=name,
                        needed=percent(minimum),
                        have=percent(value),
                    )
                )
        if reasons:
            found[row.task_id] = reasons
    return found
