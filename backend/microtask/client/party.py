"""`Party`: what requesters, workers and operators share: an address, a signer, money.

A party is built over a `Platform` with a signer (an unlocked ``LocalAccount``), or with an
address only: then it can read everything about that address (balances, receipts kept for
it, tasks it may do) but refuses to sign (`SignerRequired`). A web server, which never
holds a user's key, builds parties the second way and lets the browser sign what the
library's pure helpers build.

Example::

    worker = Worker(platform, address="0x90F7...b906")   # reads only
    worker.balance(platform.token("dUSD").address)
"""

from __future__ import annotations

from functools import cached_property

from eth_account.signers.local import LocalAccount
from web3 import Web3

from microtask.chain.erc20 import erc20
from microtask.chain.escrow import TaskEscrowClient
from microtask.client.errors import NothingToWithdraw, SignerRequired
from microtask.client.platform import Platform
from microtask.client.results import Transaction, Withdrawn
from microtask.client.tokens import Token
from microtask.escrow import ETH


class Party:
    """Someone acting on the platform: ``signer`` signs, or ``address`` only reads."""

    def __init__(
        self, platform: Platform, signer: LocalAccount | None = None, *, address: str | None = None
    ) -> None:
        if signer is None and address is None:
            raise TypeError("a party needs a signer or an address")
        if signer is not None and address is not None and address != signer.address:
            raise ValueError(f"the signer is {signer.address}, not {address}")
        self.platform = platform
        self.signer = signer
        self.address = str(Web3.to_checksum_address(signer.address if signer else str(address)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.address} on {self.platform.network})"

    @cached_property
    def escrow(self) -> TaskEscrowClient:
        """The escrow, sending as this party (`SignerRequired` without a signer)."""
        return self.platform.escrow_for(self.account("sending a transaction"))

    def account(self, action: str) -> LocalAccount:
        """The signer, for ``action`` (named in the error when there is none).

        Example: ``party.account("signing")   # the LocalAccount, or SignerRequired``
        """
        if self.signer is None:
            raise SignerRequired(self.address, action)
        return self.signer

    # ------------------------------------------------------------ money

    def balance(self, token: str = ETH) -> int:
        """This party's balance in the escrow's ledger (pay, refunds, fees not withdrawn).

        Example: ``worker.balance(dusd.address)``
        """
        return self.platform.reader.balance(self.address, token)

    def wallet_balance(self, token: Token) -> int:
        """What this party's wallet holds of ``token``.

        Example: ``requester.wallet_balance(dusd)``
        """
        w3 = self.platform.w3
        if token.is_eth:
            return int(w3.eth.get_balance(Web3.to_checksum_address(self.address)))
        return int(erc20(w3, token.address).functions.balanceOf(self.address).call())

    def withdraw(self, token: Token, amount: int | None = None, to: str | None = None) -> Withdrawn:
        """Send ``amount`` (default: the whole ledger balance) of ``token`` from the escrow
        to ``to`` (default: this party's wallet). `NothingToWithdraw` when that is zero.

        Example: ``worker.withdraw(platform.token("dUSD"))``
        """
        value = self.balance(token.address) if amount is None else amount
        if value == 0:
            raise self._nothing_to_withdraw(token)
        receipt = self.escrow.withdraw(value, to, token.address)
        destination = str(Web3.to_checksum_address(to or self.address))
        return Withdrawn(value, token, destination, Transaction.of(receipt))

    def _nothing_to_withdraw(self, token: Token) -> NothingToWithdraw:
        return NothingToWithdraw(token)
