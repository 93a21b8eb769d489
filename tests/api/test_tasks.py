"""``/tasks``: every filter on both sides of its edge, every sort, cursors, the detail."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.seed import (
    ARBITRATOR,
    BIG_REWARD,
    CANCELLED,
    ETH,
    EXPIRED,
    FULL,
    M_IMAGES,
    M_INVALID,
    M_PENDING,
    OPEN,
    R1,
    R2,
    TASKS,
    USD,
    VERIFIER,
    W1,
    W2,
    W3,
)

ALL = sorted(TASKS)


def ids(client: TestClient, **params: Any) -> list[int]:
    response = client.get("/tasks", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] >= len(body["data"])
    return [task["task_id"] for task in body["data"]]


@pytest.mark.parametrize(
    ("status", "expected"),
    [("open", OPEN), ("full", FULL), ("expired", EXPIRED), ("cancelled", CANCELLED), ("all", ALL)],
)
def test_status_at_chain_time(api: TestClient, status: str, expected: list[int]) -> None:
    # task 7's deadline is exactly the chain head's time: still open; task 3's is a second
    # before it: expired. The wall clock (years later) plays no part.
    assert sorted(ids(api, status=status)) == expected
    body = api.get("/tasks", params={"status": status}).json()
    assert body["count"] == len(expected)
    assert {task["status"] for task in body["data"]} == (
        {status} if status != "all" else {"open", "full", "expired", "cancelled"}
    )


def test_default_is_open_newest_first(api: TestClient) -> None:
    assert ids(api) == sorted(OPEN, reverse=True)


def test_task_shape(api: TestClient) -> None:
    task = next(t for t in api.get("/tasks").json()["data"] if t["task_id"] == 5)
    assert task["reward"] == str(BIG_REWARD)  # a decimal string, exact past 2**63
    assert task["fee"] == str(BIG_REWARD // 40)
    assert task["requester"] == R1
    assert task["verifier"] == VERIFIER
    assert task["arbitrator"] == ARBITRATOR
    assert task["token"] == ETH
    assert task["manifest"]["kind"] == "free_text"
    assert task["manifest"]["tags"] == ["text", "animals"]


def test_manifest_states_show(api: TestClient) -> None:
    tasks = {t["task_id"]: t for t in api.get("/tasks", params={"status": "all"}).json()["data"]}
    assert tasks[4]["manifest"] == {
        "cid": M_PENDING, "status": "pending", "error": None, "title": None, "kind": None,
        "language": None, "tags": [], "time_estimate_seconds": None, "item_count": None,
        "redundancy": None,
    }  # fmt: skip
    assert tasks[7]["manifest"]["status"] == "invalid"
    assert "title" in tasks[7]["manifest"]["error"]
    assert tasks[7]["manifest"]["cid"] == M_INVALID


def test_token_filter_any_case(api: TestClient) -> None:
    assert sorted(ids(api, status="all", token=USD)) == [3, 6]
    assert sorted(ids(api, status="all", token=USD.lower())) == [3, 6]
    assert sorted(ids(api, status="all", token=ETH)) == [1, 2, 4, 5, 7]


def test_min_reward_compares_numbers_not_text(api: TestClient) -> None:
    # 3_000_000 (USD) < 10**16 < 5*10**16 < 10**20: as text "3000000" > "10000..." would fail
    assert sorted(ids(api, status="all", min_reward=10**16)) == [1, 2, 5, 7]
    assert sorted(ids(api, status="all", min_reward=10**16 + 1)) == [2, 5]
    assert ids(api, status="all", min_reward=BIG_REWARD) == [5]
    assert ids(api, status="all", min_reward=BIG_REWARD + 1) == []
    assert sorted(ids(api, status="all", min_reward=2_000_000, token=USD)) == [3, 6]
    assert ids(api, status="all", min_reward=2**256 - 1) == []


def test_kind_language_and_tags(api: TestClient) -> None:
    assert sorted(ids(api, status="all", kind="classification")) == [1, 3, 6]
    assert sorted(ids(api, status="all", kind="free_text")) == [2, 5]
    assert ids(api, status="all", kind="survey") == []
    assert sorted(ids(api, status="all", language="de")) == [2, 5]
    assert sorted(ids(api, status="all", tag="animals")) == [1, 2, 3, 5, 6]
    assert sorted(ids(api, status="all", tag=["animals", "images"])) == [1, 3, 6]
    assert sorted(ids(api, status="all", tag=["animals", "text"])) == [2, 5]
    assert ids(api, status="all", tag=["images", "text"]) == []  # every tag must match
    assert ids(api, status="all", tag="nothing") == []
    body = api.get("/tasks", params={"status": "open", "kind": "classification"}).json()
    assert body["count"] == 2  # the count joins the manifest too


def test_requester_and_open_slots(api: TestClient) -> None:
    assert sorted(ids(api, status="all", requester=R1)) == [1, 2, 5, 7]
    assert sorted(ids(api, status="all", requester=R2.lower())) == [3, 4, 6]
    assert sorted(ids(api, min_open_slots=2)) == [1, 5, 6]
    assert sorted(ids(api, min_open_slots=5)) == [5]
    assert ids(api, min_open_slots=6) == []


def test_eligible_for(api: TestClient) -> None:
    # W1: 10 approved, 0 rejected in ETH: meets task 5 (min 5 approved, 80%)
    assert sorted(ids(api, eligible_for=W1)) == [1, 5, 6, 7]
    # W2: 3 approved of 10 in ETH: fails task 5; no USD history passes task 6's rate
    assert sorted(ids(api, eligible_for=W2)) == [1, 6, 7]
    # W3: no history fails min_approved=5; is task 6's verifier
    assert sorted(ids(api, eligible_for=W3)) == [1, 7]
    # the requester, verifier or arbitrator of a task cannot work on it
    assert sorted(ids(api, eligible_for=R1, status="all")) == [3, 4, 6]
    assert ids(api, eligible_for=ARBITRATOR, status="all") == []
    assert sorted(ids(api, eligible_for=VERIFIER, status="all")) == [6]


def test_filters_combine(api: TestClient) -> None:
    assert ids(api, token=ETH, tag="animals", eligible_for=W2, min_open_slots=2) == [1]
    body = api.get("/tasks", params={"token": ETH, "eligible_for": W2}).json()
    assert body["count"] == 2
    assert [t["task_id"] for t in body["data"]] == [7, 1]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("created", [1, 2, 3, 4, 5, 6, 7]),
        ("-created", [7, 6, 5, 4, 3, 2, 1]),
        # rewards: 3:2e6 6:3e6 4:1e15 1:1e16 7:1e16 2:5e16 5:1e20; ties by task id
        ("reward", [3, 6, 4, 1, 7, 2, 5]),
        ("-reward", [5, 2, 7, 1, 4, 6, 3]),
        # deadlines: 3:now-1 7:now 6:+100 4:+500 1:+1000 2:+2000 5:+3000
        ("deadline", [3, 7, 6, 4, 1, 2, 5]),
        ("-deadline", [5, 2, 1, 4, 6, 7, 3]),
    ],
)
def test_sorts_and_every_page_size(api: TestClient, sort: str, expected: list[int]) -> None:
    assert ids(api, status="all", sort=sort) == expected
    for limit in (1, 2, 3, 6, 7, 100):
        seen: list[int] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"status": "all", "sort": sort, "limit": limit}
            if cursor:
                params["cursor"] = cursor
            body = api.get("/tasks", params=params).json()
            assert body["count"] == 7
            assert len(body["data"]) <= limit
            seen += [task["task_id"] for task in body["data"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert seen == expected, (sort, limit)


def test_cursor_keeps_filters_apart(api: TestClient) -> None:
    first = api.get("/tasks", params={"status": "all", "token": ETH, "limit": 2}).json()
    assert [t["task_id"] for t in first["data"]] == [7, 5]
    rest = api.get(
        "/tasks", params={"status": "all", "token": ETH, "cursor": first["next_cursor"]}
    ).json()
    assert [t["task_id"] for t in rest["data"]] == [4, 2, 1]
    assert rest["next_cursor"] is None
    assert rest["count"] == 5


@pytest.mark.parametrize(
    "cursor", ["garbage", "e30", "eyJvIjoiLWNyZWF0ZWQiLCJrIjpbIngiXX0", "A" * 600]
)
def test_bad_cursor_is_422_naming_it(api: TestClient, cursor: str) -> None:
    response = api.get("/tasks", params={"cursor": cursor})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["cursor"]


def test_cursor_of_another_sort_is_refused(api: TestClient) -> None:
    cursor = api.get("/tasks", params={"limit": 1, "sort": "reward"}).json()["next_cursor"]
    response = api.get("/tasks", params={"cursor": cursor, "sort": "-reward"})
    assert response.status_code == 422
    assert "sort='reward'" in response.json()["errors"][0]["detail"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "busy"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"sort": "title"}, "sort"),
        ({"token": "0x1234"}, "token"),
        ({"token": "0x" + "g" * 40}, "token"),
        ({"requester": "0x70997970c51812dc3a010c7d01b50e0d17dc79C8"}, "requester"),  # checksum
        ({"min_reward": -1}, "min_reward"),
        ({"min_reward": 2**256}, "min_reward"),
        ({"min_reward": "ten"}, "min_reward"),
        ({"kind": "poetry"}, "kind"),
        ({"min_open_slots": 0}, "min_open_slots"),
        ({"tag": ""}, "tag.0"),
        ({"language": "x" * 36}, "language"),
        ({"eligible_for": "nobody"}, "eligible_for"),
        ({"unknown": "1"}, "unknown"),
    ],
)
def test_invalid_filters_are_422_naming_the_field(
    api: TestClient, params: dict[str, Any], field: str
) -> None:
    response = api.get("/tasks", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:microtask:problem:validation"
    assert problem["status"] == 422
    assert problem["instance"] == "/tasks"
    assert [(e["location"], e["field"]) for e in problem["errors"]] == [("query", field)]


def test_task_detail(api: TestClient) -> None:
    response = api.get("/tasks/1")
    assert response.status_code == 200
    task = response.json()
    assert task["task_id"] == 1
    assert task["status"] == "open"
    assert task["manifest"]["title"] == "Cat or dog?"
    assert task["manifest"]["cid"] == M_IMAGES
    assert task["slot_states"] == {"open": 1, "claimed": 1, "approved": 1}
    assert [(s["slot"], s["state"], s["worker"]) for s in task["slots"]] == [
        (0, "claimed", W1),
        (1, "approved", W2),
    ]
    reward = 10**16
    assert task["escrow"] == str((reward + reward // 40) * 3)
    assert task["paid"] == "0"
    assert task["receipt_slots_reclaimed"] is False


def test_task_detail_of_untouched_task(api: TestClient) -> None:
    cancelled = api.get("/tasks/4").json()
    assert cancelled["slot_states"] == {"closed": 2}  # refunded: closed, as getSlot says
    task = api.get("/tasks/5").json()
    assert task["slots"] == []
    assert task["slot_states"] == {"open": 5}


@pytest.mark.parametrize("path", ["/tasks/999", "/tasks/999/assignments"])
def test_unknown_task_is_404(api: TestClient, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "no task 999 in the index"


@pytest.mark.parametrize("task_id", ["-1", "x", str(2**63), "1.5"])
def test_invalid_task_id_is_422(api: TestClient, task_id: str) -> None:
    response = api.get(f"/tasks/{task_id}")
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == "path"


def test_assignments_of_a_task(api: TestClient) -> None:
    body = api.get("/tasks/1/assignments").json()
    assert body["count"] == 3
    assert body["next_cursor"] is None
    rows = [(a["slot"], a["number"], a["worker"], a["status"]) for a in body["data"]]
    assert rows == [(0, 0, W1, "claimed"), (1, 0, W3, "released"), (1, 1, W2, "approved")]
    approved = body["data"][2]
    assert approved["reward"] == str(10**16)
    assert approved["basis"] == "review"


def test_assignments_pages_and_filters(api: TestClient) -> None:
    first = api.get("/tasks/1/assignments", params={"limit": 2}).json()
    assert [(a["slot"], a["number"]) for a in first["data"]] == [(0, 0), (1, 0)]
    rest = api.get(
        "/tasks/1/assignments", params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert [(a["slot"], a["number"]) for a in rest["data"]] == [(1, 1)]
    assert rest["next_cursor"] is None
    assert rest["count"] == 3
    only = api.get("/tasks/1/assignments", params={"status": "approved"}).json()
    assert [a["worker"] for a in only["data"]] == [W2]
    assert only["count"] == 1
    mine = api.get("/tasks/1/assignments", params={"worker": W3.lower()}).json()
    assert [a["status"] for a in mine["data"]] == ["released"]
    assert api.get("/tasks/5/assignments").json() == {"data": [], "count": 0, "next_cursor": None}
    task_cursor = api.get("/tasks", params={"limit": 1}).json()["next_cursor"]
    wrong = api.get("/tasks/1/assignments", params={"cursor": task_cursor})
    assert wrong.status_code == 422


def test_cached_answers_follow_the_index(engine: Any, api_settings: Any, store: Any) -> None:
    """A repeated query is served from the cache until the indexer commits; then the new
    rows show (within the version check interval)."""
    from sqlalchemy.orm import Session

    from microtask.api import create_app
    from microtask.db import make_engine
    from tests.api.seed import WALL, _task, seed

    seed(engine)
    app = create_app(api_settings, engine=engine, content=store, clock=lambda: WALL)
    with TestClient(app) as client:
        first = client.get("/tasks").json()
        assert client.get("/tasks").json() == first
        cache = app.state.api.cache
        assert cache.hits >= 1
        writer = make_engine(engine.url.render_as_string(hide_password=False), writer=True)
        with Session(writer) as session, session.begin():
            session.add(_task(8, TASKS[1]))
        writer.dispose()
        deadline = time.monotonic() + 10
        while ids(client)[0] != 8:  # the version check notices the commit
            assert time.monotonic() < deadline, "the cache kept serving the old index"
        assert client.get("/tasks").json()["count"] == first["count"] + 1
