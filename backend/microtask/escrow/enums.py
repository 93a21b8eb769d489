"""The contract's enums, each with its integer (what the ABI carries) and its text (what the
index stores and the API shows).

A Solidity enum is a ``uint8`` on the wire, numbered in declaration order. The index and the
API spell the same members in lower case (``"submitted"``, ``"arbitration_timeout"``). One
Python class holds both: a `ContractEnum` is a `StrEnum` whose value is the text, and whose
``code`` is the contract's integer. So the database columns and the API's JSON keep their
text, while values read from the chain go through `ContractEnum.from_code`. A test checks
every member against ``contracts/interfaces/ITaskEscrow.sol``, name and number.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class ContractEnum(StrEnum):
    """A Solidity enum member: its text (the value) and its ``code`` (the ``uint8``)."""

    _value_: str
    code: int

    def __new__(cls, text: str, code: int | None = None) -> Self:
        # Called with (text, code) while the class is built; lookups such as
        # ``SlotState("open")`` go through the enum machinery, never here.
        if code is None:
            raise TypeError(f"{cls.__name__} members are declared as (text, code)")
        member = str.__new__(cls, text)
        member._value_ = text
        member.code = code
        return member

    @classmethod
    def from_code(cls, code: int) -> Self:
        """The member the contract calls ``code``; ValueError for a number it does not have."""
        for member in cls:
            if member.code == code:
                return member
        raise ValueError(f"{code} is not an ITaskEscrow.{cls.__name__}")


class SlotState(ContractEnum):
    """Mirrors ``ITaskEscrow.SlotState``: where a slot stands.

    ``OPEN`` to ``DISPUTED`` are live; ``APPROVED`` and ``CLOSED`` are final.
    """

    OPEN = "open", 0  # nobody holds it
    CLAIMED = "claimed", 1  # a worker holds it under a lease
    SUBMITTED = "submitted", 2  # work is in (on chain, or by a presented receipt), under review
    REJECTED = "rejected", 3  # rejected; the worker may dispute within the dispute window
    DISPUTED = "disputed", 4  # the arbitrator decides; unanswered disputes pay the worker
    APPROVED = "approved", 5  # paid to the worker (final)
    CLOSED = "closed", 6  # rejected for good, or lapsed after a cancel; refunded (final)

    @property
    def final(self) -> bool:
        """Approved and closed slots never change again."""
        return self in FINAL_STATES

    @property
    def held(self) -> bool:
        """A worker holds the slot (claimed, submitted, rejected or disputed): its funds
        stay in escrow until it settles, whatever the requester does (P5)."""
        return self in HELD_STATES


class ApprovalBasis(ContractEnum):
    """Mirrors ``ITaskEscrow.ApprovalBasis``: why a slot was paid."""

    REVIEW = "review", 0  # the requester or verifier approved it
    SILENCE = "silence", 1  # nobody rejected it within the review period
    ARBITRATION = "arbitration", 2  # the arbitrator ruled for the worker
    ARBITRATION_TIMEOUT = "arbitration_timeout", 3  # the arbitrator did not rule in time
    EQUIVOCATION = "equivocation", 4  # an open slot paying a receipt whose slot went elsewhere


FINAL_STATES = frozenset({SlotState.APPROVED, SlotState.CLOSED})
HELD_STATES = frozenset(
    {SlotState.CLAIMED, SlotState.SUBMITTED, SlotState.REJECTED, SlotState.DISPUTED}
)
