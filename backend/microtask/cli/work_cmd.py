"""`microtask work ...`: what a worker does: claim, read, submit, collect, dispute, withdraw.

Answers are checked against the task's answer schema, encrypted to the requester (and
verifier) and signed before they leave the machine; only the envelope's CID goes on chain.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markdown import Markdown
from rich.table import Table

from microtask.cli import api_client, console, gasless
from microtask.cli.escrow_session import (
    AccountOption,
    EscrowSession,
    NetworkOption,
    listed_tokens,
    open_escrow,
    waiting,
)
from microtask.cli.listing import account_address, match_line, tasks_table, token_formatter
from microtask.cli.units import format_time
from microtask.content import open_content_store, parse_cid
from microtask.errors import UserError
from microtask.escrow import claimable
from microtask.manifests import SubmissionAnswers, TaskManifest, parse_as, seal_submission

work_app = typer.Typer(
    help="Worker commands: find, claim, do and get paid for work.", no_args_is_help=True
)

TaskArg = Annotated[int, typer.Argument(min=1, help="Task id.")]
SlotArg = Annotated[int, typer.Argument(min=0, help="Slot index.")]
MAX_SLOTS_SCANNED = 500


def _manifest(session: EscrowSession, task_id: int) -> tuple[str, TaskManifest]:
    """The task's manifest CID (from its TaskCreated event) and validated manifest."""
    created = session.client.logs(
        "TaskCreated", from_block=session.record.block_number, task_id=task_id
    )
    if not created:
        raise UserError(f"task {task_id} does not exist on {session.network}")
    try:
        cid = parse_cid(bytes(created[0]["manifestCid"]))
    except ValueError:
        raise UserError(f"task {task_id}'s manifest CID is not a CID") from None
    with open_content_store(session.settings) as store:
        data = store.cat(cid, max_bytes=2 << 20)
    return str(cid), parse_as(TaskManifest, data)


def _tx(receipt: Any) -> str:
    return str(receipt["transactionHash"].to_0x_hex())


def _first_open_slot(session: EscrowSession, task_id: int) -> int:
    task = session.client.task(task_id)
    now = session.w3.eth.get_block("latest")["timestamp"]
    last = min(task.slot_count, task.receipt_slots + MAX_SLOTS_SCANNED)
    for slot in range(task.receipt_slots, last):
        view = session.client.slot(task_id, slot)
        if claimable(view.state, view.timestamp, now):
            return slot
    raise UserError(f"task {task_id} has no open slot to claim (looked at slots up to {last - 1})")


def _read_answers(path: Path) -> SubmissionAnswers:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror}") from None
    return parse_as(SubmissionAnswers, raw)


def _claim_gasless(
    ctx: typer.Context,
    session: EscrowSession,
    task_id: int,
    slot: int | None,
    answers: Path | None,
    count: int,
) -> None:
    """Reserve a slot through the verifier; with ``answers``, hand it in at once, ``count``
    times (one slot per item: the verifier never gives a worker an item twice)."""
    if answers is None:
        grant = gasless.request_slot(session, task_id, slot)
        where = f"slot {grant['slot']} of task {task_id} (item {grant['item_id']})"
        console.emit(
            ctx,
            grant,
            lambda: console.success(
                f"reserved {where} without gas until {format_time(grant['lease_end'])}; "
                f"answer with `microtask work submit {task_id} {grant['slot']} --answers FILE`"
            ),
        )
        return
    manifest_cid, manifest = _manifest(session, task_id)
    submission = _read_answers(answers)
    done: list[dict[str, Any]] = []
    for _ in range(count):
        grant = gasless.request_slot(session, task_id, slot)
        receipt = gasless.submit(
            session,
            task_id,
            int(grant["slot"]),
            submission,
            manifest=manifest,
            manifest_cid=manifest_cid,
        )
        done.append({**grant, "receipt": receipt})
        if not console.json_mode(ctx):
            console.success(
                f"slot {grant['slot']} of task {task_id} (item {grant['item_id']}) done: "
                "receipt kept; the verifier settles it (no gas)"
            )
    if console.json_mode(ctx):
        console.emit(ctx, done[0] if count == 1 else {"slots": done}, lambda: None)


@work_app.command("claim")
def claim(
    ctx: typer.Context,
    task_id: TaskArg,
    slot: Annotated[
        int | None, typer.Argument(min=0, help="Slot; default: the first open one.")
    ] = None,
    gasless_: Annotated[
        bool,
        typer.Option(
            "--gasless", help="Ask the task's verifier for a receipt slot: no transaction, no gas."
        ),
    ] = False,
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers",
            help="With --gasless: hand in this file's answer to the slot's item at once "
            "(the file may answer many items).",
        ),
    ] = None,
    count: Annotated[
        int,
        typer.Option("--count", min=1, max=1000, help="With --answers: do this many slots."),
    ] = 1,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Claim a slot: it is yours for the task's lease (on chain, or gasless through the
    task's verifier).

    Example: microtask work claim 3 --account bob
    Example: microtask work claim 2 --gasless --answers mine.json --count 6 --account bob
    """
    session = open_escrow(ctx, network, account)
    if gasless_:
        _claim_gasless(ctx, session, task_id, slot, answers, count)
        return
    if answers is not None:
        raise UserError("--answers goes with --gasless; on chain, claim then `work submit`")
    chosen = _first_open_slot(session, task_id) if slot is None else slot
    with waiting(ctx, f"claiming slot {chosen} …"):
        receipt = session.client.claim(task_id, chosen)
    lease_end = session.client.slot(task_id, chosen).timestamp
    _, manifest = _manifest(session, task_id)
    item = manifest.inline_item(chosen)
    item_id = item.id if item is not None else None
    where = f" (item {item_id})" if item_id else f" (item #{manifest.item_index(chosen)})"
    console.emit(
        ctx,
        {
            "task_id": task_id,
            "slot": chosen,
            "item_id": item_id,
            "item_index": manifest.item_index(chosen),
            "lease_end": lease_end,
            "tx": _tx(receipt),
        },
        lambda: console.success(
            f"claimed slot {chosen} of task {task_id}{where}; "
            f"submit before {format_time(lease_end)}"
        ),
    )


@work_app.command("show")
def show(
    ctx: typer.Context,
    task_id: TaskArg,
    slot: Annotated[
        int | None, typer.Option("--slot", min=0, help="Show only this slot's item.")
    ] = None,
    network: NetworkOption = "local",
) -> None:
    """Show a task's instructions, answer format and items (or one slot's item).

    Example: microtask work show 3 --slot 4
    """
    session = open_escrow(ctx, network, None, read_only=True)
    cid, manifest = _manifest(session, task_id)
    only = manifest.inline_item(slot) if slot is not None else None

    def render() -> None:
        console.out.print(f"[bold]{manifest.title}[/bold]  ({manifest.kind}, manifest {cid})")
        console.out.print(Markdown(manifest.instructions))
        console.out.print_json(data=manifest.answer_schema.model_dump(mode="json"))
        table = Table("item", "data", "media", box=None)
        items = [only] if only is not None else getattr(manifest.inputs, "items", [])
        for item in items[:50]:
            table.add_row(item.id, json.dumps(item.data), ", ".join(item.media))
        console.out.print(table)
        if len(items) > 50:
            console.info(f"… and {len(items) - 50} more items (use --json for all)")

    data: dict[str, Any] = {"manifest_cid": cid, "manifest": manifest.model_dump(mode="json")}
    if slot is not None:
        data["item_index"] = manifest.item_index(slot)
        data["item"] = only.model_dump(mode="json") if only is not None else None
    console.emit(ctx, data, render)


@work_app.command("submit")
def submit(
    ctx: typer.Context,
    task_id: TaskArg,
    slot: SlotArg,
    answers_file: Annotated[Path, typer.Option("--answers", help="Submission answers (JSON).")],
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Check, encrypt, sign and upload your answers, then submit their CID on chain (or,
    for a slot claimed with --gasless, hand it to the verifier for a receipt: no gas).

    Example: microtask work submit 3 0 --answers answers.json --account bob
    """
    session = open_escrow(ctx, network, account)
    manifest_cid, manifest = _manifest(session, task_id)
    answers = _read_answers(answers_file)
    worker = session.client.account.address
    if gasless.load_record(session, worker, task_id, slot):
        handed_in = gasless.submit(
            session, task_id, slot, answers, manifest=manifest, manifest_cid=manifest_cid
        )
        console.emit(
            ctx,
            handed_in,
            lambda: console.success(
                f"slot {slot} of task {task_id} handed in; receipt kept "
                f"({gasless.record_path(session, worker, task_id, slot)})"
            ),
        )
        return
    envelope = seal_submission(
        answers,
        manifest=manifest,
        manifest_cid=manifest_cid,
        chain_id=session.connection.chain_id,
        escrow=session.record.address,
        task_id=task_id,
        slot=slot,
        worker=session.client.account,
    )
    with open_content_store(session.settings) as store:
        cid = store.add_json(envelope.model_dump(mode="json"))
    with waiting(ctx, "submitting …"):
        receipt = session.client.submit(task_id, slot, bytes(cid))
    console.emit(
        ctx,
        {"task_id": task_id, "slot": slot, "envelope_cid": str(cid), "tx": _tx(receipt)},
        lambda: console.success(f"submitted slot {slot} of task {task_id} (envelope {cid})"),
    )


@work_app.command("release")
def release(
    ctx: typer.Context,
    task_id: TaskArg,
    slot: SlotArg,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Give a claimed slot back.

    Example: microtask work release 3 0
    """
    session = open_escrow(ctx, network, account)
    with waiting(ctx, "releasing …"):
        receipt = session.client.release(task_id, slot)
    console.emit(
        ctx,
        {"task_id": task_id, "slot": slot, "tx": _tx(receipt)},
        lambda: console.success(f"released slot {slot} of task {task_id}"),
    )


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
    session = open_escrow(ctx, network, account)
    with waiting(ctx, "finalizing …"):
        receipt = session.client.finalize(task_id, slots)
    console.emit(
        ctx,
        {"task_id": task_id, "slots": slots, "tx": _tx(receipt)},
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
    if not reason.strip():
        raise UserError("--reason must say why")
    session = open_escrow(ctx, network, account)
    with open_content_store(session.settings) as store:
        cid = store.add_bytes(reason.encode("utf-8"))
    with waiting(ctx, "disputing …"):
        receipt = session.client.dispute(task_id, slot, bytes(cid))
    console.emit(
        ctx,
        {"task_id": task_id, "slot": slot, "reason_cid": str(cid), "tx": _tx(receipt)},
        lambda: console.success(f"disputed slot {slot} of task {task_id}"),
    )


@work_app.command("earnings")
def earnings(
    ctx: typer.Context,
    token: Annotated[
        list[str] | None,
        typer.Option(
            "--token",
            help="ERC-20 (address or deployed symbol) to include (repeatable); "
            "default: ETH and the tokens deployed on the network.",
        ),
    ] = None,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Your balance and record in the escrow, per token.

    Example: microtask work earnings --token dUSD --account bob
    """
    session = open_escrow(ctx, network, account)
    address = session.client.account.address
    rows = []
    for resolved in listed_tokens(session.w3, session.settings, network, token):
        record = session.client.reputation(address, resolved.address)
        balance = session.client.balance(address, resolved.address)
        rows.append(
            {
                "token": resolved.address,
                "symbol": resolved.symbol,
                "balance": str(balance),
                "approved": record.approved,
                "rejected": record.rejected,
                "disputes_won": record.disputes_won,
                "disputes_lost": record.disputes_lost,
                "_formatted": resolved.format(balance),
            }
        )

    def render() -> None:
        table = Table("token", "balance", "approved", "rejected", "disputes won/lost", box=None)
        for row in rows:
            table.add_row(
                str(row["symbol"]),
                str(row["_formatted"]),
                str(row["approved"]),
                str(row["rejected"]),
                f"{row['disputes_won']}/{row['disputes_lost']}",
            )
        console.out.print(table)

    console.emit(
        ctx,
        {
            "address": address,
            "tokens": [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows],
        },
        render,
    )


@work_app.command("withdraw")
def withdraw(
    ctx: typer.Context,
    token_text: Annotated[
        str | None, typer.Option("--token", help="eth (default), an ERC-20 address or symbol.")
    ] = None,
    amount: Annotated[str | None, typer.Option("--amount", help="Default: everything.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Where to send it; default: you.")] = None,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Withdraw your pay from the escrow to any address.

    Example: microtask work withdraw --token dUSD --account bob
    """
    session = open_escrow(ctx, network, account)
    token = session.token(token_text)
    balance = session.client.balance(session.client.account.address, token.address)
    value = balance if amount is None else token.parse(amount)
    if value == 0:
        raise UserError(f"nothing to withdraw: your escrow balance in {token.symbol} is 0")
    with waiting(ctx, "withdrawing …"):
        receipt = session.client.withdraw(value, to, token.address)
    console.emit(
        ctx,
        {"amount": str(value), "token": token.address, "tx": _tx(receipt)},
        lambda: console.success(f"withdrew {token.format(value)}"),
    )


@work_app.command("tasks")
def tasks(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100)] = 20,
    sort: Annotated[
        str,
        typer.Option(
            "--sort",
            help="-reward (best paid first), match (pay per minute x your accuracy on the "
            "kind, explained), -created or deadline.",
        ),
    ] = "-reward",
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Open tasks you qualify for, best paid first or best matched (from the API).

    Example: microtask work tasks --sort match --account bob
    """
    session = open_escrow(ctx, network, None, read_only=True)
    worker = account_address(session, account)
    page = api_client.get(
        session.settings,
        "/tasks",
        {"status": "open", "eligible_for": worker, "sort": sort, "limit": limit},
    )
    token_of = token_formatter(session.w3)

    def render() -> None:
        console.out.print(tasks_table(page["data"], token_of))
        for task in page["data"]:
            match = task.get("match")
            if match:
                console.out.print(f"  task {task['task_id']}: {match_line(match, task, token_of)}")

    console.emit(ctx, page, render)
