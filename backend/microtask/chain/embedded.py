"""An in-process chain (eth-tester on py-evm) for tests and one-process use.

It needs no other process and no ports, at the price of speed (about 30 ms a
transaction). Its funded accounts are the same development accounts anvil has.
"""

from __future__ import annotations

from eth_tester import EthereumTester, PyEVMBackend
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

from microtask.chain.accounts import DEV_ACCOUNT_COUNT, DEV_HD_PATH_PREFIX
from microtask.config import DEV_MNEMONIC

DEV_BALANCE_WEI = 10_000 * 10**18


def embedded_web3(accounts: int = DEV_ACCOUNT_COUNT) -> Web3:
    """A fresh chain whose genesis funds the development accounts with 10,000 ETH each."""
    backend = PyEVMBackend.from_mnemonic(
        DEV_MNEMONIC,
        num_accounts=accounts,
        hd_path=DEV_HD_PATH_PREFIX,
        genesis_state_overrides={"balance": DEV_BALANCE_WEI},
    )
    return Web3(EthereumTesterProvider(EthereumTester(backend)))
