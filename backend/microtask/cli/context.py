"""What every command needs: the settings, and who signs."""

from __future__ import annotations

import typer
from eth_account.signers.local import LocalAccount
from pydantic import ValidationError

from microtask.chain.wallets import default_signer, load_account, read_password
from microtask.config import Settings
from microtask.errors import ConfigurationError


def load_settings() -> Settings:
    """The settings, with a malformed environment or config file reported as one line."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise ConfigurationError(f"invalid settings: {problems}") from None


def settings_of(ctx: typer.Context) -> Settings:
    settings = ctx.obj
    if not isinstance(settings, Settings):
        settings = load_settings()
        ctx.obj = settings
    return settings


def signer_for(settings: Settings, network: str, account: str | None) -> LocalAccount:
    """The keystore account ``account``, or the development account on a local chain."""
    if account is None:
        return default_signer(settings.network(network), network)

    def prompt(message: str) -> str:
        return str(typer.prompt(message, hide_input=True))

    password = read_password(prompt, f"Password for {account}")
    return load_account(settings, account, password)
