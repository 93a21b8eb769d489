"""`microtask task results|policy|assess|verification`: a requester and the task's verifier.

Registered on the ``task`` group (`task_cmd.task_app`). Results are read from the content
store and decrypted with the requester's key: nobody else can. Policies and "assess now"
are signed with it (EIP-712 `VerifierCommand`) and sent to the verifier
(`client.Requester.results`, ``set_policy``, ``assess``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from microtask.cli import console, outcomes
from microtask.cli.options import AccountOption, NetworkOption, ReadingKeyOption, TaskArg
from microtask.cli.session import party, platform, reading_key, waiting
from microtask.cli.task_cmd import task_app

if TYPE_CHECKING:
    from microtask.client.documents import VerificationStatus
    from microtask.client.results import ResultSet
    from microtask.verifier.policy import Policy


@task_app.command("results")
def results(
    ctx: typer.Context,
    task_id: TaskArg,
    export: Annotated[
        Path | None,
        typer.Option("--export", help="Write the result set to FILE (.csv or .jsonl)."),
    ] = None,
    network: NetworkOption = "local",
    account: AccountOption = None,
    reading: ReadingKeyOption = None,
) -> None:
    """The task's aggregated results (one row per item, with confidence), decrypted with
    your key: the verifier publishes them sealed to the requester.

    Example: microtask task results 2 --export results.csv --account alice
    """
    from microtask.client import Requester

    key = reading_key(ctx, reading)
    with party(ctx, Requester, network, account, signs=key is None, reading_key=key) as requester:
        found = requester.results(task_id)
    if export is not None:
        outcomes.export(export, csv=found.csv, jsonl=found.jsonl)
    document = {**found.summary.document(), "rows": list(found.rows)}
    console.emit(ctx, document, lambda: _results(task_id, found, export))


def _results(task_id: int, found: ResultSet, export: Path | None) -> None:
    from rich.table import Table

    table = Table("item", "answer", "confidence", "answers", "agreeing", box=None)
    for row in found.rows:
        confidence = row["confidence"]
        table.add_row(
            str(row["item_id"]),
            str(row["value"]),
            "-" if confidence is None else f"{confidence:.2f}",
            str(row["answers"]),
            str(row["agreeing"]),
        )
    console.out.print(table)
    where = f"; written to {export}" if export else ""
    summary = found.summary
    console.success(
        f"task {task_id}: {summary.approved} approved, {summary.rejected} rejected, "
        f"{summary.undecided} left to you (assessment {summary.run}){where}"
    )


def _addresses(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _policy(
    allow: list[str] | None, block: list[str] | None, rule: Path | None, salts: Path | None
) -> Policy:
    """The policy the options describe, its files read (one line if they cannot be)."""
    import json

    from microtask.client.verifier_requests import policy_of
    from microtask.errors import UserError
    from microtask.quality import QualityRule

    try:
        quality = QualityRule.model_validate_json(rule.read_bytes()) if rule else None
        gold_salts = json.loads(salts.read_text(encoding="utf-8")) if salts else None
    except OSError as error:
        raise UserError(f"cannot read a file: {error.strerror}") from None
    except ValueError as error:
        raise UserError(f"not a usable rule or salts file: {error}") from None
    return policy_of(
        allow=_addresses(allow), block=_addresses(block), rule=quality, gold_salts=gold_salts
    )


@task_app.command("policy")
def policy(
    ctx: typer.Context,
    task_id: Annotated[int, typer.Argument(min=0, help="Task id; 0 for all your tasks.")],
    allow: Annotated[
        list[str] | None,
        typer.Option("--allow", help="Only these workers (repeatable or comma-separated)."),
    ] = None,
    block: Annotated[
        list[str] | None,
        typer.Option("--block", help="Never these workers (repeatable or comma-separated)."),
    ] = None,
    rule: Annotated[
        Path | None, typer.Option("--rule", help="A quality rule (JSON, QualityRule).")
    ] = None,
    salts: Annotated[
        Path | None,
        typer.Option("--salts", help="Gold salts (JSON: item id to 0x-hex salt)."),
    ] = None,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Tell the task's verifier who may work on your task (or all your tasks: 0) and how
    to judge the work. Signed by you; kept private by the verifier; replaces the last one.

    Example: microtask task policy 2 --block 0xBad... --account alice
    """
    from microtask.client import Requester

    with party(ctx, Requester, network, account) as requester:
        stored = requester.set_policy(task_id, _policy(allow, block, rule, salts))
    scope = f"task {task_id}" if task_id else "all your tasks"
    console.emit(ctx, stored.document(), lambda: console.success(f"policy for {scope} is in force"))


@task_app.command("assess")
def assess(
    ctx: typer.Context,
    task_id: TaskArg,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Have the verifier assess the task's submissions and settle its decisions now
    (it does by itself once every slot is in, or as review periods close).

    Example: microtask task assess 2 --account alice
    """
    from microtask.client import Requester

    with (
        party(ctx, Requester, network, account) as requester,
        waiting(ctx, "assessing and settling …"),
    ):
        report = requester.assess(task_id)
    counts = report.outcomes
    console.emit(
        ctx,
        report.document(),
        lambda: console.success(
            f"task {task_id} assessed: {counts.get('approve', 0)} approved, "
            f"{counts.get('reject', 0)} rejected, {counts.get('undecided', 0)} left to you"
        ),
    )


@task_app.command("verification")
def verification(
    ctx: typer.Context,
    task_id: TaskArg,
    network: NetworkOption = "local",
) -> None:
    """What the task's verifier holds: receipts, each slot's decision and its settlement.

    Example: microtask task verification 2
    """
    with platform(ctx, network) as opened:
        status = opened.verification(task_id)
    console.emit(ctx, status.document(), lambda: _verification(task_id, status))


def _verification(task_id: int, status: VerificationStatus) -> None:
    from rich.table import Table

    console.out.print(
        f"task {task_id}: {status.receipted} receipted, {status.reserved} reserved, "
        f"{status.submitted_on_chain} submitted on chain; assessment {status.run}"
    )
    table = Table("slot", "worker", "decision", "settled", "reasons", box=None)
    for decision in status.decisions:
        reasons = ", ".join(reason["code"] for reason in decision.reasons)
        table.add_row(
            str(decision.slot), decision.worker, decision.outcome, decision.settled, reasons or "-"
        )
    console.out.print(table)
