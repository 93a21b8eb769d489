"""`microtask task approve|reject|bonus|add-slots|extend|cancel|reclaim|refund|submissions`.

Registered on the ``task`` group (`task_cmd.task_app`). Reviewing needs to know who worked
on which slot; that comes from the chain (the slot's live state) or, for receipt slots
settled directly, from ``SLOT=WORKER`` on the command line. Rejections upload a
`ReviewBatch` first, so the worker can read why (`client.Requester.reject`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from microtask.cli import console, outcomes
from microtask.cli.options import AccountOption, NetworkOption, TaskArg, TokenOption, ToOption
from microtask.cli.session import party, waiting
from microtask.cli.task_cmd import task_app
from microtask.client.reviews import REASON_CODES

if TYPE_CHECKING:
    from microtask.client.requester import SlotRef
    from microtask.client.results import Refunded

SlotsArg = Annotated[
    list[str], typer.Argument(help="Slots to settle: SLOT, or SLOT=WORKER for receipt slots.")
]


def slot_refs(slots: list[str]) -> list[SlotRef]:
    """``SLOT`` or ``SLOT=WORKER`` as the library takes them."""
    from microtask.client import checked_address
    from microtask.errors import UserError

    refs: list[SlotRef] = []
    for item in slots:
        slot_text, _, worker = item.partition("=")
        try:
            slot = int(slot_text)
        except ValueError:
            raise UserError(f"not a slot: {item!r} (use SLOT or SLOT=WORKER)") from None
        refs.append((slot, checked_address(worker)) if worker else slot)
    return refs


@task_app.command("approve")
def approve(
    ctx: typer.Context,
    task_id: TaskArg,
    slots: SlotsArg,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Approve many slots in one transaction: each worker is paid at once.

    Example: microtask task approve 3 0 1 2=0xWorker --account alice
    """
    from microtask.client import Requester

    with party(ctx, Requester, network, account) as requester:
        refs = slot_refs(slots)
        with waiting(ctx, "approving …"):
            done = requester.approve(task_id, refs)
    console.emit(
        ctx,
        {
            "task_id": task_id,
            "approved": [{"slot": s, "worker": w} for s, w in done.slots],
            "tx": done.transaction.hash,
        },
        lambda: console.success(f"approved {len(done.slots)} slot(s) of task {task_id}"),
    )


@task_app.command("reject")
def reject(
    ctx: typer.Context,
    task_id: TaskArg,
    slots: SlotsArg,
    reason: Annotated[str, typer.Option("--reason", help=f"One of: {', '.join(REASON_CODES)}.")],
    detail: Annotated[str | None, typer.Option("--detail", help="What was wrong.")] = None,
    feedback: Annotated[
        str, typer.Option("--feedback", help="Advice for the worker (Markdown).")
    ] = "",
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Reject slots within their review period; the reasons are uploaded for the workers.

    Example: microtask task reject 3 1 --reason incorrect --detail "item 4 is a dog"
    """
    from microtask.client import Requester
    from microtask.client.reviews import check_reason_code

    check_reason_code(reason)  # before the password is asked
    with party(ctx, Requester, network, account) as requester:
        refs = slot_refs(slots)
        with waiting(ctx, "rejecting …"):
            done = requester.reject(task_id, refs, reason, detail=detail, feedback=feedback)
    console.emit(
        ctx,
        {
            "task_id": task_id,
            "rejected": [s for s, _ in done.slots],
            "reasons_cid": done.reasons_cid,
            "tx": done.transaction.hash,
        },
        lambda: console.success(
            f"rejected {len(done.slots)} slot(s) of task {task_id}; reasons at {done.reasons_cid}"
        ),
    )


@task_app.command("bonus")
def bonus(
    ctx: typer.Context,
    task_id: TaskArg,
    worker: Annotated[str, typer.Argument(help="Who receives it.")],
    amount: Annotated[str, typer.Argument(help="How much, in the task's token.")],
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Pay a worker extra for a task, from your wallet.

    Example: microtask task bonus 3 0xWorker 0.01
    """
    from microtask.client import Requester, checked_address

    with party(ctx, Requester, network, account) as requester:
        token = requester.task_token(task_id)
        checked_address(worker)
        value = token.parse(amount)
        with waiting(ctx, "paying the bonus …"):
            paid = requester.bonus(task_id, worker, value)
    console.emit(
        ctx,
        {
            "task_id": task_id,
            "worker": paid.worker,
            "amount": str(paid.amount),
            "tx": paid.transaction.hash,
        },
        lambda: console.success(f"paid {token.format(paid.amount)} extra to {worker}"),
    )


@task_app.command("add-slots")
def add_slots(
    ctx: typer.Context,
    task_id: TaskArg,
    count: Annotated[int, typer.Argument(min=1)],
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Add and fund more claimable slots at the task's reward.

    Example: microtask task add-slots 3 10
    """
    from microtask.client import Requester

    with party(ctx, Requester, network, account) as requester, waiting(ctx, "adding slots …"):
        added = requester.add_slots(task_id, count)
    console.emit(
        ctx,
        {"task_id": task_id, "added": count, "tx": added.transaction.hash},
        lambda: console.success(f"added {count} slot(s) to task {task_id}"),
    )


@task_app.command("extend")
def extend(
    ctx: typer.Context,
    task_id: TaskArg,
    by: Annotated[str, typer.Option("--by", help="How much later, e.g. 2d.")],
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Move the deadline later.

    Example: microtask task extend 3 --by 2d
    """
    from microtask.cli.units import format_time, parse_duration
    from microtask.client import Requester

    with party(ctx, Requester, network, account) as requester:
        seconds = parse_duration(by)
        with waiting(ctx, "extending …"):
            done = requester.extend(task_id, seconds)
    console.emit(
        ctx,
        {"task_id": task_id, "deadline": done.deadline, "tx": done.transaction.hash},
        lambda: console.success(f"task {task_id} now ends {format_time(done.deadline)}"),
    )


@task_app.command("cancel")
def cancel(
    ctx: typer.Context,
    task_id: TaskArg,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Cancel: unheld slots are refunded to your balance now, the rest as they settle.

    Example: microtask task cancel 3
    """
    from microtask.client import Requester

    with party(ctx, Requester, network, account) as requester, waiting(ctx, "cancelling …"):
        done = requester.cancel(task_id)
    _refunded(
        ctx,
        done,
        f"task {task_id} cancelled; {done.token.format(done.amount)} back in your escrow "
        "balance (`microtask task refund` withdraws it)",
    )


@task_app.command("reclaim")
def reclaim(
    ctx: typer.Context,
    task_id: TaskArg,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Refund receipt slots nobody used, once the receipt window has closed.

    Example: microtask task reclaim 3
    """
    from microtask.client import Requester

    with party(ctx, Requester, network, account) as requester, waiting(ctx, "reclaiming …"):
        done = requester.reclaim(task_id)
    _refunded(ctx, done, f"reclaimed unused receipt slots of task {task_id}")


def _refunded(ctx: typer.Context, done: Refunded, message: str) -> None:
    console.emit(
        ctx,
        {"task_id": done.task_id, "refunded": str(done.amount), "tx": done.transaction.hash},
        lambda: console.success(message),
    )


@task_app.command("refund")
def refund(
    ctx: typer.Context,
    token_text: TokenOption = None,
    to: ToOption = None,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Withdraw your escrow balance (refunds of cancelled or closed slots) to your wallet.

    Example: microtask task refund --token 0x...
    """
    from microtask.client import Requester

    with party(ctx, Requester, network, account) as requester:
        token = requester.platform.token(token_text)
        with waiting(ctx, "withdrawing …"):
            done = requester.refund(token, to)
    outcomes.withdrawn(ctx, done)
