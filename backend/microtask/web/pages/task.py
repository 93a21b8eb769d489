"""``/task/{id}``: one task, and ``/task/{id}/item/{index}``: one item with its answer form.

The page shows the manifest's instructions (Markdown, sanitised), a few example items,
whether the connected worker may take the task (and why not), the review period and what
silence means, and the Accept button: the script signs a `SlotRequest`, gets a slot from
the verifier and loads its item from the second route, which renders the item (its data
and media) and the controls of the task's kind.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from microtask.api.routes.tasks import _task_row
from microtask.api.routes.tasks import get_task as read_task  # the API's own read
from microtask.db.base import ManifestStatus
from microtask.db.models import Manifest
from microtask.manifests import TaskManifest
from microtask.manifests.task import InlineInputs, InputItem
from microtask.web.app import PageDep
from microtask.web.eligibility import reasons_not_eligible
from microtask.web.media import media_kind
from microtask.web.pages.tasks import kind_names, language_name
from microtask.web.render import PageContext

router = APIRouter(include_in_schema=False)
EXAMPLES = 2
TaskPath = Path(ge=0, le=2**63 - 1)


def _manifest(ctx: PageContext, cid: str) -> TaskManifest | None:
    with ctx.state.sessions() as session:
        row = session.get(Manifest, cid)
        if row is None or row.status is not ManifestStatus.OK or row.document is None:
            return None
        try:
            return TaskManifest.model_validate(row.document)
        except ValidationError:
            return None


def _item(ctx: PageContext, manifest: TaskManifest, index: int) -> InputItem | None:
    if isinstance(manifest.inputs, InlineInputs):
        items = manifest.inputs.items
        return items[index] if 0 <= index < len(items) else None
    if not 0 <= index < manifest.inputs.count:
        return None
    data = ctx.state.content.get().cat(manifest.inputs.cid)
    for number, line in enumerate(data.splitlines()):
        if number == index:
            try:
                return InputItem.model_validate_json(line)
            except ValidationError:
                return None
    return None


def _media(ctx: PageContext, item: InputItem) -> list[dict[str, str]]:
    store = ctx.state.content.get()
    return [{"cid": cid, "kind": media_kind(store, cid)} for cid in item.media]


@router.get("/task/{task_id}", response_class=HTMLResponse)
def task_page(ctx: PageDep, task_id: int = TaskPath) -> HTMLResponse:
    _ = ctx.gettext
    with ctx.state.sessions() as session:
        try:
            task = read_task(task_id, session, ctx.state)
        except Exception as missing:
            if getattr(missing, "status", None) == 404:
                return ctx.render(
                    "missing.html",
                    page="missing",
                    title=_("No such task"),
                    status_code=404,
                    message=_(
                        "There is no task %(task)s (yet): the index may still be catching up.",
                        task=task_id,
                    ),
                )
            raise
        reasons: list[str] = []
        if ctx.worker is not None:
            row = _task_row(session, task_id)
            reasons = reasons_not_eligible(
                session, ctx.worker, [row], ctx.gettext, ctx.formats.percent
            ).get(task_id, [])
    manifest = _manifest(ctx, task.manifest.cid)
    examples: list[dict[str, Any]] = []
    if manifest is not None and isinstance(manifest.inputs, InlineInputs):
        examples = [
            {"item": item, "media": _media(ctx, item)} for item in manifest.inputs.items[:EXAMPLES]
        ]
    data: dict[str, Any] = {}
    if manifest is not None:
        data = {
            "taskId": task.task_id,
            "manifestCid": task.manifest.cid,
            "answerSchema": manifest.answer_schema.model_dump(mode="json"),
            "recipients": [
                {"role": role, "public_key": key} for role, key in manifest.recipients()
            ],
            "requester": task.requester,
            "verifier": task.verifier,
            "cidVersion": ctx.state.settings.content_cid_version,
            "itemUrl": f"/task/{task.task_id}/item/",
        }
    gasless = (
        task.receipt_slots > 0
        and not task.receipt_slots_reclaimed
        and task.receipt_slots_used < task.receipt_slots
    )
    return ctx.render(
        "task.html",
        page="task",
        title=manifest.title if manifest else _("Task %(task)s", task=task_id),
        data=data,
        task=task,
        manifest=manifest,
        examples=examples,
        reasons=reasons,
        gasless=gasless,
        kinds=kind_names(ctx),
        language_name=lambda code: language_name(code, ctx),
        paid_by=ctx.now + task.review_period,
        dispute_window=ctx.site.dispute_window,
    )


@router.get("/task/{task_id}/item/{index}", response_class=HTMLResponse)
def item_fragment(
    ctx: PageDep, task_id: int = TaskPath, index: int = Path(ge=0, le=10**7)
) -> HTMLResponse:
    with ctx.state.sessions() as session:
        task = read_task(task_id, session, ctx.state)
    manifest = _manifest(ctx, task.manifest.cid)
    if manifest is None:
        raise HTTPException(404, "the task's manifest is not available")
    item = _item(ctx, manifest, index)
    if item is None:
        raise HTTPException(404, "no such item")
    return ctx.render(
        "partials/item.html",
        page="item",
        title=item.id,
        manifest=manifest,
        schema=manifest.answer_schema,
        item=item,
        media=_media(ctx, item),
        item_data=json.loads(json.dumps(item.data)),
    )
