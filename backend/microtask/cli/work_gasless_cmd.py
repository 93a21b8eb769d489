"""`microtask work tasks|receipts|enforce|reviews|profile|leaderboard`: the tasks a worker
qualifies for, their receipts, the reasons behind rejections, their reputation and where
they stand among others.

Registered on the ``work`` group (`work_cmd.work_app`); receipts are the ones
`microtask work claim --gasless` keeps in the data directory (`client.ReceiptStore`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from microtask.cli import console
from microtask.cli.options import AccountOption, LimitOption, NetworkOption, SlotArg, TaskArg
from microtask.cli.session import address_of, party, platform, waiting
from microtask.cli.units import format_time
from microtask.cli.work_cmd import work_app

if TYPE_CHECKING:
    from microtask.client import Platform, Token
    from microtask.client.documents import Leaderboard, TaskPage, WorkerProfile
    from microtask.client.results import Enforcement


SortOption = Annotated[
    str,
    typer.Option(
        "--sort",
        help="-reward (best paid first), match (pay per minute x your accuracy on the "
        "kind, explained), -created or deadline.",
    ),
]


@work_app.command("tasks")
def tasks(
    ctx: typer.Context,
    limit: LimitOption = 20,
    sort: SortOption = "-reward",
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Open tasks you qualify for, best paid first or best matched (from the API).

    Example: microtask work tasks --sort match --account bob
    """
    with platform(ctx, network) as opened:
        worker = address_of(ctx, network, account)
        page = opened.tasks(status="open", eligible_for=worker, sort=sort, limit=limit)
        console.emit(ctx, page.document(), lambda: _tasks(opened, page))


def _tasks(opened: Platform, page: TaskPage) -> None:
    from microtask.cli.listing import match_line, tasks_table

    console.out.print(tasks_table(page.data, opened.token_at))
    for task in page.data:
        if task.match:
            line = match_line(task.match.document(), task.document(), opened.token_at)
            console.out.print(f"  task {task.task_id}: {line}")


@work_app.command("receipts")
def receipts(
    ctx: typer.Context,
    task_id: Annotated[int | None, typer.Option("--task", min=1, help="Only this task.")] = None,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Your gasless slots and receipts (kept in the data directory), with their state on chain.

    Example: microtask work receipts --account bob
    """
    from microtask.client import Worker

    with party(ctx, Worker, network, account, signs=False) as worker:
        kept = worker.kept_receipts(task_id)
    rows = [
        {"task_id": k.kept.task_id, "slot": k.kept.slot, "item_id": k.kept.item_id}
        | {"lease_end": k.kept.lease_end, "receipt": k.kept.receipt}
        | {"on_chain": k.on_chain.name.lower()}
        for k in kept
    ]
    console.emit(ctx, {"worker": worker.address, "slots": rows}, lambda: _receipts(rows))


def _receipts(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table("task", "slot", "item", "receipt", "on chain", box=None)
    for row in rows:
        receipt = row["receipt"]
        table.add_row(
            str(row["task_id"]),
            str(row["slot"]),
            str(row["item_id"]),
            f"submitted {format_time(receipt['submitted_at'])}" if receipt else "reserved only",
            row["on_chain"],
        )
    console.out.print(table)


@work_app.command("enforce")
def enforce(
    ctx: typer.Context,
    task_id: TaskArg,
    slot: SlotArg,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Collect a receipted slot the verifier never settled: present the receipt on chain,
    then (after the review period) take the pay; if the slot went to another worker, prove
    it and be paid through another slot. Costs you gas; run it again until paid.

    Example: microtask work enforce 2 4 --account bob
    """
    from microtask.client import Worker

    with party(ctx, Worker, network, account) as worker, waiting(ctx, "enforcing the receipt …"):
        outcome = worker.enforce(task_id, slot)
    document = {
        "task_id": task_id,
        "slot": slot,
        "done": list(outcome.done),
        "state": outcome.state.name.lower(),
        "payable_after": outcome.payable_after,
        "paid_slot": outcome.paid_slot,
    }
    console.emit(ctx, document, lambda: _enforced(outcome))


def _enforced(outcome: Enforcement) -> None:
    where = f"slot {outcome.slot} of task {outcome.task_id}"
    done = " and ".join(outcome.done) or "nothing to do yet"
    state = outcome.state.name.lower()
    if outcome.paid_slot is not None:
        console.success(
            f"{where}: {done or 'proven before'}; the slot went to another worker, so you "
            f"are paid through slot {outcome.paid_slot} ({state})"
        )
    elif state == "approved":
        console.success(f"{where}: {done}; paid")
    elif state == "submitted":
        console.success(
            f"{where}: {done}; it pays by silence after "
            f"{format_time(outcome.payable_after)}: run this again then"
        )
    else:
        console.success(f"{where}: {done}; it is {state} on chain")


@work_app.command("reviews")
def reviews(
    ctx: typer.Context,
    task_id: TaskArg,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Why your slots of a task were rejected: each review, its reasons and numbers.

    Example: microtask work reviews 2 --account bob
    """
    from microtask.client import Worker

    with party(ctx, Worker, network, account, signs=False) as worker:
        found = [
            found.review.model_dump(mode="json") | {"reasons_cid": found.reasons_cid}
            for found in worker.reviews(task_id)
        ]
    console.emit(ctx, {"task_id": task_id, "reviews": found}, lambda: _reviews(task_id, found))


def _reviews(task_id: int, found: list[dict[str, Any]]) -> None:
    if not found:
        console.success(f"none of your slots of task {task_id} was rejected")
        return
    for review in found:
        console.out.print(f"[bold]slot {review['slot']}[/bold] rejected by {review['reviewer']}")
        for reason in review["reasons"]:
            console.out.print(f"  {reason['code']}: {reason.get('detail') or ''}")
        # the verifier's feedback lists every check; the failed ones are the reasons above
        others = [
            line.removeprefix("- ")
            for line in (review.get("feedback") or "").splitlines()
            if line.strip() and not line.startswith("- fail:")
        ]
        if others:
            console.out.print("  other checks: " + "; ".join(others), markup=False)
    console.info("disagree? `microtask work dispute TASK SLOT --reason ...` within the window")


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


@work_app.command("profile")
def profile(
    ctx: typer.Context,
    address: Annotated[str | None, typer.Argument(help="Default: the --account's.")] = None,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """A worker's record per token, scores from the verifier's assessments, and badges.

    Example: microtask work profile --account bob
    """
    with platform(ctx, network) as opened:
        found = opened.worker_profile(address or address_of(ctx, network, account))
        console.emit(ctx, found.document(), lambda: _profile(opened, found))


def _profile(opened: Platform, data: WorkerProfile) -> None:
    from rich.table import Table

    console.out.print(f"[bold]{data.address}[/bold]")
    records = Table("token", "approved", "rejected", "earned", "balance", box=None)
    for record in data.records:
        token = opened.token_at(record.token)
        records.add_row(
            token.symbol,
            str(record.approved),
            str(record.rejected),
            token.format(int(record.earned)),
            token.format(int(record.balance)),
        )
    console.out.print(records)
    table = Table("kind", "slots", "gold", "agreement", "accuracy", box=None)
    for score in [data.scores.overall, *data.scores.by_kind]:
        table.add_row(
            score.kind,
            str(score.slots),
            f"{_percent(score.gold_accuracy)} of {score.gold_items}",
            f"{_percent(score.agreement)} of {score.agreement_items}",
            _percent(score.accuracy),
        )
    console.out.print(table)
    for badge in data.badges:
        console.out.print(
            f"  🏅 {badge.title}: {badge.description} ({format_time(badge.earned_at)})"
        )
    if not data.badges:
        console.info("no badges yet: the first comes with your first approved slot")


@work_app.command("leaderboard")
def leaderboard(
    ctx: typer.Context,
    by: Annotated[str, typer.Option("--by", help="earnings, approved or accuracy.")] = "approved",
    period: Annotated[str, typer.Option("--period", help="day, week, month or all.")] = "all",
    token_text: Annotated[
        str | None, typer.Option("--token", help="Address or symbol (needed for earnings).")
    ] = None,
    limit: LimitOption = 10,
    network: NetworkOption = "local",
) -> None:
    """The top workers by earnings (in one token), approved slots or accuracy, per period.

    Example: microtask work leaderboard --by earnings --token dUSD --period week
    """
    from microtask.errors import UserError

    with platform(ctx, network) as opened:
        token = opened.token(token_text) if token_text else None
        if by == "earnings" and token is None:
            raise UserError("--by earnings needs --token (earnings are ranked within one token)")
        address = token.address if token else None
        board = opened.leaderboard(by=by, period=period, token=address, limit=limit)
    console.emit(ctx, board.document(), lambda: _leaderboard(board, token))


def _leaderboard(board: Leaderboard, token: Token | None) -> None:
    from rich.table import Table

    table = Table("#", "worker", "approved", "earned", "gold accuracy", box=None)
    for entry in board.data:
        earned, accuracy = entry.earned, entry.gold_accuracy
        table.add_row(
            str(entry.rank),
            entry.worker,
            str(entry.approved),
            token.format(int(earned)) if token and earned is not None else "-",
            f"{_percent(accuracy)} of {entry.gold_items}" if accuracy is not None else "-",
        )
    console.out.print(table)
