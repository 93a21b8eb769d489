"""The wallet's states, as the header and its dialog show them: no wallet extension (a
development account offered on a local chain, and used), the wrong chain (and switching),
a locked wallet after a reload."""

from __future__ import annotations

from typing import Any

from microtask.chain.accounts import dev_accounts
from tests.web.conftest import (
    WAIT_MS,
    InjectedWallet,
    WebPlatform,
    connect_wallet,
    new_page,
    page_errors,
    ready,
    with_wallet,
)


def test_without_an_extension_a_development_account_works(web: WebPlatform, browser: Any) -> None:
    context = browser.new_context(base_url=web.url)
    context.set_default_timeout(WAIT_MS)
    page = new_page(context)
    page.goto("/")
    ready(page)
    page.locator("#wallet-button").click()
    assert page.locator("#wallet-none").is_visible()
    section = page.locator("#dev-accounts")
    section.wait_for()
    worker = dev_accounts()[4]
    page.locator("#dev-account").select_option(index=4)  # the node lists its accounts in order
    page.locator("#dev-use").click()
    page.wait_for_selector(f'body[data-worker="{worker.address}"]', state="attached")
    page.wait_for_selector("html[data-wallet=connected]", state="attached")
    shown = page.locator("#wallet-button").inner_text()
    assert shown.lower() == f"{worker.address[:6]}…{worker.address[-4:]}".lower()
    assert page_errors(page) == []
    context.close()


def test_the_wrong_chain_is_switched_and_a_locked_wallet_says_so(
    web: WebPlatform, browser: Any
) -> None:
    context = browser.new_context(base_url=web.url)
    context.set_default_timeout(WAIT_MS)
    wallet = InjectedWallet(web.w3, dev_accounts()[3])
    wallet.chain_id = 1
    page = with_wallet(context, wallet)
    page.goto("/")
    ready(page)
    page.locator("#wallet-button").click()
    page.get_by_role("button", name="Test Wallet").click()
    page.wait_for_selector("html[data-wallet=wrong-chain]", state="attached")
    assert "another network" in page.locator("#wallet-dialog-state").inner_text()
    page.locator("#wallet-switch").click()
    page.wait_for_selector(f'body[data-worker="{wallet.account.address}"]', state="attached")
    page.wait_for_selector("html[data-wallet=connected]", state="attached")
    assert wallet.chain_id is None

    wallet.locked = True
    page.reload()
    ready(page)
    page.wait_for_selector("html[data-wallet=locked]", state="attached")
    assert page.locator("#wallet-button").inner_text() == "Unlock wallet"
    connect_wallet(page, wallet)
    assert page_errors(page) == []
    context.close()
