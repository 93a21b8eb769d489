"""A node's JSON-RPC over HTTP, for the few reads that must not wait for web3 to load.

web3 (with eth-account and py-ecc under it) takes most of a second to import; a command
that only lists tasks needs the chain's id and two ``eth_call``s per token. `JsonRpc`
does those over one ``httpx`` connection. Anything more (contracts, logs, transactions)
goes through web3 (`chain.networks.connect`).

`ContractCaller` is what read-only helpers take: `JsonRpc` is one, `Web3Caller` (any
connected ``Web3``, e.g. the embedded chain) is the other.

Example::

    with JsonRpc("http://127.0.0.1:8545") as rpc:
        rpc.chain_id()                                    # 31337
        rpc.call(token, bytes.fromhex("313ce567"))        # decimals(), ABI-encoded
"""

from __future__ import annotations

import itertools
import re
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

import httpx

from microtask.errors import EnvironmentProblem

if TYPE_CHECKING:
    from web3 import Web3

RPC_TIMEOUT_SECONDS = 30
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^\"')]+)")


class NetworkUnreachable(EnvironmentProblem, ConnectionError):
    """No node answers at the network's RPC URL."""


class CallFailed(Exception):
    """The node answered a call with an error (a revert, an unknown method)."""


class ContractCaller(Protocol):
    """Something that can ``eth_call`` a contract at the latest block."""

    def call(self, to: str, data: bytes) -> bytes: ...


def short_reason(error: BaseException) -> str:
    """The operating system's words for a connection failure, without the HTTP library's
    wrapping (``connection refused``, ``timed out``)."""
    text = str(error)
    if match := _ERRNO.search(text):
        return match.group(1).lower()
    if "timed out" in text.lower():
        return "timed out"
    return text.splitlines()[0] if text else type(error).__name__


class JsonRpc:
    """The JSON-RPC endpoint at ``url``, over ``http`` (a client shared with other users of
    the same process, which close it), or over a client of its own, closed with it."""

    def __init__(
        self,
        url: str,
        *,
        http: httpx.Client | None = None,
        timeout: float = RPC_TIMEOUT_SECONDS,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self._owns_http = http is None
        self._http = http or httpx.Client()
        self._ids = itertools.count(1)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def request(self, method: str, params: list[Any]) -> Any:
        """The result of ``method``; `NetworkUnreachable` when nothing answers (its
        message is the reason alone: callers say which network), `CallFailed` for an
        error answer."""
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        try:
            response = self._http.post(self.url, json=body, timeout=self.timeout)
            response.raise_for_status()
            answer = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise NetworkUnreachable(short_reason(error)) from None
        if not isinstance(answer, dict):
            raise NetworkUnreachable(f"not a JSON-RPC answer from {self.url}")
        if answer.get("error") is not None:
            raise CallFailed(str(answer["error"]))
        return answer.get("result")

    def chain_id(self) -> int:
        return int(str(self.request("eth_chainId", [])), 16)

    def call(self, to: str, data: bytes) -> bytes:
        result = self.request("eth_call", [{"to": to, "data": "0x" + data.hex()}, "latest"])
        return bytes.fromhex(str(result).removeprefix("0x"))


class Web3Caller:
    """`ContractCaller` over a connected ``Web3`` (any provider, the embedded chain too)."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3

    def call(self, to: str, data: bytes) -> bytes:
        from web3.exceptions import Web3Exception

        try:
            return bytes(self.w3.eth.call({"to": to, "data": data}))
        except (Web3Exception, ValueError) as error:
            raise CallFailed(str(error)) from None
