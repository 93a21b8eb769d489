"""Addresses as people type them: any case in, EIP-55 checksummed out.

Example: ``checked_address("0x90f79bf6eb2c4f870365e785982e1f101e93b906")``
"""

from __future__ import annotations

from web3 import Web3

from microtask.client.errors import Refused


def checked_address(text: str) -> str:
    """``text`` as a checksummed address; `Refused` when it is not one."""
    if not Web3.is_address(text):
        raise Refused(f"not an address: {text!r}")
    return str(Web3.to_checksum_address(text))
