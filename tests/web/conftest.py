"""The web app in a real browser against a real platform.

Each test gets the platform `microtask up --demo` runs, in this process, inside the
anvil snapshot of the test: the escrow and the demo marketplace (Demo Dollar, three
tasks), the indexer following the chain into SQLite, the verifier (dev account 2) with
its thread, and the API with the pages on a free port of 127.0.0.1. The browser is
Debian's chromium driven by Playwright (never `playwright install`); each test's pages
share a fresh browser context, whose wallet is `InjectedWallet`: an EIP-1193 provider
injected into the page and announced with EIP-6963, answering from the test's anvil,
whose development accounts sign.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx
import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from microtask.api import create_app
from microtask.api.app import attach_verifier
from microtask.api.server import ApiServer
from microtask.chain.accounts import dev_accounts, dev_verifier
from microtask.chain.anvil import AnvilProcess
from microtask.chain.artifacts import CompiledProject
from microtask.chain.deployer import deploy_platform
from microtask.chain.deployments import DeploymentRecord, DeploymentStore
from microtask.chain.devchain import latest_timestamp
from microtask.chain.escrow import TaskEscrowClient
from microtask.chain.networks import connect
from microtask.client import Platform, Requester, TaskTerms
from microtask.client.api import ApiClient
from microtask.config import Settings
from microtask.content import LocalStore
from microtask.db import database_url
from microtask.demo import seed_demo
from microtask.demo.seed import DemoMarketplace, apply_demo_policy
from microtask.indexer.service import IndexerService
from microtask.verifier import VerifierService
from microtask.web import attach_site, site_for_platform
from tests.conftest import REPO_ROOT, make_settings

CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMIUM_ARGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NETWORK: Final = "local"
WAIT_MS: Final = 60_000
"""Generous: the suite runs beside other work on two cores; waits end on events, not time."""
WALLET_SCRIPT: Final = (Path(__file__).parent / "wallet.js").read_text()

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def bundle() -> None:
    """The web app's script, built once if its sources changed (a no-op otherwise)."""
    if shutil.which("node") is None:
        pytest.skip("node is needed to build the web app's script")
    lock = REPO_ROOT / ".microtask" / "web-build.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # test workers build one at a time (then: a no-op)
        subprocess.run(["node", "scripts/build_web.mjs"], cwd=REPO_ROOT, check=True)


@pytest.fixture(scope="session")
def browser(bundle: None) -> Iterator[Any]:
    """Debian's chromium, headless, one per test worker."""
    if not CHROMIUM.exists():
        pytest.skip(
            "the web app's browser tests need Debian's chromium at /usr/bin/chromium: "
            "apt-get install chromium (never `playwright install`)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class WebPlatform:
    """What one test's browser works against."""

    w3: Web3
    settings: Settings
    url: str
    rpc_url: str
    record: DeploymentRecord
    market: DemoMarketplace
    store: LocalStore
    indexer: IndexerService
    verifier: VerifierService
    api: ApiServer
    db_url: str
    platform: Platform
    retired: list[VerifierService] = field(default_factory=list)

    @property
    def chain_id(self) -> int:
        return int(self.w3.eth.chain_id)

    def client(self, account: LocalAccount) -> TaskEscrowClient:
        return TaskEscrowClient.at(self.w3, self.record.address, self.record.abi, account)

    def sync(self) -> None:
        head = self.w3.eth.block_number
        assert self.indexer.indexer.wait_for_block(head, timeout=30), "the index lags"

    def post_task(self, manifest: dict[str, Any], *, reward: int = 100_000, **terms: Any) -> int:
        """The demo requester (dev account 1) posts ``manifest`` in dUSD through the client
        library (gasless unless told otherwise); returns the task id once it is indexed
        with its manifest."""
        requester = Requester(self.platform, dev_accounts()[1])
        token = self.platform.token(self.market.token)
        terms.setdefault("gasless", True)
        draft = requester.draft_task(manifest, TaskTerms(reward, token, **terms))
        task_id = requester.create_task(draft).task_id
        self.sync()
        # the indexer's manifest worker fetches the manifest by itself, a moment later
        deadline = time.monotonic() + 30
        while httpx.get(f"{self.url}/tasks/{task_id}").json()["manifest"]["status"] != "ok":
            assert time.monotonic() < deadline, f"task {task_id}'s manifest was never indexed"
            time.sleep(0.1)
        return task_id

    def stop_verifier(self) -> None:
        """The verifier goes silent: its thread stops and its routes answer 503."""
        self.verifier.stop()
        self.api.app.state.verifier = None

    def restart_verifier(self) -> VerifierService:
        """A new verifier process: new objects over the same database, thread running."""
        self.stop_verifier()
        self.verifier.close()
        self.retired.append(self.verifier)
        self.verifier = VerifierService(
            w3=self.w3,
            record=self.record,
            account=dev_verifier(),
            database_url=self.db_url,
            content=self.store,
        )
        attach_verifier(self.api.app, self.verifier)
        self.verifier.start()
        return self.verifier


@pytest.fixture
def web(
    anvil_w3: Web3,
    anvil_process: AnvilProcess,
    compiled: CompiledProject,
    tmp_path: Path,
) -> Iterator[WebPlatform]:
    settings = make_settings(tmp_path, content_store="local", content_fsync=False)
    owner = dev_accounts()[0]
    from microtask.chain.transactions import TransactionSender

    records = DeploymentStore(settings.deployments_dir, NETWORK)
    deploy_platform(TransactionSender(anvil_w3, owner), records, compiled, force=True)
    record = records.load("TaskEscrow")
    store = LocalStore(settings.content_dir, fsync=False)
    escrow = TaskEscrowClient.from_deployment(anvil_w3, records, owner)
    market = seed_demo(anvil_w3, escrow, compiled, records, store)
    connection = connect(settings, NETWORK, url=anvil_process.url)
    indexer = IndexerService.open(settings, NETWORK, connection=connection, content=store)
    indexer.start()
    url = database_url(settings, NETWORK)
    verifier = VerifierService(
        w3=anvil_w3, record=record, account=dev_verifier(), database_url=url, content=store
    )
    indexer.indexer.on_commit.append(lambda *_: verifier.wake())
    apply_demo_policy(verifier, latest_timestamp(anvil_w3))
    app = create_app(settings, network=NETWORK, content=store, with_verifier=True, with_pages=True)
    attach_verifier(app, verifier)
    api = ApiServer(app, "127.0.0.1", 0)  # bound: its URL is known
    # the client library's platform, as `microtask up` gives the pages (and the tests'
    # requester posts through it)
    platform = Platform.open(
        settings, NETWORK, url=anvil_process.url, content=store, api=ApiClient(api.url)
    )
    attach_site(app, site_for_platform(platform, rpc_url=anvil_process.url))
    verifier.start()
    api.start()
    world = WebPlatform(
        anvil_w3, settings, api.url, anvil_process.url, record, market, store, indexer,
        verifier, api, url, platform,
    )  # fmt: skip
    try:
        world.sync()
        yield world
    finally:
        api.stop()
        platform.close()
        world.verifier.stop()
        world.verifier.close()
        indexer.stop()
        store.close()


class InjectedWallet:
    """The injected wallet's other side: answers each request from anvil, as ``account``.

    ``decline_next`` makes the next signature or transaction request fail as a person's
    "reject" does (EIP-1193 code 4001); ``chain_id`` pretends the wallet is on another
    chain until the page asks to switch; every typed-data request is kept in ``signed``.
    """

    def __init__(self, w3: Web3, account: LocalAccount) -> None:
        self.w3 = w3
        self.account = account
        self.decline_next = False
        self.locked = False
        self.chain_id: int | None = None
        self.signed: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []

    def __call__(self, method: str, params: Any) -> dict[str, Any]:
        if method in ("eth_accounts", "eth_requestAccounts"):
            if self.locked and method == "eth_accounts":
                return {"result": []}
            self.locked = False
            return {"result": [self.account.address]}
        if method == "eth_chainId":
            return {"result": hex(self.chain_id or self.w3.eth.chain_id)}
        if method == "wallet_switchEthereumChain":
            self.chain_id = None
            return {"result": None}
        if method in ("eth_signTypedData_v4", "eth_sendTransaction"):
            if self.decline_next:
                self.decline_next = False
                return {"error": {"code": 4001, "message": "User rejected the request."}}
            if method == "eth_signTypedData_v4":
                self.signed.append(json.loads(params[1]))
            else:
                self.sent.append(params[0])
        answer = self.w3.provider.make_request(method, params)  # type: ignore[arg-type]
        if "error" in answer:
            return {"error": dict(answer["error"])}
        return {"result": answer["result"]}


@pytest.fixture
def context(browser: Any, web: WebPlatform) -> Iterator[Any]:
    """A fresh browser context (its own storage) for one test."""
    made = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=web.url)
    made.set_default_timeout(WAIT_MS)
    yield made
    made.close()


def with_wallet(context: Any, wallet: InjectedWallet) -> Any:
    """A page of ``context`` whose wallet is ``wallet``; errors in the page fail the test."""
    context.expose_function("__microtaskTestWallet", wallet)
    context.add_init_script(WALLET_SCRIPT)
    return new_page(context)


PAGE_ERRORS: dict[int, list[str]] = {}
"""Uncaught errors of each page (by id), which the tests assert are none."""


def new_page(context: Any) -> Any:
    page = context.new_page()
    errors = PAGE_ERRORS.setdefault(id(page), [])
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


def page_errors(page: Any) -> list[str]:
    return PAGE_ERRORS.get(id(page), [])


def ready(page: Any) -> None:
    page.wait_for_selector("html[data-ready=true]")


def connect_wallet(page: Any, wallet: InjectedWallet) -> None:
    """Open the wallet menu and pick the injected wallet, by keyboard; the page reloads
    with the worker's own view."""
    page.locator("#wallet-button").focus()
    page.keyboard.press("Enter")
    choice = page.get_by_role("button", name="Test Wallet")
    choice.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(f'body[data-worker="{wallet.account.address}"]', state="attached")
    page.wait_for_selector("html[data-wallet=connected]", state="attached")
    ready(page)


def answer_items(
    page: Any, task_id: int, labels: Sequence[str], label_of: Callable[[str], str]
) -> int:
    """Accept a classification task, then answer each item ``label_of(item id)`` with its
    number key (``labels`` in the task's order) and Enter until none is left; how many."""
    page.goto(f"/task/{task_id}")
    ready(page)
    page.locator("#accept").focus()
    page.keyboard.press("Enter")
    done = 0
    while True:
        page.wait_for_selector(
            "#item input[name=label], #accept-note:not([hidden]), #error:not([hidden])"
        )
        assert page.locator("#error").is_hidden(), page.locator("#error").inner_text()
        if page.locator("#accept-note").is_visible():
            return done
        item = page.locator("#slot-heading").inner_text().rsplit(" ", 1)[1]
        label = label_of(item)
        page.locator("input[name=label]").first.focus()
        page.keyboard.press(str(labels.index(label) + 1))
        assert page.locator(f"input[name=label][value={label}]").is_checked()
        page.keyboard.press("Enter")  # implicit submission: hand in
        done += 1
        page.locator("#done-list li").nth(done - 1).wait_for(state="attached")
