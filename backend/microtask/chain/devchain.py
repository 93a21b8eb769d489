"""Controls only development chains have: moving time, mining, snapshots.

Tests, benchmarks and the demo need to jump past review periods and leases. anvil and the
embedded eth-tester chain expose that differently; these functions hide the difference.
"""

from __future__ import annotations

import time
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


def catch_up_clock(w3: Web3) -> None:
    """Bring anvil's clock back to the wall clock after a revert, with a block at that time.

    anvil restores a snapshot's clock with its state, so after a snapshot held for a minute
    the chain's time lags the wall clock by that minute, and the lags of many reverts add
    up. Whatever reads chain time against the wall clock (the verifier's `ChainClock`)
    would then see the chain's "now" far behind. Mining the block (rather than only moving
    the clock) keeps the newest block's time what the next transaction sees.
    """
    if _tester(w3) is not None:
        return  # eth-tester's blocks follow the wall clock unless time-travelled
    lag = int(time.time()) - latest_timestamp(w3)
    if lag > 0:
        advance_time(w3, lag)
