"""Issue 15's whole scenario in Chromium, one party per browser context, against the real
platform: the requester posts a classification task with gold items from a CSV through the
create form, paid in dUSD with a permit; three workers do it in their browsers, one of them
careless (wrong on both gold items: too little evidence to reject, so quality control
leaves their slots undecided, receipted and never presented on chain); the requester reads
the decrypted aggregate on the Results page and rejects one undecided slot with a reason on
the Review page (``rejectReceipts``); the worker disputes it from "My work"; the
arbitrator upholds the rejection on ``/arbitrate``. Every balance is checked on chain to
the wei, computed from the escrow's rules (`microtask.escrow`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from microtask.chain.accounts import dev_accounts
from microtask.chain.erc20 import erc20
from microtask.client import Requester
from microtask.client.requester_key import derive_with_account
from microtask.escrow import SlotState, fee_of, funding_of, per_slot
from tests.web.conftest import (
    InjectedWallet,
    WebPlatform,
    answer_items,
    connect_wallet,
    page_errors,
    ready,
    with_wallet,
)
from tests.web.roles import OWNER, REQUESTER, browser_as
from tests.web.test_requester_create import (
    ITEMS,
    REDUNDANCY,
    REWARD,
    fill_the_form,
    press,
    type_into,
    wait_for_index,
)
from tests.web.test_worker_flows import until

TRUTH = {"r1": "positive", "r2": "negative", "r3": "positive", "r4": "negative"}
"""The CSV's reviews (`test_requester_create.CSV`): r1 and r2 are its gold items."""
GOLD = ("r1", "r2")
LABELS = ("positive", "negative")  # the form's order: number keys 1 and 2
GOOD, OTHER, CARELESS = 3, 4, 5


def careless_label(item: str) -> str:
    """Wrong on the gold items, right elsewhere: 2 of 4, too little to reject at 95%."""
    right = TRUTH[item]
    return ("negative" if right == "positive" else "positive") if item in GOLD else right


def test_a_task_is_posted_done_reviewed_read_disputed_and_ruled_in_the_browser(
    web: WebPlatform, browser: Any, context: Any, tmp_path: Path
) -> None:
    account = dev_accounts()[REQUESTER]
    workers = {index: dev_accounts()[index] for index in (GOOD, OTHER, CARELESS)}
    dusd = web.market.token
    coin = erc20(web.w3, dusd)
    escrow = web.client(account)
    treasury = escrow.treasury()
    slots = ITEMS * REDUNDANCY
    fee = fee_of(REWARD, escrow.fee_bps(), escrow.minimum_fee(dusd))
    held = per_slot(REWARD, escrow.fee_bps(), escrow.minimum_fee(dusd))
    funding = funding_of(REWARD, slots, escrow.fee_bps(), escrow.minimum_fee(dusd))

    def wallet_balance(address: str) -> int:
        return int(coin.functions.balanceOf(address).call())

    def balances() -> dict[str, int]:
        """Each party's escrow balance in dUSD, the requester's wallet and the escrow's."""
        found = {a.address: escrow.balance(a.address, dusd) for a in workers.values()}
        found["requester"] = escrow.balance(account.address, dusd)
        found["treasury"] = escrow.balance(treasury, dusd)
        found["wallet"] = wallet_balance(account.address)
        found["escrow contract"] = wallet_balance(web.record.address)
        return found

    before = balances()

    # the requester posts the task from the create form, paid with a permit
    wallet = InjectedWallet(web.w3, account)
    page = with_wallet(context, wallet)
    page.goto("/requester/new")
    ready(page)
    connect_wallet(page, wallet)
    fill_the_form(page, tmp_path)
    type_into(page, "#reward", "0.25")
    press(page, "#review-cost")
    page.locator("#cost:not([hidden])").wait_for()
    press(page, "#pay")
    link = page.locator("#created:not([hidden]) #created-link")
    link.wait_for()
    task_id = int(str(link.get_attribute("data-task-id")))
    assert [s["primaryType"] for s in wallet.signed] == ["EncryptionKey", "Permit"]
    task = escrow.task(task_id)
    assert (task.reward, task.slot_count, task.fee, task.escrow) == (
        REWARD,
        slots,
        fee,
        funding,
    )
    assert task.receipt_slots == slots  # gasless: every slot through the verifier
    wait_for_index(web, task_id)

    # three workers, each in their own browser context; the careless one is wrong on gold
    pages = {}
    for index in workers:
        worker_context, worker_page, worker_wallet = browser_as(web, browser, index)
        assert (
            answer_items(
                worker_page,
                task_id,
                LABELS,
                careless_label if index == CARELESS else TRUTH.__getitem__,
            )
            == ITEMS
        )
        pages[index] = (worker_context, worker_page, worker_wallet)

    def decisions() -> dict[int, str]:
        found = web.verifier.task_status(task_id)["decisions"]
        return {int(d["slot"]): str(d["outcome"]) for d in found}

    # the verifier assesses once every slot is in and pays the good workers by itself
    def settled() -> bool:
        outcomes = decisions()
        approved = [s for s, outcome in outcomes.items() if outcome == "approve"]
        return len(outcomes) == slots and all(
            escrow.slot(task_id, s).state is SlotState.APPROVED for s in approved
        )

    until(settled)
    outcomes = decisions()
    holders = {}
    for s in range(slots):
        issued = web.verifier.receipt(task_id, s)
        assert issued is not None, f"slot {s} has no receipt"
        holders[s] = issued.receipt.worker
    by_worker = {
        index: sorted(s for s, holder in holders.items() if holder == w.address)
        for index, w in workers.items()
    }
    assert all(len(mine) == ITEMS for mine in by_worker.values())
    assert {outcomes[s] for s in by_worker[GOOD] + by_worker[OTHER]} == {"approve"}
    undecided = by_worker[CARELESS]
    assert {outcomes[s] for s in undecided} == {"undecided"}, outcomes
    for s in undecided:  # receipted, never presented: open on chain
        assert escrow.slot(task_id, s).state is SlotState.OPEN
    web.sync()

    # the requester reads the decrypted aggregate: the crowd outvotes the careless worker
    deadline = time.monotonic() + 60
    while httpx.get(f"{web.url}/tasks/{task_id}/results").status_code != 200:
        assert time.monotonic() < deadline, "the verifier never published results"
        time.sleep(0.2)
    key = derive_with_account(account, chain_id=web.chain_id, escrow=web.record.address)
    published = Requester(web.platform, account, reading_key=key.private_key).results(task_id)
    page.goto("/my-tasks")
    ready(page)
    page.get_by_role("link", name=f"Read the results of task {task_id}").click()
    ready(page)
    page.locator("#read-results").click()
    page.locator("#results:not([hidden])").wait_for()
    assert page.locator("#results-rows tr").count() == ITEMS
    for item, label in TRUTH.items():
        row = page.locator(f'#results-rows tr[data-item="{item}"]')
        assert row.locator("[data-value]").inner_text() == label
        shown = float(row.locator("[data-confidence]").get_attribute("data-confidence") or "nan")
        assert shown == next(r for r in published.rows if r["item_id"] == item)["confidence"]

    # ... and rejects one undecided slot with a reason (rejectReceipts with its proof)
    rejected = undecided[0]
    page.goto(f"/my-tasks/{task_id}/review")
    ready(page)
    listed = page.locator("tr[data-review-slot]")
    assert sorted(int(r.get_attribute("data-review-slot")) for r in listed.all()) == undecided
    assert (
        workers[CARELESS].address in page.locator(f'tr[data-review-slot="{rejected}"]').inner_text()
    )
    sent = len(wallet.sent)
    page.locator(f"#pick-{rejected}").check()
    page.locator("#reject-reason").select_option("incorrect")
    page.locator("#reject-detail").fill("Both reviews you were shown read the other way.")
    page.locator("#reject-selected").click()
    page.locator("#review-note", has_text="1 slots rejected").wait_for()
    assert len(wallet.sent) == sent + 1
    assert escrow.slot(task_id, rejected).state is SlotState.REJECTED
    assert page_errors(page) == []
    web.sync()

    # the careless worker reads why and disputes from "My work"
    worker_context, worker_page, _ = pages[CARELESS]
    worker_page.goto("/my-work")
    ready(worker_page)
    card = worker_page.locator("li.card[data-status=rejected]")
    assert card.count() == 1
    assert "read the other way" in card.inner_text()
    form = card.locator("form[data-dispute]")
    assert int(form.get_attribute("data-slot") or "-1") == rejected
    form.locator("textarea").fill("I read both reviews again; my answers stand.")
    form.locator("button").click()
    card.get_by_role("status").wait_for()
    assert escrow.slot(task_id, rejected).state is SlotState.DISPUTED
    for index, (opened, worker_page, _) in pages.items():
        assert page_errors(worker_page) == [], index
        opened.close()
    web.sync()

    # the arbitrator reads both sides and upholds the rejection
    arbiter_context, arbiter, _ = browser_as(web, browser, OWNER)
    arbiter.get_by_role("link", name="Disputes").click()
    ready(arbiter)
    ruling = arbiter.locator(f'form[data-rule][data-slot="{rejected}"]')
    dispute = arbiter.locator(
        f'li[data-dispute-task="{task_id}"][data-dispute-slot="{rejected}"]'
    ).inner_text()
    assert "read the other way" in dispute
    assert "my answers stand" in dispute
    ruling.locator("input[value=uphold]").check()
    ruling.locator("textarea").fill("The gold answers are right: the rejection stands.")
    ruling.locator("button").click()
    arbiter.get_by_text(
        f"Ruled: the rejection of slot {rejected} of task {task_id} stands."
    ).first.wait_for()
    assert escrow.slot(task_id, rejected).state is SlotState.CLOSED
    assert page_errors(arbiter) == []
    arbiter_context.close()

    # every balance, to the wei: 8 slots paid, 1 refunded, 3 still held for review
    after = balances()
    paid = len(by_worker[GOOD]) + len(by_worker[OTHER])
    assert {name: after[name] - before[name] for name in after} == {
        workers[GOOD].address: ITEMS * REWARD,
        workers[OTHER].address: ITEMS * REWARD,
        workers[CARELESS].address: 0,
        "requester": held,  # the upheld rejection's reward and fee
        "treasury": paid * fee,
        "wallet": -funding,
        "escrow contract": funding,  # nothing withdrawn yet: all credited inside
    }
    assert escrow.task(task_id).escrow == (len(undecided) - 1) * held
    assert funding == paid * (REWARD + fee) + held + (len(undecided) - 1) * held
