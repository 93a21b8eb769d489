"""`microtask mturk serve|keys`: a requester's MTurk endpoint, and the access keys boto3
signs its requests with.

`serve` runs one requester's gateway (`microtask.mturk`) on its own port, signing with
that requester's keystore account: custody stays with the requester. The keys commands
manage the account's access keys: ``create`` needs the account's password (each secret is
stored encrypted under the account's key) and shows the secret once; ``list`` and
``revoke`` need none. A revoked key stops working at once, even in a running gateway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from microtask.cli import console
from microtask.cli.context import settings_of
from microtask.cli.options import NetworkOption

if TYPE_CHECKING:
    from microtask.mturk.keys import AccessKeyStore

mturk_app = typer.Typer(
    help="MTurk compatibility: serve a requester's endpoint for boto3; its access keys.",
    no_args_is_help=True,
)
keys_app = typer.Typer(
    help="A requester's access keys for the MTurk endpoint: create, list, revoke.",
    no_args_is_help=True,
)
mturk_app.add_typer(keys_app, name="keys")

RequesterOption = Annotated[
    str, typer.Option("--account", "-a", help="The requester's keystore account.")
]


def _store(ctx: typer.Context, account: str) -> AccessKeyStore:
    from microtask.chain.wallets import find_account
    from microtask.mturk.keys import AccessKeyStore

    settings = settings_of(ctx)
    return AccessKeyStore(settings.data_dir, find_account(settings, account).address)


@keys_app.command("create")
def keys_create(ctx: typer.Context, account: RequesterOption) -> None:
    """Make an access key for the account; its secret is shown this once.

    Example: microtask mturk keys create --account alice
    """
    from microtask.cli.context import signer_for

    store = _store(ctx, account)
    signer = signer_for(settings_of(ctx), "local", account)
    key, secret = store.create(bytes(signer.key))
    document = {"access_key_id": key.access_key_id, "secret_access_key": secret}

    def render() -> None:
        console.out.print(f"AWS_ACCESS_KEY_ID={key.access_key_id}")
        console.out.print(f"AWS_SECRET_ACCESS_KEY={secret}")
        console.info("the secret is shown only now: keep it where your scripts read it")

    console.emit(ctx, document, render)


@keys_app.command("list")
def keys_list(ctx: typer.Context, account: RequesterOption) -> None:
    """List the account's access keys (never their secrets); no password needed.

    Example: microtask mturk keys list --account alice
    """
    keys = _store(ctx, account).list()
    rows = [
        {"access_key_id": k.access_key_id, "created_at": k.created_at, "revoked_at": k.revoked_at}
        for k in keys
    ]

    def render() -> None:
        if not keys:
            console.info("no access keys yet: microtask mturk keys create --account NAME")
        for k in keys:
            state = "active" if k.active else f"revoked at {k.revoked_at}"
            console.out.print(f"{k.access_key_id}  created at {k.created_at}  {state}")

    console.emit(ctx, rows, render)


@keys_app.command("revoke")
def keys_revoke(
    ctx: typer.Context,
    access_key_id: Annotated[str, typer.Argument(help="The access key id to revoke.")],
    account: RequesterOption,
) -> None:
    """Revoke an access key: requests signed with it are refused from now on.

    Example: microtask mturk keys revoke MTRKABCDEFGHIJKLMNOP --account alice
    """
    key = _store(ctx, account).revoke(access_key_id)
    console.emit(
        ctx,
        {"access_key_id": key.access_key_id, "revoked_at": key.revoked_at},
        lambda: console.success(f"access key {key.access_key_id} revoked"),
    )


@mturk_app.command("serve")
def serve_command(
    ctx: typer.Context,
    account: RequesterOption,
    network: NetworkOption = "local",
    host: str | None = typer.Option(
        None, "--host", help="Address to listen on (default: mturk_host, 127.0.0.1)."
    ),
    port: int | None = typer.Option(
        None, "--port", "-p", min=0, max=65535, help="Port (default: mturk_port, 8002)."
    ),
) -> None:
    """Serve the account's MTurk endpoint for boto3 until Ctrl-C; it signs as the account.

    Example: microtask mturk serve --account alice --port 8002
    """
    from microtask.cli.mturk_serve import serve

    serve(ctx, account, network, host, port)
