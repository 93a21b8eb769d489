"""``/task/{id}``: one task, and ``/task/{id}/item/{index}``: one item with its answer form.

The page shows the manifest's instructions (Markdown, sanitised), a few example items,
whether the connected worker may take the task (and why not), the review period and what
silence means, and the way in: **Accept** on a task with receipt slots (the script signs a
`SlotRequest` and the verifier reserves a slot: no gas), or **Claim on chain** on a task
without (``/task/{id}/claimable`` names the first claimable slot, as the client library's
`Worker.first_claimable_slot` finds it; the wallet sends ``claim``; ``/task/{id}/slot/{n}``
reads the slot back from the chain). Either way the script then loads the slot's item from
``/task/{id}/item/{index}``, which renders the item (its data and media) and the controls
of the task's kind.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy import select

from microtask.api.params import Address
from microtask.api.problems import Problem, not_found, unavailable
from microtask.api.routes.tasks import _task_row
from microtask.api.routes.tasks import get_task as read_task  # the API's own read
from microtask.client import Platform, Worker
from microtask.client.errors import NoOpenSlot
from microtask.db.base import AssignmentStatus, ManifestStatus
from microtask.db.models import Assignment, Manifest
from microtask.escrow import is_open, review_end, unused_receipt_slots
from microtask.manifests import TaskManifest
from microtask.manifests.answers import FormSchema
from microtask.manifests.task import InlineInputs, InputItem
from microtask.web.app import PageDep
from microtask.web.eligibility import reasons_not_eligible
from microtask.web.media import media_kind
from microtask.web.pages import mturk
from microtask.web.pages.tasks import kind_names, language_name
from microtask.web.render import PageContext

router = APIRouter(include_in_schema=False)
EXAMPLES = 2
TaskPath = Path(ge=0, le=2**63 - 1)
SlotPath = Path(ge=0, le=2**32 - 1)


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
    if (
        manifest is not None
        and isinstance(manifest.inputs, InlineInputs)
        and not isinstance(manifest.answer_schema, FormSchema)  # its question is its preview
    ):
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
        unused_receipt_slots(
            task.receipt_slots, task.receipt_slots_used, reclaimed=task.receipt_slots_reclaimed
        )
        > 0
    )
    # slots past the receipt slots are claimed on chain (`escrow.is_receipt_slot`)
    onchain = not gasless and task.slot_count > task.receipt_slots
    if manifest is not None and ctx.worker is not None and onchain:
        data["claimed"] = _live_claim(ctx, task_id, ctx.worker, manifest)
    form: dict[str, Any] = {}
    if manifest is not None and isinstance(manifest.answer_schema, FormSchema):
        form = mturk.form_context(ctx, task_id, manifest.answer_schema, preview=True)
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
        onchain=onchain,
        kinds=kind_names(ctx),
        language_name=lambda code: language_name(code, ctx),
        paid_by=review_end(ctx.now, task.review_period),
        dispute_window=ctx.site.dispute_window,
        form=form,
        frames=mturk.frame_sources(ctx.request, form["question"]) if form else (),
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
        form=mturk.form_context(ctx, task_id, manifest.answer_schema)
        if isinstance(manifest.answer_schema, FormSchema)
        else {},
    )


def _live_claim(
    ctx: PageContext, task_id: int, worker: str, manifest: TaskManifest
) -> dict[str, Any] | None:
    """The worker's claim on this task whose lease still runs, as the index has it: the
    page takes it up again after a reload."""
    with ctx.state.sessions() as session:
        claim = session.scalars(
            select(Assignment)
            .where(
                Assignment.task_id == task_id,
                Assignment.worker == worker,
                Assignment.status == AssignmentStatus.CLAIMED,
            )
            .order_by(Assignment.slot.desc())
            .limit(1)
        ).first()
    if claim is None or claim.lease_end is None or not is_open(claim.lease_end, ctx.now):
        return None
    return _slot_item(manifest, claim.slot) | {
        "worker": worker,
        "lease_end": claim.lease_end,
        "reserved_at": claim.claimed_at or ctx.now,
    }


def _slot_item(manifest: TaskManifest, slot: int) -> dict[str, Any]:
    index = manifest.item_index(slot)
    item = manifest.inline_item(slot)
    return {"slot": slot, "item_index": index, "item_id": item.id if item else str(index)}


def _platform(ctx: PageContext) -> Platform:
    if ctx.site.platform is None:
        raise unavailable("chain", "these pages serve no chain: claim with the CLI")
    return ctx.site.platform


@router.get("/task/{task_id}/claimable")
def claimable_slot(
    ctx: PageDep, worker: Annotated[Address, Query()], task_id: int = TaskPath
) -> dict[str, Any]:
    """The first slot ``worker`` may claim on chain now and its item, found by the client
    library (`Worker.first_claimable_slot`: open, or its lease ran out); 409 when none."""
    with ctx.state.sessions() as session:
        task = read_task(task_id, session, ctx.state)
    manifest = _manifest(ctx, task.manifest.cid)
    if manifest is None:
        raise not_found("the task's manifest is not available")
    try:
        slot = Worker(_platform(ctx), address=worker).first_claimable_slot(task_id)
    except NoOpenSlot as none:
        raise Problem(409, "no-slot", "No slot left", str(none)) from None
    return _slot_item(manifest, slot)


@router.get("/task/{task_id}/slot/{slot}")
def slot_on_chain(ctx: PageDep, task_id: int = TaskPath, slot: int = SlotPath) -> dict[str, Any]:
    """The slot as the chain shows it now (`Platform.slot`): after the wallet's claim, the
    script reads its lease end here (the index may not have the block yet)."""
    with ctx.state.sessions() as session:
        task = read_task(task_id, session, ctx.state)
    if slot >= task.slot_count:
        raise not_found(f"task {task_id} has {task.slot_count} slots")
    view = _platform(ctx).slot(task_id, slot)
    return {
        "slot": slot,
        "state": view.state.value,
        "worker": view.worker,
        "timestamp": view.timestamp,
    }
