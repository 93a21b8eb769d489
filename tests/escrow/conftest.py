"""The contract tests' deployment and world, for checking the domain against the contract."""

from tests.contracts.conftest import deployment, world

__all__ = ["deployment", "world"]
