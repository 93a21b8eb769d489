"""Amounts, durations and tokens as people type them: ``0.5``, ``7d``, ``eth``.

Amounts are converted with the token's own decimals, exactly (no floats), and refused
when they have more decimal places than the token can hold, so "1.0000001 USDC" is an
error instead of a silent rounding.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from web3 import Web3
from web3.exceptions import Web3Exception

from microtask.chain.erc20 import erc20
from microtask.errors import UserError
from microtask.escrow import ETH

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


@dataclass(frozen=True)
class Token:
    """A payment token: ETH or an ERC-20, with how to show its amounts."""

    address: str
    symbol: str
    decimals: int

    @property
    def is_eth(self) -> bool:
        return self.address == ETH

    def parse(self, text: str) -> int:
        return parse_amount(text, self.decimals, self.symbol)

    def format(self, amount: int) -> str:
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


def format_time(timestamp: int | None) -> str:
    """Chain time as people read it, in UTC (the chain's clock has no zone): ``2026-11-25
    16:14 UTC``; ``-`` for none."""
    if not timestamp:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(timestamp))


def parse_duration(text: str) -> int:
    """``"90"`` or ``"90s"``, ``"30m"``, ``"12h"``, ``"7d"``, ``"2w"`` in seconds."""
    match = _DURATION.match(text)
    if match is None:
        raise UserError(f"not a duration: {text!r} (use e.g. 45s, 30m, 12h, 7d)")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def resolve_token(w3: Web3, text: str | None, known: Mapping[str, str] | None = None) -> Token:
    """``eth`` (or nothing) for ETH, else an ERC-20 address whose symbol and decimals are read.

    ``known`` maps symbols (any case) to the addresses of tokens deployed on this network,
    so ``dUSD`` works where an address would: people remember symbols, not addresses.
    """
    if text is None or text.strip().lower() in ("eth", ETH.lower()):
        return Token(ETH, "ETH", 18)
    by_symbol = {symbol.lower(): address for symbol, address in (known or {}).items()}
    text = by_symbol.get(text.strip().lower(), text)
    if not Web3.is_address(text):
        names = ", ".join(sorted(known or {}))
        also = f", or one deployed on this network: {names}" if names else ""
        raise UserError(f"not a token: {text!r} (use eth or an ERC-20 address{also})")
    contract = erc20(w3, text)
    try:
        symbol = str(contract.functions.symbol().call())
        decimals = int(contract.functions.decimals().call())
    except (Web3Exception, ValueError):
        raise UserError(f"{text} does not answer as an ERC-20 token on this network") from None
    return Token(Web3.to_checksum_address(text), symbol, decimals)
