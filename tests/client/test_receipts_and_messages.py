"""What a requester reads of the work handed in without gas (the verifier's receipts, the
envelopes they name), and messages to the workers who did it, read in each one's inbox."""

from __future__ import annotations

import pytest

from microtask.client import Requester, Worker
from microtask.client.errors import ApiRefused, EnvelopeMismatch
from tests.client.conftest import Served
from tests.client.test_served import answers, gasless_task
from tests.quality.scenario import REQUESTER, STRANGER, WORKERS

ALICE, BOB = WORKERS["G1"], WORKERS["G2"]


def test_the_requester_reads_receipted_work_and_opens_each_envelope(served: Served) -> None:
    platform = served.platform
    task_id = gasless_task(served, redundancy=1)
    done = Worker(platform, ALICE).work_gasless(task_id, answers({"r0": "pos", "r1": "neg"}))
    requester = Requester(platform, REQUESTER)
    [row] = requester.receipts(task_id)
    assert (row.slot, row.worker, row.envelope_cid) == (
        done.grant.slot,
        ALICE.address,
        done.receipt.envelope_cid,
    )
    assert row.reserved_at <= row.submitted_at
    opened = requester.open_envelope(task_id, row.slot, row.worker, row.envelope_cid)
    assert [(a.item_id, a.answer.label) for a in opened.answers] == [  # type: ignore[union-attr]
        (done.grant.item_id, {"r0": "pos", "r1": "neg"}[done.grant.item_id])
    ]
    with pytest.raises(EnvelopeMismatch, match="not task"):
        requester.open_envelope(task_id, row.slot + 1, row.worker, row.envelope_cid)


def test_messages_reach_only_workers_who_worked_for_the_requester(served: Served) -> None:
    platform = served.platform
    task_id = gasless_task(served, redundancy=1)
    Worker(platform, ALICE).work_gasless(task_id, answers({"r0": "pos", "r1": "neg"}))
    requester = Requester(platform, REQUESTER)
    delivery = requester.notify_workers(
        [ALICE.address, BOB.address], "Thank you", "A bonus is on its way."
    )
    assert delivery.sent == [ALICE.address]
    assert "done no work for you" in delivery.refused[BOB.address]
    [message] = Worker(platform, ALICE).inbox().data
    assert (message.requester, message.subject, message.text) == (
        REQUESTER.address,
        "Thank you",
        "A bonus is on its way.",
    )
    assert Worker(platform, BOB).inbox().data == []
    # a request signed by someone else for Alice's inbox is refused
    body = {"worker": ALICE.address}
    from microtask.client import verifier_requests as requests
    from microtask.verifier.clock import ChainClock

    command = requests.inbox_command(ChainClock.of_node(platform.w3)())
    signature = command.sign(STRANGER, platform.chain_id, platform.escrow_address)
    body = requests.inbox_body(command, ALICE.address, signature)
    with pytest.raises(ApiRefused) as refused:
        platform.api.post("/verifier/inbox", body, service="verifier")
    assert refused.value.status == 401
