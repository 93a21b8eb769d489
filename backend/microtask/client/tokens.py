"""Payment tokens and their amounts as people write them: ``0.5``, ``1.5 dUSD``.

Amounts are converted with the token's own decimals, exactly (no floats), and refused
when they have more decimal places than the token can hold, so "1.0000001 USDC" is an
error instead of a silent rounding. Looking a token up on chain (an address, or the symbol
of a token deployed on the network) is `token_lookup`'s job; this module is pure.

Example::

    dusd = Token("0x5FbDB2315678afecb367f032d93F642f64180aa3", "dUSD", 6)
    dusd.parse("1.5")        # 1_500_000
    dusd.format(1_500_000)   # "1.5 dUSD"
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from microtask.errors import UserError
from microtask.escrow import ETH


@dataclass(frozen=True)
class Token:
    """A payment token: ETH or an ERC-20, with how to show its amounts."""

    address: str
    symbol: str
    decimals: int

    @classmethod
    def eth(cls) -> Token:
        return cls(ETH, "ETH", 18)

    @property
    def is_eth(self) -> bool:
        return self.address == ETH

    def parse(self, text: str) -> int:
        """``"1.5"`` in the token's smallest unit; see `parse_amount`."""
        return parse_amount(text, self.decimals, self.symbol)

    def format(self, amount: int) -> str:
        """``1500000`` as ``"1.5 dUSD"``."""
        return f"{format_amount(amount, self.decimals)} {self.symbol}"


def parse_amount(text: str, decimals: int, symbol: str = "") -> int:
    """``"1.5"`` with 6 decimals is 1_500_000; negative or too precise amounts are refused."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise UserError(f"not an amount: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise UserError(f"not an amount: {text!r}")
    scaled = value.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise UserError(f"{text} {symbol} has more than {decimals} decimal places".strip())
    return int(scaled)


def format_amount(amount: int, decimals: int) -> str:
    """``1_500_000`` with 6 decimals is ``"1.5"``; trailing zeros are dropped."""
    if decimals == 0:
        return str(amount)
    whole, fraction = divmod(amount, 10**decimals)
    digits = str(fraction).rjust(decimals, "0").rstrip("0")
    return f"{whole}.{digits}" if digits else str(whole)
