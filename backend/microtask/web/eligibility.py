"""Why a worker may not take a task, in their language.

The same rules as the verifier's claim check (`microtask.verifier.claims.check_eligible`)
and ``GET /tasks?eligible_for=``, from where each is written once: a party to the task
cannot be paid for it, and the record thresholds in the task's token (the escrow domain's
`is_party`, `meets_min_approved`, `meets_approval_rate`); the manifest's qualifications
(`microtask.reputation.shortfalls`). Those give the verdicts and the numbers; this module
says them in words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microtask.db.models import Account, ManifestQualification
from microtask.escrow import BPS, is_party, meets_approval_rate, meets_min_approved
from microtask.reputation import MIN_EVIDENCE, qualification_values, shortfalls, worker_scores

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
        if is_party(
            worker, requester=row.requester, verifier=row.verifier, arbitrator=row.arbitrator
        ):
            if worker == row.requester:
                reasons.append(gettext("You posted this task: a requester cannot be paid for it."))
            else:
                reasons.append(
                    gettext("You verify or arbitrate this task, so you cannot be paid for it.")
                )
        record = records.get(row.token)
        approved = record.approved if record else 0
        rejected = record.rejected if record else 0
        if not meets_min_approved(approved, row.min_approved):
            reasons.append(
                gettext(
                    "It asks for %(needed)s approved slots in its token; you have %(have)s.",
                    needed=row.min_approved,
                    have=approved,
                )
            )
        if not meets_approval_rate(approved, rejected, row.min_approval_bps):
            reasons.append(
                gettext(
                    "It asks for an approval rate of %(needed)s; yours is %(have)s.",
                    needed=percent(row.min_approval_bps / BPS),
                    have=percent(approved / (approved + rejected)),
                )
            )
        for short in shortfalls(required.get(row.manifest_cid, []), values):
            if not short.known:
                reasons.append(
                    gettext("It asks for “%(name)s”, which no one can have here.", name=short.name)
                )
            elif short.value is None:
                reasons.append(
                    gettext(
                        "It asks for a “%(name)s” score: you get one after %(count)s assessed items on other tasks.",
                        name=short.name,
                        count=MIN_EVIDENCE,
                    )
                )
            else:
                reasons.append(
                    gettext(
                        "It asks for “%(name)s” of at least %(needed)s; yours is %(have)s.",
                        name=short.name,
                        needed=percent(short.minimum or 0),
                        have=percent(short.value),
                    )
                )
        if reasons:
            found[row.task_id] = reasons
    return found
