"""The client library: what a requester, a worker and an operator do, as Python objects.

The CLI, the web app's server side and the MTurk gateway are front ends over it: they
parse, call these methods, and show the results. Nothing here prints or prompts; results
are frozen values (`results`) or the API's answers as typed models (`documents`); errors
belong to the package's tree (`errors`: `Refused` and its kin are also `UserError`).

The objects
-----------
`Platform`
    The deployed TaskEscrow on one network (the chain connection and the deployment
    record), the content store and the API (one reused HTTP connection pool). It reads
    and never signs: tasks, slots, manifests, tokens, task listings, profiles, the
    leaderboard, the verifier's view of a task. A context manager; closing it closes the
    HTTP client and the content store it opened.
`Requester`, `Worker`, `Operator`
    A party over a platform, with a signer (an unlocked eth-account ``LocalAccount``) or
    an address only (reads only; signing raises `SignerRequired`). Shared (`Party`):
    ``address``, ``balance``, ``wallet_balance``, ``withdraw``.

    - `Requester`: ``draft_task`` then ``create_task`` (manifest defaults, the platform
      verifier for gasless tasks, validation, cost, funds check; upload; approve or
      permit), ``approve``, ``reject`` (with a review batch), ``bonus``, ``add_slots``,
      ``extend``, ``cancel``, ``reclaim``, ``refund``, ``tasks``, ``submissions``
      (decrypted), ``results`` (decrypted), ``set_policy``, ``assess``.
    - `Worker`: ``find_tasks``, ``first_claimable_slot``, ``claim``, ``submit``,
      ``release``, ``finalize``, ``dispute``, ``earnings``; gasless: ``request_slot``,
      ``hand_in``, ``work_gasless``, ``receipts`` (the kept receipts), ``kept_receipts``,
      ``check_receipt``, ``enforce``; ``reviews``, ``profile``.
    - `Operator`: ``set_fee``, ``set_treasury``, ``set_default_arbitrator``, ``pause``,
      ``unpause``, ``rule``, ``withdraw_fees``.

Pure helpers, for front ends that do not hold the key
-----------------------------------------------------
A web server never holds a user's key: the browser signs. What it needs is built without
one: `verifier_requests` (a worker's `SlotRequest`, a requester's policy and assess
commands, and the bodies that carry them), `receipts.check_receipt`,
`reviews.rejection_batch`, `manifests.complete_manifest`, `answers` (CSV, JSON Lines),
`tokens` (amounts), `addresses`; a task from the web app's form (`task_form`) and what
the browser's wallet signs and sends to fund it (`funding`); the requester's reading key
derived from a wallet signature (`requester_key`, the same as the web app's).
`account_balances` needs no deployed escrow.

Example::

    from microtask.client import Platform, Requester, TaskTerms, Worker, read_manifest_file
    from microtask.config import Settings

    with Platform.open(Settings(), "local") as platform:
        token = platform.token("dUSD")
        alice = Requester(platform, alice_account)
        draft = alice.draft_task(read_manifest_file(path), TaskTerms(token.parse("0.5"), token))
        task_id = alice.create_task(draft).task_id
        bob = Worker(platform, bob_account)
        claimed = bob.claim(task_id)

Importing ``microtask.client`` is cheap: each name is imported from its module on first
use, so a command that only formats an amount does not load web3.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from microtask.client.accounts import account_balances
    from microtask.client.addresses import checked_address
    from microtask.client.api import ApiClient
    from microtask.client.errors import ClientError, Refused, SignerRequired
    from microtask.client.manifests import read_manifest_file
    from microtask.client.operator import Operator
    from microtask.client.party import Party
    from microtask.client.platform import Platform
    from microtask.client.receipts import ReceiptStore
    from microtask.client.requester import Requester, TaskDraft, TaskTerms
    from microtask.client.tokens import Token
    from microtask.client.worker import Worker

_WHERE = {
    "account_balances": "accounts",
    "checked_address": "addresses",
    "ApiClient": "api",
    "ClientError": "errors",
    "Refused": "errors",
    "SignerRequired": "errors",
    "read_manifest_file": "manifests",
    "Operator": "operator",
    "Party": "party",
    "Platform": "platform",
    "ReceiptStore": "receipts",
    "Requester": "requester",
    "TaskDraft": "requester",
    "TaskTerms": "requester",
    "Token": "tokens",
    "Worker": "worker",
}

__all__ = [
    "ApiClient",
    "ClientError",
    "Operator",
    "Party",
    "Platform",
    "ReceiptStore",
    "Refused",
    "Requester",
    "SignerRequired",
    "TaskDraft",
    "TaskTerms",
    "Token",
    "Worker",
    "account_balances",
    "checked_address",
    "read_manifest_file",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
