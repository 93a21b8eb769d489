"""The requester's policy in Chromium: a block list signed by the wallet reaches the
verifier (the blocked worker is then refused a slot, another is not); a wrong address or
a rule that is not JSON is named before anything is signed; a worker cannot set a policy
for a task that is not theirs (the verifier refuses, in words)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from microtask.chain.accounts import dev_accounts
from microtask.chain.devchain import latest_timestamp
from microtask.verifier import ANY_SLOT, SlotRequest
from microtask.verifier.typed_data import new_nonce
from tests.web.conftest import WebPlatform, page_errors, ready
from tests.web.roles import REQUESTER, REWARD, WORKER, browser_as, manifest


def request_slot(web: WebPlatform, task_id: int, index: int) -> Any:
    worker = dev_accounts()[index]
    expiry = max(latest_timestamp(web.w3), int(time.time())) + 600
    request = SlotRequest(task_id, ANY_SLOT, worker.address, new_nonce(), expiry)
    return web.verifier.request_slot(
        request, request.sign(worker, web.chain_id, web.record.address)
    )


def test_a_requester_blocks_a_worker_from_the_wallet(web: WebPlatform, browser: Any) -> None:
    task_id = web.post_task(manifest(3), reward=REWARD)  # gasless: the verifier hands out slots
    blocked = dev_accounts()[WORKER]

    context, page, wallet = browser_as(web, browser, REQUESTER)
    page.goto("/my-tasks")
    ready(page)
    page.get_by_role("link", name="your policy").click()
    ready(page)
    page.locator("#policy-task").select_option(str(task_id))

    # wrong fields are named, and nothing is signed
    page.locator("#policy-block").fill("0x12")
    page.locator("#policy-form button").click()
    page.locator("#error", has_text="body.block").wait_for()
    assert page.locator("#policy-block").get_attribute("aria-invalid") == "true"
    page.locator("#policy-block").fill(blocked.address)
    rule = page.locator("#policy-rule").input_value()
    page.locator("#policy-rule").fill("{not json")
    page.locator("#policy-form button").click()
    page.locator("#error", has_text="body.rule").wait_for()
    assert wallet.signed == []

    page.locator("#policy-rule").fill(rule)  # the platform's default, as shown
    page.locator("#policy-form button").click()
    page.locator("#policy-note", has_text="The verifier has your policy").wait_for()
    assert [signed["primaryType"] for signed in wallet.signed] == ["VerifierCommand"]
    assert wallet.signed[0]["message"]["action"] == "policy"

    with pytest.raises(Exception, match="does not accept your work"):
        request_slot(web, task_id, WORKER)
    assert request_slot(web, task_id, 6).slot < 3  # anyone else still may
    assert page_errors(page) == []
    context.close()

    # a worker signing a policy for the requester's task is refused by the verifier
    context, page, wallet = browser_as(web, browser, WORKER)
    page.goto("/policy")
    ready(page)
    assert page.locator(f'#policy-task option[value="{task_id}"]').count() == 0
    page.evaluate(f"document.querySelector('#policy-task').add(new Option('forged', '{task_id}'))")
    page.locator("#policy-task").select_option(str(task_id))
    page.locator("#policy-allow").fill(blocked.address)
    page.locator("#policy-form button").click()
    page.locator("#error", has_text=f"task {task_id} is not").wait_for()
    with pytest.raises(Exception, match="does not accept your work"):
        request_slot(web, task_id, WORKER)  # the requester's policy still stands
    context.close()
