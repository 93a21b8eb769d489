"""``/my-tasks/{task_id}/results``: a task's aggregated result set, read in the browser.

The verifier publishes the result set sealed to the key the manifest names; here that is
the requester's key derived from a wallet signature, so the page's script asks the wallet
to sign the key message once, opens the set in the browser and shows it as a table with
each item's confidence, with downloads as CSV, JSON Lines and Label Studio's import format
(a JSON list of tasks, each item's data with the aggregate as a prediction scored by its
confidence). The server hands out only what is public: where the sealed set is, and the
items' data from the manifest (for the Label Studio tasks).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from microtask.db.models import Task
from microtask.web.app import PageDep
from microtask.web.pages.operator import forbidden

router = APIRouter(include_in_schema=False)
LABEL_STUDIO_ITEMS = 10_000
"""Inline items handed to the script for the Label Studio export (larger sets: ids only)."""


@router.get("/my-tasks/{task_id}/results", response_class=HTMLResponse)
def results(ctx: PageDep, task_id: Annotated[int, PathParam(ge=0, le=2**63 - 1)]) -> HTMLResponse:
    _ = ctx.gettext
    title = _("Results of task %(task)s", task=task_id)
    with ctx.state.sessions() as session:
        task = session.get(Task, task_id)
    if task is None or ctx.worker is None or task.requester != ctx.worker:
        return forbidden(
            ctx,
            "results",
            title,
            _("Only the task's requester reads its results: connect that wallet."),
        )
    items: dict[str, Any] = {}
    kind = None
    try:
        published = ctx.site.platform.manifest(task_id) if ctx.site.platform else None
    except Exception:
        published = None
    if published is not None:
        manifest = published.manifest
        kind = manifest.kind
        inline = getattr(manifest.inputs, "items", None) or []
        items = {item.id: item.data for item in inline[:LABEL_STUDIO_ITEMS]}
    return ctx.render(
        "results.html",
        page="results",
        title=title,
        task=task,
        data={"taskId": task_id, "items": items, "kind": kind},
    )
