"""`microtask work receipts|enforce|reviews|profile|leaderboard`: a worker's receipts, the
reasons behind rejections, their reputation and where they stand among others.

Registered on the ``work`` group (`work_cmd.work_app`); receipts are the ones
`microtask work claim --gasless` keeps in the data directory (see `cli.gasless`).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from microtask.cli import api_client, console, gasless
from microtask.cli.escrow_session import AccountOption, NetworkOption, open_escrow, waiting
from microtask.cli.listing import account_address, token_formatter
from microtask.cli.units import format_time
from microtask.cli.work_cmd import SlotArg, TaskArg, work_app
from microtask.encoding.canonical import canonical_json
from microtask.errors import UserError
from microtask.manifests import ReviewBatch, parse_as


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
    session = open_escrow(ctx, network, None, read_only=True)
    worker = account_address(session, account)
    rows: list[dict[str, Any]] = []
    for record in gasless.all_records(session, worker):
        if task_id is not None and int(record["task_id"]) != task_id:
            continue
        receipt = record.get("receipt")
        view = session.client.slot(int(record["task_id"]), int(record["slot"]))
        rows.append(
            {
                "task_id": int(record["task_id"]),
                "slot": int(record["slot"]),
                "item_id": record.get("item_id"),
                "lease_end": record.get("lease_end"),
                "receipt": receipt,
                "on_chain": view.state.name.lower(),
            }
        )

    def render() -> None:
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

    console.emit(ctx, {"worker": worker, "slots": rows}, render)


@work_app.command("enforce")
def enforce(
    ctx: typer.Context,
    task_id: TaskArg,
    slot: SlotArg,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Collect a receipted slot the verifier never settled: present the receipt on chain,
    then (after the review period) take the pay. Costs you gas; run it again until paid.

    Example: microtask work enforce 2 4 --account bob
    """
    session = open_escrow(ctx, network, account)
    with waiting(ctx, "enforcing the receipt …"):
        outcome = gasless.enforce(session, task_id, slot)

    def render() -> None:
        done = " and ".join(outcome["done"]) or "nothing to do yet"
        state = outcome["state"]
        if state == "approved":
            console.success(f"slot {slot} of task {task_id}: {done}; paid")
        elif state == "submitted":
            console.success(
                f"slot {slot} of task {task_id}: {done}; it pays by silence after "
                f"{format_time(outcome['payable_after'])}: run this again then"
            )
        else:
            console.success(f"slot {slot} of task {task_id}: {done}; it is {state} on chain")

    console.emit(ctx, outcome, render)


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
    session = open_escrow(ctx, network, None, read_only=True)
    worker = account_address(session, account)
    settings = session.settings
    page = api_client.get(
        settings, f"/tasks/{task_id}/assignments", {"worker": worker, "limit": 100}
    )
    found: list[dict[str, Any]] = []
    batches: dict[str, ReviewBatch] = {}
    for assignment in page["data"]:
        cid = assignment.get("rejection_cid")
        if not cid:
            continue
        if cid not in batches:
            document = api_client.get(settings, f"/content/{cid}")
            batches[cid] = parse_as(ReviewBatch, canonical_json(document))
        review = batches[cid].for_slot(int(assignment["slot"]))
        if review is not None:
            found.append(review.model_dump(mode="json") | {"reasons_cid": cid})

    def render() -> None:
        if not found:
            console.success(f"none of your slots of task {task_id} was rejected")
            return
        for review in found:
            console.out.print(
                f"[bold]slot {review['slot']}[/bold] rejected by {review['reviewer']}"
            )
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

    console.emit(ctx, {"task_id": task_id, "reviews": found}, render)


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
    session = open_escrow(ctx, network, None, read_only=True)
    worker = address or account_address(session, account)
    data = api_client.get(session.settings, f"/workers/{worker}")
    token_of = token_formatter(session.w3)

    def render() -> None:
        console.out.print(f"[bold]{data['address']}[/bold]")
        records = Table("token", "approved", "rejected", "earned", "balance", box=None)
        for record in data["records"]:
            token = token_of(record["token"])
            records.add_row(
                token.symbol,
                str(record["approved"]),
                str(record["rejected"]),
                token.format(int(record["earned"])),
                token.format(int(record["balance"])),
            )
        console.out.print(records)
        scores = data["scores"]
        table = Table("kind", "slots", "gold", "agreement", "accuracy", box=None)
        for score in [scores["overall"], *scores["by_kind"]]:
            table.add_row(
                score["kind"],
                str(score["slots"]),
                f"{_percent(score['gold_accuracy'])} of {score['gold_items']}",
                f"{_percent(score['agreement'])} of {score['agreement_items']}",
                _percent(score["accuracy"]),
            )
        console.out.print(table)
        for badge in data["badges"]:
            console.out.print(
                f"  🏅 {badge['title']}: {badge['description']} ({format_time(badge['earned_at'])})"
            )
        if not data["badges"]:
            console.info("no badges yet: the first comes with your first approved slot")

    console.emit(ctx, data, render)


@work_app.command("leaderboard")
def leaderboard(
    ctx: typer.Context,
    by: Annotated[str, typer.Option("--by", help="earnings, approved or accuracy.")] = "approved",
    period: Annotated[str, typer.Option("--period", help="day, week, month or all.")] = "all",
    token_text: Annotated[
        str | None, typer.Option("--token", help="Address or symbol (needed for earnings).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100)] = 10,
    network: NetworkOption = "local",
) -> None:
    """The top workers by earnings (in one token), approved slots or accuracy, per period.

    Example: microtask work leaderboard --by earnings --token dUSD --period week
    """
    session = open_escrow(ctx, network, None, read_only=True)
    token = session.token(token_text) if token_text else None
    if by == "earnings" and token is None:
        raise UserError("--by earnings needs --token (earnings are ranked within one token)")
    data = api_client.get(
        session.settings,
        "/leaderboard",
        {"by": by, "period": period, "token": token.address if token else None, "limit": limit},
    )

    def render() -> None:
        table = Table("#", "worker", "approved", "earned", "gold accuracy", box=None)
        for entry in data["data"]:
            earned = entry.get("earned")
            accuracy = entry.get("gold_accuracy")
            table.add_row(
                str(entry["rank"]),
                entry["worker"],
                str(entry["approved"]),
                token.format(int(earned)) if token and earned is not None else "-",
                f"{_percent(accuracy)} of {entry['gold_items']}" if accuracy is not None else "-",
            )
        console.out.print(table)

    console.emit(ctx, data, render)
