"""`microtask account ...`: encrypted keystores in the data directory.

Private keys enter only through a file or standard input (never the command line, where
`ps` and shell history would keep them) and leave only as an encrypted keystore, or as a
raw key written to a file only its owner can read.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from microtask.chain.accounts import DEV_ACCOUNT_COUNT
from microtask.cli import console
from microtask.cli.context import settings_of
from microtask.cli.options import TokensOption

account_app = typer.Typer(
    help="Create, import, list and inspect encrypted accounts.", no_args_is_help=True
)

NameArg = Annotated[str, typer.Argument(help="Account name (letters, digits, _ . -).")]


def _new_password(name: str) -> str:
    from microtask.chain.wallets import read_password

    def prompt(message: str) -> str:
        return str(typer.prompt(message, hide_input=True, confirmation_prompt=True))

    return read_password(prompt, f"New password for {name}")


def _password(name: str) -> str:
    from microtask.chain.wallets import read_password

    def prompt(message: str) -> str:
        return str(typer.prompt(message, hide_input=True))

    return read_password(prompt, f"Password for {name}")


@account_app.command("new")
def new_account(ctx: typer.Context, name: NameArg) -> None:
    """Create a new account with a random key, encrypted with a password.

    Example: microtask account new alice
    """
    from eth_account import Account

    from microtask.chain.wallets import save_account

    settings = settings_of(ctx)
    account = Account.create()
    stored = save_account(settings, name, bytes(account.key), _new_password(name))
    console.emit(
        ctx,
        {"name": stored.name, "address": stored.address, "keystore": str(stored.path)},
        lambda: console.success(f"created {stored.name}: {stored.address} ({stored.path})"),
    )


@account_app.command("import")
def import_account(
    ctx: typer.Context,
    name: NameArg,
    key_file: Annotated[
        Path | None,
        typer.Option("--key-file", help="File holding the hex private key; '-' reads stdin."),
    ] = None,
    dev: Annotated[
        int | None,
        typer.Option("--dev", min=0, max=DEV_ACCOUNT_COUNT - 1, help="Import local dev account N."),
    ] = None,
) -> None:
    """Import a private key (from a file or stdin), or a local testnet's dev account.

    Example: microtask account import alice --key-file key.txt
    Example: microtask account import requester --dev 1
    """
    from microtask.chain.accounts import dev_accounts
    from microtask.chain.wallets import WalletError, parse_private_key, save_account

    settings = settings_of(ctx)
    if (key_file is None) == (dev is None):
        raise WalletError("give exactly one of --key-file FILE (or -) and --dev N")
    if dev is not None:
        key = bytes(dev_accounts()[dev].key)
    elif str(key_file) == "-":
        key = parse_private_key(sys.stdin.readline())
    else:
        assert key_file is not None
        try:
            key = parse_private_key(key_file.read_text(encoding="utf-8"))
        except OSError as error:
            raise WalletError(f"cannot read {key_file}: {error.strerror}") from None
    stored = save_account(settings, name, key, _new_password(name))
    console.emit(
        ctx,
        {"name": stored.name, "address": stored.address, "keystore": str(stored.path)},
        lambda: console.success(f"imported {stored.name}: {stored.address}"),
    )


@account_app.command("import-dev")
def import_dev_accounts(
    ctx: typer.Context,
    count: Annotated[
        int, typer.Option("--count", min=1, max=DEV_ACCOUNT_COUNT)
    ] = DEV_ACCOUNT_COUNT,
    prefix: Annotated[
        str, typer.Option("--prefix", help="Names are PREFIX0, PREFIX1, ...")
    ] = "dev",
) -> None:
    """Import the local testnet's funded dev accounts (public keys: local use only).

    Example: microtask account import-dev --count 4
    """
    from microtask.chain.accounts import dev_accounts
    from microtask.chain.wallets import list_accounts, save_account

    settings = settings_of(ctx)
    password = _new_password(f"{prefix}0..{prefix}{count - 1}")
    existing = {stored.name for stored in list_accounts(settings)}
    imported = []
    for index, account in enumerate(dev_accounts()[:count]):
        name = f"{prefix}{index}"
        if name in existing:
            continue
        imported.append(save_account(settings, name, bytes(account.key), password))
    console.emit(
        ctx,
        [{"name": s.name, "address": s.address} for s in imported],
        lambda: console.success(
            f"imported {len(imported)} dev accounts"
            + (f" ({imported[0].name}..{imported[-1].name})" if imported else " (all existed)")
        ),
    )


@account_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """List accounts (no password needed).

    Example: microtask account list
    """
    from microtask.chain.wallets import list_accounts

    accounts = list_accounts(settings_of(ctx))

    def render() -> None:
        if not accounts:
            console.info("no accounts yet: `microtask account new NAME` or `account import-dev`")
            return
        from rich.table import Table

        table = Table("name", "address", box=None)
        for stored in accounts:
            table.add_row(stored.name, stored.address)
        console.out.print(table)

    console.emit(ctx, [{"name": s.name, "address": s.address} for s in accounts], render)


@account_app.command("show")
def show_account(ctx: typer.Context, name: NameArg) -> None:
    """Show an account's address and keystore file.

    Example: microtask account show alice
    """
    from microtask.chain.wallets import find_account

    stored = find_account(settings_of(ctx), name)
    console.emit(
        ctx,
        {"name": stored.name, "address": stored.address, "keystore": str(stored.path)},
        lambda: console.out.print(f"{stored.name}  {stored.address}  {stored.path}"),
    )


@account_app.command("balance")
def balance_command(
    ctx: typer.Context,
    name: NameArg,
    network: Annotated[str, typer.Option("--network", "-n")] = "local",
    token: TokensOption = None,
) -> None:
    """Balances in the wallet and in the escrow's ledger.

    Example: microtask account balance alice --token dUSD
    """
    from microtask.chain.wallets import find_account
    from microtask.client import account_balances

    settings = settings_of(ctx)
    stored = find_account(settings, name)
    balances = account_balances(settings, network, stored.address, token)
    rows = [
        {"token": b.token.address, "symbol": b.token.symbol, "wallet": b.wallet}
        | {"escrow_ledger": b.ledger}
        for b in balances
    ]

    def render() -> None:
        from rich.table import Table

        table = Table("token", "wallet", "escrow ledger", box=None)
        for b in balances:
            ledger = "-" if b.ledger is None else b.token.format(b.ledger)
            table.add_row(b.token.symbol, b.token.format(b.wallet), ledger)
        console.out.print(table)

    console.emit(ctx, {"address": stored.address, "balances": rows}, render)


@account_app.command("export")
def export_account(
    ctx: typer.Context,
    name: NameArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write.")],
    private_key: Annotated[
        bool,
        typer.Option(
            "--private-key", help="Write the raw key (file mode 0600) instead of the keystore."
        ),
    ] = False,
) -> None:
    """Export the encrypted keystore, or (after the password) the raw private key, to a file.

    Example: microtask account export alice --out alice.json
    """
    from microtask.chain.wallets import WalletError, find_account, load_account
    from microtask.files import write_atomically

    settings = settings_of(ctx)
    stored = find_account(settings, name)
    if out.exists():
        raise WalletError(f"{out} exists; refusing to overwrite it")
    if private_key:
        account = load_account(settings, name, _password(name))
        write_atomically(out, account.key.hex() + "\n", mode=0o600)
    else:
        write_atomically(out, stored.path.read_text(encoding="utf-8"), mode=0o600)
    console.emit(
        ctx,
        {"name": name, "out": str(out), "private_key": private_key},
        lambda: console.success(
            f"wrote {'the private key' if private_key else 'the keystore'} to {out}"
        ),
    )
