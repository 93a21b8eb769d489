"""Keystores: decrypted only with the right password, which never appears in errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account

from microtask.chain.accounts import dev_accounts
from microtask.chain.wallets import (
    WalletError,
    default_signer,
    keystore_path,
    load_account,
    read_password,
)
from microtask.config import NetworkProfile, Settings

PASSWORD = "correct horse battery staple"


@pytest.fixture
def keystore(settings: Settings) -> Path:
    account = Account.create()
    path = keystore_path(settings, "alice")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(Account.encrypt(account.key, PASSWORD, iterations=2)))
    return path


def test_right_password_decrypts(settings: Settings, keystore: Path) -> None:
    account = load_account(settings, "alice", PASSWORD)
    assert account.address.lower() == "0x" + json.loads(keystore.read_text())["address"].lower()


def test_wrong_password_is_refused_without_echoing_it(settings: Settings, keystore: Path) -> None:
    with pytest.raises(WalletError) as caught:
        load_account(settings, "alice", "hunter2")
    assert str(caught.value) == "wrong password for account 'alice'"
    assert "hunter2" not in repr(caught.value)


def test_missing_and_malformed_keystores(settings: Settings, keystore: Path) -> None:
    with pytest.raises(WalletError, match="no account named 'bob'"):
        load_account(settings, "bob", PASSWORD)
    keystore.write_text("not json")
    with pytest.raises(WalletError, match="not a readable keystore"):
        load_account(settings, "alice", PASSWORD)


def test_account_names_cannot_be_paths(settings: Settings) -> None:
    with pytest.raises(WalletError, match="invalid account name"):
        keystore_path(settings, "../../etc/passwd")


def test_password_file_wins_over_the_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    monkeypatch.setenv("MICROTASK_PASSWORD_FILE", str(secret))

    def prompt(message: str) -> str:
        raise AssertionError("must not prompt when a password file is set")

    assert read_password(prompt, "Password") == PASSWORD


def test_prompt_is_used_without_a_password_file() -> None:
    assert read_password(lambda message: f"typed for {message}", "alice") == "typed for alice"


def test_local_chains_default_to_the_first_dev_account() -> None:
    assert default_signer(NetworkProfile(kind="anvil"), "local") == dev_accounts()[0]
    with pytest.raises(WalletError, match="--account"):
        default_signer(NetworkProfile(kind="rpc", rpc_url="http://127.0.0.1:9"), "remote")
