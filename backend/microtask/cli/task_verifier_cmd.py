"""`microtask task results|policy|assess|verification`: a requester and the task's verifier.

Registered on the ``task`` group (`task_cmd.task_app`). Results are read from the content
store and decrypted here, with the requester's key: nobody else can. Policies and "assess
now" are signed here (EIP-712 `VerifierCommand`) and sent to the verifier.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from microtask.cli import api_client, console
from microtask.cli.escrow_session import AccountOption, NetworkOption, open_escrow, waiting
from microtask.cli.task_cmd import TaskArg, task_app
from microtask.encoding.canonical import canonical_json
from microtask.errors import UserError
from microtask.files import write_atomically
from microtask.quality import QualityRule
from microtask.verifier import Policy, open_results, parse_sealed_results
from microtask.verifier.clock import ChainClock
from microtask.verifier.typed_data import NO_PAYLOAD, VerifierCommand, payload_hash


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
) -> None:
    """The task's aggregated results (one row per item, with confidence), decrypted with
    your key: the verifier publishes them sealed to the requester.

    Example: microtask task results 2 --export results.csv --account alice
    """
    session = open_escrow(ctx, network, account)
    settings = session.settings
    summary = api_client.get(settings, f"/tasks/{task_id}/results")
    document = api_client.get(settings, f"/content/{summary['cid']}")
    sealed = parse_sealed_results(canonical_json(document))
    if sealed.task_id != task_id or sealed.escrow != session.record.address:
        raise UserError(f"the published result set at {summary['cid']} is not task {task_id}'s")
    opened = open_results(sealed, bytes(session.client.account.key))
    rows = [json.loads(line) for line in opened.jsonl.decode().splitlines() if line.strip()]
    if export is not None:
        if export.suffix == ".csv":
            write_atomically(export, opened.csv)
        elif export.suffix == ".jsonl":
            write_atomically(export, opened.jsonl)
        else:
            raise UserError(
                f"--export must end in .csv or .jsonl, not {export.suffix or 'nothing'}"
            )

    def render() -> None:
        table = Table("item", "answer", "confidence", "answers", "agreeing", box=None)
        for row in rows:
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
        console.success(
            f"task {task_id}: {summary['approved']} approved, {summary['rejected']} rejected, "
            f"{summary['undecided']} left to you (assessment {summary['run']}){where}"
        )

    console.emit(ctx, {**summary, "rows": rows}, render)


def _addresses(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


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
    session = open_escrow(ctx, network, account)
    try:
        document: dict[str, Any] = {
            "allow": _addresses(allow),
            "block": _addresses(block) or [],
            "rule": QualityRule.model_validate_json(rule.read_bytes()) if rule else None,
            "gold_salts": json.loads(salts.read_text(encoding="utf-8")) if salts else None,
        }
    except OSError as error:
        raise UserError(f"cannot read a file: {error.strerror}") from None
    except ValueError as error:
        raise UserError(f"not a usable rule or salts file: {error}") from None
    try:
        chosen = Policy.model_validate(document)
    except ValueError as error:
        raise UserError(f"invalid policy: {error}") from None
    requester = session.client.account
    issued_at = ChainClock(session.w3)()  # policies are ordered by the second they are signed
    command = VerifierCommand(task_id, "policy", payload_hash(chosen.canonical()), issued_at)
    body = {
        "requester": requester.address,
        "task_id": task_id,
        "policy": chosen.model_dump(mode="json"),
        "issued_at": issued_at,
        "signature": "0x"
        + command.sign(requester, session.connection.chain_id, session.record.address).hex(),
    }
    settings = session.settings
    stored = api_client.post(
        settings, "/verifier/policies", body, base=api_client.verifier_url(settings)
    )
    scope = f"task {task_id}" if task_id else "all your tasks"
    console.emit(ctx, stored, lambda: console.success(f"policy for {scope} is in force"))


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
    session = open_escrow(ctx, network, account)
    issued_at = ChainClock(session.w3)()
    command = VerifierCommand(task_id, "assess", NO_PAYLOAD, issued_at)
    signature = command.sign(
        session.client.account, session.connection.chain_id, session.record.address
    )
    settings = session.settings
    with waiting(ctx, "assessing and settling …"):
        report = api_client.post(
            settings,
            f"/verifier/tasks/{task_id}/assess",
            {"issued_at": issued_at, "signature": "0x" + signature.hex()},
            base=api_client.verifier_url(settings),
        )
    outcomes = report["outcomes"]
    console.emit(
        ctx,
        report,
        lambda: console.success(
            f"task {task_id} assessed: {outcomes.get('approve', 0)} approved, "
            f"{outcomes.get('reject', 0)} rejected, {outcomes.get('undecided', 0)} left to you"
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
    session = open_escrow(ctx, network, None, read_only=True)
    settings = session.settings
    status = api_client.get(
        settings, f"/verifier/tasks/{task_id}", base=api_client.verifier_url(settings)
    )

    def render() -> None:
        console.out.print(
            f"task {task_id}: {status['receipted']} receipted, {status['reserved']} reserved, "
            f"{status['submitted_on_chain']} submitted on chain; assessment {status['run']}"
        )
        table = Table("slot", "worker", "decision", "settled", "reasons", box=None)
        for decision in status["decisions"]:
            reasons = ", ".join(reason["code"] for reason in decision["reasons"])
            table.add_row(
                str(decision["slot"]),
                decision["worker"],
                decision["outcome"],
                decision["settled"],
                reasons or "-",
            )
        console.out.print(table)

    console.emit(ctx, status, render)
