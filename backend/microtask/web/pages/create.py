"""``/requester/new``: a requester posts a task, from a guided form, paid from the wallet.

The page stays thin: the form's fields go as JSON to ``POST /requester/new/draft``, where
the client library builds the manifest, the draft and its funding (`client.task_form`,
`client.funding`); the answer is the cost in words and what the wallet signs and sends,
or a problem+json naming each wrong field. ``POST /requester/new/preview`` renders the
instructions' Markdown with the pages' own sanitiser. The server never holds a key.
"""

from __future__ import annotations

from typing import Any

from eth_utils.abi import event_abi_to_log_topic
from fastapi import APIRouter, Body
from fastapi.responses import HTMLResponse, JSONResponse

from microtask.api.problems import FieldError, Problem, unavailable
from microtask.client import Platform
from microtask.client.funding import funding_request
from microtask.client.requester import Requester
from microtask.client.task_form import TaskFormInvalid, draft_from_form, parse_form
from microtask.escrow import ETH as ETH_ADDRESS
from microtask.web.app import PageDep
from microtask.web.markdown import render_markdown
from microtask.web.render import PageContext

router = APIRouter(include_in_schema=False)
MAX_PREVIEW_CHARS = 20_000


def _platform(ctx: PageContext) -> Platform:
    if ctx.site.platform is None:
        raise unavailable("chain", "the page has no connection to the chain; reload later")
    return ctx.site.platform


@router.get("/requester/new", response_class=HTMLResponse)
def new_task(ctx: PageDep) -> HTMLResponse:
    _ = ctx.gettext
    platform = _platform(ctx)
    reader = platform.reader
    data = {
        "defaultArbitrator": reader.default_arbitrator(),
        "taskCreatedTopic": _task_created_topic(platform),
        "escrowAbi": [
            entry
            for entry in platform.record.abi
            if entry.get("name") in ("createTask", "createTaskWithPermit")
        ],
    }
    return ctx.render(
        "create.html",
        page="create",
        title=_("Post a task"),
        data=data,
        tokens=list(ctx.site.tokens.values()),
        default_token=next(
            (t.address for t in ctx.site.tokens.values() if not t.is_eth), ETH_ADDRESS
        ),
        fee_bps=reader.fee_bps(),
        default_arbitrator=data["defaultArbitrator"],
    )


def _task_created_topic(platform: Platform) -> str:
    """The TaskCreated log's topic: the page finds the new task's id in the receipt."""
    event = next(
        e for e in platform.record.abi if e.get("type") == "event" and e["name"] == "TaskCreated"
    )
    return "0x" + bytes(event_abi_to_log_topic(event)).hex()  # type: ignore[arg-type]


@router.post("/requester/new/preview")
def preview(body: dict[str, Any] = Body(...)) -> JSONResponse:  # noqa: B008 (FastAPI's way)
    text = str(body.get("markdown", ""))[:MAX_PREVIEW_CHARS]
    return JSONResponse({"html": str(render_markdown(text))})


@router.post("/requester/new/draft")
def draft(ctx: PageDep, body: dict[str, Any] = Body(...)) -> JSONResponse:  # noqa: B008
    _ = ctx.gettext
    platform = _platform(ctx)
    try:
        form = parse_form(body)
        if ctx.site.token(form.token) is None:
            raise TaskFormInvalid([("token", "not a token this deployment knows")])
        requester = Requester(platform, address=form.requester)
        drafted, warnings = draft_from_form(requester, form)
    except TaskFormInvalid as error:
        raise Problem(
            422,
            "validation",
            "The task form has mistakes",
            str(error),
            errors=[FieldError(location="body", field=f, detail=d) for f, d in error.problems],
        ) from None
    funding = funding_request(requester, drafted)
    token = drafted.token.address
    slots = drafted.params.slots
    cost = _(
        "You pay %(total)s now: %(slots)s slots at %(reward)s each, plus the platform's fee "
        "of %(fee)s per slot. Whatever is not paid out comes back to you.",
        total=ctx.amount(drafted.escrowed, token),
        slots=ctx.formats.number(slots),
        reward=ctx.amount(drafted.params.reward, token),
        fee=ctx.amount(drafted.fee_per_slot, token),
    )
    notes = [
        _(
            "This task names its own arbitrator, %(address)s, not the platform's default: "
            "disputes about it go to that address.",
            address=address,
        )
        for address in warnings
    ]
    return JSONResponse({"cost": cost, "warnings": notes, "funding": funding.browser_json()})
