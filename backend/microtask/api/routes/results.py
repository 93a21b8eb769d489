"""``/tasks/{id}/results``: where a task's aggregated results are published.

The verifier seals each assessment's result set (JSON Lines and CSV, per-item confidence)
to the requester's key and puts it on the content store; this route says where (the CID)
and what it summarises. Reading the content needs the requester's key: ``microtask task
results`` fetches and decrypts it.
"""

from __future__ import annotations

from fastapi import APIRouter

from microtask.api.deps import SessionDep
from microtask.api.params import TaskId
from microtask.api.problems import not_found, problem_responses
from microtask.api.schemas import TaskResults
from microtask.db.verifier_models import VerifierResult

router = APIRouter(prefix="/tasks", tags=["tasks"])


@router.get(
    "/{task_id}/results",
    response_model=TaskResults,
    summary="Where a task's aggregated results are published",
    responses=problem_responses(404, 422, 503),
)
def get_results(task_id: TaskId, session: SessionDep) -> TaskResults:
    """The latest result set's CID and summary; 404 before the verifier assessed the task."""
    row = session.get(VerifierResult, task_id)
    if row is None:
        raise not_found(f"no published results for task {task_id} (yet)")
    return TaskResults(
        task_id=row.task_id,
        requester=row.requester,
        cid=row.cid,
        run=row.run,
        items=row.items,
        method=row.method,
        submissions=row.submissions,
        approved=row.approved,
        rejected=row.rejected,
        undecided=row.undecided,
        assessed_at=row.assessed_at,
    )
