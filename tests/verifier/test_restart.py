"""A verifier restarted mid-batch settles nothing twice.

The first verifier assesses the scenario's task and gets part way through settling it,
then stops: after recording its decisions, after persisting a signed approval batch
(never broadcast), or after broadcasting it (mined on chain, never recorded as such).
A new verifier (new engines, new objects, only the database and the chain in common)
then runs its loop. Every slot ends approved or rejected exactly once, the approval batch
on chain is the very transaction the first verifier signed, and nothing is sent after.
"""

from __future__ import annotations

import pytest
from eth_typing import HexStr
from sqlalchemy import select

from microtask.db.verifier_models import IntentKind, IntentStatus, Settled, VerifierDecision
from microtask.db.verifier_models import VerifierSettlement as Intent
from microtask.verifier.settlement import plan
from tests.quality.scenario import crowd
from tests.verifier.conftest import Platform


def _intents(platform: Platform) -> list[Intent]:
    with platform.verifier.reads() as session:
        return list(session.scalars(select(Intent).order_by(Intent.id)))


def _pending(platform: Platform, task_id: int) -> list[VerifierDecision]:
    with platform.verifier.reads() as session:
        return list(
            session.scalars(
                select(VerifierDecision).where(
                    VerifierDecision.task_id == task_id,
                    VerifierDecision.settled == Settled.PENDING,
                )
            )
        )


# the planted crowd of seed 7 as quality control decides it: the good and borderline workers
# approved (since issue 13 the borderline worker, right on 8 of 9 answers, is approved
# too), the careless, copying, straight-lining and too-fast workers rejected
APPROVED, REJECTED = 36, 24


@pytest.mark.parametrize("platform", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize("stopped", ["assessed", "signed", "broadcast"])
def test_a_restart_mid_batch_settles_nothing_twice(platform: Platform, stopped: str) -> None:
    task_id, _ = platform.work_crowd(crowd(7))
    first = platform.verifier
    context = first.context(task_id)
    first._assess(context, "test", settle=False)  # decisions recorded, nothing sent
    signed_hash = None
    if stopped != "assessed":
        pending = _pending(platform, task_id)
        approvals = plan(first.client, context, pending, first.clock()).approve
        assert len(approvals) == APPROVED
        intent_id = first.settler.prepare(
            IntentKind.APPROVE, task_id, [(d.slot, d.worker) for d in approvals]
        )
        signed_hash = _intents(platform)[-1].tx_hash
        if stopped == "broadcast":
            first.settler.broadcast(intent_id)
            # anvil automines, but may answer the send before the block is in
            platform.w3.eth.wait_for_transaction_receipt(HexStr(signed_hash), timeout=30)
            assert len(platform.events("SlotsApproved", task_id)) == 1
    assert platform.settled_slots(task_id).total() == (APPROVED if stopped == "broadcast" else 0)

    second = platform.restart_verifier()
    assert second is not first
    assert second.tick() == []  # nothing new to assess: it only finishes the settlement

    settled = platform.settled_slots(task_id)
    assert set(settled.values()) == {1}
    assert len(settled) == APPROVED + REJECTED
    [approved] = platform.events("SlotsApproved", task_id)
    [rejected] = platform.events("SlotsRejected", task_id)
    assert len(approved["slots"]) == APPROVED
    assert len(rejected["slots"]) == REJECTED
    intents = _intents(platform)
    assert [(i.kind, i.status) for i in intents] == [
        (IntentKind.APPROVE, IntentStatus.MINED),
        (IntentKind.REJECT, IntentStatus.MINED),
    ]
    if signed_hash is not None:
        assert approved["transactionHash"] == signed_hash  # the first verifier's bytes
    assert _pending(platform, task_id) == []

    height = platform.w3.eth.block_number
    assert platform.restart_verifier().tick() == []
    assert platform.w3.eth.block_number == height
