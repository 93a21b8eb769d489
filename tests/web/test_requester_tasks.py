"""The requester's My tasks in Chromium: each task's progress and money, live; add slots
(a dUSD approval, then addSlots), extend, bonus, cancel and withdraw the refund, each from
the wallet and checked on chain to the wei; a receipt-slot reclaim before its window closes
is refused in the escrow's words; a worker sees none of it and the escrow refuses them.

The tasks are posted through the client library in the test's setup (the create form is
part A of issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from microtask.chain.accounts import dev_accounts
from microtask.chain.erc20 import erc20
from microtask.chain.reverts import TransactionReverted
from microtask.client import Requester, Worker
from microtask.web.i18n import Formats
from tests.web.conftest import WebPlatform, page_errors, ready
from tests.web.roles import REQUESTER, REWARD, WORKER, browser_as, manifest, post, worked


def figure(page: Any, task_id: int, name: str) -> Any:
    return page.locator(f'tr[data-task="{task_id}"] td[data-count="{name}"]')


def test_a_requester_watches_and_manages_a_task_from_the_wallet(
    web: WebPlatform, browser: Any
) -> None:
    requester, worker = dev_accounts()[REQUESTER], dev_accounts()[WORKER]
    task_id = post(web, 3)
    worked(web, task_id, range(1), worker)  # slot 0 handed in on chain
    web.sync()
    escrow = web.client(requester)
    token = web.market.token
    coin = erc20(web.w3, token)
    per_slot = REWARD + escrow.task(task_id).fee

    def wallet_dusd(address: str) -> int:
        return int(coin.functions.balanceOf(address).call())

    # a worker has no task of their own here, and the escrow refuses them the requester's acts
    context, page, _ = browser_as(web, browser, WORKER)
    page.goto("/my-tasks")
    ready(page)
    assert page.locator("[data-requester-task]").count() == 0
    context.close()
    with pytest.raises(TransactionReverted) as refused:
        Requester(web.platform, worker).cancel(task_id)
    assert refused.value.error == "NotRequester"

    context, page, wallet = browser_as(web, browser, REQUESTER, timezone_id="UTC")
    page.get_by_role("link", name="My tasks").click()
    ready(page)
    counts = {n: figure(page, task_id, n).inner_text() for n in ("open", "reserved", "receipted")}
    assert counts == {"open": "2", "reserved": "0", "receipted": "1"}
    escrowed = page.locator(f'tr[data-task="{task_id}"] td[data-money=escrow]').inner_text()
    assert escrowed == Formats("en").amount(3 * per_slot, 6, "dUSD")
    assert escrow.task(task_id).escrow == 3 * per_slot

    # live: a claim elsewhere shows up without a reload
    Worker(web.platform, worker).claim(task_id, 1)
    figure(page, task_id, "reserved").filter(has_text="1").wait_for()
    assert figure(page, task_id, "open").inner_text() == "1"

    card = page.locator(f'[data-requester-task="{task_id}"]')
    card.locator("summary").click()  # its forms are folded away until asked for
    note = page.locator("#requests-note")

    def done(action: str) -> None:
        card.locator(f"form[data-requester={action}] button").click()
        note.filter(has_text="Done").wait_for()
        page.evaluate("document.getElementById('requests-note').textContent = ''")

    # add slots: the wallet approves the exact cost, then addSlots takes it
    before = wallet_dusd(requester.address)
    card.locator("form[data-requester=add-slots] input").fill("2")
    done("add-slots")
    assert escrow.task(task_id).slot_count == 5
    assert before - wallet_dusd(requester.address) == 2 * per_slot
    assert escrow.task(task_id).escrow == 5 * per_slot

    # extend the deadline by a day, to the minute typed
    deadline = escrow.task(task_id).deadline
    later = (deadline // 60 + 24 * 60) * 60
    typed = datetime.fromtimestamp(later, UTC).strftime("%Y-%m-%dT%H:%M")
    card.locator("form[data-requester=extend] input").fill(typed)
    done("extend")
    assert escrow.task(task_id).deadline == later

    # a bonus of 0.01 dUSD to the worker
    before = wallet_dusd(requester.address)
    card.locator("input[name=worker]").fill(worker.address)
    card.locator("form[data-requester=bonus] input[name=amount]").fill("0.01")
    done("bonus")
    assert escrow.balance(worker.address, token) == 10_000
    assert before - wallet_dusd(requester.address) == 10_000

    # cancel (after saying yes): the three slots nobody holds come back at once
    page.once("dialog", lambda dialog: dialog.accept())
    done("cancel")
    assert escrow.task(task_id).cancelled
    refund = escrow.balance(requester.address, token)
    assert refund == 3 * per_slot

    # the refund is withdrawn to the wallet, to the wei
    web.sync()
    page.reload()
    ready(page)
    assert "Cancelled" in card.inner_text()
    before = wallet_dusd(requester.address)
    form = page.locator("form[data-withdraw]")
    form.locator("input[name=amount]").fill(f"{refund / 10**6:.6f}")
    form.locator("button").click()
    page.wait_for_url("**/my-tasks?withdrawn=*")
    assert wallet_dusd(requester.address) - before == refund
    assert escrow.balance(requester.address, token) == 0
    # two approvals (the dUSD each top-up takes) and five escrow calls, all the requester's
    assert len(wallet.sent) == 7
    assert {tx["from"].lower() for tx in wallet.sent} == {requester.address.lower()}
    assert page_errors(page) == []
    context.close()


def test_reclaiming_receipt_slots_too_early_is_refused_in_words(
    web: WebPlatform, browser: Any
) -> None:
    task_id = web.post_task(manifest(2), reward=REWARD)  # gasless: both are receipt slots
    context, page, wallet = browser_as(web, browser, REQUESTER)
    page.goto("/my-tasks")
    ready(page)
    page.locator(f'[data-requester-task="{task_id}"] summary').click()
    form = page.locator(f'[data-requester-task="{task_id}"] form[data-requester=reclaim]')
    assert "2 receipt slots are unused" in form.inner_text()
    sent = len(wallet.sent)
    form.locator("button").click()
    page.locator("#error", has_text="ReceiptWindowOpen").wait_for()
    assert len(wallet.sent) == sent
    assert not web.client(dev_accounts()[REQUESTER]).task(task_id).receipt_slots_reclaimed
    assert page_errors(page) == []
    context.close()
