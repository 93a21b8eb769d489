"""`microtask up` on PostgreSQL: the API in several processes, each serving the verifier's
routes, and the verifier's loop in one of its own (`microtask.api.processes`); gasless
work goes through them, a dead API process ends the run with one line, and none outlives
an `up` killed outright."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from eth_account import Account

from microtask.chain.accounts import dev_accounts
from microtask.client import Platform, Requester, TaskTerms, Worker
from microtask.config import NetworkProfile, Settings
from microtask.manifests import ItemAnswer, SubmissionAnswers
from microtask.manifests.answers import ClassificationAnswer
from tests.integration.test_e2e_cli import until
from tests.integration.test_up import READY, STARTUP_TIMEOUT, UpProcess, _child_named, up_env
from tests.postgres import PostgresServer

__all__ = ["up_env"]
WORKERS = 2


def children(parent: int) -> dict[int, str]:
    """``parent``'s child processes running `microtask.api.processes`: pid -> role."""
    found = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            stat = (proc / "stat").read_text()
            environ = (proc / "environ").read_bytes()
        except OSError:  # ended while we looked
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        spec = re.search(rb'MICROTASK_PROCESS_SPEC=\{"role": "(\w+)"', environ)
        if ppid == parent and spec is not None:
            found[int(proc.name)] = spec.group(1).decode()
    return found


@pytest.fixture
def up(up_env: dict[str, str], postgres_server: PostgresServer) -> Iterator[UpProcess]:
    up_env.update(
        MICROTASK_DATABASE_URL=postgres_server.new_database(),
        MICROTASK_API_WORKERS=str(WORKERS),
        MICROTASK_CONTENT_STORE="local",
        MICROTASK_MTURK_PORT="0",
    )
    process = UpProcess(up_env, "--demo")
    yield process
    process.kill()


def settings_for(
    up_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, api_url: str, rpc_url: str
) -> Settings:
    """The settings a user of that `up` has (its directories, API and chain)."""
    for key, value in up_env.items():
        if key.startswith("MICROTASK_"):
            monkeypatch.setenv(key, value)
    port = int(rpc_url.rsplit(":", 1)[1])
    local = NetworkProfile(kind="anvil", chain_id=31337, port=port)
    return Settings(api_url=api_url, networks={"local": local})


def mturk_endpoint_is_served_by_up(printed: str, api_url: str) -> None:
    """The demo requester's MTurk endpoint answers boto3 on the URL `up` printed (its own
    port in this layout), and the API processes' ``/mturk`` names that URL."""
    endpoint = re.search(r"^MTurk endpoint\s+(\S+)$", printed, re.M)
    keys = re.search(r"AWS_ACCESS_KEY_ID=(\S+) AWS_SECRET_ACCESS_KEY=(\S+)", printed)
    assert endpoint is not None, printed
    assert keys is not None, printed
    assert not endpoint.group(1).startswith(api_url)

    def turk(url: str) -> Any:
        return boto3.client(
            "mturk",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id=keys.group(1),
            aws_secret_access_key=keys.group(2),
            config=Config(retries={"max_attempts": 1}),
        )

    balance = turk(endpoint.group(1)).get_account_balance()
    assert Decimal(balance["AvailableBalance"]) > 0  # the demo requester's dUSD
    with pytest.raises(ClientError) as elsewhere:
        turk(api_url + "/mturk").get_account_balance()
    assert endpoint.group(1) in elsewhere.value.response["Error"]["Message"]


def test_up_on_postgresql_serves_gasless_work_from_several_processes(
    up: UpProcess, up_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = up.wait_for(READY)
    text = "\n".join(lines)
    assert f"{WORKERS} serving the API and the verifier's routes, 1 verifier loop" in text, text
    roles = children(up.process.pid)
    assert sorted(roles.values()) == ["api"] * WORKERS + ["verifier"], roles
    api = re.search(r"API\s+(http://127\.0\.0\.1:\d+)", text)
    rpc = re.search(r"RPC URL\s+(http://127\.0\.0\.1:\d+)", text)
    assert api is not None
    assert rpc is not None
    settings = settings_for(up_env, monkeypatch, api.group(1), rpc.group(1))
    page = httpx.get(api.group(1) + "/", timeout=30)  # the web app, from the API processes
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    mturk_endpoint_is_served_by_up(text, api.group(1))
    with Platform.open(settings, "local") as platform:
        manifest = {
            "type": "microtask/task-manifest",
            "title": "Which animal?",
            "instructions": "Pick one.",
            "kind": "classification",
            "answer_schema": {
                "kind": "classification",
                "labels": [{"id": "cat", "text": "Cat"}, {"id": "dog", "text": "Dog"}],
            },
            "inputs": {
                "source": "inline",
                "items": [{"id": f"i{n}", "data": {}} for n in range(3)],
            },
            "redundancy": 2,
            "time_estimate_seconds": 20,
        }
        requester = Requester(platform, dev_accounts()[1])
        terms = TaskTerms(10_000, platform.token("dUSD"), gasless=True, review_period=86_400)
        task_id = requester.create_task(requester.draft_task(manifest, terms)).task_id
        until(api.group(1), f"/tasks/{task_id}", lambda body: body.get("task_id") == task_id)
        answers = SubmissionAnswers(
            answers=[
                ItemAnswer(item_id=f"i{n}", answer=ClassificationAnswer(label="cat"))
                for n in range(3)
            ]
        )
        slots = set()
        for _ in range(3):  # three workers, two slots each: six claims over the processes
            worker = Worker(platform, Account.create())
            for _ in range(2):
                done = worker.work_gasless(task_id, answers)
                assert done.receipt.worker == worker.address
                slots.add(done.grant.slot)
        assert slots == set(range(6))

    worker_pid = next(pid for pid, role in roles.items() if role == "api")
    os.kill(worker_pid, signal.SIGKILL)  # as the OOM killer would
    code = up.process.wait(timeout=STARTUP_TIMEOUT)
    up.wait_for_end()
    errors = [line for line in up.seen if line.startswith("error:")]
    assert code == 3, "\n".join(up.seen)
    assert len(errors) == 1, "\n".join(up.seen)
    assert errors[0].startswith("error: an API worker exited unexpectedly with code -9")
    assert not [pid for pid in roles if Path(f"/proc/{pid}").exists()]  # all stopped


def test_the_processes_of_an_up_killed_outright_end_with_it(up: UpProcess) -> None:
    up.wait_for(READY)
    roles = children(up.process.pid)
    assert sorted(roles.values()) == ["api"] * WORKERS + ["verifier"], roles
    anvil = _child_named(up.process.pid, "anvil")
    up.kill()  # SIGKILL: `up` cannot stop them itself
    os.kill(anvil, signal.SIGKILL)  # which anvil does not watch for: not left behind here
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while alive := [pid for pid in roles if Path(f"/proc/{pid}").exists()]:
        assert time.monotonic() < deadline, f"still running: {alive}"
        time.sleep(0.2)  # not our children: nothing to wait on but /proc
