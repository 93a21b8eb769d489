"""The README's "task done without gas" against `microtask up --demo`, command by command.

One `up` process (anvil, indexer, verifier, API); every step a separate `microtask`
process, as typed at a shell. Three workers do the demo's sentiment task through signed
receipts (one of them carelessly), never spending gas; the verifier, running inside `up`
with dev account 2, assesses once every slot is in and settles on chain by itself. Then
the requester reads the aggregate, the careless worker reads why, the good one sees their
profile and withdraws: balances checked on chain to the wei.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from web3 import Web3

from microtask.chain.accounts import dev_accounts, dev_verifier
from microtask.chain.erc20 import erc20
from microtask.cli.exit_codes import ExitCode
from microtask.demo.seed import REVIEWS, SENTIMENT_TRUTH
from tests.integration.test_e2e_cli import Shell, platform, until

__all__ = ["platform"]

SENTIMENT_TASK = 2
REWARD = 80_000  # the demo's 0.08 dUSD
# the README's careless.json: every answer wrong (a worker right on the two neutral reviews
# would be right on 2 of 6, too little evidence to reject at 95%: left undecided instead)
SWAP = {"positive": "negative", "negative": "positive", "neutral": "positive"}


def answers(path: Path, labels: list[str]) -> Path:
    path.write_text(
        json.dumps(
            {
                "type": "microtask/submission-answers",
                "answers": [
                    {"item_id": f"review-{i}", "answer": {"kind": "classification", "label": x}}
                    for i, x in enumerate(labels)
                ],
            }
        )
    )
    return path


def test_the_readme_gasless_walkthrough(platform: tuple[Shell, Web3, str], tmp_path: Path) -> None:
    shell, w3, api = platform
    shell.ok("account", "import-dev", "--count", "6")
    token = json.loads((tmp_path / "deployments" / "local" / "MockERC20.json").read_text())[
        "address"
    ]
    assert shell.ok("work", "show", str(SENTIMENT_TASK))["manifest"]["verifier"] == (
        dev_verifier().address
    )
    matched = shell.ok("work", "tasks", "--sort", "match", "--account", "dev3")
    assert all(task["match"]["explanation"] for task in matched["data"])
    good = answers(tmp_path / "good.json", list(SENTIMENT_TRUTH))
    careless = answers(tmp_path / "careless.json", [SWAP[x] for x in SENTIMENT_TRUTH])
    gas = {n: w3.eth.get_balance(dev_accounts()[n].address) for n in (3, 4, 5)}
    for name, file in (("dev3", good), ("dev4", good), ("dev5", careless)):
        done = shell.ok(
            "work", "claim", str(SENTIMENT_TASK), "--gasless", "--answers", str(file),
            "--count", str(len(REVIEWS)), "--account", name,
        )  # fmt: skip
        assert len(done["slots"]) == len(REVIEWS)
    assert {n: w3.eth.get_balance(dev_accounts()[n].address) for n in (3, 4, 5)} == gas

    # the verifier inside `up` assesses and settles by itself: its result set appears
    published: dict[str, Any] = until(
        api, f"/tasks/{SENTIMENT_TASK}/results", lambda body: "cid" in body
    )
    assert (published["approved"], published["rejected"], published["undecided"]) == (12, 6, 0)
    # approvals and rejections are two transactions: wait for the index to hold both
    settled = until(
        api,
        f"/tasks/{SENTIMENT_TASK}",
        lambda body: body["slot_states"].get("rejected", 0) + body["approved_slots"] == 18,
    )
    assert (settled["approved_slots"], settled["slot_states"]["rejected"]) == (12, 6)

    results = shell.ok("task", "results", str(SENTIMENT_TASK), "--account", "dev1")
    assert [row["value"] for row in results["rows"]] == list(SENTIMENT_TRUTH)
    decisions = shell.ok("task", "verification", str(SENTIMENT_TASK))["decisions"]
    assert {d["settled"] for d in decisions} == {"approved", "rejected"}
    reviews = shell.ok("work", "reviews", str(SENTIMENT_TASK), "--account", "dev5")["reviews"]
    assert len(reviews) == len(REVIEWS)
    assert all("gold_failed" in {r["code"] for r in review["reasons"]} for review in reviews)
    profile = shell.ok("work", "profile", "--account", "dev3")
    assert [badge["id"] for badge in profile["badges"]] == ["first-approved"]
    # the demo coin goes by its symbol, as the README types it
    board = shell.ok("work", "leaderboard", "--by", "earnings", "--token", "dUSD")
    assert {entry["earned"] for entry in board["data"]} == {str(len(REVIEWS) * REWARD)}
    earnings = shell.ok("work", "earnings", "--account", "dev3")["tokens"]
    assert [(row["symbol"], row["approved"]) for row in earnings] == [
        ("ETH", 0),
        ("dUSD", len(REVIEWS)),
    ]
    code, line = shell.fails("work", "withdraw", "--token", "USDX", "--account", "dev3")
    assert code == ExitCode.USER_ERROR
    assert line == (
        "error: not a token: 'USDX' (use eth or an ERC-20 address, "
        "or one deployed on this network: dUSD)"
    )

    coin = erc20(w3, token)
    before = int(coin.functions.balanceOf(dev_accounts()[3].address).call())
    shell.ok("work", "withdraw", "--token", "dUSD", "--account", "dev3")
    after = int(coin.functions.balanceOf(dev_accounts()[3].address).call())
    assert after - before == len(REVIEWS) * REWARD
    balances = shell.ok("account", "balance", "dev3")["balances"]
    assert [(row["symbol"], row["escrow_ledger"]) for row in balances] == [("ETH", 0), ("dUSD", 0)]
    assert balances[1]["wallet"] == after
