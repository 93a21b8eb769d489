"""Controls only development chains have: moving time, mining, snapshots.

Tests, benchmarks and the demo need to jump past review periods and leases. anvil and the
embedded eth-tester chain expose that differently; these functions hide the difference.
"""

from __future__ import annotations

from typing import Any

from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

from microtask.errors import UserError


class NotADevChain(UserError):
    """The chain does not offer development controls (it is not anvil or eth-tester)."""


def _tester(w3: Web3) -> Any | None:
    provider = w3.provider
    return provider.ethereum_tester if isinstance(provider, EthereumTesterProvider) else None


def _rpc(w3: Web3, method: str, params: list[Any]) -> Any:
    response = w3.provider.make_request(method, params)  # type: ignore[arg-type]
    if "error" in response:
        raise NotADevChain(f"{method} failed: {response['error']}")
    return response.get("result")


def latest_timestamp(w3: Web3) -> int:
    return int(w3.eth.get_block("latest")["timestamp"])


def advance_time(w3: Web3, seconds: int) -> int:
    """Mine a block ``seconds`` after the latest one; returns its timestamp."""
    target = latest_timestamp(w3) + seconds
    tester = _tester(w3)
    if tester is not None:
        tester.time_travel(target + 1)  # py-evm stamps the mined block one second earlier
    else:
        _rpc(w3, "evm_mine", [target])
    return latest_timestamp(w3)


def snapshot(w3: Web3) -> Any:
    tester = _tester(w3)
    return tester.take_snapshot() if tester is not None else _rpc(w3, "evm_snapshot", [])


def revert(w3: Web3, snapshot_id: Any) -> None:
    tester = _tester(w3)
    if tester is not None:
        tester.revert_to_snapshot(snapshot_id)
    elif not _rpc(w3, "evm_revert", [snapshot_id]):
        raise NotADevChain(f"the chain refused to revert to snapshot {snapshot_id}")
