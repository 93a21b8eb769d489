"""`microtask account`: keystores created, imported, listed and exported without leaking keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from microtask.chain.accounts import dev_accounts
from microtask.chain.anvil import AnvilProcess
from microtask.cli.app import run
from microtask.cli.exit_codes import ExitCode
from tests.conftest import REPO_ROOT, SHARED_CACHE

PASSWORD = "a long enough passphrase"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MICROTASK_PROJECT_ROOT", str(REPO_ROOT))
    monkeypatch.setenv("MICROTASK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MICROTASK_DEPLOYMENTS_DIR", str(tmp_path / "deployments"))
    monkeypatch.setenv("MICROTASK_CACHE_DIR", str(SHARED_CACHE))
    password = tmp_path / "password"
    password.write_text(PASSWORD + "\n")
    monkeypatch.setenv("MICROTASK_PASSWORD_FILE", str(password))
    return tmp_path


def json_of(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    assert run(["--json", *args]) == ExitCode.OK, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_new_account_is_an_encrypted_keystore(
    cli: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    created = json_of(capsys, "account", "new", "alice")
    assert isinstance(created, dict)
    keystore = Path(created["keystore"])
    assert keystore.stat().st_mode & 0o777 == 0o600
    keyfile = json.loads(keystore.read_text())
    assert keyfile["crypto"]["kdf"] == "scrypt"
    key = Account.decrypt(keyfile, PASSWORD)
    assert Account.from_key(key).address == created["address"]
    assert key.hex() not in keystore.read_text()


def test_list_and_show_need_no_password(
    cli: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    json_of(capsys, "account", "new", "alice")
    json_of(capsys, "account", "import", "bob", "--dev", "2")
    monkeypatch.delenv("MICROTASK_PASSWORD_FILE")
    listed = json_of(capsys, "account", "list")
    assert [a["name"] for a in listed] == ["alice", "bob"]  # type: ignore[union-attr, index]
    shown = json_of(capsys, "account", "show", "bob")
    assert shown["address"] == dev_accounts()[2].address  # type: ignore[index]


def test_import_from_a_key_file_and_stdin(
    cli: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    account = Account.create()
    key_file = cli / "key.txt"
    key_file.write_text("0x" + account.key.hex() + "\n")
    imported = json_of(capsys, "account", "import", "carol", "--key-file", str(key_file))
    assert imported["address"] == account.address  # type: ignore[index]
    other = Account.create()
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(other.key.hex() + "\n"))
    from_stdin = json_of(capsys, "account", "import", "dave", "--key-file", "-")
    assert from_stdin["address"] == other.address  # type: ignore[index]


def test_bad_keys_and_duplicates_are_one_line_errors(
    cli: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secretish = cli / "key.txt"
    secretish.write_text("not-a-key-but-private-looking-text")
    assert run(["account", "import", "eve", "--key-file", str(secretish)]) == ExitCode.USER_ERROR
    err = capsys.readouterr().err
    assert err.strip() == "error: a private key is 64 hex digits"
    assert "private-looking" not in err
    assert run(["account", "new", "eve"]) == ExitCode.OK
    assert run(["account", "new", "eve"]) == ExitCode.USER_ERROR
    assert "already exists" in capsys.readouterr().err
    assert run(["account", "import", "x", "--dev", "1", "--key-file", "-"]) == ExitCode.USER_ERROR


def test_import_dev_imports_the_funded_accounts(
    cli: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    imported = json_of(capsys, "account", "import-dev", "--count", "3")
    assert [a["address"] for a in imported] == [a.address for a in dev_accounts()[:3]]  # type: ignore[union-attr, index]
    again = json_of(capsys, "account", "import-dev", "--count", "3")
    assert again == []


def test_export_keystore_and_private_key(
    cli: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    json_of(capsys, "account", "import", "frank", "--dev", "4")
    keystore_copy = cli / "frank.json"
    json_of(capsys, "account", "export", "frank", "--out", str(keystore_copy))
    assert (
        json.loads(keystore_copy.read_text())["address"].lower()
        == dev_accounts()[4].address[2:].lower()
    )
    raw = cli / "frank.key"
    json_of(capsys, "account", "export", "frank", "--out", str(raw), "--private-key")
    assert raw.read_text().strip() == dev_accounts()[4].key.hex()
    assert raw.stat().st_mode & 0o777 == 0o600
    wrong = cli / "wrong"
    wrong.write_text("not the password\n")
    monkeypatch.setenv("MICROTASK_PASSWORD_FILE", str(wrong))
    assert (
        run(["account", "export", "frank", "--out", str(cli / "x.key"), "--private-key"])
        == ExitCode.USER_ERROR
    )
    err = capsys.readouterr().err
    assert err.strip() == "error: wrong password for account 'frank'"
    assert not (cli / "x.key").exists()


def test_balance_reads_the_chain_and_the_escrow(
    cli: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    anvil_w3: Web3,
    anvil_process: AnvilProcess,
) -> None:
    config = cli / "microtask.toml"
    config.write_text(f'[networks.local]\nkind = "anvil"\nport = {anvil_process.port}\n')
    monkeypatch.setenv("MICROTASK_CONFIG", str(config))
    json_of(capsys, "account", "import", "grace", "--dev", "5")
    before_deploy = json_of(capsys, "account", "balance", "grace")
    assert before_deploy["balances"][0]["escrow_ledger"] is None  # type: ignore[index]
    assert run(["deploy"]) == ExitCode.OK
    capsys.readouterr()
    shown = json_of(capsys, "account", "balance", "grace")
    [eth] = shown["balances"]  # type: ignore[index]
    assert eth["symbol"] == "ETH"
    assert eth["wallet"] == anvil_w3.eth.get_balance(dev_accounts()[5].address)
    assert eth["escrow_ledger"] == 0
