"""The whole platform as a user meets it: `microtask up --demo` in one process, and every
action a separate `microtask` command, exactly as typed at a shell.

A requester funds an ERC-20 task of 3 slots; three workers claim and submit encrypted
answers; the requester approves two and rejects one; that worker disputes and the
operator rules for them; a second task is left unreviewed and its worker collects after
the review period (anvil's clock moved); everyone withdraws. Every balance is checked on
chain to the wei, and what the API shows is checked along the way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from web3 import Web3

from microtask.chain.accounts import dev_accounts
from microtask.chain.erc20 import erc20
from microtask.chain.networks import connect_url
from microtask.escrow import fee_of
from tests.conftest import REPO_ROOT, SHARED_CACHE
from tests.integration.test_up import READY, UpProcess, _rpc_url
from tests.integration.test_up_api import _api_url

PASSWORD = "an end-to-end passphrase"
REWARD = 2_000_000  # 2 dUSD
FEE_BPS = 100
PER_SLOT = REWARD + fee_of(REWARD, FEE_BPS)
WAIT_SECONDS = 30.0
ACCOUNTS = {"owner": 0, "requester": 1, "alice": 3, "bob": 4, "carol": 5}


class Shell:
    """Runs `microtask` the way a user does: a new process per command."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "microtask", *args],
            env=self.env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    def ok(self, *args: str) -> Any:
        done = self.run("--json", *args)
        assert done.returncode == 0, f"microtask {' '.join(args)}:\n{done.stderr}"
        return json.loads(done.stdout) if done.stdout.strip() else None

    def fails(self, *args: str) -> tuple[int, str]:
        done = self.run(*args)
        assert done.returncode != 0, done.stdout
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, done.stderr
        assert "Traceback" not in done.stderr
        return done.returncode, lines[0]


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[tuple[Shell, Web3, str]]:
    """`microtask up --demo` running; a shell configured to reach it."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("MICROTASK_")}
    base.update(
        MICROTASK_DATA_DIR=str(tmp_path / "data"),
        MICROTASK_DEPLOYMENTS_DIR=str(tmp_path / "deployments"),
        MICROTASK_CACHE_DIR=str(SHARED_CACHE),
        MICROTASK_CONTENT_STORE="local",
        MICROTASK_CONFIG=str(tmp_path / "absent.toml"),
        COLUMNS="200",
    )
    up = UpProcess(base, "--demo")
    try:
        lines = up.wait_for(READY)
        rpc_url, api_url = _rpc_url(lines), _api_url(lines)
        config = tmp_path / "microtask.toml"
        port = rpc_url.rsplit(":", 1)[1]
        config.write_text(f'[networks.local]\nkind = "anvil"\nport = {port}\n')
        (tmp_path / "password").write_text(PASSWORD)
        env = dict(
            base,
            MICROTASK_CONFIG=str(config),
            MICROTASK_API_URL=api_url,
            MICROTASK_PASSWORD_FILE=str(tmp_path / "password"),
        )
        yield Shell(env), connect_url(rpc_url), api_url
        assert up.interrupt() == 0
    finally:
        up.kill()


def until(api: str, path: str, ready: Any, **params: Any) -> Any:
    """GET ``path`` until ``ready(body)``: the indexer lands each block within a poll."""
    deadline = time.monotonic() + WAIT_SECONDS
    with httpx.Client(base_url=api, timeout=10) as client:
        while True:
            body = client.get(path, params=params).json()
            if ready(body):
                return body
            assert time.monotonic() < deadline, f"{path} never became ready: {body}"
            time.sleep(0.1)


def test_a_marketplace_day_through_the_cli(
    platform: tuple[Shell, Web3, str], tmp_path: Path
) -> None:
    shell, w3, api = platform
    for name, index in ACCOUNTS.items():
        shell.ok("account", "import", name, "--dev", str(index))
    token = json.loads((tmp_path / "deployments" / "local" / "MockERC20.json").read_text())[
        "address"
    ]
    coin = erc20(w3, token)

    def wallet(name: str) -> int:
        return int(coin.functions.balanceOf(dev_accounts()[ACCOUNTS[name]].address).call())

    start = {name: wallet(name) for name in ACCOUNTS}
    demo_tasks = until(api, "/tasks", lambda b: b["count"] == 3, status="all")["count"]
    assert demo_tasks == 3

    # a worker sees the demo tasks, best paid first, with their manifests resolved
    open_tasks = shell.ok("work", "tasks", "--account", "alice")
    rewards = [int(t["reward"]) for t in open_tasks["data"]]
    assert rewards == sorted(rewards, reverse=True)

    manifest = tmp_path / "task.json"
    manifest.write_text(
        json.dumps(
            {
                "type": "microtask/task-manifest",
                "title": "Does the caption match the photo?",
                "instructions": "Answer **valid** if the caption describes the photo.",
                "kind": "data_check",
                "answer_schema": {"kind": "data_check", "fields": ["caption"]},
                "inputs": {
                    "source": "inline",
                    "items": [
                        {"id": f"pair-{i}", "data": {"caption": f"caption {i}"}} for i in range(3)
                    ],
                },
                "redundancy": 1,
                "time_estimate_seconds": 15,
            }
        )
    )
    created = shell.ok(
        "task", "create", str(manifest), "--reward", "2", "--token", token, "--review", "1h",
        "--yes", "--account", "requester",
    )  # fmt: skip
    task_id = created["task_id"]
    assert wallet("requester") == start["requester"] - 3 * PER_SLOT
    shown = until(api, f"/tasks/{task_id}", lambda b: b.get("manifest", {}).get("status") == "ok")
    assert (shown["escrow"], shown["available_slots"]) == (str(3 * PER_SLOT), 3)
    assert shown["manifest"]["title"] == "Does the caption match the photo?"

    for slot, worker in enumerate(("alice", "bob", "carol")):
        claimed = shell.ok("work", "claim", str(task_id), "--account", worker)
        assert (claimed["slot"], claimed["item_id"]) == (slot, f"pair-{slot}")
        answers = tmp_path / f"{worker}.json"
        answers.write_text(
            json.dumps(
                {
                    "type": "microtask/submission-answers",
                    "answers": [
                        {
                            "item_id": f"pair-{slot}",
                            "answer": {"kind": "data_check", "verdict": "valid"},
                        }
                    ],
                }
            )
        )
        shell.ok(
            "work",
            "submit",
            str(task_id),
            str(slot),
            "--answers",
            str(answers),
            "--account",
            worker,
        )
    until(api, f"/tasks/{task_id}", lambda b: b["slot_states"].get("submitted") == 3)
    read = shell.ok("task", "submissions", str(task_id), "--account", "requester")
    assert {a["answer"]["verdict"] for a in read["answers"]} == {"valid"}

    shell.ok("task", "approve", str(task_id), "0", "1", "--account", "requester")
    shell.ok("task", "reject", str(task_id), "2", "--reason", "incorrect", "--account", "requester")
    shell.ok(
        "work", "dispute", str(task_id), "2", "--reason", "the caption fits", "--account", "carol"
    )
    shell.ok("operator", "rule", str(task_id), "2", "--pay", "--account", "owner")
    settled = until(api, f"/tasks/{task_id}", lambda b: b["approved_slots"] == 3)
    assert (settled["escrow"], settled["paid"]) == ("0", str(3 * REWARD))
    carol = until(api, f"/workers/{dev_accounts()[5].address}", lambda b: bool(b["records"]))
    [record] = [r for r in carol["records"] if r["token"] == token]
    assert (record["approved"], record["disputes_won"], record["balance"]) == (1, 1, str(REWARD))

    # a second task left unreviewed: its worker collects after the review period
    second = shell.ok(
        "task", "create", str(manifest), "--reward", "2", "--token", token, "--slots", "1",
        "--review", "1h", "--yes", "--account", "requester",
    )["task_id"]  # fmt: skip
    shell.ok("work", "claim", str(second), "--account", "alice")
    answers = tmp_path / "alice2.json"
    answers.write_text(
        json.dumps(
            {
                "type": "microtask/submission-answers",
                "answers": [
                    {"item_id": "pair-0", "answer": {"kind": "data_check", "verdict": "invalid"}}
                ],
            }
        )
    )
    shell.ok("work", "submit", str(second), "0", "--answers", str(answers), "--account", "alice")
    code, early = shell.fails("work", "finalize", str(second), "0", "--account", "alice")
    assert (code, early.startswith("error: reverted with NothingToFinalize(")) == (1, True)
    w3.provider.make_request("evm_increaseTime", [3601])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    shell.ok("work", "finalize", str(second), "0", "--account", "alice")

    for worker in ("alice", "bob", "carol"):
        shell.ok("work", "withdraw", "--token", token, "--account", worker)
    treasury = shell.ok("operator", "withdraw-fees", "--token", token, "--account", "owner")
    assert int(treasury["amount"]) == 4 * fee_of(REWARD, FEE_BPS)

    assert wallet("alice") - start["alice"] == 2 * REWARD
    assert wallet("bob") - start["bob"] == REWARD
    assert wallet("carol") - start["carol"] == REWARD
    assert wallet("owner") - start["owner"] == 4 * fee_of(REWARD, FEE_BPS)
    assert wallet("requester") == start["requester"] - 4 * PER_SLOT
    alice = until(
        api,
        f"/workers/{dev_accounts()[3].address}",
        lambda b: any(
            r["token"] == token and r["withdrawn"] == str(2 * REWARD) for r in b["records"]
        ),
    )
    [alice_record] = [r for r in alice["records"] if r["token"] == token]
    assert (alice_record["approved"], alice_record["balance"]) == (2, "0")

    # refusals: one readable line, a non-zero exit, nothing on chain
    height = w3.eth.block_number
    assert shell.fails("operator", "pause", "--account", "bob")[1].startswith(
        "error: reverted with OwnableUnauthorizedAccount("
    )
    assert shell.fails("work", "claim", str(second), "--account", "bob")[1].startswith(
        "error: task "
    )
    assert shell.fails("task", "list", "--network", "nowhere")[1].startswith(
        "error: unknown network"
    )
    assert w3.eth.block_number == height
