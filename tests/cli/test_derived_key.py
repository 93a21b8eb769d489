"""A requester whose tasks name the key derived from their wallet (as the web app does)
reads the work through the CLI: the key comes from the web app's export file or is
derived from the same account here, and ``--reading-key`` opens the submissions."""

from __future__ import annotations

import json
from pathlib import Path

from web3 import Web3

from microtask.chain.accounts import dev_accounts
from microtask.chain.deployments import DeploymentStore
from microtask.client.requester_key import derive_with_account, key_export
from tests.cli.test_workflow import REWARD, Cli, answers, manifest
from tests.cli.test_workflow import cli as cli  # the fixtures, re-exported
from tests.cli.test_workflow import token as token


def test_the_web_apps_key_reads_the_requesters_work_in_the_cli(
    cli: Cli, token: str, anvil_w3: Web3, tmp_path: Path
) -> None:
    record = DeploymentStore(tmp_path / "deployments", "local").find_escrow()
    assert record is not None
    escrow = record.address
    requester = dev_accounts()[1]
    browser = derive_with_account(requester, chain_id=anvil_w3.eth.chain_id, escrow=escrow)

    derived = cli.ok("account", "derived-key", "--account", "requester", "--save", "mine")
    assert derived["public_key"] == browser.public_key
    assert derived["reading_address"] == browser.address != requester.address
    assert derived["account"] == requester.address

    export = tmp_path / "microtask-key.json"
    export.write_text(key_export(browser))
    imported = cli.ok("account", "import-derived", "from-browser", "--key-file", str(export))
    assert imported["reading_address"] == browser.address
    assert cli.ok("account", "show", "from-browser")["address"] == browser.address
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**json.loads(key_export(browser)), "account": escrow}))
    refused = cli.fails("account", "import-derived", "stolen", "--key-file", str(forged))
    assert refused.startswith("error: ")
    assert "signature is not" in refused

    document = {**manifest(1), "requester_public_key": browser.public_key}
    manifest_file = tmp_path / "manifest.json"
    manifest_file.write_text(json.dumps(document))
    task_id = cli.ok(
        "task", "create", str(manifest_file), "--reward", REWARD, "--token", token,
        "--yes", "--account", "requester",
    )["task_id"]  # fmt: skip
    cli.ok("work", "claim", str(task_id), "--account", "alice")
    answer_file = tmp_path / "alice.json"
    answer_file.write_text(json.dumps(answers("r0", "neg")))
    cli.ok("work", "submit", str(task_id), "0", "--answers", str(answer_file), "--account", "alice")

    for key_name in ("mine", "from-browser"):
        seen = cli.ok(
            "task", "submissions", str(task_id), "--account", "requester",
            "--reading-key", key_name,
        )  # fmt: skip
        assert [(a["item_id"], a["answer"]["label"]) for a in seen["answers"]] == [("r0", "neg")]
    # the account's own key is not what this task's work is sealed to
    not_this_key = cli.fails("task", "submissions", str(task_id), "--account", "requester")
    assert "cannot open this submission" in not_this_key
