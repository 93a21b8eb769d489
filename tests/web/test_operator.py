"""The operator's page in Chromium: only the escrow's owner sees it (a worker gets no link
and a 403, with or without a cookie naming the owner); every setting changes on chain
exactly as typed, from the owner's wallet; a wrong field is named and nothing is sent.
The page is a view: a forged cookie shows it, but its forms are transactions the escrow
takes from the owner alone (``OwnableUnauthorizedAccount``, tests/client/test_operator.py)."""

from __future__ import annotations

from typing import Any

import httpx

from microtask.chain.accounts import dev_accounts
from tests.web.conftest import WebPlatform, page_errors, ready
from tests.web.roles import OWNER, WORKER, browser_as


def submit(page: Any, selector: str, value: str | None = None) -> None:
    """Fill the form's one input (if given) and submit it; wait for the page's "done"."""
    form = page.locator(selector)
    if value is not None:
        form.locator("input").first.fill(value)
    kind = form.get_attribute("data-operator")
    form.locator("button").click()
    page.wait_for_url(lambda url: url.endswith(f"/operator?done={kind}"))
    ready(page)


def test_the_owner_sets_fee_treasury_arbitrator_and_pause_and_nobody_else_sees_it(
    web: WebPlatform, browser: Any
) -> None:
    owner = dev_accounts()[OWNER]
    reader = web.platform.reader
    assert reader.owner() == owner.address

    # a worker: no link, and 403 from the server
    context, page, _ = browser_as(web, browser, WORKER)
    assert page.get_by_role("link", name="Operator").count() == 0
    response = page.goto("/operator")
    assert response is not None
    assert response.status == 403
    assert page.locator("form[data-operator]").count() == 0
    context.close()
    assert httpx.get(f"{web.url}/operator").status_code == 403
    # the cookie is only a view preference: naming the owner shows the page, but every
    # form on it is a transaction the escrow takes from the owner's wallet alone
    assert httpx.get(f"{web.url}/operator", cookies={"mt_worker": "0x12"}).status_code == 403
    forged = httpx.get(f"{web.url}/operator", cookies={"mt_worker": owner.address})
    assert forged.status_code == 200  # shown, but nothing on it works without the owner's key

    context, page, wallet = browser_as(web, browser, OWNER)
    page.get_by_role("link", name="Operator").click()
    ready(page)
    assert page.locator("[data-setting=fee]").inner_text() == "1%"

    # a fee above the escrow's 10% is named before the wallet is asked
    sent = len(wallet.sent)
    page.locator("form[data-operator=fee] input").fill("10.5")
    page.locator("form[data-operator=fee] button").click()
    page.locator("#error", has_text="from 0 to 10 percent").wait_for()
    assert page.locator("#fee").get_attribute("aria-invalid") == "true"
    assert len(wallet.sent) == sent

    submit(page, "form[data-operator=fee]", "2.35")
    assert reader.fee_bps() == 235
    assert page.locator("[data-setting=fee]").inner_text() == "2.35%"

    dusd = web.market.token
    submit(page, f'form[data-operator=minimum-fee][data-token="{dusd}"]', "0.05")
    assert reader.minimum_fee(dusd) == 50_000  # dUSD has 6 decimals

    treasury, arbitrator = dev_accounts()[7].address, dev_accounts()[8].address
    page.locator("form[data-operator=treasury] input").fill("0x1234")
    page.locator("form[data-operator=treasury] button").click()
    page.locator("#error", has_text="not an address").wait_for()
    submit(page, "form[data-operator=treasury]", treasury.lower())
    assert reader.treasury() == treasury
    submit(page, "form[data-operator=arbitrator]", arbitrator)
    assert reader.default_arbitrator() == arbitrator
    assert page.locator("[data-setting=arbitrator]").inner_text() == arbitrator

    submit(page, "form[data-operator=pause]")
    assert reader.paused() is True
    assert "Paused" in page.locator("[data-setting=paused]").inner_text()
    submit(page, "form[data-operator=unpause]")
    assert reader.paused() is False
    assert {tx["from"].lower() for tx in wallet.sent} == {owner.address.lower()}
    assert page_errors(page) == []
    context.close()
