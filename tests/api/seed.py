"""A small index written row by row with the models, every filter's edge in it.

Chain time is `NOW` (the checkpoint's head time); the wall clock the app is given is
`WALL`. The tasks, people and records are chosen so each filter, sort and status has a
case on each side of its boundary (see the comments); `tests/api/test_indexed.py` checks
the same routes against rows the real indexer wrote from real transactions.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from microtask.db.base import AssignmentSource, AssignmentStatus, ManifestStatus
from microtask.db.models import (
    Account,
    Assignment,
    Block,
    Checkpoint,
    Event,
    Manifest,
    ManifestTag,
    Slot,
    Task,
)
from microtask.escrow import ApprovalBasis, SlotState

NOW: Final = 1_800_000_000
WALL: Final = 1_900_000_000.0
CONTRACT: Final = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
ETH: Final = "0x0000000000000000000000000000000000000000"
USD: Final = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"


def _address(n: int) -> str:
    from eth_utils.address import to_checksum_address

    return str(to_checksum_address(f"0x{n:040x}"))


R1, R2 = _address(0xA1), _address(0xA2)
VERIFIER, ARBITRATOR = _address(0xB1), _address(0xC1)
W1, W2, W3 = _address(0xD1), _address(0xD2), _address(0xD3)
BIG_REWARD: Final = 10**20  # past 2**63: amounts must stay exact
M_IMAGES: Final = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
M_TEXT: Final = "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"
M_PENDING: Final = "QmPendingPendingPendingPendingPendingPendingPe"
M_INVALID: Final = "QmInvalidInvalidInvalidInvalidInvalidInvalidIn"

# task id: (requester, token, reward, slots, available, deadline, cancelled, manifest,
#           min_approved, min_approval_bps, verifier)
TASKS: Final[dict[int, tuple[Any, ...]]] = {
    1: (R1, ETH, 10**16, 3, 2, NOW + 1000, False, M_IMAGES, 0, 0, VERIFIER),  # open
    2: (R1, ETH, 5 * 10**16, 1, 0, NOW + 2000, False, M_TEXT, 0, 0, VERIFIER),  # full
    3: (R2, USD, 2_000_000, 2, 2, NOW - 1, False, M_IMAGES, 0, 0, VERIFIER),  # expired
    4: (R2, ETH, 10**15, 2, 0, NOW + 500, True, M_PENDING, 0, 0, VERIFIER),  # cancelled
    5: (R1, ETH, BIG_REWARD, 5, 5, NOW + 3000, False, M_TEXT, 5, 8000, VERIFIER),  # W1 only
    6: (R2, USD, 3_000_000, 4, 4, NOW + 100, False, M_IMAGES, 0, 5000, W3),  # not W3
    7: (R1, ETH, 10**16, 2, 1, NOW, False, M_INVALID, 0, 0, VERIFIER),  # deadline = now: open
}
OPEN: Final = [1, 5, 6, 7]
FULL: Final = [2]
EXPIRED: Final = [3]
CANCELLED: Final = [4]

# (token, address): approved, rejected, earned, balance, funded, refunded
ACCOUNTS: Final = {
    (ETH, W1): (10, 0, 10 * 10**16, 10**16, 0, 0),
    (ETH, W2): (3, 7, 3 * 10**16, 0, 0, 0),
    (ETH, R1): (0, 0, 0, 10**15, 3 * BIG_REWARD, 10**15),
    (USD, R2): (0, 0, 0, 0, 30_000_000, 0),
}


def _manifests() -> list[Manifest]:
    def ok(cid: str, title: str, kind: str, language: str, tags: list[str]) -> Manifest:
        return Manifest(
            cid=cid, status=ManifestStatus.OK, attempts=1, fetched_at=WALL, size=900,
            title=title, kind=kind, language=language, time_estimate_seconds=30,
            item_count=2, redundancy=1, requester=R1, tags=tags, document={"title": title},
        )  # fmt: skip

    return [
        ok(M_IMAGES, "Cat or dog?", "classification", "en", ["images", "animals"]),
        ok(M_TEXT, "Übersetzen", "free_text", "de", ["text", "animals"]),
        Manifest(cid=M_PENDING, status=ManifestStatus.PENDING, attempts=0),
        Manifest(
            cid=M_INVALID,
            status=ManifestStatus.INVALID,
            attempts=1,
            error="title: String should have at least 1 character",
        ),
    ]


def _task(task_id: int, values: tuple[Any, ...]) -> Task:
    requester, token, reward, slots, available, deadline, cancelled, cid, min_ok, bps, ver = values
    fee = reward // 40
    return Task(
        task_id=task_id, requester=requester, token=token, manifest_cid=cid, reward=reward,
        fee_bps=250, slot_count=slots, receipt_slots=0, open_slots=available,
        receipt_slots_used=0, deadline=deadline, review_period=3600, lease=600, verifier=ver,
        arbitrator=ARBITRATOR, min_approved=min_ok, min_approval_bps=bps, cancelled=cancelled,
        receipt_slots_reclaimed=False, escrow=(reward + fee) * slots, fee=fee,
        available_slots=available, approved_slots=0, closed_slots=0,
        funded=(reward + fee) * slots, paid=0, fees_paid=0, refunded=0, bonuses=0,
        created_block=10 + task_id, created_at=NOW - 10_000 + task_id,
        created_tx="0x" + f"{task_id:064x}", cancelled_at=NOW - 5 if cancelled else None,
        updated_block=10 + task_id,
    )  # fmt: skip


def _assignment(task_id: int, slot: int, number: int, worker: str, **values: Any) -> Assignment:
    return Assignment(
        task_id=task_id, slot=slot, number=number, worker=worker,
        source=values.pop("source", AssignmentSource.CLAIM), started_block=20 + number,
        updated_block=30 + number, claimed_at=NOW - 100, **values,
    )  # fmt: skip


def _event(number: int, name: str, task_id: int | None, args: dict[str, Any]) -> Event:
    return Event(
        block_number=10 + number, block_hash="0x" + f"{number:064x}", block_timestamp=NOW - 100,
        tx_hash="0x" + f"{number + 1000:064x}", tx_index=0, log_index=0, name=name,
        task_id=task_id, args=args,
    )  # fmt: skip


def seed(engine: Engine) -> None:
    """Write the whole index (the schema must exist)."""
    with Session(engine) as session, session.begin():
        session.add_all(_manifests())
        session.flush()
        session.add_all(
            [
                ManifestTag(cid=m.cid, tag=tag)
                for m in _manifests()
                if m.status is ManifestStatus.OK
                for tag in m.tags or ()
            ]
        )
        session.add_all([_task(task_id, values) for task_id, values in TASKS.items()])
        session.flush()
        session.add_all(
            [
                Slot(task_id=1, slot=0, state=SlotState.CLAIMED, worker=W1,
                     timestamp=NOW + 500, assignments=1, updated_block=30),
                Slot(task_id=1, slot=1, state=SlotState.APPROVED, worker=W2, timestamp=0,
                     assignments=2, updated_block=31),
                Slot(task_id=2, slot=0, state=SlotState.SUBMITTED, worker=W1,
                     timestamp=NOW - 50, assignments=1, updated_block=32),
            ]
        )  # fmt: skip
        session.flush()
        session.add_all(
            [
                _assignment(1, 0, 0, W1, status=AssignmentStatus.CLAIMED, lease_end=NOW + 500),
                _assignment(1, 1, 0, W3, status=AssignmentStatus.RELEASED, ended_at=NOW - 90),
                _assignment(
                    1, 1, 1, W2, status=AssignmentStatus.APPROVED, submitted_at=NOW - 80,
                    result_cid=M_IMAGES, basis=ApprovalBasis.REVIEW, reward=10**16,
                    ended_at=NOW - 70,
                ),
                _assignment(2, 0, 0, W1, status=AssignmentStatus.SUBMITTED, submitted_at=NOW - 50,
                            result_cid=M_TEXT),
            ]
        )  # fmt: skip
        session.add_all(
            [
                Account(
                    token=token, address=address, balance=balance, approved=approved,
                    rejected=rejected, disputes_won=0, disputes_lost=0, earned=earned,
                    bonuses=0, fees=0, refunded=refunded, funded=funded, withdrawn=0,
                    updated_block=40,
                )
                for (token, address), (approved, rejected, earned, balance, funded, refunded)
                in ACCOUNTS.items()
            ]
        )  # fmt: skip
        events = [
            _event(task_id, "TaskCreated", task_id, {"taskId": str(task_id)}) for task_id in TASKS
        ]
        events.append(_event(20, "SlotClaimed", 1, {"taskId": "1", "slot": "0", "worker": W1}))
        events.append(_event(21, "FeeChanged", None, {"feeBps": "300"}))
        session.add_all(events)
        session.add(Block(number=31, hash="0x" + "31" * 32, parent_hash="0x" + "30" * 32,
                          timestamp=NOW - 100))  # fmt: skip
        session.add(
            Checkpoint(
                contract=CONTRACT, chain_id=31337, deployment_block=1, block_number=31,
                block_hash="0x" + "31" * 32, block_timestamp=NOW - 100, chain_head=33,
                chain_head_timestamp=NOW, chain_head_seen_at=WALL - 1.5,
            )
        )  # fmt: skip
