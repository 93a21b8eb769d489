"""What the requester's, operator's and arbitrator's browser tests share: a small
classification task posted through the client library (the demo requester, dev account 1,
in dUSD, no verifier: every slot is the requester's to review), worked on chain by a worker
through the client library, rejected and disputed, so the pages have something to show."""

from __future__ import annotations

from typing import Any, Final

from eth_account.signers.local import LocalAccount

from microtask.chain.accounts import dev_accounts
from microtask.client import Requester, Worker
from microtask.manifests import ItemAnswer, SubmissionAnswers
from microtask.manifests.answers import ClassificationAnswer
from tests.web.conftest import InjectedWallet, WebPlatform, connect_wallet, ready, with_wallet

REWARD: Final = 70_000
"""0.07 dUSD a slot."""
OWNER: Final = 0
"""Dev account 0 deploys the escrow: its owner, treasury and default arbitrator."""
REQUESTER: Final = 1
WORKER: Final = 5


def manifest(items: int) -> dict[str, Any]:
    return {
        "type": "microtask/task-manifest",
        "title": "Sentiment of short reviews",
        "instructions": "Is the review **positive** or **negative**?",
        "kind": "classification",
        "answer_schema": {
            "kind": "classification",
            "labels": [{"id": "pos", "text": "Positive"}, {"id": "neg", "text": "Negative"}],
        },
        "inputs": {
            "source": "inline",
            "items": [{"id": f"r{i}", "data": {"text": f"review {i}"}} for i in range(items)],
        },
        "redundancy": 1,
        "time_estimate_seconds": 30,
    }


def post(web: WebPlatform, items: int, **terms: Any) -> int:
    """A task of ``items`` slots by the demo requester, without a verifier."""
    return web.post_task(manifest(items), reward=REWARD, gasless=False, **terms)


def worked(web: WebPlatform, task_id: int, slots: range, worker: LocalAccount) -> None:
    """``worker`` claims and hands in ``slots`` on chain (answer "pos" for each item)."""
    doer = Worker(web.platform, worker)
    for slot in slots:
        doer.claim(task_id, slot)
        answer = ItemAnswer(item_id=f"r{slot}", answer=ClassificationAnswer(label="pos"))
        doer.submit(task_id, slot, SubmissionAnswers(answers=[answer]))


def disputed(web: WebPlatform, items: int) -> int:
    """A task whose every slot the worker handed in, the requester rejected (code
    "incorrect" with words) and the worker disputed, each with its own reason."""
    task_id = post(web, items)
    worker = dev_accounts()[WORKER]
    worked(web, task_id, range(items), worker)
    Requester(web.platform, dev_accounts()[REQUESTER]).reject(
        task_id, list(range(items)), "incorrect", detail="review 0 is plainly negative"
    )
    for slot in range(items):
        Worker(web.platform, worker).dispute(
            task_id, slot, f"slot {slot}: the review reads positive"
        )
    web.sync()
    return task_id


def browser_as(
    web: WebPlatform, browser: Any, index: int, **options: Any
) -> tuple[Any, Any, InjectedWallet]:
    """A browser context, its page connected as dev account ``index``, and its wallet."""
    from tests.web.conftest import WAIT_MS

    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=web.url, **options
    )
    context.set_default_timeout(WAIT_MS)
    wallet = InjectedWallet(web.w3, dev_accounts()[index])
    page = with_wallet(context, wallet)
    page.goto("/")
    ready(page)
    connect_wallet(page, wallet)
    return context, page, wallet
