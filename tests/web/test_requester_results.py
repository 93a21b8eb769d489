"""Results in Chromium: a task whose manifest names the requester's key derived from a
wallet signature is done by three workers (one careless) through the verifier; the
requester's browser derives the same key from one signature, opens the sealed result set
and shows each item's aggregate with its confidence; the CSV and JSON Lines downloads are
the published bytes, and the Label Studio export is a list of tasks with the aggregate as
a scored prediction. Another account gets no results page."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx

from microtask.chain.accounts import dev_accounts
from microtask.chain.devchain import latest_timestamp
from microtask.client import Requester, TaskTerms
from microtask.client.requester_key import derive_with_account
from microtask.manifests import ItemAnswer, SubmissionAnswers, TaskManifest, seal_submission
from microtask.manifests.answers import ClassificationAnswer
from microtask.verifier import ANY_SLOT, NoSlot, SlotRequest
from microtask.verifier.typed_data import new_nonce
from tests.web.conftest import WebPlatform, page_errors, ready
from tests.web.roles import REQUESTER, REWARD, browser_as, manifest

TRUTH = {"r0": "pos", "r1": "neg", "r2": "pos"}


def work_through_the_verifier(web: WebPlatform, task_id: int, worker: Any, careless: bool) -> None:
    """A worker of the CLI's library: asks for slots until none is left, answers each."""
    cid = httpx.get(f"{web.url}/tasks/{task_id}").json()["manifest"]["cid"]
    document = TaskManifest.model_validate(web.store.cat_json(cid))
    while True:
        expiry = max(latest_timestamp(web.w3), int(time.time())) + 600
        request = SlotRequest(task_id, ANY_SLOT, worker.address, new_nonce(), expiry)
        try:
            grant = web.verifier.request_slot(
                request, request.sign(worker, web.chain_id, web.record.address)
            )
        except NoSlot:
            return
        label = TRUTH[grant.item_id]
        if careless:
            label = "neg" if label == "pos" else "pos"
        answers = SubmissionAnswers(
            answers=[ItemAnswer(item_id=grant.item_id, answer=ClassificationAnswer(label=label))]
        )
        envelope = seal_submission(
            answers,
            manifest=document,
            manifest_cid=cid,
            chain_id=web.chain_id,
            escrow=web.record.address,
            task_id=task_id,
            slot=grant.slot,
            worker=worker,
        )
        web.verifier.submit(
            task_id, grant.slot, str(web.store.add_json(envelope.model_dump(mode="json")))
        )


def test_a_requester_reads_the_decrypted_aggregate_and_exports_it(
    web: WebPlatform, browser: Any, tmp_path: Path
) -> None:
    account = dev_accounts()[REQUESTER]
    key = derive_with_account(account, chain_id=web.chain_id, escrow=web.record.address)
    requester = Requester(web.platform, account, reading_key=key.private_key)
    document = manifest(3) | {"redundancy": 3}
    token = web.platform.token(web.market.token)
    draft = requester.draft_task(document, TaskTerms(REWARD, token, gasless=True))
    assert draft.manifest.requester_public_key == key.public_key
    task_id = requester.create_task(draft).task_id
    web.sync()
    deadline = time.monotonic() + 30
    while httpx.get(f"{web.url}/tasks/{task_id}").json()["manifest"]["status"] != "ok":
        assert time.monotonic() < deadline, "the manifest was never indexed"
        time.sleep(0.1)
    for index, careless in ((3, False), (4, False), (5, True)):
        work_through_the_verifier(web, task_id, dev_accounts()[index], careless)
    deadline = time.monotonic() + 60
    while httpx.get(f"{web.url}/tasks/{task_id}/results").status_code != 200:
        assert time.monotonic() < deadline, "the verifier never published results"
        time.sleep(0.2)
    published = requester.results(task_id)  # the CLI's reading, for comparison

    # another account gets no results page (and its wallet would derive another key)
    context, page, _ = browser_as(web, browser, 6)
    response = page.goto(f"/my-tasks/{task_id}/results")
    assert response is not None
    assert response.status == 403
    assert page.locator("#read-results").count() == 0
    context.close()

    context, page, wallet = browser_as(web, browser, REQUESTER, accept_downloads=True)
    page.goto("/my-tasks")
    ready(page)
    page.get_by_role("link", name=f"Read the results of task {task_id}").click()
    ready(page)
    page.locator("#read-results").click()
    page.locator("#results:not([hidden])").wait_for()
    assert [signed["primaryType"] for signed in wallet.signed] == ["EncryptionKey"]
    rows = page.locator("#results-rows tr")
    assert rows.count() == 3
    for item, label in TRUTH.items():
        row = page.locator(f'#results-rows tr[data-item="{item}"]')
        assert row.locator("[data-value]").inner_text() == label  # two of three agree
        shown = float(row.locator("[data-confidence]").get_attribute("data-confidence") or "nan")
        expected = next(r for r in published.rows if r["item_id"] == item)["confidence"]
        assert shown == expected

    def download(kind: str) -> bytes:
        with page.expect_download() as started:
            page.locator(f"[data-download={kind}]").click()
        path = tmp_path / kind
        started.value.save_as(path)
        return path.read_bytes()

    assert download("csv") == published.csv
    assert download("jsonl") == published.jsonl
    tasks = json.loads(download("label-studio"))
    first = next(t for t in tasks if t["data"]["item_id"] == "r0")
    assert first["data"]["text"] == "review 0"
    prediction = first["predictions"][0]
    assert prediction["result"][0]["value"] == {"choices": ["pos"]}
    assert prediction["result"][0]["type"] == "choices"
    assert 0 < prediction["score"] <= 1
    assert page_errors(page) == []
    context.close()
