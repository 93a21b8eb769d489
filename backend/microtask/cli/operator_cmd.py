"""`microtask operator ...`: the escrow owner's and arbitrator's commands.

The contract decides who may do what; these commands only ask it, so a non-owner gets the
contract's own refusal (`OwnableUnauthorizedAccount`) in words, and nothing changes.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from web3 import Web3

from microtask.cli import console
from microtask.cli.deploy_cmd import deploy_command
from microtask.cli.escrow_session import AccountOption, NetworkOption, open_escrow, waiting
from microtask.content import open_content_store
from microtask.errors import UserError

operator_app = typer.Typer(
    help="Operator commands: deploy, fees, treasury, pause, arbitration.", no_args_is_help=True
)
operator_app.command("deploy")(deploy_command)


def _tx(receipt: Any) -> str:
    return str(receipt["transactionHash"].to_0x_hex())


def _address(text: str) -> str:
    if not Web3.is_address(text):
        raise UserError(f"not an address: {text!r}")
    return str(Web3.to_checksum_address(text))


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
    bps = round(percent * 100)
    session = open_escrow(ctx, network, account)
    with waiting(ctx, "setting the fee …"):
        receipt = session.client.set_fee(bps)
    console.emit(
        ctx,
        {"fee_bps": bps, "tx": _tx(receipt)},
        lambda: console.success(f"fee is now {percent:g}%"),
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
    session = open_escrow(ctx, network, account)
    with waiting(ctx, "setting the treasury …"):
        receipt = session.client.set_treasury(_address(treasury))
    console.emit(
        ctx,
        {"treasury": _address(treasury), "tx": _tx(receipt)},
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
    session = open_escrow(ctx, network, account)
    with waiting(ctx, "setting the arbitrator …"):
        receipt = session.client.set_default_arbitrator(_address(arbitrator))
    console.emit(
        ctx,
        {"arbitrator": _address(arbitrator), "tx": _tx(receipt)},
        lambda: console.success(f"default arbitrator is now {arbitrator}"),
    )


@operator_app.command("pause")
def pause(
    ctx: typer.Context, network: NetworkOption = "local", account: AccountOption = None
) -> None:
    """Stop new tasks and claims (settlement, refunds and withdrawals go on).

    Example: microtask operator pause
    """
    session = open_escrow(ctx, network, account)
    with waiting(ctx, "pausing …"):
        receipt = session.client.pause()
    console.emit(ctx, {"paused": True, "tx": _tx(receipt)}, lambda: console.success("paused"))


@operator_app.command("unpause")
def unpause(
    ctx: typer.Context, network: NetworkOption = "local", account: AccountOption = None
) -> None:
    """Allow new tasks and claims again.

    Example: microtask operator unpause
    """
    session = open_escrow(ctx, network, account)
    with waiting(ctx, "unpausing …"):
        receipt = session.client.unpause()
    console.emit(ctx, {"paused": False, "tx": _tx(receipt)}, lambda: console.success("unpaused"))


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
    if not pay and not reason.strip():
        raise UserError("upholding a rejection needs --reason")
    session = open_escrow(ctx, network, account)
    reason_cid = b""
    if reason.strip():
        with open_content_store(session.settings) as store:
            reason_cid = bytes(store.add_bytes(reason.encode("utf-8")))
    with waiting(ctx, "ruling …"):
        receipt = session.client.rule(task_id, slot, pay, reason_cid)
    verdict = "paid the worker" if pay else "upheld the rejection"
    console.emit(
        ctx,
        {"task_id": task_id, "slot": slot, "paid": pay, "tx": _tx(receipt)},
        lambda: console.success(f"slot {slot} of task {task_id}: {verdict}"),
    )


@operator_app.command("withdraw-fees")
def withdraw_fees(
    ctx: typer.Context,
    token_text: Annotated[
        str | None, typer.Option("--token", help="eth (default), an ERC-20 address or symbol.")
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Where to send them; default: the treasury.")
    ] = None,
    network: NetworkOption = "local",
    account: AccountOption = None,
) -> None:
    """Withdraw the fees credited to the treasury (sign as the treasury account).

    Example: microtask operator withdraw-fees --token 0x... --account treasury
    """
    session = open_escrow(ctx, network, account)
    token = session.token(token_text)
    balance = session.client.balance(session.client.account.address, token.address)
    if balance == 0:
        treasury = session.client.treasury()
        signer = session.client.account.address
        raise UserError(f"no fees in {token.symbol} for {signer} (the treasury is {treasury})")
    with waiting(ctx, "withdrawing fees …"):
        receipt = session.client.withdraw(balance, to, token.address)
    console.emit(
        ctx,
        {"amount": str(balance), "token": token.address, "tx": _tx(receipt)},
        lambda: console.success(f"withdrew {token.format(balance)} of fees"),
    )
