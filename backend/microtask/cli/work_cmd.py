"""`microtask work claim|show|submit|release`: claim work, read it, answer it.

Answers are checked against the task's answer schema, encrypted to the requester (and
verifier) and signed before they leave the machine; only the envelope's CID goes on chain
(`client.Worker`). The group's other commands are in `work_pay_cmd` (collect, dispute,
withdraw) and `work_gasless_cmd` (tasks, receipts, reviews, reputation).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from microtask.cli import console
from microtask.cli.options import AccountOption, NetworkOption, SlotArg, TaskArg
from microtask.cli.session import party, platform, waiting

if TYPE_CHECKING:
    from microtask.client import Worker
    from microtask.client.results import Claimed, PublishedManifest
    from microtask.manifests import SubmissionAnswers

work_app = typer.Typer(
    help="Worker commands: find, claim, do and get paid for work.", no_args_is_help=True
)

GaslessClaimOption = Annotated[
    bool,
    typer.Option(
        "--gasless", help="Ask the task's verifier for a receipt slot: no transaction, no gas."
    ),
]
AnswersOption = Annotated[
    Path | None,
    typer.Option(
        "--answers",
        help="With --gasless: hand in this file's answer to the slot's item at once "
        "(the file may answer many items).",
    ),
]
CountOption = Annotated[
    int, typer.Option("--count", min=1, max=1000, help="With --answers: do this many slots.")
]


def read_answers(path: Path) -> SubmissionAnswers:
    from microtask.errors import UserError
    from microtask.manifests import SubmissionAnswers, parse_as

    try:
        raw = path.read_bytes()
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror}") from None
    return parse_as(SubmissionAnswers, raw)


@work_app.command("claim")
def claim(
    ctx: typer.Context,
    task_id: TaskArg,
    slot: Annotated[
        int | None, typer.Argument(min=0, help="Slot; default: the first open one.")
    ] = None,
    gasless_: GaslessClaimOption = False,
    answers: AnswersOption = None,
    count: CountOption = 1,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Claim a slot: it is yours for the task's lease (on chain, or gasless through the
    task's verifier).

    Example: microtask work claim 3 --account bob
    Example: microtask work claim 2 --gasless --answers mine.json --count 6 --account bob
    """
    from microtask.client import Worker
    from microtask.errors import UserError

    with party(ctx, Worker, network, account) as worker:
        if gasless_:
            _claim_gasless(ctx, worker, task_id, slot, answers, count)
            return
        if answers is not None:
            raise UserError("--answers goes with --gasless; on chain, claim then `work submit`")
        chosen = worker.first_claimable_slot(task_id) if slot is None else slot
        with waiting(ctx, f"claiming slot {chosen} …"):
            claimed = worker.claim(task_id, chosen)
    _claimed(ctx, claimed)


def _claimed(ctx: typer.Context, claimed: Claimed) -> None:
    from microtask.cli.units import format_time

    item = claimed.item_id
    where = f" (item {item})" if item else f" (item #{claimed.item_index})"
    console.emit(
        ctx,
        {
            "task_id": claimed.task_id,
            "slot": claimed.slot,
            "item_id": item,
            "item_index": claimed.item_index,
            "lease_end": claimed.lease_end,
            "tx": claimed.transaction.hash,
        },
        lambda: console.success(
            f"claimed slot {claimed.slot} of task {claimed.task_id}{where}; "
            f"submit before {format_time(claimed.lease_end)}"
        ),
    )


def _claim_gasless(
    ctx: typer.Context,
    worker: Worker,
    task_id: int,
    slot: int | None,
    answers: Path | None,
    count: int,
) -> None:
    """Reserve a slot through the verifier; with ``answers``, hand it in at once, ``count``
    times (one slot per item: the verifier never gives a worker an item twice)."""
    from microtask.cli.units import format_time

    if answers is None:
        grant = worker.request_slot(task_id, slot)
        where = f"slot {grant.slot} of task {task_id} (item {grant.item_id})"
        console.emit(
            ctx,
            grant.document(),
            lambda: console.success(
                f"reserved {where} without gas until {format_time(grant.lease_end)}; "
                f"answer with `microtask work submit {task_id} {grant.slot} --answers FILE`"
            ),
        )
        return
    published = worker.platform.manifest(task_id)
    submission = read_answers(answers)
    done = []
    for _ in range(count):
        work = worker.work_gasless(task_id, submission, slot=slot, manifest=published)
        done.append({**work.grant.document(), "receipt": work.receipt.document()})
        if not console.json_mode(ctx):
            console.success(
                f"slot {work.grant.slot} of task {task_id} (item {work.grant.item_id}) done: "
                "receipt kept; the verifier settles it (no gas)"
            )
    if console.json_mode(ctx):
        console.emit(ctx, done[0] if count == 1 else {"slots": done}, lambda: None)


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
    with platform(ctx, network) as opened:
        published = opened.manifest(task_id)
        arbitrator = opened.reader.task(task_id).arbitrator  # from the chain: no API needed
        is_default = arbitrator == opened.reader.default_arbitrator()
    manifest = published.manifest
    only = manifest.inline_item(slot) if slot is not None else None
    data: dict[str, Any] = {
        "manifest_cid": published.cid,
        "manifest": manifest.model_dump(mode="json"),
        "arbitrator": arbitrator,
        "arbitrator_is_default": is_default,
    }
    if slot is not None:
        data["item_index"] = manifest.item_index(slot)
        data["item"] = only.model_dump(mode="json") if only is not None else None
    flagged = console.arbitrator_text(arbitrator, is_default)
    console.emit(ctx, data, lambda: _show(published, slot, flagged))


def _show(published: PublishedManifest, slot: int | None, arbitrator: str) -> None:
    import json

    from rich.markdown import Markdown
    from rich.table import Table

    manifest = published.manifest
    console.out.print(f"[bold]{manifest.title}[/bold]  ({manifest.kind}, manifest {published.cid})")
    console.out.print(f"disputes go to {arbitrator}")
    console.out.print(Markdown(manifest.instructions))
    console.out.print_json(data=manifest.answer_schema.model_dump(mode="json"))
    table = Table("item", "data", "media", box=None)
    only = manifest.inline_item(slot) if slot is not None else None
    items = [only] if only is not None else getattr(manifest.inputs, "items", [])
    for item in items[:50]:
        table.add_row(item.id, json.dumps(item.data), ", ".join(item.media))
    console.out.print(table)
    if len(items) > 50:
        console.info(f"… and {len(items) - 50} more items (use --json for all)")


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
    from microtask.client import Worker

    with party(ctx, Worker, network, account) as worker:
        published = worker.platform.manifest(task_id)
        answers = read_answers(answers_file)
        if worker.receipts.load(task_id, slot):
            receipt = worker.hand_in(task_id, slot, answers, manifest=published)
            kept = worker.receipts.path(task_id, slot)
            message = f"slot {slot} of task {task_id} handed in; receipt kept ({kept})"
            console.emit(ctx, receipt.document(), lambda: console.success(message))
            return
        with waiting(ctx, "submitting …"):
            done = worker.submit(task_id, slot, answers)
    console.emit(
        ctx,
        {
            "task_id": task_id,
            "slot": slot,
            "envelope_cid": done.envelope_cid,
            "tx": done.transaction.hash,
        },
        lambda: console.success(
            f"submitted slot {slot} of task {task_id} (envelope {done.envelope_cid})"
        ),
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
    from microtask.client import Worker

    with party(ctx, Worker, network, account) as worker, waiting(ctx, "releasing …"):
        tx = worker.release(task_id, slot)
    console.emit(
        ctx,
        {"task_id": task_id, "slot": slot, "tx": tx.hash},
        lambda: console.success(f"released slot {slot} of task {task_id}"),
    )
