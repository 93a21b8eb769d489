"""`microtask up` serves the API: a task created on chain shows in /tasks and in the live
feed, the worker's claim shows on the task, and Ctrl-C stops anvil, indexer and API.

Everything is real: the `up` process, anvil, the deployed escrow, the indexer thread, the
uvicorn server; the test acts as a requester and a worker through the typed client.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx

from microtask.chain.accounts import dev_accounts
from microtask.chain.deployments import DeploymentStore
from microtask.chain.devchain import latest_timestamp
from microtask.chain.escrow import TaskEscrowClient
from microtask.chain.networks import connect_url
from microtask.escrow import TaskParams
from tests.integration.test_up import READY, UpProcess, _rpc_url, start_up, up_env

__all__ = ["start_up", "up_env"]

WAIT = 30.0


def _api_url(lines: list[str]) -> str:
    for line in lines:
        if match := re.search(r"API\s+(http://127\.0\.0\.1:\d+)", line):
            return match.group(1)
    raise AssertionError("no API URL printed:\n" + "\n".join(lines))


def _until(client: httpx.Client, path: str, ready: object, **params: object) -> dict:  # type: ignore[type-arg]
    """GET ``path`` until ``ready(body)`` holds (the indexer polls every 0.5 s)."""
    deadline = time.monotonic() + WAIT
    while True:
        body = client.get(path, params=params).json()
        if ready(body):  # type: ignore[operator]
            return body  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, f"{path} never became ready: {body}"
        time.sleep(0.05)


def test_up_serves_the_index(start_up: type[UpProcess], tmp_path: Path) -> None:
    up = start_up()
    lines = up.wait_for(READY)
    api_url, rpc_url = _api_url(lines), _rpc_url(lines)
    w3 = connect_url(rpc_url)
    store = DeploymentStore(tmp_path / "deployments", "local")
    requester, worker = dev_accounts()[1], dev_accounts()[4]
    escrow = TaskEscrowClient.from_deployment(w3, store, requester)
    with httpx.Client(base_url=api_url, timeout=10) as client:
        health = _until(client, "/health", lambda b: b["status"] == "ok")
        assert health["chain_id"] == 31337
        assert health["content_store"]["kind"] == "local"
        # without --demo no requester's MTurk endpoint is served: boto3 gets a clear refusal
        mturk = client.post(
            "/mturk",
            content=b"{}",
            headers={"X-Amz-Target": "MTurkRequesterServiceV20170117.GetAccountBalance"},
        )
        assert mturk.status_code == 400
        assert mturk.json()["__type"] == "RequestError"
        assert "mturk serve --account" in mturk.json()["Message"]
        with client.stream("GET", "/events") as feed:
            lines_in = feed.iter_lines()
            assert next(lines_in).startswith("retry:")
            task_id, _ = escrow.create_task(
                TaskParams(
                    manifest_cid=b"\x12\x20" + bytes(range(32)), reward=10**16, slots=2,
                    deadline=latest_timestamp(w3) + 86_400, review_period=3600, lease=600,
                )
            )  # fmt: skip
            event = {}
            for line in lines_in:
                if line.startswith("event: "):
                    event["name"] = line[7:]
                if line.startswith("data: "):
                    event["data"] = json.loads(line[6:])
                    break
            assert event["name"] == "TaskCreated"
            assert event["data"]["task_id"] == task_id
        listed = _until(client, "/tasks", lambda b: b["count"] == 1)
        assert listed["data"][0]["task_id"] == task_id
        assert listed["data"][0]["reward"] == str(10**16)
        assert listed["data"][0]["requester"] == requester.address

        escrow.as_signer(worker).claim(task_id, 0)
        task = _until(client, f"/tasks/{task_id}", lambda b: b["slots"] != [])
        assert task["slots"][0]["state"] == "claimed"
        assert task["slots"][0]["worker"] == worker.address
        assert task["slot_states"] == {"open": 1, "claimed": 1}
        mine = client.get(f"/workers/{worker.address}").json()
        assert [a["task_id"] for a in mine["recent_assignments"]] == [task_id]
    assert up.interrupt() == 0
    assert any("stopped" in line for line in up.seen)
