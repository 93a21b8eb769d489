"""Column types for chain values that SQL has no native type for.

Token amounts are uint256: too wide for BIGINT. PostgreSQL stores them as NUMERIC(78, 0).
SQLite has no exact wide integer, so there they are text, zero-padded to 78 digits: text
order is then numeric order, so ``WHERE reward >= ?`` and ``ORDER BY reward`` stay correct
and nothing is rounded. Python always sees ``int``.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Dialect, Numeric, String
from sqlalchemy.types import TypeDecorator, TypeEngine

UINT256_DIGITS = 78
MAX_UINT256 = 2**256 - 1


class Amount(TypeDecorator[int]):
    """A non-negative integer up to 2**256 - 1, exact on every backend."""

    impl = String(UINT256_DIGITS)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(UINT256_DIGITS, 0))
        return dialect.type_descriptor(String(UINT256_DIGITS))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not 0 <= value <= MAX_UINT256:
            raise ValueError(f"amount out of uint256 range: {value}")
        if dialect.name == "postgresql":
            return Decimal(value)
        return str(value).zfill(UINT256_DIGITS)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return int(value)


@lru_cache(maxsize=1 << 16)
def checksummed(address: str) -> str:
    """EIP-55 form of ``address``, cached: the indexer binds the same few addresses over and
    over, and each checksum is a keccak hash."""
    from eth_utils.address import to_checksum_address

    return str(to_checksum_address(address))


class Address(TypeDecorator[str]):
    """An EVM address, stored and returned in its EIP-55 checksummed form."""

    impl = String(42)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return checksummed(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return value
