"""Encrypted keystores (eth-account keyfiles) in the data directory, and who signs.

A key is decrypted in this process only, for as long as the command runs; it is never
printed, logged or put into an error message, and neither is its password. eth-account is
imported only to decrypt or encrypt: naming an account's address needs none of it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from eth_utils.address import to_checksum_address

from microtask.errors import UserError
from microtask.files import write_atomically

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from microtask.config import NetworkProfile, Settings

PASSWORD_FILE_ENV = "MICROTASK_PASSWORD_FILE"  # noqa: S105 (a variable name, not a secret)
_ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class WalletError(UserError):
    """A keystore is missing, malformed, or its password is wrong."""


def keystore_dir(settings: Settings) -> Path:
    return settings.data_dir / "keystores"


def keystore_path(settings: Settings, name: str) -> Path:
    if not _ACCOUNT_NAME.match(name):
        raise WalletError(f"invalid account name {name!r}: use letters, digits, _ . - (max 64)")
    return keystore_dir(settings) / f"{name}.json"


def read_password(prompt: Callable[[str], str], message: str) -> str:
    """The password from ``MICROTASK_PASSWORD_FILE`` (for scripts), else from ``prompt``."""
    password_file = os.environ.get(PASSWORD_FILE_ENV)
    if password_file:
        try:
            return Path(password_file).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as error:
            raise WalletError(f"cannot read {PASSWORD_FILE_ENV}: {error.strerror}") from None
    return prompt(message)


def load_account(settings: Settings, name: str, password: str) -> LocalAccount:
    """Decrypt the keystore called ``name``."""
    from eth_account import Account

    path = keystore_path(settings, name)
    try:
        keyfile = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WalletError(f"no account named {name!r} (looked for {path})") from None
    except (OSError, ValueError):
        raise WalletError(f"{path} is not a readable keystore") from None
    try:
        key = Account.decrypt(keyfile, password)
    except ValueError:
        # eth-account says "MAC mismatch"; never echo anything derived from the password
        raise WalletError(f"wrong password for account {name!r}") from None
    account: LocalAccount = Account.from_key(key)
    return account


@dataclass(frozen=True)
class StoredAccount:
    """A keystore on disk: its name and public address (readable without the password)."""

    name: str
    address: str
    path: Path


def save_account(settings: Settings, name: str, private_key: bytes, password: str) -> StoredAccount:
    """Encrypt ``private_key`` with scrypt into a new keystore called ``name``.

    Refuses to overwrite an existing account, and an empty password: a keystore that anyone
    can open is a plaintext key with extra steps.
    """
    from eth_account import Account

    path = keystore_path(settings, name)
    if path.exists():
        raise WalletError(f"an account named {name!r} already exists ({path})")
    if not password:
        raise WalletError("refusing an empty password")
    try:
        account: LocalAccount = Account.from_key(private_key)
    except (ValueError, TypeError):
        raise WalletError("that is not a valid secp256k1 private key") from None
    keyfile = Account.encrypt(account.key, password, kdf="scrypt")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    write_atomically(path, json.dumps(keyfile), mode=0o600)
    return StoredAccount(name, str(account.address), path)


def list_accounts(settings: Settings) -> list[StoredAccount]:
    """Every readable keystore, by name; unreadable files are skipped, not fatal."""
    found = []
    for path in sorted(keystore_dir(settings).glob("*.json")):
        try:
            address = json.loads(path.read_text(encoding="utf-8"))["address"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        found.append(StoredAccount(path.stem, str(to_checksum_address(address)), path))
    return found


def find_account(settings: Settings, name: str) -> StoredAccount:
    path = keystore_path(settings, name)
    for stored in list_accounts(settings):
        if stored.path == path:
            return stored
    raise WalletError(f"no account named {name!r} (see `microtask account list`)")


def parse_private_key(text: str) -> bytes:
    """A private key from hex text (with or without 0x), without echoing it in errors."""
    cleaned = text.strip().removeprefix("0x")
    if len(cleaned) != 64:
        raise WalletError("a private key is 64 hex digits")
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise WalletError("a private key is 64 hex digits") from None


def default_signer(profile: NetworkProfile, network: str) -> LocalAccount:
    """The first development account on local chains; elsewhere an explicit account is needed."""
    from microtask.chain.accounts import dev_accounts

    if profile.kind in ("anvil", "embedded"):
        return dev_accounts()[0]
    raise WalletError(
        f"network {network!r} is not a local testnet: choose who signs with --account NAME"
    )
