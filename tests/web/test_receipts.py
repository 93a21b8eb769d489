"""Receipts in the browser: kept in IndexedDB through a reload and a verifier restart,
downloaded as the CLI's files and imported back, and, when the verifier stays silent,
enforced from the browser (presented on chain, then collected after the review period,
both from the wallet). Checked on chain."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from microtask.chain.accounts import dev_accounts
from microtask.chain.devchain import advance_time, latest_timestamp
from tests.web.conftest import (
    WAIT_MS,
    InjectedWallet,
    WebPlatform,
    connect_wallet,
    page_errors,
    ready,
    with_wallet,
)

SHAPES = 1
REWARD = 50_000  # the demo's 0.05 dUSD
REVIEW = 24 * 3600


def hand_in_one(page: Any) -> tuple[int, str]:
    """Accept one item of the shapes task and answer it with the pointer; its slot and item."""
    page.goto(f"/task/{SHAPES}")
    ready(page)
    page.locator("#accept").click()
    page.locator("#item input[name=label]").first.wait_for()
    page.locator("#auto-next").uncheck()
    slot_text = page.locator("#slot-heading").inner_text()
    item = slot_text.rsplit(" ", 1)[1]
    page.get_by_role("radio", name="Circle").check()
    page.locator("#hand-in").click()
    page.locator("#done-list li").first.wait_for()
    return int(slot_text.split(":")[0].split()[-1]), item


def head_and_now(page: Any) -> Any:
    """What the page believed the chain's time was (for a failure's message)."""
    return page.evaluate(
        "() => [JSON.parse(document.getElementById('microtask-config').textContent).chainNow,"
        " Math.floor(Date.now() / 1000)]"
    )


def local_rows(page: Any) -> Any:
    page.goto("/my-work")
    ready(page)
    page.locator("#local-receipts tbody tr").first.wait_for()
    return page.locator("#local-receipts tbody tr")


def test_receipts_survive_and_are_enforced_from_the_browser(
    web: WebPlatform, browser: Any, tmp_path: Path
) -> None:
    worker = dev_accounts()[3]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=web.url)
    context.set_default_timeout(WAIT_MS)
    wallet = InjectedWallet(web.w3, worker)
    page = with_wallet(context, wallet)
    page.goto("/")
    ready(page)
    connect_wallet(page, wallet)
    slot, item = hand_in_one(page)
    # kept in this browser: a reload, and a new verifier process, lose nothing
    page.reload()
    rows = local_rows(page)
    assert rows.count() == 1, rows.all_inner_texts()
    assert rows.first.locator("[data-state]").get_attribute("data-state") == "receipted"
    web.restart_verifier()
    rows = local_rows(page)
    assert rows.count() == 1

    # "download my receipts" gives the files the CLI keeps
    with page.expect_download() as download:
        page.locator("#download-receipts").click()
    archive = tmp_path / "receipts.zip"
    download.value.save_as(archive)
    folder = f"receipts/local/{web.record.address.lower()}/{worker.address.lower()}"
    name = f"{folder}/task-{SHAPES}-slot-{slot}.json"
    with zipfile.ZipFile(archive) as opened:
        assert opened.namelist() == [name]
        kept = json.loads(opened.read(name))
    assert (kept["task_id"], kept["slot"], kept["item_id"]) == (SHAPES, slot, item)
    assert kept["receipt"]["worker"] == worker.address
    assert kept["request"]["signature"].startswith("0x")

    # a fresh browser imports them back
    other = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=web.url)
    other.set_default_timeout(WAIT_MS)
    second = with_wallet(other, InjectedWallet(web.w3, worker))
    second.goto("/my-work")
    ready(second)
    connect_wallet(second, InjectedWallet(web.w3, worker))
    second.locator("#import-receipts").set_input_files(str(archive))
    second.locator("#local-receipts tbody tr").first.wait_for()
    assert "1" in second.locator("#work-note").inner_text()
    other.close()

    # the verifier goes silent: the worker presents the receipt from the browser ...
    web.stop_verifier()
    client = web.client(worker)
    assert client.slot(SHAPES, slot).state.name.lower() == "open"
    rows = local_rows(page)
    rows.first.get_by_role("button").click()
    page.locator("#work-note").filter(has_text="on chain").wait_for()
    view = client.slot(SHAPES, slot)
    assert view.state.name.lower() == "submitted"
    assert view.worker == worker.address
    # ... and after the review period, collects: silence is not a rejection
    # (past the receipt's time plus the review period: the session's anvil may stamp
    # blocks behind the wall clock, which the verifier's receipts count from)
    due = int(kept["receipt"]["submitted_at"]) + REVIEW
    advance_time(web.w3, max(due - latest_timestamp(web.w3), 0) + 60)
    web.sync()
    before = client.balance(worker.address, web.market.token)
    rows = local_rows(page)
    rows.first.get_by_role("button").click()
    note = page.locator("#work-note")
    note.filter(has_text="Paid").or_(note.filter(has_text="come back")).or_(
        page.locator("#error:not([hidden])")
    ).wait_for()
    context_note = (note.inner_text(), page.locator("#error").inner_text(), head_and_now(page))
    assert "Paid" in context_note[0], context_note
    assert client.slot(SHAPES, slot).state.name.lower() == "approved"
    assert client.balance(worker.address, web.market.token) - before == REWARD
    assert [tx["to"].lower() for tx in wallet.sent] == [web.record.address.lower()] * 2
    assert page_errors(page) == []
    context.close()
