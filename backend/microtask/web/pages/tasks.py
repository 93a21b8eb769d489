"""``/``: the open tasks, filtered and sorted as ``GET /tasks`` defines them.

A connected worker (the wallet's address, kept in a cookie by the script) sees the tasks
they may take ranked by match, each with its explanation, and below them the open tasks
they may not take yet, each saying why. An htmx request (the filter form, the live feed)
gets the list alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from babel import Locale
from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from microtask.api.queries import status_condition, task_public, tasks_with_manifests
from microtask.api.routes.tasks import StatusFilter, TaskListQuery, TaskSort
from microtask.api.routes.tasks import _page as tasks_page  # the API's own read and cache
from microtask.api.schemas import TaskPublic, TasksPage, TaskStatus
from microtask.db.models import Manifest, Task
from microtask.errors import UserError
from microtask.manifests import TaskKind
from microtask.web.app import PageDep
from microtask.web.eligibility import reasons_not_eligible
from microtask.web.render import PageContext

router = APIRouter(include_in_schema=False)

ESCROW_EVENTS = (
    "TaskCreated", "TaskCancelled", "SlotsAdded", "DeadlineExtended", "SlotClaimed",
    "SlotFreed", "ReceiptPresented", "WorkSubmitted", "SlotsApproved", "SlotsRejected",
    "SlotClosed", "DisputeOpened", "DisputeRuled", "ReceiptSlotsReclaimed",
)  # fmt: skip
"""The escrow's events that change the task list (the live feed's event names)."""
SORTS = ("match", "-created", "-reward", "deadline")
NOT_ELIGIBLE_SHOWN = 30
NOT_ELIGIBLE_SCANNED = 200


def kind_names(ctx: PageContext) -> dict[str, str]:
    _ = ctx.gettext
    return {
        TaskKind.CLASSIFICATION: _("Classification"),
        TaskKind.MULTI_LABEL: _("Multiple labels"),
        TaskKind.FREE_TEXT: _("Free text"),
        TaskKind.TRANSCRIPTION: _("Transcription"),
        TaskKind.BOUNDING_BOXES: _("Bounding boxes"),
        TaskKind.SURVEY: _("Survey"),
        TaskKind.DATA_CHECK: _("Data check"),
        TaskKind.FORM: _("Form (moved from MTurk)"),
    }


def language_name(code: str | None, ctx: PageContext) -> str:
    if not code:
        return ""
    try:
        return str(Locale.parse(code.replace("-", "_")).get_display_name(ctx.formats.locale))
    except (ValueError, TypeError):
        return code


def explain(ctx: PageContext, task: TaskPublic) -> str | None:
    """The match in one line, in the page's language."""
    match = task.match
    if match is None:
        return None
    _ = ctx.gettext
    if match.basis.startswith("no history"):
        basis = _("no history yet")
    elif "overall" in match.basis:
        basis = _("from your record on all kinds")
    else:
        basis = _("from your record on this kind")
    info = ctx.site.token(task.token)
    decimals = info.decimals if info else 0
    per_minute = float(match.reward_per_minute) / 10**decimals
    rate = f"{ctx.formats.number(float(f'{per_minute:.3g}'))}\u00a0{ctx.symbol(task.token)}"
    return _(
        "Match %(score)s: %(rate)s a minute (%(share)s of the best rate) times %(acceptance)s expected acceptance (%(basis)s)",
        score=ctx.formats.number(round(match.score, 2)),
        rate=rate,
        share=ctx.formats.percent(match.pay_share),
        acceptance=ctx.formats.percent(match.acceptance),
        basis=basis,
    )


def _filters(ctx: PageContext) -> tuple[dict[str, str], TaskListQuery, list[str]]:
    """The form's values, the API query they make, and problems with them in words."""
    params = ctx.request.query_params
    _ = ctx.gettext
    form = {
        name: params.get(name, "").strip()
        for name in ("kind", "language", "token", "min_reward", "sort", "cursor")
    }
    problems: list[str] = []
    query: dict[str, Any] = {"status": "open", "limit": 20}
    if form["kind"] in {kind.value for kind in TaskKind}:
        query["kind"] = form["kind"]
    if form["language"]:
        query["language"] = form["language"]
    token = (
        ctx.site.token(form["token"])
        if form["token"].startswith("0x") and len(form["token"]) == 42
        else None
    )
    if token is not None:
        query["token"] = form["token"]
    if form["min_reward"]:
        if token is None:
            problems.append(
                _("Choose a token to filter by a minimum reward: rewards are in the token's units.")
            )
        else:
            try:  # a decimal comma too, as Spanish and Arabic write it
                query["min_reward"] = token.parse(form["min_reward"].replace(",", "."))
            except UserError:
                problems.append(
                    _(
                        "The minimum reward is not an amount of %(symbol)s (up to %(decimals)s decimal places).",
                        symbol=token.symbol,
                        decimals=token.decimals,
                    )
                )
    sort = form["sort"] if form["sort"] in SORTS else ("match" if ctx.worker else "-created")
    if sort == "match" and ctx.worker is None:
        sort = "-created"
    form["sort"] = sort
    query["sort"] = sort
    if ctx.worker is not None:
        query["eligible_for"] = ctx.worker
    if form["cursor"]:
        query["cursor"] = form["cursor"]
    try:
        filters = TaskListQuery.model_validate(query)
    except ValidationError:
        problems.append(_("Some filters were not understood and were left out."))
        fallback = TaskSort(sort) if sort != "match" else TaskSort.CREATED_DESC
        filters = TaskListQuery(status=StatusFilter.OPEN, sort=fallback)
    return form, filters, problems


def _cached(ctx: PageContext, key: str, version: Any, compute: Callable[[], bytes]) -> bytes:
    """``compute()``, kept in the API's response cache until the index changes."""
    body = ctx.state.cache.get(key, version)
    if body is None:
        body = compute()
        if version is not None:
            ctx.state.cache.put(key, version, body)
    return body


def _not_eligible(ctx: PageContext, eligible: set[int]) -> list[tuple[TaskPublic, list[str]]]:
    """The newest open tasks the worker may not take, each with why (in their language)."""
    worker = ctx.worker
    if worker is None:
        return []
    with ctx.state.sessions() as session:
        rows = session.execute(
            tasks_with_manifests()
            .where(status_condition(TaskStatus.OPEN, ctx.now, paging=True))
            .order_by(Task.task_id.desc())
            .limit(NOT_ELIGIBLE_SCANNED)
        ).all()
        candidates = [row for row in rows if row.task_id not in eligible]
        reasons = reasons_not_eligible(
            session, worker, candidates, ctx.gettext, ctx.formats.percent
        )
    return [
        (task_public(row, ctx.now), reasons[row.task_id])
        for row in candidates
        if row.task_id in reasons
    ][:NOT_ELIGIBLE_SHOWN]


def _not_eligible_json(ctx: PageContext, eligible: set[int]) -> bytes:
    found = _not_eligible(ctx, eligible)
    return json.dumps([[task.model_dump(mode="json"), why] for task, why in found]).encode()


def _languages(ctx: PageContext) -> list[str]:
    with ctx.state.sessions() as session:
        found = session.scalars(
            select(Manifest.language).where(Manifest.language.is_not(None)).distinct().limit(50)
        )
        return sorted(code for code in found if code)


@router.get("/", response_class=HTMLResponse)
async def tasks(ctx: PageDep) -> HTMLResponse:
    # as GET /tasks: answers cached until the index changes (the version read first)
    version = await ctx.state.versions.current()
    return await run_in_threadpool(_tasks, ctx, version)


def _tasks(ctx: PageContext, version: Any) -> HTMLResponse:
    form, filters, problems = _filters(ctx)
    query = filters.model_dump_json(exclude_defaults=True)
    body = _cached(ctx, f"web:tasks:{query}", version, lambda: tasks_page(ctx.state, filters))
    page = TasksPage.model_validate_json(body)
    eligible = {task.task_id for task in page.data}
    not_eligible: list[tuple[TaskPublic, list[str]]] = []
    if ctx.worker is not None and not ctx.partial and filters.cursor is None:
        key = f"web:not-eligible:{ctx.worker}:{ctx.language}:{sorted(eligible)}"
        listed = json.loads(_cached(ctx, key, version, lambda: _not_eligible_json(ctx, eligible)))
        not_eligible = [(TaskPublic.model_validate(task), reasons) for task, reasons in listed]
    _ = ctx.gettext
    context: dict[str, Any] = {
        "form": form,
        "tasks": page,
        "problems": problems,
        "not_eligible": not_eligible,
        "kinds": kind_names(ctx),
        "language_name": lambda code: language_name(code, ctx),
        "explain": lambda task: explain(ctx, task),
        "task_languages": _languages(ctx) if not ctx.partial else [],
        "sorts": {
            "match": _("Best match for you"),
            "-created": _("Newest"),
            "-reward": _("Highest reward"),
            "deadline": _("Deadline soonest"),
        },
    }
    if page.next_cursor:
        kept = {name: value for name, value in form.items() if value and name != "cursor"}
        context["next_url"] = "/?" + urlencode({**kept, "cursor": page.next_cursor})
    template = "partials/task_list.html" if ctx.partial else "tasks.html"
    return ctx.render(
        template, page="tasks", title=_("Tasks"), data={"events": list(ESCROW_EVENTS)}, **context
    )
