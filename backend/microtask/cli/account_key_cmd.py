"""`microtask account import-derived|derived-key`: the reading key the web app derives.

Registered on the ``account`` group (`account_cmd.account_app`). A requester who posts in
the browser reads submissions with a key derived from one signature of their wallet
(`client.requester_key`). These commands bring that key to the CLI, checked: from the
web app's export file, or derived here from a keystore account exactly as the browser
does (the same wallet key signs the same way, RFC 6979), stored as an encrypted keystore
that ``task submissions|results --reading-key NAME`` unlocks.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from microtask.cli import console
from microtask.cli.account_cmd import NameArg, _new_password, account_app
from microtask.cli.context import settings_of
from microtask.cli.options import AccountOption, NetworkOption

if TYPE_CHECKING:
    from microtask.client.requester_key import DerivedKey


def _show(ctx: typer.Context, key: DerivedKey, name: str | None, keystore: str | None) -> None:
    document = {
        "account": key.account,
        "chain_id": key.chain_id,
        "escrow": key.escrow,
        "reading_address": key.address,
        "public_key": key.public_key,
    } | ({"name": name, "keystore": keystore} if name else {})
    stored = f"; stored as {name} ({keystore})" if name else ""
    console.emit(
        ctx,
        document,
        lambda: console.success(
            f"{key.account}'s reading key on chain {key.chain_id}: address {key.address}, "
            f"public key {key.public_key}{stored}"
        ),
    )


@account_app.command("import-derived")
def import_derived(
    ctx: typer.Context,
    name: NameArg,
    key_file: Annotated[
        Path,
        typer.Option("--key-file", help="The web app's key export (JSON); '-' reads stdin."),
    ],
) -> None:
    """Import the reading key the web app derived from your wallet (its export file),
    once its signature checks out, as an encrypted account for --reading-key.

    Example: microtask account import-derived alice-key --key-file microtask-key-0x7099.json
    """
    from microtask.chain.wallets import WalletError, save_account
    from microtask.client.requester_key import parse_key_export

    if str(key_file) == "-":
        text = sys.stdin.read()
    else:
        try:
            text = key_file.read_text(encoding="utf-8")
        except OSError as error:
            raise WalletError(f"cannot read {key_file}: {error.strerror}") from None
    key = parse_key_export(text)
    stored = save_account(settings_of(ctx), name, key.private_key, _new_password(name))
    _show(ctx, key, stored.name, str(stored.path))


@account_app.command("derived-key")
def derived_key(
    ctx: typer.Context,
    network: NetworkOption = "local",
    account: AccountOption = None,
    save: Annotated[
        str | None, typer.Option("--save", help="Also store the key as account NAME.")
    ] = None,
) -> None:
    """Derive your reading key from --account as the web app derives it from your wallet
    (same key, same signature): show its public key, or --save it for --reading-key.

    Example: microtask account derived-key --account alice --save alice-key
    """
    from microtask.chain.wallets import save_account
    from microtask.cli.context import signer_for
    from microtask.cli.session import platform
    from microtask.client.requester_key import derive_with_account

    settings = settings_of(ctx)
    signer = signer_for(settings, network, account)
    with platform(ctx, network) as opened:
        key = derive_with_account(signer, chain_id=opened.chain_id, escrow=opened.escrow_address)
    if save is None:
        _show(ctx, key, None, None)
        return
    stored = save_account(settings, save, key.private_key, _new_password(save))
    _show(ctx, key, stored.name, str(stored.path))
