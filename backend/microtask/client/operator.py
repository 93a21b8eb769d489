"""`Operator`: the escrow owner's controls, and the arbitrator's rulings.

The contract decides who may do what; these methods only ask it, so a signer without the
role gets the contract's own refusal (`TransactionReverted` with, e.g.,
``OwnableUnauthorizedAccount``) and nothing changes.

Example::

    owner = Operator(platform, signer)
    owner.set_fee(150)                         # 1.5% for tasks created from now on
    owner.rule(3, 1, pay=True, reason="the answer was right")
    owner.withdraw_fees(platform.token("dUSD"))
"""

from __future__ import annotations

from microtask.client.addresses import checked_address
from microtask.client.errors import NothingToWithdraw
from microtask.client.party import Party
from microtask.client.results import Ruling, Transaction, Withdrawn
from microtask.client.reviews import check_ruling
from microtask.client.tokens import Token


class Operator(Party):
    """The escrow's owner (fees, treasury, default arbitrator, pause), a task's arbitrator
    (rulings), or the treasury (fees withdrawn): whichever the signer is."""

    def set_fee(self, fee_bps: int) -> Transaction:
        """The fee, in basis points, for tasks created from now on (at most 1,000).

        Example: ``owner.set_fee(150)   # 1.5%``
        """
        return Transaction.of(self.escrow.set_fee(fee_bps))

    def set_minimum_fee(self, token: Token, amount: int) -> Transaction:
        """The least fee per approved slot of tasks created from now on in ``token``, in its
        smallest unit (MTurk's minimum commission): each approval, which counts on a
        worker's record, then costs its payer at least this.

        Example: ``owner.set_minimum_fee(platform.token("dUSD"), 50_000)   # 0.05 dUSD``
        """
        return Transaction.of(self.escrow.set_minimum_fee(amount, token.address))

    def set_treasury(self, treasury: str) -> Transaction:
        """Where fees are credited from now on.

        Example: ``owner.set_treasury("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")``
        """
        return Transaction.of(self.escrow.set_treasury(checked_address(treasury)))

    def set_default_arbitrator(self, arbitrator: str) -> Transaction:
        """The arbitrator of tasks created from now on that name none.

        Example: ``owner.set_default_arbitrator(arbitrator_address)``
        """
        return Transaction.of(self.escrow.set_default_arbitrator(checked_address(arbitrator)))

    def pause(self) -> Transaction:
        """Stop new tasks and claims (settlement, refunds and withdrawals go on).

        Example: ``owner.pause()``
        """
        return Transaction.of(self.escrow.pause())

    def unpause(self) -> Transaction:
        """Allow new tasks and claims again.

        Example: ``owner.unpause()``
        """
        return Transaction.of(self.escrow.unpause())

    def rule(self, task_id: int, slot: int, pay: bool, reason: str = "") -> Ruling:
        """Rule on a dispute as the task's arbitrator: ``pay`` the worker, or uphold the
        rejection (which needs a ``reason``, uploaded for both sides).

        Example: ``arbitrator.rule(3, 1, pay=False, reason="item 4 is a dog")``
        """
        text = check_ruling(pay, reason)
        cid = None if text is None else self.platform.content.add_bytes(text)
        receipt = self.escrow.rule(task_id, slot, pay, b"" if cid is None else bytes(cid))
        return Ruling(
            task_id, slot, pay, None if cid is None else str(cid), Transaction.of(receipt)
        )

    def withdraw_fees(self, token: Token, to: str | None = None) -> Withdrawn:
        """Withdraw the fees credited to the signer (the treasury) to ``to`` (default: it).

        Example: ``treasury.withdraw_fees(platform.token("dUSD"))``
        """
        return self.withdraw(token, None, to)

    def _nothing_to_withdraw(self, token: Token) -> NothingToWithdraw:
        treasury = self.platform.reader.treasury()
        return NothingToWithdraw(
            token, f"no fees in {token.symbol} for {self.address} (the treasury is {treasury})"
        )
