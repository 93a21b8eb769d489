"""Reputation through the API, from a seeded history (SQLite and PostgreSQL): badges and
their dates, leaderboards per measure and period, qualifications in ``eligible_for``, and
the match sort with its one-line explanations.

The history is written row by row as the indexer (settlements, accounts, tasks, manifests)
and the verifier (its per-task worker scores) would have written it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from microtask.api import create_app
from microtask.config import Settings
from microtask.content import LocalStore
from microtask.db.base import ManifestStatus, SettlementOutcome
from microtask.db.models import (
    Account,
    Checkpoint,
    Manifest,
    ManifestQualification,
    Settlement,
    Task,
)
from microtask.db.verifier_models import VerifierWorkerTask
from microtask.escrow import ApprovalBasis
from microtask.reputation.badges import DAY
from tests.api.seed import ARBITRATOR, CONTRACT, ETH, R1, USD, VERIFIER, WALL, _address

NOW: Final = 1_800_000_000
START: Final = NOW - 60 * DAY  # the history begins 60 days before "now"
STREAKER, GAPPY, ONCE, GOLDEN, NEWCOMER = (_address(0xE0 + i) for i in range(5))
M_CLS, M_TXT, M_QUAL, M_ODD = (f"QmReputation{name}" for name in ("Cls", "Txt", "Qual", "Odd"))


def _task(task_id: int, *, reward: int, token: str = USD, cid: str = M_CLS) -> Task:
    return Task(
        task_id=task_id, requester=R1, token=token, manifest_cid=cid, reward=reward,
        fee_bps=0, slot_count=10, receipt_slots=10, open_slots=0, receipt_slots_used=0,
        deadline=NOW + 7 * DAY, review_period=DAY, lease=600, verifier=VERIFIER,
        arbitrator=ARBITRATOR, min_approved=0, min_approval_bps=0, cancelled=False,
        receipt_slots_reclaimed=False, escrow=0, fee=0, available_slots=10, approved_slots=0,
        closed_slots=0, funded=0, paid=0, fees_paid=0, refunded=0, bonuses=0,
        created_block=task_id, created_at=START, created_tx="0x" + f"{task_id:064x}",
        cancelled_at=None, updated_block=task_id,
    )  # fmt: skip


def _manifest(cid: str, kind: str, seconds: int) -> Manifest:
    return Manifest(
        cid=cid, status=ManifestStatus.OK, attempts=1, kind=kind, title=cid, language="en",
        time_estimate_seconds=seconds, item_count=10, redundancy=1, tags=[], document={},
    )  # fmt: skip


class History:
    """Approved settlements, one block each, in the order they are added."""

    def __init__(self) -> None:
        self.rows: list[Settlement] = []

    def approve(self, worker: str, at: int, *, task_id: int = 1, reward: int = 1_000) -> None:
        block = len(self.rows) + 1
        self.rows.append(
            Settlement(
                block_number=block, log_index=0, slot=block, task_id=task_id, assignment=0,
                worker=worker, outcome=SettlementOutcome.APPROVED, basis=ApprovalBasis.REVIEW,
                reward=reward, fee=0, refunded=None, reason_cid=None,
                tx_hash="0x" + f"{block:064x}", at=at,
            )
        )  # fmt: skip


def _scores(task_id: int, worker: str, checked: int, correct: int, at: int, **kw: Any) -> Any:
    values: dict[str, Any] = {
        "kind": "classification", "agreement_items": 0, "agreement_sum": 0.0, "slots": checked,
        "approved": checked, "rejected": 0, "undecided": 0,
    }  # fmt: skip
    values.update(kw)
    return VerifierWorkerTask(
        task_id=task_id, worker=worker, gold_checked=checked, gold_correct=correct,
        assessed_at=at, **values,
    )  # fmt: skip


def seed_history(engine: Engine) -> None:
    history = History()
    # STREAKER: one approval a day for 35 days (a streak from day 29), then 65 more on the
    # last day of the streak: 100 in all
    for day in range(35):
        history.approve(STREAKER, START + day * DAY + 3600)
    for extra in range(65):
        history.approve(STREAKER, START + 34 * DAY + 7200 + extra, task_id=2, reward=5_000)
    # GAPPY: 29 days, a day off, 29 more: never 30 in a row; the last two days ago
    for day in [*range(29), *range(30, 59)]:
        history.approve(GAPPY, START + day * DAY + 60)
    history.approve(ONCE, NOW - 3600)
    with Session(engine) as session, session.begin():
        session.add_all(
            [
                _manifest(M_CLS, "classification", 60),
                _manifest(M_TXT, "transcription", 60),
                _manifest(M_QUAL, "classification", 60),
                _manifest(M_ODD, "classification", 60),
            ]
        )
        session.flush()
        session.add_all(
            [
                ManifestQualification(cid=M_QUAL, name="classification-accuracy", min_score=0.9),
                ManifestQualification(cid=M_ODD, name="typing-speed", min_score=None),
            ]
        )
        session.add_all(
            [
                _task(1, reward=1_000),
                _task(2, reward=5_000),
                _task(3, reward=300, cid=M_TXT),
                _task(4, reward=200, cid=M_QUAL),
                _task(5, reward=500, cid=M_ODD),
                _task(6, reward=10**16, token=ETH),
            ]
        )
        session.add_all(history.rows)
        session.add_all(
            [
                # gold-99: 30 of 30, then 30 of 30 (60 of 60 from the second assessment)
                _scores(1, STREAKER, 30, 30, START + 10 * DAY),
                _scores(2, STREAKER, 30, 30, START + 40 * DAY),
                # 98%: never the badge
                _scores(1, GAPPY, 50, 49, START + 20 * DAY),
                # 99 of 100 over two tasks: 49 of 50 (98%), then 99 of 100 (99%)
                _scores(1, GOLDEN, 50, 49, START + 5 * DAY),
                _scores(2, GOLDEN, 50, 50, NOW - 2 * DAY),
                # few gold items: ranked nowhere for accuracy; agreement on transcription
                _scores(
                    3,
                    ONCE,
                    3,
                    3,
                    NOW - 3600,
                    kind="transcription",
                    agreement_items=6,
                    agreement_sum=5.4,
                ),
            ]
        )
        session.add(
            Account(
                token=USD, address=STREAKER, balance=0, approved=100, rejected=0,
                disputes_won=0, disputes_lost=0, earned=0, bonuses=0, fees=0, refunded=0,
                funded=0, withdrawn=0, updated_block=1,
            )
        )  # fmt: skip
        session.add(
            Checkpoint(
                contract=CONTRACT, chain_id=31337, deployment_block=1, block_number=1,
                block_hash="0x" + "11" * 32, block_timestamp=NOW, chain_head=1,
                chain_head_timestamp=NOW, chain_head_seen_at=WALL,
            )
        )  # fmt: skip


@pytest.fixture
def client(engine: Engine, api_settings: Settings, store: LocalStore) -> Iterator[TestClient]:
    seed_history(engine)
    app = create_app(api_settings, engine=engine, content=store, clock=lambda: WALL)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def badges(client: TestClient, worker: str) -> dict[str, int]:
    body = client.get(f"/workers/{worker}").json()
    return {badge["id"]: badge["earned_at"] for badge in body["badges"]}


def test_badges_are_earned_from_history_with_the_moment_they_were_met(client: TestClient) -> None:
    assert badges(client, STREAKER) == {
        "first-approved": START + 3600,
        "streak-30": START + 29 * DAY + 3600,  # the 30th day in a row
        "hundred-approved": START + 34 * DAY + 7200 + 64,  # the 100th approval
        "gold-99": START + 40 * DAY,  # 30 of 30 is too few; 60 of 60 at the second task
    }
    assert badges(client, GAPPY) == {"first-approved": START + 60}  # 58 days, never 30 in a row
    assert badges(client, ONCE) == {"first-approved": NOW - 3600}
    assert badges(client, GOLDEN) == {"gold-99": NOW - 2 * DAY}  # 99% only at 100 items
    assert badges(client, NEWCOMER) == {}


def test_leaderboards_rank_by_approved_earnings_and_accuracy_per_period(
    client: TestClient,
) -> None:
    def board(**params: Any) -> list[tuple[str, Any]]:
        body = client.get("/leaderboard", params=params).json()
        measure = {"approved": "approved", "earnings": "earned", "accuracy": "gold_accuracy"}
        return [(e["worker"], e[measure[params.get("by", "approved")]]) for e in body["data"]]

    assert board() == [(STREAKER, 100), (GAPPY, 58), (ONCE, 1)]
    assert board(period="day") == [(ONCE, 1)]  # the last 24 h of chain time
    assert board(period="week") == [(GAPPY, 6), (ONCE, 1)]
    assert board(by="earnings", token=USD) == [
        (STREAKER, str(35 * 1_000 + 65 * 5_000)),
        (GAPPY, str(58 * 1_000)),
        (ONCE, "1000"),
    ]
    assert board(by="earnings", token=ETH) == []
    assert board(by="accuracy") == [(STREAKER, 1.0), (GOLDEN, 0.99), (GAPPY, 0.98)]
    assert board(by="accuracy", period="week") == [(GOLDEN, 1.0)]  # 50 of 50 this week
    assert board(limit=1) == [(STREAKER, 100)]
    missing = client.get("/leaderboard", params={"by": "earnings"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "token"


def test_scores_are_sums_over_tasks_and_become_qualifications(client: TestClient) -> None:
    golden = client.get(f"/workers/{GOLDEN}").json()["scores"]
    assert golden["overall"]["gold_items"] == 100
    assert golden["overall"]["gold_accuracy"] == 0.99
    assert golden["qualifications"] == {
        "accuracy": 0.99,
        "gold-accuracy": 0.99,
        "classification-accuracy": 0.99,
    }
    once = client.get(f"/workers/{ONCE}").json()["scores"]
    [transcription] = once["by_kind"]
    assert transcription["accuracy"] == pytest.approx(0.9)  # 3 gold items: agreement decides
    assert transcription["accuracy_basis"] == "agreement with the crowd over 6 items"
    assert once["qualifications"] == {
        "accuracy": pytest.approx(0.9),
        "agreement": pytest.approx(0.9),
        "transcription-accuracy": pytest.approx(0.9),
    }


def listed(client: TestClient, worker: str, **params: Any) -> list[int]:
    body = client.get("/tasks", params={"eligible_for": worker, "limit": 100, **params}).json()
    return [task["task_id"] for task in body["data"]]


def test_eligible_for_leaves_out_tasks_whose_qualifications_are_not_met(
    client: TestClient,
) -> None:
    assert sorted(listed(client, GOLDEN)) == [1, 2, 3, 4, 6]  # 99% >= 90%; nobody has typing
    assert sorted(listed(client, ONCE)) == [1, 2, 3, 6]  # no classification score
    assert sorted(listed(client, NEWCOMER)) == [1, 2, 3, 6]
    assert sorted(listed(client, GOLDEN, sort="reward")) == [1, 2, 3, 4, 6]
    count = client.get("/tasks", params={"eligible_for": GOLDEN}).json()["count"]
    assert count == 5


def test_match_sorts_by_pay_per_minute_times_accuracy_and_explains_it(client: TestClient) -> None:
    body = client.get("/tasks", params={"eligible_for": ONCE, "sort": "match"}).json()
    order = [task["task_id"] for task in body["data"]]
    matches = {task["task_id"]: task["match"] for task in body["data"]}
    # USD tasks: 5,000/min is the best rate; ONCE is 90% on transcription (task 3), and
    # 90% overall elsewhere (no classification history); the ETH task is the best in ETH
    assert matches[2]["pay_share"] == 1.0
    assert matches[1]["pay_share"] == pytest.approx(0.2)
    assert matches[3]["pay_share"] == pytest.approx(0.06)
    assert matches[3]["basis"] == "your agreement with the crowd over 6 items on transcription"
    assert "overall (no history on classification)" in matches[1]["basis"]
    assert matches[6]["score"] == pytest.approx(0.9)
    assert order[2:] == [1, 3]  # 0.9 each for tasks 2 and 6, then 0.18, then 0.054
    assert sorted(order[:2]) == [2, 6]
    assert matches[1]["explanation"] == (
        "0.18 = 1000 per 60s = 1,000/min (20% of the best rate in this token) x 90% expected "
        "acceptance (your agreement with the crowd over 6 items overall (no history on "
        "classification))"
    )
    newcomer = client.get("/tasks", params={"eligible_for": NEWCOMER, "sort": "match"}).json()
    assert {t["match"]["acceptance"] for t in newcomer["data"]} == {0.8}
    first = client.get("/tasks", params={"eligible_for": ONCE, "sort": "match", "limit": 2}).json()
    rest = client.get(
        "/tasks",
        params={"eligible_for": ONCE, "sort": "match", "limit": 2, "cursor": first["next_cursor"]},
    ).json()
    assert [t["task_id"] for t in first["data"] + rest["data"]] == order
    assert rest["next_cursor"] is None
    unranked = client.get("/tasks", params={"sort": "match"})
    assert unranked.status_code == 422
    assert unranked.json()["errors"][0]["field"] == "sort"
    assert client.get("/tasks").json()["data"][0]["match"] is None  # other sorts: no match
