"""The one way a command builds the client library from its options.

``--network`` and ``--account`` become a `Platform` (the network's escrow, content store
and API) and a party on it: with the account's key unlocked (a password prompt, or
``MICROTASK_PASSWORD_FILE``) for commands that sign, or with the account's address only
(no password) for commands that read. Errors (unknown network, missing deployment, wrong
password) read the same everywhere. The library is imported when a command runs, never
when the CLI starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from microtask.cli import console
from microtask.cli.context import settings_of

if TYPE_CHECKING:
    from microtask.client import Party, Platform

P = TypeVar("P", bound="Party")


@contextmanager
def platform(ctx: typer.Context, network: str) -> Iterator[Platform]:
    """The network's platform, for commands that only read."""
    from microtask.client import Platform

    with Platform.open(settings_of(ctx), network) as opened:
        yield opened


@contextmanager
def party(
    ctx: typer.Context,
    kind: type[P],
    network: str,
    account: str | None,
    *,
    signs: bool = True,
    **extra: Any,
) -> Iterator[P]:
    """``kind`` (`Requester`, `Worker`, `Operator`) acting as ``--account`` (on a local chain
    the default is dev account 0): unlocked when it ``signs``, else by address only.
    ``extra`` goes to ``kind`` (a requester's ``reading_key``)."""
    from microtask.client import Platform

    settings = settings_of(ctx)
    if signs:
        from microtask.cli.context import signer_for

        signer = signer_for(settings, network, account)
        with Platform.open(settings, network) as opened:
            yield kind(opened, signer, **extra)
        return
    with Platform.open(settings, network) as opened:
        yield kind(opened, address=address_of(ctx, network, account), **extra)


def reading_key(ctx: typer.Context, name: str | None) -> bytes | None:
    """The private key in keystore ``name`` (``--reading-key``; a password prompt), or None."""
    if name is None:
        return None
    from microtask.chain.wallets import load_account, read_password

    def prompt(message: str) -> str:
        return str(typer.prompt(message, hide_input=True))

    password = read_password(prompt, f"Password for {name}")
    return bytes(load_account(settings_of(ctx), name, password).key)


def address_of(ctx: typer.Context, network: str, account: str | None) -> str:
    """The address of ``--account`` (no password needed), or dev account 0 locally."""
    from microtask.chain.wallets import default_signer, find_account

    settings = settings_of(ctx)
    if account is not None:
        return find_account(settings, account).address
    return str(default_signer(settings.network(network), network).address)


@contextmanager
def waiting(ctx: typer.Context, message: str) -> Iterator[None]:
    """A spinner on stderr while a transaction is mined (not in --json mode or a pipe)."""
    if console.json_mode(ctx) or not console.err.is_terminal:
        yield
        return
    with console.err.status(message):
        yield
