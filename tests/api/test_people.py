"""``/workers``, ``/requesters`` and ``/stats`` over the seeded index."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.seed import BIG_REWARD, ETH, R1, R2, TASKS, USD, W1, W2, W3


def test_worker_records_and_history(api: TestClient) -> None:
    body = api.get(f"/workers/{W1.lower()}").json()
    assert body["address"] == W1
    assert body["records"] == [
        {
            "token": ETH, "approved": 10, "rejected": 0, "approval_bps": 10_000,
            "disputes_won": 0, "disputes_lost": 0, "earned": str(10 * 10**16), "bonuses": "0",
            "balance": str(10**16), "withdrawn": "0",
        }
    ]  # fmt: skip
    assert body["assignments"] == {"claimed": 1, "submitted": 1}
    assert [(a["task_id"], a["slot"]) for a in body["recent_assignments"]] == [(2, 0), (1, 0)]


def test_worker_rate_and_recent_limit(api: TestClient) -> None:
    body = api.get(f"/workers/{W2}", params={"recent": 0}).json()
    assert body["records"][0]["approval_bps"] == 3_000
    assert body["recent_assignments"] == []
    assert body["assignments"] == {"approved": 1}


def test_worker_without_history_is_not_404(api: TestClient) -> None:
    body = api.get(f"/workers/{W3}").json()
    assert body["records"] == []
    assert body["assignments"] == {"released": 1}
    stranger = api.get("/workers/0x" + "ee" * 20)
    assert stranger.status_code == 200
    assert stranger.json()["records"] == []


@pytest.mark.parametrize("path", ["/workers/0x12", "/requesters/alice", "/workers/0x" + "Aa" * 20])
def test_bad_address_is_422(api: TestClient, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == "path"


def test_requester(api: TestClient) -> None:
    body = api.get(f"/requesters/{R1}").json()
    assert body["tasks"] == {"open": 3, "full": 1, "expired": 0, "cancelled": 0, "total": 4}
    assert body["money"] == [
        {
            "token": ETH, "funded": str(3 * BIG_REWARD), "refunded": str(10**15),
            "balance": str(10**15), "withdrawn": "0",
        }
    ]  # fmt: skip
    assert [t["task_id"] for t in body["recent_tasks"]] == [7, 5, 2, 1]
    other = api.get(f"/requesters/{R2}", params={"recent": 1}).json()
    assert other["tasks"] == {"open": 1, "full": 0, "expired": 1, "cancelled": 1, "total": 3}
    assert [t["task_id"] for t in other["recent_tasks"]] == [6]
    assert [m["token"] for m in other["money"]] == [USD]


def test_requester_unknown(api: TestClient) -> None:
    body = api.get("/requesters/0x" + "ee" * 20).json()
    assert body["tasks"]["total"] == 0
    assert body["money"] == []
    assert body["recent_tasks"] == []


def test_stats(api: TestClient) -> None:
    body = api.get("/stats").json()
    assert body["tasks"] == {"open": 4, "full": 1, "expired": 1, "cancelled": 1, "total": 7}
    assert body["assignments"] == {"approved": 1, "claimed": 1, "released": 1, "submitted": 1}
    assert body["workers"] == 3
    assert body["requesters"] == 2
    assert body["events"] == len(TASKS) + 2
    assert body["indexed_block"] == 31
    tokens = {t["token"]: t for t in body["tokens"]}
    # exact sums past 2**63 (SQLite sums them in 9-digit pieces)
    escrow = sum(
        (values[2] + values[2] // 40) * values[3] for values in TASKS.values() if values[1] == ETH
    )
    assert tokens[ETH]["escrow"] == str(escrow)
    assert tokens[ETH]["tasks"] == 5
    assert tokens[ETH]["funded"] == str(3 * BIG_REWARD)
    assert tokens[ETH]["paid"] == str(13 * 10**16)
    assert tokens[USD]["escrow"] == str((2_000_000 + 50_000) * 2 + (3_000_000 + 75_000) * 4)
    assert tokens[USD]["funded"] == "30000000"


def test_stats_of_an_empty_index(empty_api: TestClient) -> None:
    body = empty_api.get("/stats").json()
    assert body["tasks"]["total"] == 0
    assert body["tokens"] == []
    assert body["indexed_block"] is None
