"""Review in Chromium: a task without a verifier, whose manifest names the requester's
derived key; two workers hand in on chain; the requester's browser opens every
submission with the key derived from one signature, approves two slots and rejects one
with a reason code and words, each from the wallet and checked on chain to the wei; the
rejected worker reads the reasons from the uploaded review batch. A worker gets neither the
page nor a review batch for someone else's task. A gasless slot whose receipt was never
presented is listed and rejected from the page with its proof (``rejectReceipts``)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from microtask.chain.accounts import dev_accounts
from microtask.chain.devchain import latest_timestamp
from microtask.client import Requester, TaskTerms, Worker
from microtask.client.requester_key import derive_with_account
from microtask.content import parse_cid
from microtask.escrow import SlotState
from microtask.manifests import ItemAnswer, SubmissionAnswers, TaskManifest, seal_submission
from microtask.manifests.answers import ClassificationAnswer
from microtask.verifier import ANY_SLOT, SlotRequest
from microtask.verifier.typed_data import new_nonce
from tests.web.conftest import WebPlatform, page_errors, ready
from tests.web.roles import REQUESTER, REWARD, WORKER, browser_as, manifest, worked


def test_a_requester_opens_submissions_and_approves_and_rejects_from_the_wallet(
    web: WebPlatform, browser: Any
) -> None:
    account = dev_accounts()[REQUESTER]
    key = derive_with_account(account, chain_id=web.chain_id, escrow=web.record.address)
    requester = Requester(web.platform, account, reading_key=key.private_key)
    token = web.platform.token(web.market.token)
    task_id = requester.create_task(
        requester.draft_task(manifest(3), TaskTerms(REWARD, token))
    ).task_id
    web.sync()
    deadline = time.monotonic() + 30
    while httpx.get(f"{web.url}/tasks/{task_id}").json()["manifest"]["status"] != "ok":
        assert time.monotonic() < deadline, "the manifest was never indexed"
        time.sleep(0.1)
    first, second = dev_accounts()[WORKER], dev_accounts()[6]
    worked(web, task_id, range(2), first)  # answers "pos" to r0 and r1
    worked(web, task_id, range(2, 3), second)
    web.sync()
    escrow = web.client(account)

    # a worker: no review page, and no review batch for the requester's task
    context, page, _ = browser_as(web, browser, WORKER)
    response = page.goto(f"/my-tasks/{task_id}/review")
    assert response is not None
    assert response.status == 403
    context.close()
    forged = httpx.post(
        f"{web.url}/my-tasks/{task_id}/review/batch",
        json={"slots": [1], "reason": "spam"},
        cookies={"mt_worker": first.address},
    )
    assert forged.status_code == 422
    assert "not the connected wallet's" in forged.json()["detail"]

    context, page, wallet = browser_as(web, browser, REQUESTER)
    page.goto("/my-tasks")
    ready(page)
    page.get_by_role("link", name=f"Review task {task_id}").click()
    ready(page)
    page.locator("#open-submissions").click()
    page.locator("#review-note", has_text="3 submissions opened").wait_for()
    for slot in range(3):
        answer = page.locator(f'tr[data-review-slot="{slot}"] [data-answer]').inner_text()
        assert answer == f"r{slot}: pos"

    # nothing selected: said in words, nothing sent
    page.locator("#approve-selected").click()
    page.locator("#error", has_text="Select at least one slot").wait_for()
    assert wallet.sent == []

    page.locator("#pick-0").check()
    page.locator("#pick-2").check()
    page.locator("#approve-selected").click()
    page.locator("#review-note", has_text="2 slots approved").wait_for()
    assert escrow.slot(task_id, 0).state is SlotState.APPROVED
    assert escrow.slot(task_id, 2).state is SlotState.APPROVED
    assert escrow.balance(first.address, web.market.token) == REWARD
    assert escrow.balance(second.address, web.market.token) == REWARD

    page.locator("#pick-1").check()
    page.locator("#reject-reason").select_option("incorrect")
    page.locator("#reject-detail").fill("Review 1 is negative.")
    page.locator("#reject-selected").click()
    page.locator("#review-note", has_text="1 slots rejected").wait_for()
    assert escrow.slot(task_id, 1).state is SlotState.REJECTED
    assert escrow.balance(first.address, web.market.token) == REWARD  # no pay for slot 1
    web.sync()
    reviews = Worker(web.platform, first).reviews(task_id)
    assert [(r.review.slot, r.review.reasons[0].code) for r in reviews] == [(1, "incorrect")]
    assert reviews[0].review.reasons[0].detail == "Review 1 is negative."
    assert reviews[0].review.reviewer == account.address
    assert page_errors(page) == []
    context.close()


def test_a_gasless_slot_never_presented_is_rejected_from_the_page_with_its_proof(
    web: WebPlatform, browser: Any
) -> None:
    """A slot handed in without gas whose receipt the worker never presented is open on
    chain: the page lists it from the verifier's receipts and the wallet rejects it with
    ``rejectReceipts`` and the proof the server builds. To keep the slot undecided and
    unpresented, the verifier's thread is stopped before the hand-in (it neither decides
    nor settles); its receipts are still issued and read in this process."""
    task_id = web.post_task(manifest(2), reward=REWARD)
    web.verifier.stop()
    try:
        worker = dev_accounts()[WORKER]
        cid = httpx.get(f"{web.url}/tasks/{task_id}").json()["manifest"]["cid"]
        document = TaskManifest.model_validate(web.store.cat_json(cid))
        expiry = max(latest_timestamp(web.w3), int(time.time())) + 600
        request = SlotRequest(task_id, ANY_SLOT, worker.address, new_nonce(), expiry)
        grant = web.verifier.request_slot(
            request, request.sign(worker, web.chain_id, web.record.address)
        )
        answer = ItemAnswer(item_id=grant.item_id, answer=ClassificationAnswer(label="pos"))
        envelope = seal_submission(
            SubmissionAnswers(answers=[answer]),
            manifest=document,
            manifest_cid=cid,
            chain_id=web.chain_id,
            escrow=web.record.address,
            task_id=task_id,
            slot=grant.slot,
            worker=worker,
        )
        envelope_cid = str(web.store.add_json(envelope.model_dump(mode="json")))
        web.verifier.submit(task_id, grant.slot, envelope_cid)
        escrow = web.client(dev_accounts()[REQUESTER])
        assert escrow.slot(task_id, grant.slot).state is SlotState.OPEN  # never presented

        context, page, wallet = browser_as(web, browser, REQUESTER)
        page.goto(f"/my-tasks/{task_id}/review")
        ready(page)
        row = page.locator(f'tr[data-review-slot="{grant.slot}"]')
        assert worker.address in row.inner_text()
        page.locator(f"#pick-{grant.slot}").check()
        page.locator("#reject-reason").select_option("spam")
        page.locator("#reject-detail").fill("Not an answer.")
        page.locator("#reject-selected").click()
        page.locator("#review-note", has_text="1 slots rejected").wait_for()
        assert len(wallet.sent) == 1  # one rejectReceipts, no plain reject

        view = escrow.slot(task_id, grant.slot)
        assert view.state is SlotState.REJECTED
        assert view.worker == worker.address
        logs = web.platform.reader.logs(
            "SlotsRejected", from_block=web.record.block_number, task_id=task_id
        )
        assert len(logs) == 1
        batch = web.store.cat_json(parse_cid(bytes(logs[0]["reasonCid"])))
        assert [(r["slot"], r["submission"]) for r in batch["reviews"]] == [
            (grant.slot, envelope_cid)
        ]
        assert batch["reviews"][0]["reasons"][0]["code"] == "spam"
        assert page_errors(page) == []
        context.close()
    finally:
        web.restart_verifier()
