"""The contract's constants, and the two addresses with a meaning of their own."""

from __future__ import annotations

from typing import Final

ETH: Final = "0x0000000000000000000000000000000000000000"
"""The token address of ETH tasks (``address(0)`` in ``TaskParams.token``)."""
ZERO_ADDRESS: Final = ETH
"""No one: a task without a verifier, or one taking the operator's default arbitrator."""

BPS: Final = 10_000
"""Basis points in one: fees and approval rates are in basis points (``_BPS``)."""
MAX_FEE_BPS: Final = 1_000
"""The highest fee the owner can set, 10% (``MAX_FEE_BPS``)."""
MAX_SLOTS: Final = 1_000_000
"""The most slots a task can have (``MAX_SLOTS``)."""
MAX_PERIOD: Final = 365 * 24 * 3600
"""The longest review period, lease, dispute window or arbitration timeout (``MAX_PERIOD``)."""
VERSION: Final = 2
"""The escrow's version (``version()``, ``EscrowConfigured.version``): deployment records carry
it, and clients refuse a deployment of another version rather than misread its ABI."""
