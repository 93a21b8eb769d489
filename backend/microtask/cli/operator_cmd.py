"""`microtask operator ...`: the escrow owner's and arbitrator's commands.

The contract decides who may do what; these commands only ask it (`client.Operator`), so
a non-owner gets the contract's own refusal (`OwnableUnauthorizedAccount`) in words, and
nothing changes.
"""

from __future__ import annotations

from typing import Annotated

import typer

from microtask.cli import console
from microtask.cli.deploy_cmd import deploy_command
from microtask.cli.options import AccountOption, NetworkOption, TokenOption
from microtask.cli.outcomes import withdrawn
from microtask.cli.session import party, waiting

operator_app = typer.Typer(
    help="Operator commands: deploy, fees, treasury, pause, arbitration.", no_args_is_help=True
)

operator_app.command("deploy")(deploy_command)


@operator_app.command("set-fee")
def set_fee(
    ctx: typer.Context,
    percent: Annotated[
        float, typer.Argument(min=0, max=10, help="Fee for new tasks, in percent (at most 10).")
    ],
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Set the fee for tasks created from now on.

    Example: microtask operator set-fee 1.5 --account owner
    """
    from microtask.client import Operator

    bps = round(percent * 100)
    with party(ctx, Operator, network, account) as owner, waiting(ctx, "setting the fee …"):
        tx = owner.set_fee(bps)
    console.emit(
        ctx, {"fee_bps": bps, "tx": tx.hash}, lambda: console.success(f"fee is now {percent:g}%")
    )


@operator_app.command("set-minimum-fee")
def set_minimum_fee(
    ctx: typer.Context,
    amount: Annotated[
        str, typer.Argument(help="Least fee per approved slot, in the token's units (0: none).")
    ],
    token_text: TokenOption = None,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Set the least fee per approved slot in a token, for tasks created from now on
    (MTurk's minimum commission): a task's fee per slot is its rate, and at least this.

    Example: microtask operator set-minimum-fee 0.01 --token dUSD --account owner
    """
    from microtask.client import Operator

    with party(ctx, Operator, network, account) as owner:
        token = owner.platform.token(token_text)
        units = token.parse(amount)
        with waiting(ctx, "setting the minimum fee …"):
            tx = owner.set_minimum_fee(token, units)
    console.emit(
        ctx,
        {"token": token.address, "minimum_fee": str(units), "tx": tx.hash},
        lambda: console.success(f"the minimum fee per slot is now {token.format(units)}"),
    )


@operator_app.command("set-treasury")
def set_treasury(
    ctx: typer.Context,
    treasury: Annotated[str, typer.Argument(help="Where fees are credited.")],
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Set the treasury.

    Example: microtask operator set-treasury 0x...
    """
    from microtask.client import Operator, checked_address

    with party(ctx, Operator, network, account) as owner, waiting(ctx, "setting the treasury …"):
        tx = owner.set_treasury(treasury)
    console.emit(
        ctx,
        {"treasury": checked_address(treasury), "tx": tx.hash},
        lambda: console.success(f"treasury is now {treasury}"),
    )


@operator_app.command("set-arbitrator")
def set_arbitrator(
    ctx: typer.Context,
    arbitrator: Annotated[str, typer.Argument(help="Default arbitrator for new tasks.")],
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Set the default arbitrator of tasks created from now on.

    Example: microtask operator set-arbitrator 0x...
    """
    from microtask.client import Operator, checked_address

    with (
        party(ctx, Operator, network, account) as owner,
        waiting(ctx, "setting the arbitrator …"),
    ):
        tx = owner.set_default_arbitrator(arbitrator)
    console.emit(
        ctx,
        {"arbitrator": checked_address(arbitrator), "tx": tx.hash},
        lambda: console.success(f"default arbitrator is now {arbitrator}"),
    )


@operator_app.command("pause")
def pause(
    ctx: typer.Context, network: NetworkOption = "local", account: AccountOption = None
) -> None:
    """Stop new tasks and claims (settlement, refunds and withdrawals go on).

    Example: microtask operator pause
    """
    from microtask.client import Operator

    with party(ctx, Operator, network, account) as owner, waiting(ctx, "pausing …"):
        tx = owner.pause()
    console.emit(ctx, {"paused": True, "tx": tx.hash}, lambda: console.success("paused"))


@operator_app.command("unpause")
def unpause(
    ctx: typer.Context, network: NetworkOption = "local", account: AccountOption = None
) -> None:
    """Allow new tasks and claims again.

    Example: microtask operator unpause
    """
    from microtask.client import Operator

    with party(ctx, Operator, network, account) as owner, waiting(ctx, "unpausing …"):
        tx = owner.unpause()
    console.emit(ctx, {"paused": False, "tx": tx.hash}, lambda: console.success("unpaused"))


@operator_app.command("rule")
def rule(
    ctx: typer.Context,
    task_id: Annotated[int, typer.Argument(min=1)],
    slot: Annotated[int, typer.Argument(min=0)],
    pay: Annotated[
        bool, typer.Option("--pay/--uphold", help="Pay the worker, or uphold the rejection.")
    ],
    reason: Annotated[
        str, typer.Option("--reason", help="The ruling's reasons (needed to uphold).")
    ] = "",
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Rule on a dispute as the task's arbitrator.

    Example: microtask operator rule 3 1 --pay --reason "the answer was right"
    """
    from microtask.client import Operator
    from microtask.client.reviews import check_ruling

    check_ruling(pay, reason)  # before the password is asked
    with party(ctx, Operator, network, account) as arbitrator, waiting(ctx, "ruling …"):
        ruling = arbitrator.rule(task_id, slot, pay, reason)
    verdict = "paid the worker" if pay else "upheld the rejection"
    console.emit(
        ctx,
        {"task_id": task_id, "slot": slot, "paid": pay, "tx": ruling.transaction.hash},
        lambda: console.success(f"slot {slot} of task {task_id}: {verdict}"),
    )


@operator_app.command("withdraw-fees")
def withdraw_fees(
    ctx: typer.Context,
    token_text: TokenOption = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Where to send them; default: the treasury.")
    ] = None,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Withdraw the fees credited to the treasury (sign as the treasury account).

    Example: microtask operator withdraw-fees --token 0x... --account treasury
    """
    from microtask.client import Operator

    with party(ctx, Operator, network, account) as treasury:
        token = treasury.platform.token(token_text)
        with waiting(ctx, "withdrawing fees …"):
            done = treasury.withdraw_fees(token, to)
    withdrawn(ctx, done, " of fees")
