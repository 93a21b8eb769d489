"""MTurk's identifiers for microtask's things, both ways.

MTurk's ids are upper-case letters and digits (``EntityId``: ``^[A-Z0-9]+$``, at most 64
characters; a worker's ``CustomerId`` starts with ``A``), and tools store, compare and
sometimes validate them, so every id the gateway gives out fits those patterns and reads
back to exactly one thing:

| MTurk | microtask | example |
| --- | --- | --- |
| ``HITId`` | a task: ``T`` and the task id | task 7: ``T7`` |
| ``AssignmentId`` | a task's slot: ``T``, task, ``S``, slot | task 7 slot 2: ``T7S2`` |
| ``WorkerId`` | an address: ``A``, its 40 hex digits | ``A90F79BF6EB2...1E93B906`` |
| ``HITTypeId``, ``HITGroupId`` | a hash of the type's properties | ``3HT...`` |
| ``QualificationTypeId`` | chosen at random | ``3QT...`` |

A HIT type's id is the same for the same properties (``CreateHITType`` is idempotent).

A worker's address comes back from their ``WorkerId`` by dropping the ``A`` and reading
the hex (``"0x" + worker_id[1:].lower()``, checksummed). A slot holds one worker's
submission at most on the gasless path, so an assignment id needs no worker in it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Final

from eth_utils.address import to_checksum_address

from microtask.mturk.errors import MTurkError

_HIT = re.compile(r"^T([0-9]{1,19})$")
_ASSIGNMENT = re.compile(r"^T([0-9]{1,19})S([0-9]{1,10})$")
_WORKER = re.compile(r"^A([0-9A-Fa-f]{40})$")
HIT_TYPE_PREFIX: Final = "3HT"
QUALIFICATION_TYPE_PREFIX: Final = "3QT"


def hit_id(task_id: int) -> str:
    return f"T{task_id}"


def task_of_hit(text: str) -> int:
    """The task a ``HITId`` names (a `MTurkError` for one the gateway never gave out)."""
    found = _HIT.match(text)
    if found is None:
        raise MTurkError(
            f"Hit {text} does not exist. (HITIds here are T and a task number)",
            "AWS.MechanicalTurk.HITDoesNotExist",
        )
    return int(found.group(1))


def assignment_id(task_id: int, slot: int) -> str:
    return f"T{task_id}S{slot}"


def slot_of_assignment(text: str) -> tuple[int, int]:
    """(task, slot) of an ``AssignmentId``."""
    found = _ASSIGNMENT.match(text)
    if found is None:
        raise MTurkError(
            f"Assignment {text} does not exist. (AssignmentIds here are T<task>S<slot>)",
            "AWS.MechanicalTurk.AssignmentDoesNotExist",
        )
    return int(found.group(1)), int(found.group(2))


def worker_id(address: str) -> str:
    """The ``WorkerId`` of an address: ``A`` and its hex digits in upper case."""
    return "A" + to_checksum_address(address)[2:].upper()


def address_of_worker(text: str) -> str:
    """The address a ``WorkerId`` names (checksummed); a `MTurkError` for any other text."""
    found = _WORKER.match(text)
    if found is None:
        raise MTurkError(
            f"WorkerId {text!r} is not one of this platform's: A followed by the 40 hex "
            "digits of the worker's address",
            "AWS.MechanicalTurk.InvalidParameterValue",
        )
    return to_checksum_address("0x" + found.group(1).lower())


def _base32(data: bytes, length: int) -> str:
    return base64.b32encode(data).decode().rstrip("=")[:length]


def hit_type_id(canonical: bytes) -> str:
    """The id of a HIT type with these canonical properties (and requester)."""
    return HIT_TYPE_PREFIX + _base32(hashlib.sha256(canonical).digest(), 27)


def new_qualification_type_id() -> str:
    return QUALIFICATION_TYPE_PREFIX + _base32(secrets.token_bytes(20), 27)
