"""`Platform`: the deployed escrow on one network, its content store and its API.

Everything a requester, worker or operator does starts here: the network (found answering
with the chain id its deployment record was made on), the content store the settings
choose, and the API (one HTTP connection pool). It reads, and never signs: `Requester`,
`Worker` and `Operator` add a signer on top. One platform can serve many parties (a web
server holds one and builds a party per request).

What it needs is opened on first use: web3 (a second to import) only once a contract is
read or a transaction sent, the content store once content is read or added. Listing tasks
needs neither: the API, and token symbols read over plain JSON-RPC.

Example::

    with Platform.open(Settings(), "local") as platform:
        task = platform.task(1)
        print(platform.manifest(1).manifest.title, task.reward)
"""

from __future__ import annotations

from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Self

import httpx

from microtask.chain.deployments import DeploymentRecord, DeploymentStore
from microtask.chain.networks import Connection, Endpoint, reach
from microtask.chain.rpc import ContractCaller, JsonRpc, Web3Caller
from microtask.client.api import ApiClient
from microtask.client.documents import (
    Leaderboard,
    TaskDetail,
    TaskPage,
    VerificationStatus,
    VerifierInfo,
    WorkerProfile,
)
from microtask.client.token_lookup import (
    deployed_tokens,
    listed_tokens,
    needs_deployed_tokens,
    resolve_token,
)
from microtask.client.tokens import Token
from microtask.config import Settings

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3 import Web3

    from microtask.chain.escrow import TaskEscrowClient
    from microtask.client.results import PublishedManifest
    from microtask.content import ContentStore
    from microtask.escrow import Slot, Task
    from microtask.verifier.clock import ChainClock, Head

MAX_MANIFEST_BYTES = 2 << 20
CLOCK_REFRESH = 5.0
"""Seconds between the reads of the newest block behind `Platform.chain_time`."""


class Platform:
    """The escrow of ``record`` on ``connection``, with the settings' content store and API.

    Built by `Platform.open`; pass ``content`` or ``api`` to share ones you already hold
    (they are then not closed with the platform). ``http`` is the one HTTP client the API
    and the chain's JSON-RPC share (made, and closed with the platform, if not given).
    """

    def __init__(
        self,
        settings: Settings,
        endpoint: Endpoint,
        record: DeploymentRecord,
        *,
        content: ContentStore | None = None,
        api: ApiClient | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.settings = settings
        self.endpoint = endpoint
        self.record = record
        self.http = http or httpx.Client()
        self._owns_http = http is None
        self._content = content
        self._owns_content = content is None
        self.api = api or ApiClient.for_settings(settings, http=self.http)
        self._owns_api = api is None
        self._rpc: JsonRpc | None = None
        self._tokens: dict[str, Token] = {}
        self._clock: ChainClock | None = None
        self._parties: dict[int, tuple[str, str]] = {}

    @classmethod
    def open(
        cls,
        settings: Settings,
        network: str = "local",
        *,
        content: ContentStore | None = None,
        api: ApiClient | None = None,
        url: str | None = None,
    ) -> Self:
        """Reach ``network`` (at ``url`` if given: a managed anvil's) and find its
        TaskEscrow (`DeploymentNotFound` if none).

        Example: ``platform = Platform.open(Settings(), "local")``
        """
        http = httpx.Client()
        try:
            endpoint = reach(settings, network, url=url, http=http)
            store = DeploymentStore(settings.deployments_dir, network)
            store.guard_chain_id(endpoint.chain_id)
            record = store.load_escrow()
        except BaseException:
            http.close()
            raise
        platform = cls(settings, endpoint, record, content=content, api=api, http=http)
        platform._owns_http = True
        return platform

    # ------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Close the API's connections and the content store (those this platform opened).

        Example: ``platform.close()   # or: with Platform.open(...) as platform: ...``
        """
        if self._owns_api:
            self.api.close()
        if self._owns_content and self._content is not None:
            self._content.close()
            self._content = None
        if self._rpc is not None:
            self._rpc.close()
            self._rpc = None
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------ where

    @property
    def network(self) -> str:
        return self.endpoint.name

    @property
    def chain_id(self) -> int:
        return self.endpoint.chain_id

    @property
    def escrow_address(self) -> str:
        """The TaskEscrow's address, checksummed: half of every EIP-712 domain here."""
        return str(self.record.address)

    @cached_property
    def connection(self) -> Connection:
        """The web3 connection, made on first use."""
        return self.endpoint.connect()

    @property
    def w3(self) -> Web3:
        return self.connection.w3

    @property
    def caller(self) -> ContractCaller:
        """Contract reads without web3 where the network has a URL (the embedded chain's
        only way in is its web3 connection)."""
        if self.endpoint.url is None:
            return Web3Caller(self.w3)
        if self._rpc is None:
            self._rpc = JsonRpc(self.endpoint.url, http=self.http)
        return self._rpc

    @property
    def content(self) -> ContentStore:
        """The content store the settings choose, opened on first use."""
        if self._content is None:
            from microtask.content import open_content_store

            self._content = open_content_store(self.settings)
        return self._content

    @cached_property
    def reader(self) -> TaskEscrowClient:
        """The escrow for views and logs (its throwaway account never sends anything)."""
        from eth_account import Account

        from microtask.chain.escrow import TaskEscrowClient

        nobody: LocalAccount = Account.create()
        return TaskEscrowClient.at(self.w3, self.record.address, self.record.abi, nobody)

    def escrow_for(self, signer: LocalAccount) -> TaskEscrowClient:
        """The escrow, sending transactions as ``signer``.

        Example: ``platform.escrow_for(signer).approve(3, [(0, worker)])``
        """
        return self.reader.as_signer(signer)

    # ------------------------------------------------------------ the chain

    def now(self) -> int:
        """The latest block's time: what the escrow compares deadlines and windows with.

        Example: ``platform.now() > platform.task(3).deadline``
        """
        from microtask.chain.devchain import latest_timestamp

        return latest_timestamp(self.w3)

    def chain_time(self) -> int:
        """The chain's time as the platform's verifier reckons it (`verifier.clock`): the
        wall clock plus the lead the chain's newest block had, which is read at most every
        `CLOCK_REFRESH` seconds; so, unlike `now`, it runs on between blocks (an idle
        development chain's newest block may be an hour old) and costs no round trip on
        most calls. What the expiry of a signed request counts from.

        Example: ``request_expiry = platform.chain_time() + 600``
        """
        if self._clock is None:
            from microtask.verifier.clock import ChainClock

            self._clock = ChainClock(self._newest_block, refresh=CLOCK_REFRESH)
        return self._clock()

    def _newest_block(self) -> Head:
        from microtask.verifier.clock import Head

        if self.endpoint.url is None:
            block = self.w3.eth.get_block("latest")
            return Head(int(block["number"]), int(block["timestamp"]))
        rpc = self.caller
        assert isinstance(rpc, JsonRpc)
        found = rpc.request("eth_getBlockByNumber", ["latest", False])
        return Head(int(found["number"], 16), int(found["timestamp"], 16))

    def task_parties(self, task_id: int) -> tuple[str, str]:
        """The task's requester and verifier, read once (the escrow never changes them):
        who may sign its receipts.

        Example: ``requester, verifier = platform.task_parties(2)``
        """
        if task_id not in self._parties:
            task = self.task(task_id)
            self._parties[task_id] = (task.requester, task.verifier)
        return self._parties[task_id]

    def task(self, task_id: int) -> Task:
        """The task as the escrow stores it. Example: ``platform.task(3).reward``"""
        return self.reader.task(task_id)

    def slot(self, task_id: int, slot: int) -> Slot:
        """The slot as ``getSlot`` says. Example: ``platform.slot(3, 0).state``"""
        return self.reader.slot(task_id, slot)

    def manifest(self, task_id: int) -> PublishedManifest:
        """The task's manifest CID (from its ``TaskCreated`` event) and validated manifest.

        `TaskNotFound` for an unknown task; `ManifestUnreadable` for a CID that is not one;
        the content store's and the manifest's own errors otherwise.

        Example: ``platform.manifest(3).manifest.title``
        """
        from microtask.client.errors import ManifestUnreadable, TaskNotFound
        from microtask.client.results import PublishedManifest
        from microtask.content import parse_cid
        from microtask.manifests import TaskManifest, parse_as

        created = self.reader.logs(
            "TaskCreated", from_block=self.record.block_number, task_id=task_id
        )
        if not created:
            raise TaskNotFound(task_id, self.network)
        try:
            cid = parse_cid(bytes(created[0]["manifestCid"]))
        except ValueError:
            raise ManifestUnreadable(f"task {task_id}'s manifest CID is not a CID") from None
        data = self.content.cat(cid, max_bytes=MAX_MANIFEST_BYTES)
        return PublishedManifest(str(cid), parse_as(TaskManifest, data))

    # ------------------------------------------------------------ tokens

    def token(self, text: str | None) -> Token:
        """A token as the user names it: ``eth`` (or None), an ERC-20 address, or the
        symbol of a token deployed on this network (the deployments are read only then).

        Example: ``platform.token("dUSD").parse("1.5")   # 1_500_000``
        """
        if not needs_deployed_tokens(text):
            return resolve_token(self.caller, text)
        return resolve_token(self.caller, text, self.deployed_tokens())

    def token_at(self, address: str) -> Token:
        """The token at ``address`` (ETH for the zero address), each read once.

        Example: ``platform.token_at(task.token).format(task.reward)``
        """
        if address not in self._tokens:
            self._tokens[address] = resolve_token(self.caller, address)
        return self._tokens[address]

    def deployed_tokens(self) -> dict[str, str]:
        """Symbol to address of the ERC-20s recorded as deployed on this network.

        Example: ``platform.deployed_tokens()   # {'dUSD': '0xe7f1...0512'}``
        """
        records = DeploymentStore(self.settings.deployments_dir, self.network).records()
        return deployed_tokens(self.caller, records)

    def listed_tokens(self, asked: list[str] | None = None) -> list[Token]:
        """ETH and ``asked`` (addresses or symbols), or ETH and every deployed token.

        Example: ``[t.symbol for t in platform.listed_tokens()]   # ['ETH', 'dUSD']``
        """
        return listed_tokens(self.caller, self.deployed_tokens(), asked)

    # ------------------------------------------------------------ the API

    def tasks(
        self,
        *,
        status: str = "open",
        requester: str | None = None,
        eligible_for: str | None = None,
        sort: str = "-created",
        limit: int = 20,
    ) -> TaskPage:
        """A page of tasks from the API (``GET /tasks``), filtered and sorted there.

        Example: ``platform.tasks(status="open", sort="-reward", limit=5).count``
        """
        params = {
            "status": status,
            "requester": requester,
            "eligible_for": eligible_for,
            "sort": sort,
            "limit": limit,
        }
        return TaskPage.model_validate(self.api.get("/tasks", params))

    def task_details(self, task_id: int) -> TaskDetail:
        """One task with its money and slots, from the API.

        Example: ``platform.task_details(3).slots``
        """
        return TaskDetail.model_validate(self.api.get(f"/tasks/{task_id}"))

    def worker_profile(self, address: str) -> WorkerProfile:
        """A worker's records, scores and badges, from the API.

        Example: ``platform.worker_profile(address).badges``
        """
        return WorkerProfile.model_validate(self.api.get(f"/workers/{address}"))

    def leaderboard(
        self,
        *,
        by: str = "approved",
        period: str = "all",
        token: str | None = None,
        limit: int = 10,
    ) -> Leaderboard:
        """The top workers by ``by`` (earnings need a token address) over ``period``.

        Example: ``platform.leaderboard(by="earnings", token=dusd.address, period="week")``
        """
        params = {"by": by, "period": period, "token": token, "limit": limit}
        return Leaderboard.model_validate(self.api.get("/leaderboard", params))

    def verifier_info(self) -> VerifierInfo:
        """The platform's verifier: who it is and the key submissions are sealed to.

        Example: ``platform.verifier_info().public_key``
        """
        return VerifierInfo.model_validate(self.api.get("/verifier", service="verifier"))

    def verification(self, task_id: int) -> VerificationStatus:
        """What the task's verifier holds: receipts, decisions, settlements.

        Example: ``platform.verification(2).decisions``
        """
        found = self.api.get(f"/verifier/tasks/{task_id}", service="verifier")
        return VerificationStatus.model_validate(found)
