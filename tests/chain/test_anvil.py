"""The managed anvil process: start, answer, persist, stop."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from web3 import Web3
from web3.types import RPCEndpoint

from microtask.chain.accounts import dev_accounts
from microtask.chain.anvil import DEV_BALANCE_ETH, AnvilFailed, AnvilProcess, find_anvil
from microtask.chain.devchain import catch_up_clock, latest_timestamp
from microtask.chain.networks import connect_url
from microtask.config import ANVIL_CHAIN_ID
from microtask.errors import ToolchainMissing
from tests.conftest import REPO_ROOT


def test_anvil_listens_on_loopback_with_funded_dev_accounts(anvil_process: AnvilProcess) -> None:
    assert anvil_process.url.startswith("http://127.0.0.1:")
    assert anvil_process.port not in (None, 0)
    w3 = connect_url(anvil_process.url)
    assert w3.eth.chain_id == ANVIL_CHAIN_ID
    # the dev accounts the Python side derives are the ones anvil funds
    assert w3.eth.accounts == [a.address for a in dev_accounts()]
    assert w3.eth.get_balance(dev_accounts()[0].address) > 0


def test_state_file_keeps_the_chain_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    binary = find_anvil(REPO_ROOT)
    sender, receiver = dev_accounts()[0].address, dev_accounts()[1].address
    with AnvilProcess(binary, state_file=state) as first:
        w3 = connect_url(first.url)
        tx = w3.eth.send_transaction({"from": sender, "to": receiver, "value": 12345})
        w3.eth.wait_for_transaction_receipt(tx)
        balance = w3.eth.get_balance(receiver)
        height = w3.eth.block_number
    assert state.is_file()
    with AnvilProcess(binary, state_file=state) as second:
        w3 = connect_url(second.url)
        assert w3.eth.block_number == height
        assert w3.eth.get_balance(receiver) == balance
        assert balance == DEV_BALANCE_ETH * 10**18 + 12345


def test_stop_ends_the_process_and_is_idempotent() -> None:
    process = AnvilProcess(find_anvil(REPO_ROOT))
    url = process.start()
    popen = process._process
    assert popen is not None
    process.stop()
    assert popen.poll() is not None
    process.stop()
    with pytest.raises(AnvilFailed, match="not running"):
        _ = process.url
    assert url.startswith("http://127.0.0.1:")


def test_a_taken_port_fails_with_anvils_own_words(anvil_process: AnvilProcess) -> None:
    assert anvil_process.port is not None
    clash = AnvilProcess(find_anvil(REPO_ROOT), port=anvil_process.port)
    with pytest.raises(AnvilFailed, match=r"(?i)address already in use|in use"):
        clash.start()


def test_missing_binary_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolchainMissing, match="npm ci"):
        find_anvil(tmp_path)


def test_a_lagging_clock_catches_up_with_the_wall_clock(anvil_w3: Web3) -> None:
    """As after reverting a snapshot held for a while: anvil restores the old clock."""

    def mine() -> int:  # a block at anvil's own clock
        anvil_w3.provider.make_request(RPCEndpoint("evm_mine"), [])
        return latest_timestamp(anvil_w3)

    anvil_w3.provider.make_request(RPCEndpoint("evm_setTime"), [int(time.time()) - 1_000])
    assert mine() < int(time.time()) - 900
    catch_up_clock(anvil_w3)
    started = int(time.time())
    # evm_setTime takes whole seconds, so anvil's clock may run up to a second behind
    # the wall clock: caught up means within that second, not 900 behind
    assert started - 1 <= mine() <= int(time.time()) + 1
