"""Development accounts shared by every local chain.

anvil derives its funded accounts from a public mnemonic; the embedded chain derives the
same ones, so an address in a test, a script or the README means the same on both. These
keys are public knowledge: never use them on a real network.
"""

from __future__ import annotations

from functools import cache

from eth_account import Account
from eth_account.signers.local import LocalAccount

from microtask.config import DEV_MNEMONIC

DEV_ACCOUNT_COUNT = 10
DEV_HD_PATH_PREFIX = "m/44'/60'/0'/0"

Account.enable_unaudited_hdwallet_features()


@cache
def dev_accounts(count: int = DEV_ACCOUNT_COUNT) -> tuple[LocalAccount, ...]:
    """The first ``count`` accounts of the development mnemonic, as anvil lists them."""
    return tuple(
        Account.from_mnemonic(DEV_MNEMONIC, account_path=f"{DEV_HD_PATH_PREFIX}/{index}")
        for index in range(count)
    )


DEV_VERIFIER_INDEX = 2
"""On local chains the platform's verifier signs with dev account 2 (`microtask up`,
`microtask verifier`); the demo's tasks name it. Account 0 deploys and operates, account 1
posts the demo's tasks."""


def dev_verifier() -> LocalAccount:
    return dev_accounts()[DEV_VERIFIER_INDEX]
