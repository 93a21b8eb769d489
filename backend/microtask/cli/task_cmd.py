"""`microtask task create|list|show`: what a requester posts, and what the API shows of it.

The group's other commands are in `task_settle_cmd` (review, pay, refund, read the work)
and `task_verifier_cmd` (the task's verifier); each is a thin front end over
`microtask.client.Requester`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from microtask.cli import console
from microtask.cli.options import AccountOption, NetworkOption, TokenOption
from microtask.cli.session import party, waiting

if TYPE_CHECKING:
    from rich.table import Table

    from microtask.client import TaskDraft
    from microtask.client.results import CreatedTask

task_app = typer.Typer(
    help="Requester commands: create, review and settle tasks.", no_args_is_help=True
)

ManifestArg = Annotated[Path, typer.Argument(help="Task manifest (JSON).")]
RewardOption = Annotated[str, typer.Option("--reward", help="Pay per approved slot, e.g. 0.5.")]
SlotsOption = Annotated[
    int | None, typer.Option("--slots", min=1, help="Default: items x redundancy.")
]
ReceiptSlotsOption = Annotated[
    int, typer.Option("--receipt-slots", min=0, help="Slots filled by signed receipts.")
]
DeadlineOption = Annotated[str, typer.Option("--deadline", help="From now, e.g. 7d.")]
ReviewOption = Annotated[str, typer.Option("--review", help="Review period, e.g. 3d.")]
LeaseOption = Annotated[str, typer.Option("--lease", help="How long a claim lasts, e.g. 1h.")]
VerifierOption = Annotated[str | None, typer.Option("--verifier", help="May review for you.")]
ArbitratorOption = Annotated[
    str | None, typer.Option("--arbitrator", help="Default: the operator's.")
]
MinApprovedOption = Annotated[int, typer.Option("--min-approved", min=0)]
MinApprovalOption = Annotated[
    float, typer.Option("--min-approval", min=0, max=100, help="Percent.")
]
PermitOption = Annotated[bool, typer.Option("--permit", help="Fund with an EIP-2612 permit.")]
GaslessOption = Annotated[
    bool,
    typer.Option(
        "--gasless",
        help="Let the platform's verifier run it: every slot through signed receipts "
        "(workers need no gas), its address and key in the manifest, automatic quality "
        "control and settlement.",
    ),
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask to confirm.")]


@task_app.command("create")
def create_task(
    ctx: typer.Context,
    manifest_file: ManifestArg,
    reward: RewardOption,
    token_text: TokenOption = None,
    slots: SlotsOption = None,
    receipt_slots: ReceiptSlotsOption = 0,
    deadline: DeadlineOption = "7d",
    review: ReviewOption = "3d",
    lease: LeaseOption = "1h",
    verifier: VerifierOption = None,
    arbitrator: ArbitratorOption = None,
    min_approved: MinApprovedOption = 0,
    min_approval: MinApprovalOption = 0,
    permit: PermitOption = False,
    gasless: GaslessOption = False,
    yes: YesOption = False,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Validate a manifest, upload it, show the cost and fund the task.

    Example: microtask task create labels.json --reward 0.05 --token 0x... --account alice
    Example: microtask task create labels.json --reward 0.05 --gasless --account alice
    """
    from microtask.cli.units import parse_duration as seconds
    from microtask.client import Requester, TaskTerms, read_manifest_file

    with party(ctx, Requester, network, account) as requester:
        token = requester.platform.token(token_text)
        terms = TaskTerms(
            token.parse(reward), token, slots, receipt_slots, seconds(deadline), seconds(review),
            seconds(lease), verifier, arbitrator, min_approved, round(min_approval * 100), gasless,
        )  # fmt: skip
        draft = requester.draft_task(read_manifest_file(manifest_file), terms)
        _confirm(ctx, draft, yes)
        with waiting(ctx, "creating the task …"):
            created = requester.create_task(draft, permit=permit)
    _created(ctx, created)


def _created(ctx: typer.Context, created: CreatedTask) -> None:
    console.emit(
        ctx,
        {
            "task_id": created.task_id,
            "manifest_cid": created.manifest_cid,
            "tx": created.transaction.hash,
            "escrowed": str(created.escrowed),
        },
        lambda: console.success(
            f"task {created.task_id} created, {created.token.format(created.escrowed)} "
            f"escrowed (manifest {created.manifest_cid})"
        ),
    )


def _confirm(ctx: typer.Context, draft: TaskDraft, yes: bool) -> None:
    """Show what the task costs and ask before anything is sent (unless ``--yes``)."""
    from microtask.errors import UserError

    if not console.json_mode(ctx):
        console.out.print(_summary(draft))
    if not yes:
        if console.json_mode(ctx):
            raise UserError("--json needs --yes: there is no one to confirm the cost")
        typer.confirm("Fund this task?", abort=True)


def _summary(draft: TaskDraft) -> Table:
    from rich.table import Table

    from microtask.cli.units import format_time

    params, token, manifest = draft.params, draft.token, draft.manifest
    table = Table(show_header=False, box=None)
    table.add_row("task", f"{manifest.title} ({manifest.kind})")
    table.add_row("slots", f"{params.slots} ({params.receipt_slots} through receipts)")
    table.add_row("reward per slot", token.format(params.reward))
    table.add_row("fee per slot", f"{token.format(draft.fee_per_slot)} ({draft.fee_bps / 100:g}%)")
    table.add_row("total escrowed", token.format(draft.escrowed))
    table.add_row("deadline", format_time(params.deadline))
    table.add_row("review period / lease", f"{params.review_period}s / {params.lease}s")
    return table
