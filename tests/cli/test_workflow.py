"""Requester, workers and operator doing real work through the CLI, on a real anvil.

Every step is a `microtask` command (run in process); balances are checked on chain to
the wei. The same story runs as separate processes against `microtask up` in
tests/integration.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from microtask.chain.accounts import dev_accounts
from microtask.chain.anvil import AnvilProcess
from microtask.chain.compiler import compile_project
from microtask.chain.devchain import advance_time
from microtask.chain.transactions import TransactionSender
from microtask.cli.app import run
from microtask.cli.exit_codes import ExitCode
from microtask.config import Settings
from microtask.escrow import fee_of
from microtask.manifests.sealing import public_key_of
from tests.conftest import REPO_ROOT, SHARED_CACHE
from tests.world import deploy_test_dollar

PASSWORD = "correct horse battery staple"
REWARD = "1.5"  # of a 6-decimals token
REWARD_UNITS = 1_500_000
FEE_BPS = 100  # the deploy default: 1%
NAMES = {"owner": 0, "requester": 1, "alice": 3, "bob": 4, "carol": 5}


def manifest(items: int) -> dict[str, Any]:
    return {
        "type": "microtask/task-manifest",
        "title": "Sentiment of short reviews",
        "instructions": "Is the review **positive** or **negative**?",
        "kind": "classification",
        "answer_schema": {
            "kind": "classification",
            "labels": [{"id": "pos", "text": "Positive"}, {"id": "neg", "text": "Negative"}],
        },
        "inputs": {
            "source": "inline",
            "items": [{"id": f"r{i}", "data": {"text": f"review {i}"}} for i in range(items)],
        },
        "redundancy": 1,
        "language": "en",
        "time_estimate_seconds": 30,
    }


def answers(item: str, label: str) -> dict[str, Any]:
    return {
        "type": "microtask/submission-answers",
        "answers": [{"item_id": item, "answer": {"kind": "classification", "label": label}}],
    }


class Cli:
    """`microtask` with this test's environment; parses --json output."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def ok(self, *args: str) -> Any:
        code = run(["--json", *args])
        captured = self.capsys.readouterr()
        assert code == ExitCode.OK, captured.err
        return json.loads(captured.out) if captured.out.strip() else None

    def fails(self, *args: str) -> str:
        code = run(list(args))
        captured = self.capsys.readouterr()
        assert code != ExitCode.OK
        lines = [line for line in captured.err.splitlines() if line.strip()]
        assert len(lines) == 1, captured.err
        assert "Traceback" not in captured.err
        return lines[0]


@pytest.fixture
def cli(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    anvil_w3: Web3,
    anvil_process: AnvilProcess,
) -> Cli:
    config = tmp_path / "microtask.toml"
    config.write_text(f'[networks.local]\nkind = "anvil"\nport = {anvil_process.port}\n')
    for name, value in {
        "MICROTASK_CONFIG": config,
        "MICROTASK_PROJECT_ROOT": REPO_ROOT,
        "MICROTASK_DATA_DIR": tmp_path / "data",
        "MICROTASK_DEPLOYMENTS_DIR": tmp_path / "deployments",
        "MICROTASK_CACHE_DIR": SHARED_CACHE,
        "MICROTASK_CONTENT_STORE": "local",
        "MICROTASK_PASSWORD_FILE": tmp_path / "password",
    }.items():
        monkeypatch.setenv(name, str(value))
    (tmp_path / "password").write_text(PASSWORD)
    runner = Cli(capsys)
    runner.ok("deploy")
    for name, index in NAMES.items():
        runner.ok("account", "import", name, "--dev", str(index))
    return runner


@pytest.fixture
def token(cli: Cli, anvil_w3: Web3, tmp_path: Path) -> str:
    """A 6-decimals test stablecoin, with 1,000 units minted to the requester."""
    project = compile_project(Settings(project_root=REPO_ROOT, cache_dir=SHARED_CACHE))
    owner = TransactionSender(anvil_w3, dev_accounts()[0])
    requester = dev_accounts()[1].address
    return str(
        deploy_test_dollar(owner, project, holders=[requester], amount=1_000 * 10**6).address
    )


def wallet(w3: Web3, token: str, who: str) -> int:
    from microtask.chain.erc20 import erc20

    return int(erc20(w3, token).functions.balanceOf(dev_accounts()[NAMES[who]].address).call())


def test_a_task_from_creation_to_everyone_withdrawing(
    cli: Cli, token: str, anvil_w3: Web3, tmp_path: Path
) -> None:
    manifest_file = tmp_path / "manifest.json"
    manifest_file.write_text(json.dumps(manifest(3)))
    created = cli.ok(
        "task", "create", str(manifest_file), "--reward", REWARD, "--token", token,
        "--review", "1h", "--lease", "30m", "--yes", "--account", "requester",
    )  # fmt: skip
    task_id = created["task_id"]
    per_slot = REWARD_UNITS + fee_of(REWARD_UNITS, FEE_BPS)
    assert int(created["escrowed"]) == 3 * per_slot
    assert wallet(anvil_w3, token, "requester") == 1_000 * 10**6 - 3 * per_slot

    shown = cli.ok("work", "show", str(task_id))
    assert shown["manifest"]["title"] == "Sentiment of short reviews"
    assert (
        shown["manifest"]["requester_public_key"]
        == "0x" + public_key_of(bytes(dev_accounts()[1].key)).hex()
    )

    for slot, worker in enumerate(("alice", "bob", "carol")):
        claimed = cli.ok("work", "claim", str(task_id), "--account", worker)
        assert (claimed["slot"], claimed["item_id"]) == (slot, f"r{slot}")
        answer_file = tmp_path / f"{worker}.json"
        answer_file.write_text(json.dumps(answers(f"r{slot}", "pos")))
        cli.ok(
            "work",
            "submit",
            str(task_id),
            str(slot),
            "--answers",
            str(answer_file),
            "--account",
            worker,
        )

    export = tmp_path / "answers.csv"
    seen = cli.ok(
        "task", "submissions", str(task_id), "--export", str(export), "--account", "requester"
    )
    assert [(a["slot"], a["item_id"], a["answer"]["label"]) for a in seen["answers"]] == [
        (0, "r0", "pos"),
        (1, "r1", "pos"),
        (2, "r2", "pos"),
    ]
    assert (
        export.read_text().splitlines()[0] == "slot,worker,item_id,label,envelope_cid,submitted_at"
    )
    assert len(export.read_text().splitlines()) == 4
    # only the requester (and a verifier) can read them
    not_theirs = cli.fails("task", "submissions", str(task_id), "--account", "bob")
    assert not_theirs.startswith("error: ")
    assert "cannot open this submission" in not_theirs
    cli.ok("task", "approve", str(task_id), "0", "1", "--account", "requester")
    rejected = cli.ok(
        "task", "reject", str(task_id), "2", "--reason", "incorrect", "--detail", "it is negative",
        "--account", "requester",
    )  # fmt: skip
    assert rejected["rejected"] == [2]
    cli.ok("work", "dispute", str(task_id), "2", "--reason", "read it again", "--account", "carol")
    cli.ok("operator", "rule", str(task_id), "2", "--pay", "--account", "owner")

    # a second task nobody reviews: its worker collects after the review period
    second = cli.ok(
        "task", "create", str(manifest_file), "--reward", REWARD, "--token", token, "--slots", "1",
        "--review", "1h", "--yes", "--account", "requester",
    )["task_id"]  # fmt: skip
    cli.ok("work", "claim", str(second), "--account", "alice")
    answer_file = tmp_path / "alice2.json"
    answer_file.write_text(json.dumps(answers("r0", "neg")))
    cli.ok("work", "submit", str(second), "0", "--answers", str(answer_file), "--account", "alice")
    early = cli.fails("work", "finalize", str(second), "0", "--account", "alice")
    assert early.startswith("error: reverted with NothingToFinalize(")
    advance_time(anvil_w3, 3601)
    cli.ok("work", "finalize", str(second), "0", "--account", "alice")

    earned = cli.ok("work", "earnings", "--token", token, "--account", "alice")
    [_, in_token] = earned["tokens"]
    assert (int(in_token["balance"]), in_token["approved"]) == (2 * REWARD_UNITS, 2)

    for worker, tasks in (("alice", 2), ("bob", 1), ("carol", 1)):
        cli.ok("work", "withdraw", "--token", token, "--account", worker)
        assert wallet(anvil_w3, token, worker) == tasks * REWARD_UNITS
    cli.ok(
        "operator",
        "withdraw-fees",
        "--token",
        token,
        "--to",
        dev_accounts()[7].address,
        "--account",
        "owner",
    )
    from microtask.chain.erc20 import erc20

    treasury_got = erc20(anvil_w3, token).functions.balanceOf(dev_accounts()[7].address).call()
    assert treasury_got == 4 * fee_of(REWARD_UNITS, FEE_BPS)
    nothing = cli.fails("task", "refund", "--token", token, "--account", "requester")
    assert nothing == "error: nothing to refund: your escrow balance in TUSD is 0"


def test_refusals_are_one_line_and_change_nothing(
    cli: Cli, token: str, anvil_w3: Web3, tmp_path: Path
) -> None:
    manifest_file = tmp_path / "manifest.json"
    manifest_file.write_text(json.dumps(manifest(1)))
    task_id = cli.ok(
        "task", "create", str(manifest_file), "--reward", "0.01", "--lease", "10m", "--yes",
        "--account", "requester",
    )["task_id"]  # fmt: skip
    height = anvil_w3.eth.block_number

    refused = cli.fails("operator", "pause", "--account", "bob")
    assert refused.startswith("error: reverted with OwnableUnauthorizedAccount(account=0x")
    refused = cli.fails(
        "operator", "set-minimum-fee", "0.05", "--token", token, "--account", "bob"
    )  # fmt: skip
    assert refused.startswith("error: reverted with OwnableUnauthorizedAccount(account=0x")
    too_precise = cli.fails(
        "operator", "set-minimum-fee", "0.0000001", "--token", token, "--account", "owner"
    )  # fmt: skip
    assert too_precise.startswith("error: ")  # one line (cli.fails), before any transaction
    (tmp_path / "password").write_text("wrong")
    assert cli.fails("work", "claim", str(task_id), "--account", "bob") == (
        "error: wrong password for account 'bob'"
    )
    (tmp_path / "password").write_text(PASSWORD)
    assert cli.fails("work", "claim", str(task_id), "--network", "mainnet").startswith(
        "error: unknown network 'mainnet'"
    )
    poor = cli.fails(
        "task", "create", str(manifest_file), "--reward", "2000", "--token", token, "--yes",
        "--account", "requester",
    )  # fmt: skip
    assert poor.startswith("error: not enough TUSD: the task needs 2020 TUSD, you have 1000 TUSD")
    assert anvil_w3.eth.block_number == height  # nothing was sent, not even an approve

    cli.ok("work", "claim", str(task_id), "--account", "bob")
    full = cli.fails("work", "claim", str(task_id), "--account", "carol")
    assert full == f"error: task {task_id} has no open slot to claim (looked at slots up to 0)"
    advance_time(anvil_w3, 601)
    answer_file = tmp_path / "late.json"
    answer_file.write_text(json.dumps(answers("r0", "pos")))
    late = cli.fails(
        "work", "submit", str(task_id), "0", "--answers", str(answer_file), "--account", "bob"
    )
    assert late.startswith("error: reverted with LeaseExpired(")


def test_the_owner_sets_a_minimum_fee_that_new_tasks_pay(
    cli: Cli, token: str, anvil_w3: Web3, tmp_path: Path
) -> None:
    set_to = cli.ok("operator", "set-minimum-fee", "0.05", "--token", token, "--account", "owner")
    assert set_to["minimum_fee"] == "50000"
    manifest_file = tmp_path / "manifest.json"
    manifest_file.write_text(json.dumps(manifest(1)))
    before = wallet(anvil_w3, token, "requester")
    cli.ok(
        "task", "create", str(manifest_file), "--reward", "0.01", "--token", token, "--yes",
        "--account", "requester",
    )  # fmt: skip
    # 1% of 0.01 would be 0.0001; the fee per slot is the minimum instead
    assert before - wallet(anvil_w3, token, "requester") == 10_000 + 50_000
