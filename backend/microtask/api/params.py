"""Input types shared by the routes: addresses, amounts and ids, validated at the door.

Every bound is explicit, so no input reaches the database as something it cannot hold
(a task id past BIGINT, an amount past uint256): those are 422s, never 500s.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Final

from eth_utils.address import is_checksum_address, to_checksum_address
from pydantic import AfterValidator, Field

from microtask.db.types import MAX_UINT256

MAX_BIGINT: Final = 2**63 - 1
ADDRESS_PATTERN: Final = "^0x[0-9a-fA-F]{40}$"


@lru_cache(maxsize=4096)
def checksummed(value: str) -> str:
    """An address in EIP-55 form; a mixed-case spelling must carry a valid checksum.

    Memoised (a pure function of the text; refusals are not kept): the checksum is a
    keccak, and the same workers and tokens come back in request after request."""
    digits = value[2:]
    if digits != digits.lower() and digits != digits.upper() and not is_checksum_address(value):
        raise ValueError("mixed-case address with an invalid EIP-55 checksum (a typo?)")
    return str(to_checksum_address(value))


Address = Annotated[
    str,
    Field(
        pattern=ADDRESS_PATTERN,
        description="An EVM address: 0x and 40 hex digits, any case (checksummed if mixed).",
        examples=["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"],
    ),
    AfterValidator(checksummed),
]
TaskId = Annotated[int, Field(ge=0, le=MAX_BIGINT, examples=[1])]
Amount = Annotated[
    int,
    Field(ge=0, le=MAX_UINT256, description="In the token's smallest unit.", examples=[10**16]),
]
Limit = Annotated[int, Field(ge=1, le=100, description="Items per page (1 to 100).")]
CursorText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=512,
        description="`next_cursor` of the previous page; opaque.",
    ),
]
