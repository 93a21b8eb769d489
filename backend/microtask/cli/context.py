"""What every command needs: the settings, and who signs.

Imports what it uses when called, so that the CLI starts without loading pydantic-settings
or eth-account (``microtask --help`` loads neither).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from microtask.config import Settings


def load_settings() -> Settings:
    """The settings, with a malformed environment or config file reported as one line."""
    from pydantic import ValidationError

    from microtask.config import Settings
    from microtask.errors import ConfigurationError

    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise ConfigurationError(f"invalid settings: {problems}") from None


def settings_of(ctx: typer.Context) -> Settings:
    from microtask.config import Settings

    settings = ctx.obj
    if not isinstance(settings, Settings):
        settings = load_settings()
        ctx.obj = settings
    return settings


def signer_for(settings: Settings, network: str, account: str | None) -> LocalAccount:
    """The keystore account ``account``, or the development account on a local chain."""
    from microtask.chain.wallets import default_signer, load_account, read_password

    if account is None:
        return default_signer(settings.network(network), network)

    def prompt(message: str) -> str:
        return str(typer.prompt(message, hide_input=True))

    password = read_password(prompt, f"Password for {account}")
    return load_account(settings, account, password)
