"""``/my-tasks``: the connected requester's tasks, each with its progress (open, reserved,
receipted, decided, settled) and money (escrowed, paid, fees, refunds, bonuses), live
(the script refreshes the figures on the escrow's events), and what a requester does to a
task after posting it: cancel, add slots, extend the deadline, reclaim unused receipt
slots, bonus a worker; and withdraw refunds. Each is a transaction from the wallet; the
escrow refuses them from anyone but the task's requester (``NotRequester``).

Progress counts come from the index (slots on chain) and, for the task's receipt slots,
from the verifier in this process when it is the task's verifier: slots it reserved or
receipted that are not on chain yet. Without it, receipt slots show once presented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from microtask.db.models import Account, Manifest, Slot, Task
from microtask.escrow import SlotState
from microtask.web.app import PageDep
from microtask.web.pages.tasks import ESCROW_EVENTS
from microtask.web.render import PageContext

router = APIRouter(include_in_schema=False)
SHOWN = 100


@dataclass(frozen=True)
class Progress:
    """Where a task's slots stand, each slot counted once."""

    open: int
    reserved: int
    receipted: int
    decided: int
    settled: int


def _verifier_counts(ctx: PageContext, task: Task, on_chain_receipt_slots: int) -> tuple[int, int]:
    """(reserved, receipted and not yet on chain) by the verifier of this process, if it
    is the task's; (0, 0) otherwise."""
    verifier = getattr(ctx.request.app.state, "verifier", None)
    if verifier is None or task.receipt_slots == 0 or verifier.address != task.verifier:
        return 0, 0
    try:
        status = verifier.task_status(task.task_id)
    except Exception:
        return 0, 0
    receipted = max(0, int(status["receipted"]) - on_chain_receipt_slots)
    return int(status["reserved"]), receipted


def progress_of(
    ctx: PageContext, task: Task, states: dict[SlotState, int], receipt_on_chain: int
) -> Progress:
    reserved, receipted = _verifier_counts(ctx, task, receipt_on_chain)
    return Progress(
        open=max(0, task.available_slots - reserved - receipted),
        reserved=states.get(SlotState.CLAIMED, 0) + reserved,
        receipted=states.get(SlotState.SUBMITTED, 0) + receipted,
        decided=states.get(SlotState.REJECTED, 0) + states.get(SlotState.DISPUTED, 0),
        settled=states.get(SlotState.APPROVED, 0) + states.get(SlotState.CLOSED, 0),
    )


def _tasks(ctx: PageContext, requester: str) -> list[dict[str, Any]]:
    with ctx.state.sessions() as session:
        rows = session.execute(
            select(Task, Manifest.title)
            .outerjoin(Manifest, Manifest.cid == Task.manifest_cid)
            .where(Task.requester == requester)
            .order_by(Task.task_id.desc())
            .limit(SHOWN)
        ).all()
        ids = [task.task_id for task, _ in rows]
        counts: dict[int, dict[SlotState, int]] = {}
        receipt_on_chain: dict[int, int] = {}
        receipt_slots = {task.task_id: task.receipt_slots for task, _ in rows}
        for task_id, slot, state in session.execute(
            select(Slot.task_id, Slot.slot, Slot.state).where(Slot.task_id.in_(ids))
        ):
            per_task = counts.setdefault(task_id, {})
            per_task[state] = per_task.get(state, 0) + 1
            if slot < receipt_slots[task_id]:
                receipt_on_chain[task_id] = receipt_on_chain.get(task_id, 0) + 1
    return [
        {
            "t": task,
            "title": title,
            "progress": progress_of(
                ctx, task, counts.get(task.task_id, {}), receipt_on_chain.get(task.task_id, 0)
            ),
            "per_slot": task.reward + task.fee,
            "reclaimable": task.receipt_slots > task.receipt_slots_used
            and not task.receipt_slots_reclaimed
            and not task.cancelled,
        }
        for task, title in rows
    ]


def _balances(ctx: PageContext, requester: str) -> list[Account]:
    with ctx.state.sessions() as session:
        return list(
            session.scalars(
                select(Account)
                .where(Account.address == requester, Account.balance > 0)
                .order_by(Account.token)
            )
        )


@router.get("/my-tasks", response_class=HTMLResponse)
def my_tasks(ctx: PageDep) -> HTMLResponse:
    _ = ctx.gettext
    requester = ctx.worker
    tasks = _tasks(ctx, requester) if requester else []
    with ctx.state.sessions() as session:
        count = (
            session.scalar(
                select(func.count()).select_from(Task).where(Task.requester == requester)
            )
            if requester
            else 0
        )
    return ctx.render(
        "requests.html",
        page="requests",
        title=_("My tasks"),
        tasks=tasks,
        total=count or 0,
        balances=_balances(ctx, requester) if requester else [],
        data={"escrowErrors": ctx.site.escrow_errors, "events": list(ESCROW_EVENTS)},
        withdrawn=ctx.request.query_params.get("withdrawn"),
    )
