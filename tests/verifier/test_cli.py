"""The gasless path through the `microtask` command, as the README walks it.

A real API with the verifier's routes listens on 127.0.0.1 (uvicorn, in a thread), over
the platform's index and verifier; every step is a `microtask` command run in process:
the requester creates a task with ``--gasless``, three workers do it without gas, the
requester has it assessed and reads the results; the rejected worker reads why, the good
ones see their profile and the leaderboard; a receipt the verifier never settles is
enforced on chain; a blocked worker is refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from microtask.api import create_app
from microtask.api.app import attach_verifier
from microtask.api.server import ApiServer
from microtask.chain.accounts import dev_accounts
from microtask.chain.anvil import AnvilProcess
from microtask.chain.devchain import advance_time, latest_timestamp
from microtask.cli.app import run
from microtask.cli.exit_codes import ExitCode
from tests.conftest import REPO_ROOT, SHARED_CACHE
from tests.verifier.conftest import REVIEW, Platform

PASSWORD = "gasless all the way"
NAMES = {"requester": 1, "alice": 3, "bob": 4, "carol": 5}
TRUTH = {"r0": "pos", "r1": "neg", "r2": "pos", "r3": "neg"}
WRONG = {"pos": "neg", "neg": "pos"}


class Cli:
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
        assert code != ExitCode.OK, captured.out
        lines = [line for line in captured.err.splitlines() if line.strip()]
        assert len(lines) == 1, captured.err
        return lines[0]


def account(name: str) -> LocalAccount:
    return dev_accounts()[NAMES[name]]


@pytest.fixture
def cli(
    platform: Platform,
    anvil_process: AnvilProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Cli]:
    app = create_app(platform.settings, network="local", content=platform.store, with_verifier=True)
    attach_verifier(app, platform.verifier)
    server = ApiServer(app, "127.0.0.1", 0)
    server.start()
    config = tmp_path / "microtask.toml"
    config.write_text(f'[networks.local]\nkind = "anvil"\nport = {anvil_process.port}\n')
    (tmp_path / "password").write_text(PASSWORD)
    for name, value in {
        "MICROTASK_CONFIG": config,
        "MICROTASK_PROJECT_ROOT": REPO_ROOT,
        "MICROTASK_DATA_DIR": platform.settings.data_dir,
        "MICROTASK_DEPLOYMENTS_DIR": platform.settings.deployments_dir,
        "MICROTASK_CACHE_DIR": SHARED_CACHE,
        "MICROTASK_CONTENT_STORE": "local",
        "MICROTASK_PASSWORD_FILE": tmp_path / "password",
        "MICROTASK_API_URL": server.url,
    }.items():
        monkeypatch.setenv(name, str(value))
    runner = Cli(capsys)
    for name, index in NAMES.items():
        runner.ok("account", "import", name, "--dev", str(index))
    platform.owner.transact(platform.token.functions.mint(account("requester").address, 10**12))
    try:
        yield runner
    finally:
        server.stop()


def manifest(tmp_path: Path, platform: Platform, *, gold: bool = True) -> Path:
    from microtask.manifests.answers import ClassificationAnswer
    from microtask.manifests.gold import seal_gold_answer

    data: dict[str, Any] = {
        "type": "microtask/task-manifest",
        "title": "Positive or negative?",
        "instructions": "Is the review **positive** or **negative**?",
        "kind": "classification",
        "answer_schema": {
            "kind": "classification",
            "labels": [{"id": "pos", "text": "Positive"}, {"id": "neg", "text": "Negative"}],
        },
        "inputs": {
            "source": "inline",
            "items": [{"id": item, "data": {"text": f"review {item}"}} for item in TRUTH],
        },
        "redundancy": 3,
        "time_estimate_seconds": 1,
    }
    if gold:  # sealed to the verifier, whose key --gasless puts in the manifest
        key = platform.verifier.public_key
        data["gold"] = {
            "scheme": "encrypted",
            "items": [
                {
                    "item_id": item,
                    "sealed_answer": __import__("base64")
                    .b64encode(seal_gold_answer(ClassificationAnswer(label=TRUTH[item]), key))
                    .decode(),
                }
                for item in ("r0", "r1")
            ],
        }
    path = tmp_path / f"manifest-{'gold' if gold else 'plain'}.json"
    path.write_text(json.dumps(data))
    return path


def answers(tmp_path: Path, name: str, labels: dict[str, str]) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(
        json.dumps(
            {
                "type": "microtask/submission-answers",
                "answers": [
                    {"item_id": item, "answer": {"kind": "classification", "label": label}}
                    for item, label in labels.items()
                ],
            }
        )
    )
    return path


def create(cli: Cli, platform: Platform, path: Path) -> int:
    created = cli.ok(
        "task", "create", str(path), "--reward", "0.5", "--token", platform.token.address,
        "--review", "1d", "--gasless", "--yes", "--account", "requester",
    )  # fmt: skip
    platform.sync()
    return int(created["task_id"])


def test_a_task_done_entirely_without_gas(cli: Cli, platform: Platform, tmp_path: Path) -> None:
    task_id = create(cli, platform, manifest(tmp_path, platform))
    terms = platform.client(account("requester")).task(task_id)
    assert (terms.receipt_slots, terms.slot_count, terms.verifier) == (
        12,
        12,
        platform.verifier.address,
    )
    # answers come from a script here, in no time: the requester's rule does not count that
    rule = tmp_path / "rule.json"
    rule.write_text(json.dumps({"timing": {"action": "ignore"}}))
    cli.ok("task", "policy", str(task_id), "--rule", str(rule), "--account", "requester")
    honest = answers(tmp_path, "honest", TRUTH)
    careless = answers(tmp_path, "careless", {item: WRONG[label] for item, label in TRUTH.items()})
    before = {name: platform.w3.eth.get_balance(account(name).address) for name in NAMES}
    for name, file in (("alice", honest), ("bob", honest), ("carol", careless)):
        done = cli.ok(
            "work", "claim", str(task_id), "--gasless", "--answers", str(file), "--count", "4",
            "--account", name,
        )  # fmt: skip
        assert sorted(s["item_id"] for s in done["slots"]) == sorted(TRUTH)
    for name in ("alice", "bob", "carol"):  # not a wei of gas
        assert platform.w3.eth.get_balance(account(name).address) == before[name]
    kept = cli.ok("work", "receipts", "--task", str(task_id), "--account", "alice")
    assert len(kept["slots"]) == 4
    assert all(s["receipt"] and s["on_chain"] == "open" for s in kept["slots"])

    platform.sync()
    report = cli.ok("task", "assess", str(task_id), "--account", "requester")
    assert report["outcomes"] == {"approve": 8, "reject": 4}
    assert report["settled"]["approved"] == 8
    results = cli.ok(
        "task", "results", str(task_id), "--export", str(tmp_path / "out.csv"),
        "--account", "requester",
    )  # fmt: skip
    assert {row["item_id"]: row["value"] for row in results["rows"]} == TRUTH
    assert (tmp_path / "out.csv").read_text().splitlines()[0].startswith("item_id,value")
    outsider = cli.fails("task", "results", str(task_id), "--account", "bob")
    assert "cannot open this result set" in outsider

    platform.sync()
    reviews = cli.ok("work", "reviews", str(task_id), "--account", "carol")["reviews"]
    assert len(reviews) == 4
    assert all("gold_failed" in {r["code"] for r in review["reasons"]} for review in reviews)
    assert cli.ok("work", "reviews", str(task_id), "--account", "alice")["reviews"] == []
    profile = cli.ok("work", "profile", "--account", "alice")
    assert [badge["id"] for badge in profile["badges"]] == ["first-approved"]
    assert profile["scores"]["overall"]["gold_items"] == 2
    assert profile["scores"]["by_kind"][0]["kind"] == "classification"
    board = cli.ok("work", "leaderboard", "--by", "earnings", "--token", platform.token.address)
    assert [(e["worker"], e["earned"]) for e in board["data"]] == sorted(
        [(account("alice").address, "2000000"), (account("bob").address, "2000000")]
    )
    matched = cli.ok("work", "tasks", "--sort", "match", "--account", "alice")
    assert all("expected acceptance" in t["match"]["explanation"] for t in matched["data"])


def test_a_receipt_the_verifier_never_settles_is_enforced_by_the_worker(
    cli: Cli, platform: Platform, tmp_path: Path
) -> None:
    task_id = create(cli, platform, manifest(tmp_path, platform, gold=False))
    done = cli.ok(
        "work", "claim", str(task_id), "--gasless", "--answers",
        str(answers(tmp_path, "alice", TRUTH)), "--account", "alice",
    )  # fmt: skip
    slot = str(done["slot"])
    platform.fund(account("alice"))  # enforcing is the one step that costs gas
    first = cli.ok("work", "enforce", str(task_id), slot, "--account", "alice")
    assert (first["done"], first["state"]) == (["presented"], "submitted")
    assert first["payable_after"] == done["receipt"]["submitted_at"] + REVIEW
    again = cli.ok("work", "enforce", str(task_id), slot, "--account", "alice")
    assert (again["done"], again["state"]) == ([], "submitted")
    advance_time(platform.w3, first["payable_after"] - latest_timestamp(platform.w3) + 1)
    paid = cli.ok("work", "enforce", str(task_id), slot, "--account", "alice")
    assert (paid["done"], paid["state"]) == (["finalized"], "approved")
    balance = platform.client(account("alice")).balance(
        account("alice").address, platform.token.address
    )
    assert balance == 500_000


def test_a_requester_blocks_a_worker_and_allows_others(
    cli: Cli, platform: Platform, tmp_path: Path
) -> None:
    task_id = create(cli, platform, manifest(tmp_path, platform, gold=False))
    bob = account("bob").address
    cli.ok("task", "policy", str(task_id), "--block", bob, "--account", "requester")
    refused = cli.fails("work", "claim", str(task_id), "--gasless", "--account", "bob")
    assert (
        refused
        == "error: the API answered 403: the requester does not accept your work on their tasks"
    )
    cli.ok("work", "claim", str(task_id), "--gasless", "--account", "alice")
    advance_time(platform.w3, 1)  # a newer policy is one signed a second later
    carol = account("carol").address
    cli.ok("task", "policy", str(task_id), "--allow", carol, "--account", "requester")
    assert "403" in cli.fails("work", "claim", str(task_id), "--gasless", "--account", "bob")
    cli.ok("work", "claim", str(task_id), "--gasless", "--account", "carol")
    # not the requester's task: the verifier refuses the policy
    not_hers = cli.fails("task", "policy", str(task_id), "--block", bob, "--account", "alice")
    assert (
        not_hers
        == f"error: the API answered 403: task {task_id} is not {account('alice').address}'s"
    )
