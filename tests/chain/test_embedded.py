"""The embedded chain has the same development accounts as anvil."""

from __future__ import annotations

from web3 import Web3

from microtask.chain.accounts import dev_accounts
from microtask.chain.embedded import DEV_BALANCE_WEI


def test_embedded_chain_funds_the_dev_accounts(embedded_chain: Web3) -> None:
    assert embedded_chain.eth.accounts == [a.address for a in dev_accounts()]
    for account in dev_accounts():
        assert embedded_chain.eth.get_balance(account.address) == DEV_BALANCE_WEI


def test_dev_accounts_are_anvils_well_known_ones() -> None:
    # anvil prints these for its default mnemonic; a derivation path slip would change them
    assert dev_accounts()[0].address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert dev_accounts()[1].address == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
