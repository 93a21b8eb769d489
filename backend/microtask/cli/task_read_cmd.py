"""`microtask task submissions|list|show`: the work handed in, and the tasks the API knows.

Registered on the ``task`` group (`task_cmd.task_app`). Submissions are read from the
chain and the content store and decrypted with the requester's key
(`client.Requester.submissions`); lists and details come from the API.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from microtask.cli import console, outcomes
from microtask.cli.options import (
    AccountOption,
    LimitOption,
    NetworkOption,
    ReadingKeyOption,
    TaskArg,
)
from microtask.cli.session import address_of, party, platform, reading_key
from microtask.cli.task_cmd import task_app

if TYPE_CHECKING:
    from microtask.client import Token
    from microtask.client.documents import TaskDetail
    from microtask.client.results import Submissions


@task_app.command("submissions")
def submissions(
    ctx: typer.Context,
    task_id: TaskArg,
    export: Annotated[
        Path | None, typer.Option("--export", help="Write answers to FILE (.csv or .jsonl).")
    ] = None,
    network: NetworkOption = "local",
    account: AccountOption = None,
    reading: ReadingKeyOption = None,
) -> None:
    """Download and decrypt the task's submissions with your key; show or export the answers.

    Example: microtask task submissions 3 --export answers.csv --account alice
    """
    from microtask.client import Requester
    from microtask.client.answers import answer_row, answers_csv, answers_jsonl

    key = reading_key(ctx, reading)
    with party(ctx, Requester, network, account, signs=key is None, reading_key=key) as requester:
        found = requester.submissions(task_id)
    if export is not None:
        outcomes.export(export, csv=answers_csv(found.answers), jsonl=answers_jsonl(found.answers))
    rows = [answer_row(answer) for answer in found.answers]
    console.emit(ctx, {"task_id": task_id, "answers": rows}, lambda: _answers(found, export))


def _answers(found: Submissions, export: Path | None) -> None:
    import json

    from rich.table import Table

    table = Table("slot", "worker", "item", "answer", box=None)
    for row in found.answers:
        answer = {k: v for k, v in row.answer.items() if k != "kind"}
        table.add_row(str(row.slot), row.worker, row.item_id, json.dumps(answer))
    console.out.print(table)
    where = f"; written to {export}" if export else ""
    answers = "1 answer" if len(found.answers) == 1 else f"{len(found.answers)} answers"
    console.success(f"{answers} from task {found.task_id} (manifest {found.manifest_cid}){where}")


@task_app.command("list")
def list_tasks(
    ctx: typer.Context,
    status: Annotated[
        str, typer.Option("--status", help="open, full, expired, cancelled or all.")
    ] = "open",
    mine: Annotated[bool, typer.Option("--mine", help="Only tasks the --account created.")] = False,
    limit: LimitOption = 20,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """List tasks from the API, newest first.

    Example: microtask task list --mine --account alice
    """
    from microtask.cli.listing import tasks_table

    with platform(ctx, network) as opened:
        requester = address_of(ctx, network, account) if mine else None
        page = opened.tasks(status=status, requester=requester, limit=limit)
        console.emit(
            ctx,
            page.document(),
            lambda: console.out.print(tasks_table(page.data, opened.token_at)),
        )


@task_app.command("show")
def show_task(
    ctx: typer.Context,
    task_id: TaskArg,
    network: NetworkOption = "local",
) -> None:
    """One task from the API: its terms, money and slots.

    Example: microtask task show 3
    """
    with platform(ctx, network) as opened:
        task = opened.task_details(task_id)
        token = opened.token_at(task.token)
    console.emit(ctx, task.document(), lambda: _show(task, token))


def _show(task: TaskDetail, token: Token) -> None:
    from rich.table import Table

    manifest = task.manifest
    console.out.print(f"[bold]task {task.task_id}[/bold]: {manifest.title} ({task.status})")
    facts = Table(show_header=False, box=None)
    facts.add_row(
        "reward / fee", f"{token.format(int(task.reward))} / {token.format(int(task.fee))}"
    )
    facts.add_row("slots", f"{task.slot_count} ({task.available_slots} available)")
    facts.add_row("escrow held", token.format(int(task.escrow)))
    facts.add_row(
        "paid / refunded", f"{token.format(int(task.paid))} / {token.format(int(task.refunded))}"
    )
    facts.add_row("requester", task.requester)
    facts.add_row(
        "arbitrator", console.arbitrator_text(task.arbitrator, task.arbitrator_is_default)
    )
    facts.add_row("manifest", f"{manifest.cid} ({manifest.status})")
    console.out.print(facts)
    slots = Table("slot", "state", "worker", box=None)
    for slot in task.slots:
        slots.add_row(str(slot.slot), slot.state, slot.worker or "-")
    console.out.print(slots)
