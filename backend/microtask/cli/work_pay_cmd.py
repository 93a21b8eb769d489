"""`microtask work finalize|dispute|earnings|withdraw`: a worker's pay, and contesting a
rejection.

Registered on the ``work`` group (`work_cmd.work_app`), over `client.Worker`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from microtask.cli import console, outcomes
from microtask.cli.options import (
    AccountOption,
    NetworkOption,
    SlotArg,
    TaskArg,
    TokenOption,
    TokensOption,
    ToOption,
)
from microtask.cli.session import party, waiting
from microtask.cli.work_cmd import work_app

if TYPE_CHECKING:
    from microtask.client.results import Earnings


@work_app.command("finalize")
def finalize(
    ctx: typer.Context,
    task_id: TaskArg,
    slots: Annotated[list[int], typer.Argument(help="Slots to finalize.")],
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Collect pay for work left unreviewed past the review period (and other lapsed windows).

    Example: microtask work finalize 3 0
    """
    from microtask.client import Worker

    with party(ctx, Worker, network, account) as worker, waiting(ctx, "finalizing …"):
        tx = worker.finalize(task_id, slots)
    console.emit(
        ctx,
        {"task_id": task_id, "slots": slots, "tx": tx.hash},
        lambda: console.success(
            f"finalized slot(s) {', '.join(map(str, slots))} of task {task_id}"
        ),
    )


@work_app.command("dispute")
def dispute(
    ctx: typer.Context,
    task_id: TaskArg,
    slot: SlotArg,
    reason: Annotated[str, typer.Option("--reason", help="Why the rejection is wrong.")],
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Dispute a rejection within the dispute window; the arbitrator decides.

    Example: microtask work dispute 3 1 --reason "the answer matches the instructions"
    """
    from microtask.client import Worker
    from microtask.client.reviews import check_dispute_reason

    check_dispute_reason(reason)  # before the password is asked
    with party(ctx, Worker, network, account) as worker, waiting(ctx, "disputing …"):
        done = worker.dispute(task_id, slot, reason)
    console.emit(
        ctx,
        {
            "task_id": task_id,
            "slot": slot,
            "reason_cid": done.reason_cid,
            "tx": done.transaction.hash,
        },
        lambda: console.success(f"disputed slot {slot} of task {task_id}"),
    )


@work_app.command("earnings")
def earnings(
    ctx: typer.Context,
    token: TokensOption = None,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Your balance and record in the escrow, per token.

    Example: microtask work earnings --token dUSD --account bob
    """
    from microtask.client import Worker

    with party(ctx, Worker, network, account) as worker:
        found = worker.earnings(token)
    rows = [
        {"token": e.token.address, "symbol": e.token.symbol, "balance": str(e.balance)}
        | {"approved": e.record.approved, "rejected": e.record.rejected}
        | {"disputes_won": e.record.disputes_won, "disputes_lost": e.record.disputes_lost}
        for e in found
    ]
    console.emit(ctx, {"address": worker.address, "tokens": rows}, lambda: _earnings(found))


def _earnings(found: list[Earnings]) -> None:
    from rich.table import Table

    table = Table("token", "balance", "approved", "rejected", "disputes won/lost", box=None)
    for e in found:
        record = e.record
        table.add_row(
            e.token.symbol,
            e.token.format(e.balance),
            str(record.approved),
            str(record.rejected),
            f"{record.disputes_won}/{record.disputes_lost}",
        )
    console.out.print(table)


@work_app.command("withdraw")
def withdraw(
    ctx: typer.Context,
    token_text: TokenOption = None,
    amount: Annotated[str | None, typer.Option("--amount", help="Default: everything.")] = None,
    to: ToOption = None,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Withdraw your pay from the escrow to any address.

    Example: microtask work withdraw --token dUSD --account bob
    """
    from microtask.client import Worker

    with party(ctx, Worker, network, account) as worker:
        token = worker.platform.token(token_text)
        value = None if amount is None else token.parse(amount)
        with waiting(ctx, "withdrawing …"):
            done = worker.withdraw(token, value, to)
    outcomes.withdrawn(ctx, done)
