"""A requester posts a task in the browser: a classification task with gold items from a
CSV, paid in dUSD with an EIP-2612 permit from the injected wallet. The task is on chain
and in the index with the form's terms, to the wei; the manifest names the reading key
the wallet's signature derives; the gold answers are sealed. A form error names its
field and keeps what was typed (across a reload too); the page is axe clean in every
language, at 360 px too, and is used here by keyboard."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from microtask.chain.accounts import dev_accounts
from microtask.chain.erc20 import erc20
from microtask.client.requester_key import derive_with_account
from microtask.escrow import funding_of
from microtask.web.i18n import LANGUAGES
from tests.web.conftest import (
    InjectedWallet,
    WebPlatform,
    connect_wallet,
    page_errors,
    ready,
    with_wallet,
)
from tests.web.test_pages import SCREENSHOTS, UPDATE, violations

CSV = (
    "id,text,gold\n"
    "r1,Great value and it works,Positive\n"
    "r2,Broke after a day,negative\n"
    "r3,Does what it says,\n"
    "r4,Would not buy again,\n"
)
ITEMS = 4
REDUNDANCY = 3
REWARD = 250_000  # 0.25 dUSD (6 decimals)


def type_into(page: Any, selector: str, text: str) -> None:
    """Type as a person does: focus the field, then the keys."""
    page.locator(selector).focus()
    page.keyboard.type(text)


def press(page: Any, selector: str) -> None:
    page.locator(selector).focus()
    page.keyboard.press("Enter")


def fill_the_form(page: Any, tmp_path: Path) -> None:
    type_into(page, "#title", "Sentiment of short reviews")
    type_into(page, "#instructions", "Is the review **positive** or **negative**?")
    page.locator("#kind").select_option("classification")
    type_into(page, "#labels", "Positive\nNegative")
    page.locator("#items_format").select_option("csv")
    items = tmp_path / "reviews.csv"
    items.write_text(CSV)
    page.locator("#items_file").set_input_files(str(items))
    page.wait_for_selector("#items-summary:has-text('4')")
    page.locator("#redundancy").fill(str(REDUNDANCY))


def wait_for_index(web: WebPlatform, task_id: int) -> dict[str, Any]:
    web.sync()
    deadline = time.monotonic() + 30
    while True:
        task: dict[str, Any] = httpx.get(f"{web.url}/tasks/{task_id}").json()
        if task.get("manifest", {}).get("status") == "ok":
            return task
        assert time.monotonic() < deadline, f"task {task_id}'s manifest was never indexed"
        time.sleep(0.1)


def test_a_requester_posts_a_task_with_gold_from_a_csv_paid_with_a_permit(
    web: WebPlatform, context: Any, tmp_path: Path
) -> None:
    requester = dev_accounts()[1]
    wallet = InjectedWallet(web.w3, requester)
    page = with_wallet(context, wallet)
    page.goto("/requester/new")
    ready(page)
    connect_wallet(page, wallet)
    fill_the_form(page, tmp_path)

    # a mistake: no reward. It is named beside its field, and nothing typed is lost
    press(page, "#review-cost")
    error = page.locator("#reward-error")
    error.wait_for()
    assert "amount" in error.inner_text()
    assert page.locator("#reward").get_attribute("aria-invalid") == "true"
    assert page.locator("#title").input_value() == "Sentiment of short reviews"
    page.reload()
    ready(page)
    assert page.locator("#title").input_value() == "Sentiment of short reviews"
    assert page.locator("#labels").input_value() == "Positive\nNegative"
    assert "reviews.csv" in page.locator("#items-summary").inner_text()

    type_into(page, "#reward", "0.25")
    dusd = web.market.token
    before = int(erc20(web.w3, dusd).functions.balanceOf(requester.address).call())
    press(page, "#review-cost")
    page.locator("#cost:not([hidden])").wait_for()
    reader = web.platform.reader
    slots = ITEMS * REDUNDANCY
    total = funding_of(REWARD, slots, reader.fee_bps(), reader.minimum_fee(dusd))
    words = page.locator("#cost-words").inner_text()
    assert "12 slots" in words
    assert web.platform.token(dusd).format(total).split()[0] in words
    assert wallet.sent == []  # nothing was sent before the cost was shown

    press(page, "#pay")
    link = page.locator("#created:not([hidden]) #created-link")
    link.wait_for()
    task_id = int(str(link.get_attribute("data-task-id")))
    # the reading key's message once per page (the reload above forgot the key), the permit
    assert [s["primaryType"] for s in wallet.signed] == ["EncryptionKey", "EncryptionKey", "Permit"]
    assert len(wallet.sent) == 1  # createTaskWithPermit: no approve

    task = web.platform.task(task_id)
    assert task.requester == requester.address
    assert (task.token, task.reward, task.slot_count) == (dusd, REWARD, slots)
    assert task.escrow == total
    assert task.review_period == 3 * 86_400
    assert task.lease == 3600
    after = int(erc20(web.w3, dusd).functions.balanceOf(requester.address).call())
    assert before - after == total

    indexed = wait_for_index(web, task_id)
    manifest = httpx.get(f"{web.url}/content/{indexed['manifest']['cid']}").json()
    assert manifest["title"] == "Sentiment of short reviews"
    labels = manifest["answer_schema"]["labels"]
    assert [(label["id"], label["text"]) for label in labels] == [
        ("positive", "Positive"),
        ("negative", "Negative"),
    ]
    assert [item["id"] for item in manifest["inputs"]["items"]] == ["r1", "r2", "r3", "r4"]
    assert "gold" not in json.dumps(manifest["inputs"])  # the gold column is not an item's data
    gold = manifest["gold"]
    assert gold["scheme"] == "encrypted"
    assert [g["item_id"] for g in gold["items"]] == ["r1", "r2"]
    sealed = base64.b64decode(gold["items"][0]["sealed_answer"])
    assert b"positive" not in sealed
    key = derive_with_account(requester, chain_id=web.chain_id, escrow=web.record.address)
    assert manifest["requester_public_key"] == key.public_key
    assert page.evaluate("localStorage.getItem('microtask.create-draft')") is None
    assert page_errors(page) == []


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_new_task_page_is_accessible_in_every_language_at_360_and_1280(
    web: WebPlatform, browser: Any, language: str, tmp_path: Path
) -> None:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=web.url, locale=language
    )
    wallet = InjectedWallet(web.w3, dev_accounts()[1])
    page = with_wallet(context, wallet)
    page.goto(f"/requester/new?lang={language}")
    ready(page)
    connect_wallet(page, wallet)
    found: dict[str, list[str]] = {}
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto("/requester/new")
        ready(page)
        if width == 360:  # with a field's error showing
            press(page, "#review-cost")
            page.locator("#title-error").wait_for()
        assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
        problems = violations(page)
        if problems:
            found[f"{width}px"] = problems
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"the page is {scroll}px wide at {width}px ({language})"
        if language == "en" and width == 1280:
            folder = SCREENSHOTS if UPDATE else tmp_path
            shot = folder / "create-en-1280.png"
            page.screenshot(path=str(shot), full_page=True)
    assert found == {}
    assert page_errors(page) == []
    context.close()


def test_the_form_service_names_each_wrong_field(web: WebPlatform) -> None:
    """The problem+json the page shows: each wrong field by name, nothing half done."""
    key = derive_with_account(dev_accounts()[1], chain_id=web.chain_id, escrow=web.record.address)
    body = {
        "requester": dev_accounts()[1].address,
        "requester_public_key": key.public_key,
        "title": "x",
        "instructions": "y",
        "kind": "classification",
        "labels": ["only one"],
        "items_format": "csv",
        "items_text": "id,text,gold\na,b,Maybe\n",
        "reward": "-1",
        "token": web.market.token,
    }
    answer = httpx.post(f"{web.url}/requester/new/draft", json=body)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    fields = {error["field"]: error["detail"] for error in answer.json()["errors"]}
    assert set(fields) == {"labels", "items", "reward"}
    assert "'Maybe'" in fields["items"]
    assert "two labels" in fields["labels"]
    unknown = httpx.post(f"{web.url}/requester/new/draft", json={**body, "colour": "red"})
    assert {e["field"] for e in unknown.json()["errors"]} == {"colour"}
    stranger = httpx.post(
        f"{web.url}/requester/new/draft", json={**body, "token": "0x" + "42" * 20}
    )
    assert {e["field"] for e in stranger.json()["errors"]} == {"token"}


def test_a_large_item_set_goes_into_a_json_lines_file(web: WebPlatform) -> None:
    """More items than a manifest holds inline: the manifest names a JSON Lines CID."""
    requester = dev_accounts()[1]
    key = derive_with_account(requester, chain_id=web.chain_id, escrow=web.record.address)
    rows = "".join(f"r{i},review {i}\n" for i in range(1_500))
    body = {
        "requester": requester.address,
        "requester_public_key": key.public_key,
        "title": "Many reviews",
        "instructions": "Pick one.",
        "labels": ["Positive", "Negative"],
        "items_text": "id,text\n" + rows,
        "redundancy": 1,
        "reward": "0.01",
        "token": web.market.token,
        "verifier": "none",
    }
    answer = httpx.post(f"{web.url}/requester/new/draft", json=body, timeout=60)
    assert answer.status_code == 200, answer.text
    funding = answer.json()["funding"]
    assert funding["params"]["slots"] == "1500"
    assert funding["params"]["verifier"] == "0x" + "00" * 20
    assert funding["permit"]["primaryType"] == "Permit"
    manifest = httpx.get(f"{web.url}/content/{funding['manifest_cid']}").json()
    assert manifest["inputs"]["source"] == "jsonl"
    assert manifest["inputs"]["count"] == 1_500
    lines = httpx.get(f"{web.url}/content/{manifest['inputs']['cid']}").text.splitlines()
    assert json.loads(lines[1499]) == {"id": "r1499", "data": {"text": "review 1499"}}
