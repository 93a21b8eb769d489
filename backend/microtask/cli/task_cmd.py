"""`microtask task ...`: what a requester does: create, review, pay extra, cancel, refund.

Reviewing needs to know who worked on which slot; that comes from the chain (the slot's
live state) or, for receipt slots settled directly, from ``SLOT=WORKER`` on the command
line. Rejections upload a `ReviewBatch` first, so the worker can read why.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, get_args

import typer
from eth_account.signers.local import LocalAccount
from rich.table import Table
from web3 import Web3
from web3.logs import DISCARD

from microtask.chain.devchain import latest_timestamp
from microtask.chain.erc20 import erc20
from microtask.cli import api_client, console
from microtask.cli.escrow_session import (
    AccountOption,
    EscrowSession,
    NetworkOption,
    open_escrow,
    waiting,
)
from microtask.cli.listing import account_address, tasks_table, token_formatter
from microtask.cli.units import Token, format_time, parse_duration, resolve_token
from microtask.content import open_content_store, parse_cid
from microtask.errors import UserError
from microtask.escrow import ZERO_ADDRESS, SlotState, TaskParams, fee_of, funding_of
from microtask.files import write_atomically
from microtask.manifests import (
    Review,
    ReviewBatch,
    SubmissionEnvelope,
    TaskManifest,
    open_submission,
    parse_as,
)
from microtask.manifests.review import ReasonCode
from microtask.manifests.sealing import public_key_of

task_app = typer.Typer(
    help="Requester commands: create, review and settle tasks.", no_args_is_help=True
)

TaskArg = Annotated[int, typer.Argument(min=1, help="Task id.")]
SlotsArg = Annotated[
    list[str], typer.Argument(help="Slots to settle: SLOT, or SLOT=WORKER for receipt slots.")
]
REASON_CODES: tuple[str, ...] = get_args(ReasonCode)


def _manifest_document(
    path: Path, signer: LocalAccount, defaults: dict[str, Any] | None = None
) -> TaskManifest:
    """The manifest file, with the requester's address and public key filled in if absent
    (and ``defaults``, e.g. the verifier's address and key)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror}") from None
    except ValueError as error:
        raise UserError(f"{path} is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path} must hold a JSON object (a task manifest)")
    for key, value in (defaults or {}).items():
        data.setdefault(key, value)
    data.setdefault("requester", signer.address)
    data.setdefault("requester_public_key", "0x" + public_key_of(bytes(signer.key)).hex())
    if Web3.to_checksum_address(str(data["requester"])) != signer.address:
        raise UserError(
            f"the manifest names requester {data['requester']}, but you sign as {signer.address}"
        )
    return parse_as(TaskManifest, json.dumps(data).encode())


def _require_funds(session: EscrowSession, token: Token, needed: int) -> None:
    """Refuse before sending anything (not even an approve) when the wallet cannot pay."""
    owner = session.client.account.address
    if token.is_eth:
        have = int(session.w3.eth.get_balance(owner))
    else:
        have = int(erc20(session.w3, token.address).functions.balanceOf(owner).call())
    if have < needed:
        raise UserError(
            f"not enough {token.symbol}: the task needs {token.format(needed)}, "
            f"you have {token.format(have)}"
        )


def _summary(manifest: TaskManifest, params: TaskParams, token: Token, fee_bps: int) -> Table:
    fee = fee_of(params.reward, fee_bps)
    table = Table(show_header=False, box=None)
    table.add_row("task", f"{manifest.title} ({manifest.kind})")
    table.add_row("slots", f"{params.slots} ({params.receipt_slots} through receipts)")
    table.add_row("reward per slot", token.format(params.reward))
    table.add_row("fee per slot", f"{token.format(fee)} ({fee_bps / 100:g}%)")
    table.add_row("total escrowed", token.format(funding_of(params.reward, params.slots, fee_bps)))
    table.add_row("deadline", format_time(params.deadline))
    table.add_row("review period / lease", f"{params.review_period}s / {params.lease}s")
    return table


@task_app.command("create")
def create_task(
    ctx: typer.Context,
    manifest_file: Annotated[Path, typer.Argument(help="Task manifest (JSON).")],
    reward: Annotated[str, typer.Option("--reward", help="Pay per approved slot, e.g. 0.5.")],
    token_text: Annotated[
        str | None, typer.Option("--token", help="eth (default), an ERC-20 address or symbol.")
    ] = None,
    slots: Annotated[
        int | None, typer.Option("--slots", min=1, help="Default: items x redundancy.")
    ] = None,
    receipt_slots: Annotated[
        int, typer.Option("--receipt-slots", min=0, help="Slots filled by signed receipts.")
    ] = 0,
    deadline: Annotated[str, typer.Option("--deadline", help="From now, e.g. 7d.")] = "7d",
    review: Annotated[str, typer.Option("--review", help="Review period, e.g. 3d.")] = "3d",
    lease: Annotated[str, typer.Option("--lease", help="How long a claim lasts, e.g. 1h.")] = "1h",
    verifier: Annotated[str | None, typer.Option("--verifier", help="May review for you.")] = None,
    arbitrator: Annotated[
        str | None, typer.Option("--arbitrator", help="Default: the operator's.")
    ] = None,
    min_approved: Annotated[int, typer.Option("--min-approved", min=0)] = 0,
    min_approval: Annotated[
        float, typer.Option("--min-approval", min=0, max=100, help="Percent.")
    ] = 0,
    permit: Annotated[bool, typer.Option("--permit", help="Fund with an EIP-2612 permit.")] = False,
    gasless: Annotated[
        bool,
        typer.Option(
            "--gasless",
            help="Let the platform's verifier run it: every slot through signed receipts "
            "(workers need no gas), its address and key in the manifest, automatic quality "
            "control and settlement.",
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask to confirm.")] = False,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Validate a manifest, upload it, show the cost and fund the task.

    Example: microtask task create labels.json --reward 0.05 --token 0x... --account alice
    Example: microtask task create labels.json --reward 0.05 --gasless --account alice
    """
    session = open_escrow(ctx, network, account)
    client = session.client
    defaults: dict[str, Any] = {}
    if gasless:
        settings = session.settings
        found = api_client.get(settings, "/verifier", base=api_client.verifier_url(settings))
        if verifier and Web3.to_checksum_address(verifier) != found["verifier"]:
            raise UserError(f"--gasless uses the platform's verifier {found['verifier']}")
        verifier = found["verifier"]
        defaults = {"verifier": found["verifier"], "verifier_public_key": found["public_key"]}
    manifest = _manifest_document(manifest_file, client.account, defaults)
    token = session.token(token_text)
    now = latest_timestamp(session.w3)
    count = slots or manifest.slot_count
    params = TaskParams(
        manifest_cid=b"",
        reward=token.parse(reward),
        slots=count,
        receipt_slots=count if gasless and not receipt_slots else receipt_slots,
        deadline=now + parse_duration(deadline),
        review_period=parse_duration(review),
        lease=parse_duration(lease),
        token=token.address,
        verifier=Web3.to_checksum_address(verifier) if verifier else ZERO_ADDRESS,
        arbitrator=Web3.to_checksum_address(arbitrator) if arbitrator else ZERO_ADDRESS,
        min_approved=min_approved,
        min_approval_bps=round(min_approval * 100),
    )
    fee_bps = client.fee_bps()
    _require_funds(session, token, funding_of(params.reward, params.slots, fee_bps))
    if not console.json_mode(ctx):
        console.out.print(_summary(manifest, params, token, fee_bps))
    if not yes:
        if console.json_mode(ctx):
            raise UserError("--json needs --yes: there is no one to confirm the cost")
        typer.confirm("Fund this task?", abort=True)
    with open_content_store(session.settings) as store:
        cid = store.add_json(manifest.model_dump(mode="json"))
    params = replace(params, manifest_cid=bytes(cid))
    with waiting(ctx, "creating the task …"):
        if permit:
            task_id, receipt = client.create_task_with_permit(params, now + 3600)
        else:
            task_id, receipt = client.create_task(params)
    total = funding_of(params.reward, params.slots, fee_bps)
    console.emit(
        ctx,
        {
            "task_id": task_id,
            "manifest_cid": str(cid),
            "tx": receipt["transactionHash"].to_0x_hex(),
            "escrowed": str(total),
        },
        lambda: console.success(
            f"task {task_id} created, {token.format(total)} escrowed (manifest {cid})"
        ),
    )


def _slot_pairs(session: EscrowSession, task_id: int, slots: list[str]) -> list[tuple[int, str]]:
    """``SLOT`` (its worker read from the chain) or ``SLOT=WORKER`` into (slot, worker)."""
    pairs: list[tuple[int, str]] = []
    for item in slots:
        slot_text, _, worker = item.partition("=")
        try:
            slot = int(slot_text)
        except ValueError:
            raise UserError(f"not a slot: {item!r} (use SLOT or SLOT=WORKER)") from None
        if worker:
            if not Web3.is_address(worker):
                raise UserError(f"not an address: {worker!r}")
            pairs.append((slot, Web3.to_checksum_address(worker)))
            continue
        view = session.client.slot(task_id, slot)
        if view.state not in (SlotState.SUBMITTED, SlotState.REJECTED, SlotState.DISPUTED):
            raise UserError(
                f"slot {slot} of task {task_id} is {view.state.name.lower()}; "
                "name the worker of a receipt slot as SLOT=WORKER"
            )
        pairs.append((slot, view.worker))
    return pairs


def _result_cids(session: EscrowSession, task_id: int) -> dict[int, str]:
    """The submission CID of each slot submitted on chain (for reviews to cite)."""
    found = {}
    for log in session.client.logs(
        "WorkSubmitted", from_block=session.record.block_number, task_id=task_id
    ):
        try:
            found[int(log["slot"])] = str(parse_cid(bytes(log["resultCid"])))
        except ValueError:
            continue
    return found


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
    session = open_escrow(ctx, network, account)
    pairs = _slot_pairs(session, task_id, slots)
    with waiting(ctx, "approving …"):
        receipt = session.client.approve(task_id, pairs)
    console.emit(
        ctx,
        {
            "task_id": task_id,
            "approved": [{"slot": s, "worker": w} for s, w in pairs],
            "tx": receipt["transactionHash"].to_0x_hex(),
        },
        lambda: console.success(f"approved {len(pairs)} slot(s) of task {task_id}"),
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
    if reason not in REASON_CODES:
        raise UserError(f"--reason must be one of {', '.join(REASON_CODES)}")
    session = open_escrow(ctx, network, account)
    pairs = _slot_pairs(session, task_id, slots)
    results = _result_cids(session, task_id)
    reviewer = session.client.account.address
    now = latest_timestamp(session.w3)
    reviews = []
    for slot, _ in pairs:
        submission = results.get(slot)
        if submission is None:
            raise UserError(
                f"no submission CID for slot {slot} on chain; "
                "receipt work is rejected by its verifier"
            )
        reviews.append(
            Review(
                task_id=task_id,
                slot=slot,
                submission=submission,
                reviewer=reviewer,
                decision="rejected",
                reasons=[{"code": reason, "detail": detail}],  # type: ignore[list-item]
                feedback=feedback,
                reviewed_at=now,
            )
        )
    batch = ReviewBatch(task_id=task_id, reviewer=reviewer, reviews=reviews)
    with open_content_store(session.settings) as store:
        cid = store.add_json(batch.model_dump(mode="json"))
    with waiting(ctx, "rejecting …"):
        receipt = session.client.reject(task_id, pairs, bytes(cid))
    console.emit(
        ctx,
        {
            "task_id": task_id,
            "rejected": [s for s, _ in pairs],
            "reasons_cid": str(cid),
            "tx": receipt["transactionHash"].to_0x_hex(),
        },
        lambda: console.success(
            f"rejected {len(pairs)} slot(s) of task {task_id}; reasons at {cid}"
        ),
    )


def _token_of(session: EscrowSession, task_id: int) -> Token:
    return resolve_token(session.w3, session.client.task(task_id).token)


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
    session = open_escrow(ctx, network, account)
    token = _token_of(session, task_id)
    if not Web3.is_address(worker):
        raise UserError(f"not an address: {worker!r}")
    value = token.parse(amount)
    with waiting(ctx, "paying the bonus …"):
        receipt = session.client.bonus(task_id, worker, value)
    console.emit(
        ctx,
        {
            "task_id": task_id,
            "worker": Web3.to_checksum_address(worker),
            "amount": str(value),
            "tx": receipt["transactionHash"].to_0x_hex(),
        },
        lambda: console.success(f"paid {token.format(value)} extra to {worker}"),
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
    session = open_escrow(ctx, network, account)
    with waiting(ctx, "adding slots …"):
        receipt = session.client.add_slots(task_id, count)
    console.emit(
        ctx,
        {"task_id": task_id, "added": count, "tx": receipt["transactionHash"].to_0x_hex()},
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
    session = open_escrow(ctx, network, account)
    deadline = session.client.task(task_id).deadline + parse_duration(by)
    with waiting(ctx, "extending …"):
        receipt = session.client.extend_deadline(task_id, deadline)
    console.emit(
        ctx,
        {"task_id": task_id, "deadline": deadline, "tx": receipt["transactionHash"].to_0x_hex()},
        lambda: console.success(f"task {task_id} now ends {format_time(deadline)}"),
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
    session = open_escrow(ctx, network, account)
    token = _token_of(session, task_id)
    with waiting(ctx, "cancelling …"):
        receipt = session.client.cancel(task_id)
    refunded = _event_value(session, receipt, "TaskCancelled", "refunded")
    console.emit(
        ctx,
        {
            "task_id": task_id,
            "refunded": str(refunded),
            "tx": receipt["transactionHash"].to_0x_hex(),
        },
        lambda: console.success(
            f"task {task_id} cancelled; {token.format(refunded)} back in your escrow balance "
            "(`microtask task refund` withdraws it)"
        ),
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
    session = open_escrow(ctx, network, account)
    with waiting(ctx, "reclaiming …"):
        receipt = session.client.reclaim_receipt_slots(task_id)
    refunded = _event_value(session, receipt, "ReceiptSlotsReclaimed", "refunded")
    console.emit(
        ctx,
        {
            "task_id": task_id,
            "refunded": str(refunded),
            "tx": receipt["transactionHash"].to_0x_hex(),
        },
        lambda: console.success(f"reclaimed unused receipt slots of task {task_id}"),
    )


@task_app.command("refund")
def refund(
    ctx: typer.Context,
    token_text: Annotated[
        str | None, typer.Option("--token", help="eth (default), an ERC-20 address or symbol.")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="Where to send it; default: you.")] = None,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Withdraw your escrow balance (refunds of cancelled or closed slots) to your wallet.

    Example: microtask task refund --token 0x...
    """
    session = open_escrow(ctx, network, account)
    token = session.token(token_text)
    balance = session.client.balance(session.client.account.address, token.address)
    if balance == 0:
        raise UserError(f"nothing to refund: your escrow balance in {token.symbol} is 0")
    with waiting(ctx, "withdrawing …"):
        receipt = session.client.withdraw(balance, to, token.address)
    console.emit(
        ctx,
        {
            "amount": str(balance),
            "token": token.address,
            "tx": receipt["transactionHash"].to_0x_hex(),
        },
        lambda: console.success(f"withdrew {token.format(balance)}"),
    )


def _event_value(session: EscrowSession, receipt: Any, event: str, field: str) -> int:
    found = getattr(session.client.contract.events, event)().process_receipt(
        receipt, errors=DISCARD
    )
    return int(found[0]["args"][field]) if found else 0


@task_app.command("submissions")
def submissions(
    ctx: typer.Context,
    task_id: TaskArg,
    export: Annotated[
        Path | None, typer.Option("--export", help="Write answers to FILE (.csv or .jsonl).")
    ] = None,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Download and decrypt the task's submissions with your key; show or export the answers.

    Example: microtask task submissions 3 --export answers.csv --account alice
    """
    session = open_escrow(ctx, network, account)
    client = session.client
    manifest_cid, manifest = _task_manifest(session, task_id)
    rows: list[dict[str, Any]] = []
    with open_content_store(session.settings) as store:
        for log in client.logs(
            "WorkSubmitted", from_block=session.record.block_number, task_id=task_id
        ):
            envelope_cid = str(parse_cid(bytes(log["resultCid"])))
            envelope = parse_as(SubmissionEnvelope, store.cat(envelope_cid, max_bytes=4 << 20))
            opened = open_submission(
                envelope,
                bytes(client.account.key),
                chain_id=session.connection.chain_id,
                escrow=session.record.address,
                manifest=manifest,
            )
            for item in opened.answers:
                rows.append(
                    {
                        "slot": int(log["slot"]),
                        "worker": log["worker"],
                        "item_id": item.item_id,
                        "answer": item.answer.model_dump(mode="json"),
                        "envelope_cid": envelope_cid,
                        "submitted_at": envelope.submitted_at,
                    }
                )
    if export is not None:
        _export_answers(export, rows)

    def render() -> None:
        table = Table("slot", "worker", "item", "answer", box=None)
        for row in rows:
            answer = {k: v for k, v in row["answer"].items() if k != "kind"}
            table.add_row(str(row["slot"]), row["worker"], row["item_id"], json.dumps(answer))
        console.out.print(table)
        where = f"; written to {export}" if export else ""
        answers = "1 answer" if len(rows) == 1 else f"{len(rows)} answers"
        console.success(f"{answers} from task {task_id} (manifest {manifest_cid}){where}")

    console.emit(ctx, {"task_id": task_id, "answers": rows}, render)


def _task_manifest(session: EscrowSession, task_id: int) -> tuple[str, TaskManifest]:
    created = session.client.logs(
        "TaskCreated", from_block=session.record.block_number, task_id=task_id
    )
    if not created:
        raise UserError(f"task {task_id} does not exist on {session.network}")
    cid = parse_cid(bytes(created[0]["manifestCid"]))
    with open_content_store(session.settings) as store:
        return str(cid), parse_as(TaskManifest, store.cat(cid, max_bytes=2 << 20))


def _export_answers(path: Path, rows: list[dict[str, Any]]) -> None:
    """CSV (one column per answer field) or JSON Lines, chosen by the file's suffix."""
    if path.suffix == ".jsonl":
        text = "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)
    elif path.suffix == ".csv":
        fields = sorted({key for row in rows for key in row["answer"] if key != "kind"})
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["slot", "worker", "item_id", *fields, "envelope_cid", "submitted_at"])
        for row in rows:
            answer = row["answer"]
            values = [
                json.dumps(answer[f])
                if isinstance(answer.get(f), list | dict)
                else answer.get(f, "")
                for f in fields
            ]
            writer.writerow(
                [
                    row["slot"],
                    row["worker"],
                    row["item_id"],
                    *values,
                    row["envelope_cid"],
                    row["submitted_at"],
                ]
            )
        text = buffer.getvalue()
    else:
        raise UserError(f"--export must end in .csv or .jsonl, not {path.suffix or 'nothing'}")
    write_atomically(path, text)


@task_app.command("list")
def list_tasks(
    ctx: typer.Context,
    status: Annotated[
        str, typer.Option("--status", help="open, full, expired, cancelled or all.")
    ] = "open",
    mine: Annotated[bool, typer.Option("--mine", help="Only tasks the --account created.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100)] = 20,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """List tasks from the API, newest first.

    Example: microtask task list --mine --account alice
    """
    session = open_escrow(ctx, network, None, read_only=True)
    requester = account_address(session, account) if mine else None
    page = api_client.get(
        session.settings,
        "/tasks",
        {"status": status, "requester": requester, "limit": limit, "sort": "-created"},
    )
    token_of = token_formatter(session.w3)
    console.emit(ctx, page, lambda: console.out.print(tasks_table(page["data"], token_of)))


@task_app.command("show")
def show_task(
    ctx: typer.Context,
    task_id: TaskArg,
    network: NetworkOption = "local",
) -> None:
    """One task from the API: its terms, money and slots.

    Example: microtask task show 3
    """
    session = open_escrow(ctx, network, None, read_only=True)
    task = api_client.get(session.settings, f"/tasks/{task_id}")
    token = resolve_token(session.w3, task["token"])

    def render() -> None:
        manifest = task.get("manifest") or {}
        console.out.print(
            f"[bold]task {task_id}[/bold]: {manifest.get('title')} ({task['status']})"
        )
        facts = Table(show_header=False, box=None)
        facts.add_row(
            "reward / fee",
            f"{token.format(int(task['reward']))} / {token.format(int(task['fee']))}",
        )
        facts.add_row("slots", f"{task['slot_count']} ({task['available_slots']} available)")
        facts.add_row("escrow held", token.format(int(task["escrow"])))
        facts.add_row(
            "paid / refunded",
            f"{token.format(int(task['paid']))} / {token.format(int(task['refunded']))}",
        )
        facts.add_row("requester", task["requester"])
        facts.add_row("manifest", f"{manifest.get('cid')} ({manifest.get('status')})")
        console.out.print(facts)
        slots = Table("slot", "state", "worker", box=None)
        for slot in task["slots"]:
            slots.add_row(str(slot["slot"]), slot["state"], slot.get("worker") or "-")
        console.out.print(slots)

    console.emit(ctx, task, render)
