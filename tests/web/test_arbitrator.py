"""The arbitrator's page in Chromium: only arbitrators see it; both sides' documents are
there (the reviewer's reasons from the review batch, the worker's dispute document); a
ruling pays the worker to the wei or upholds the rejection with reasons both sides read;
a worker cannot rule (the escrow refuses them), an arbitrator cannot uphold without reasons,
and a stale page names the escrow's refusal instead of sending."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from microtask.chain.accounts import dev_accounts
from microtask.chain.reverts import TransactionReverted
from microtask.client import Operator
from microtask.escrow import SlotState
from tests.web.conftest import WebPlatform, page_errors, ready
from tests.web.roles import OWNER, REQUESTER, REWARD, WORKER, browser_as, disputed


def test_an_arbitrator_reads_both_sides_and_rules_and_nobody_else_may(
    web: WebPlatform, browser: Any
) -> None:
    arbitrator, worker = dev_accounts()[OWNER], dev_accounts()[WORKER]
    requester = dev_accounts()[REQUESTER]
    assert web.platform.reader.default_arbitrator() == arbitrator.address
    task_id = disputed(web, 3)
    token = web.market.token
    escrow = web.client(arbitrator)

    # the worker sees no link, and the server refuses the page (with or without a cookie)
    context, page, wallet = browser_as(web, browser, WORKER)
    assert page.get_by_role("link", name="Disputes").count() == 0
    response = page.goto("/arbitrate")
    assert response is not None
    assert response.status == 403
    assert page.locator("form[data-rule]").count() == 0
    assert httpx.get(f"{web.url}/arbitrate").status_code == 403
    context.close()

    context, page, wallet = browser_as(web, browser, OWNER)
    page.get_by_role("link", name="Disputes").click()
    ready(page)
    cards = page.locator("li[data-dispute-task]")
    assert cards.count() == 3
    for slot in (0, 1, 2):
        card = page.locator(f'li[data-dispute-task="{task_id}"][data-dispute-slot="{slot}"]')
        text = card.inner_text()
        assert "Incorrect" in text  # the reviewer's reason code, and words
        assert "review 0 is plainly negative" in text
        assert f"slot {slot}: the review reads positive" in text  # the worker
        assert worker.address in text
        assert requester.address in text

    # slot 0: pay the worker, by keyboard
    first = page.locator('form[data-rule][data-slot="0"]')
    first.locator("input[value=pay]").focus()
    page.keyboard.press("Space")
    first.locator("button").focus()
    page.keyboard.press("Enter")
    page.get_by_text(f"Ruled: slot 0 of task {task_id} pays the worker.").first.wait_for()
    assert escrow.slot(task_id, 0).state is SlotState.APPROVED
    assert escrow.balance(worker.address, token) == REWARD

    # slot 1: upholding needs reasons (nothing is sent without them)
    second = page.locator('form[data-rule][data-slot="1"]')
    second.locator("input[value=uphold]").check()
    sent = len(wallet.sent)
    second.locator("button").click()
    page.wait_for_selector("#error:not([hidden])")
    assert "needs your reasons" in page.locator("#error").inner_text()
    assert len(wallet.sent) == sent

    second.locator("textarea").fill("Review 1 says the product broke: negative.")
    refund_before = escrow.balance(requester.address, token)
    second.locator("button").click()
    page.get_by_text(f"Ruled: the rejection of slot 1 of task {task_id} stands.").first.wait_for()
    assert escrow.slot(task_id, 1).state is SlotState.CLOSED
    fee = escrow.task(task_id).fee
    assert escrow.balance(requester.address, token) - refund_before == REWARD + fee
    assert escrow.balance(worker.address, token) == REWARD  # unchanged by upholding

    # slot 2: the worker cannot rule (the escrow refuses them); a page left open after the
    # arbitrator ruled elsewhere (the CLI) names the escrow's refusal and sends nothing
    with pytest.raises(TransactionReverted) as refused:
        Operator(web.platform, worker).rule(task_id, 2, pay=True)
    assert refused.value.error == "NotArbitrator"
    Operator(web.platform, arbitrator).rule(task_id, 2, pay=True)
    third = page.locator('form[data-rule][data-slot="2"]')
    third.locator("input[value=pay]").check()
    sent = len(wallet.sent)
    third.locator("button").click()
    page.locator("#error", has_text="InvalidSlotState").wait_for()
    assert len(wallet.sent) == sent
    assert escrow.balance(worker.address, token) == 2 * REWARD

    # the rulings are listed as decided, the upheld one with its reasons (from content)
    web.sync()
    page.reload()
    ready(page)
    assert page.locator("li[data-dispute-task]").count() == 0
    upheld = page.locator(f'li[data-ruled-task="{task_id}"][data-ruled-slot="1"]')
    assert upheld.get_attribute("data-status") == "upheld"
    assert "the product broke" in upheld.inner_text()
    assert (
        page.locator(f'li[data-ruled-task="{task_id}"][data-ruled-slot="0"]').get_attribute(
            "data-status"
        )
        == "overturned"
    )
    assert page_errors(page) == []
    context.close()
