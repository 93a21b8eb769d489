"""The command line: `microtask mturk keys` against a running gateway (a key made, used by
boto3, revoked), and the AWS CLI's `aws mturk ... --endpoint-url` for a few calls."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from microtask.cli.app import run
from microtask.cli.exit_codes import ExitCode
from tests.mturk.conftest import Turk
from tests.quality.scenario import REQUESTER

PASSWORD = "the requester's passphrase"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code = run(["--json", *args])
    captured = capsys.readouterr()
    assert code == ExitCode.OK, captured.err
    return json.loads(captured.out)


def test_keys_made_listed_and_revoked_from_the_command_line(
    mturk: Turk,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    settings = mturk.served.world.settings
    monkeypatch.setenv("MICROTASK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("MICROTASK_DEPLOYMENTS_DIR", str(settings.deployments_dir))
    (tmp_path / "password").write_text(PASSWORD + "\n")
    (tmp_path / "key").write_text(bytes(REQUESTER.key).hex())
    monkeypatch.setenv("MICROTASK_PASSWORD_FILE", str(tmp_path / "password"))
    cli(capsys, "account", "import", "req", "--key-file", str(tmp_path / "key"))
    made = cli(capsys, "mturk", "keys", "create", "--account", "req")
    key_id, secret = made["access_key_id"], made["secret_access_key"]
    key_file = settings.data_dir / "mturk" / "keys" / f"{REQUESTER.address}.json"
    assert secret not in key_file.read_text()  # stored encrypted
    assert key_file.stat().st_mode & 0o777 == 0o600
    client = mturk.client(aws_access_key_id=key_id, aws_secret_access_key=secret)
    assert client.get_account_balance()["AvailableBalance"]

    monkeypatch.delenv("MICROTASK_PASSWORD_FILE")  # listing and revoking need no password
    listed = cli(capsys, "mturk", "keys", "list", "--account", "req")
    assert {k["access_key_id"]: k["revoked_at"] for k in listed} == {
        mturk.key_id: None,
        key_id: None,
    }
    cli(capsys, "mturk", "keys", "revoke", key_id, "--account", "req")
    with pytest.raises(ClientError) as caught:
        client.get_account_balance()
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert run(["mturk", "keys", "revoke", "MTRKNOSUCHKEY", "--account", "req"]) != ExitCode.OK
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def aws(mturk: Turk, tmp_path: Path, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=mturk.key_id,
        AWS_SECRET_ACCESS_KEY=mturk.secret,
        AWS_CONFIG_FILE=str(tmp_path / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "aws-credentials"),
    )
    done = subprocess.run(
        [sys.executable, "-m", "awscli", "mturk", *args, "--endpoint-url", mturk.url,
         "--region", "us-east-1", "--output", "json"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


def test_the_aws_cli(mturk: Turk, tmp_path: Path) -> None:
    balance = aws(mturk, tmp_path, "get-account-balance")
    assert float(balance["AvailableBalance"]) > 0
    hit_type = aws(
        mturk, tmp_path, "create-hit-type", "--title", "Tag a photo", "--description",
        "Say what it shows.", "--reward", "0.05", "--assignment-duration-in-seconds", "300",
    )["HITTypeId"]  # fmt: skip
    hit = mturk.create_hit(MaxAssignments=1)
    listed = aws(mturk, tmp_path, "list-hits")
    assert [h["HITId"] for h in listed["HITs"]] == [hit["HITId"]]
    assert hit_type.startswith("3HT")
