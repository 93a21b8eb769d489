"""A requester's policy: who may work on their tasks, and how their work is judged.

A policy is a small document the requester signs (`typed_data.VerifierCommand` with
action ``policy`` and the hash of the document's canonical JSON) and sends to the
verifier, for one task or for all their tasks (task 0). It stays with the verifier: the
lists, the rule and the gold salts are private, so no read route serves them, and
``GET /tasks?eligible_for=`` does not reflect the lists (anyone may ask that question for
any address, so reflecting them would publish them). A blocked worker learns it only when
asking for a slot.

- ``allow``: only these workers (none given: anyone who qualifies);
- ``block``: never these workers (checked after ``allow``);
- ``rule``: the `QualityRule` the task's submissions are judged by (default: the
  platform's);
- ``gold_salts``: for gold hidden as salted hashes, the salt of each gold item (the
  verifier cannot score that gold without them);
- ``qualification_values``: the value each worker holds of each qualification type the
  requester grants themselves (MTurk's requester-defined qualifications), checked against
  the ``requester_qualifications`` a manifest asks for (a worker absent from a type does
  not hold it).

A task's own policy replaces the requester's default entirely; the verifier keeps only the
newest of each (by ``issued_at``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from microtask.db.verifier_models import VerifierPolicy
from microtask.encoding.canonical import canonical_json
from microtask.manifests.fields import Address, HexBytes, Identifier
from microtask.manifests.task import RequesterQualification
from microtask.quality import QualityRule
from microtask.verifier.errors import Replayed

MAX_LISTED: Final = 10_000
MAX_QUALIFICATION_TYPES: Final = 100
POLICY_TYPE: Final = "microtask/verifier-policy"

QualificationTypeId = Annotated[str, Field(pattern=r"^[A-Z0-9]{1,64}$")]


class Policy(BaseModel):
    """What a requester asks of the verifier for their tasks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Annotated[str, Field(pattern="^microtask/verifier-policy$")] = POLICY_TYPE
    allow: list[Address] | None = Field(
        default=None, max_length=MAX_LISTED, description="Only these workers; null: anyone."
    )
    block: list[Address] = Field(
        default_factory=list, max_length=MAX_LISTED, description="Never these workers."
    )
    rule: QualityRule | None = Field(default=None, description="Null: the platform's default.")
    gold_salts: dict[Identifier, HexBytes] | None = Field(
        default=None, description="Salt per gold item, for gold hidden as salted hashes."
    )
    qualification_values: dict[QualificationTypeId, dict[Address, int]] | None = Field(
        default=None,
        max_length=MAX_QUALIFICATION_TYPES,
        description="Per qualification type the requester grants, each holder's value.",
    )

    @model_validator(mode="after")
    def _distinct(self) -> Policy:
        for name, listed in (("allow", self.allow or []), ("block", self.block)):
            if len(set(listed)) != len(listed):
                raise ValueError(f"{name} names a worker twice")
        for type_id, holders in (self.qualification_values or {}).items():
            if len(holders) > MAX_LISTED:
                raise ValueError(f"qualification {type_id} lists more than {MAX_LISTED} workers")
        return self

    def canonical(self) -> bytes:
        """The bytes a requester's signature covers (their keccak256)."""
        return canonical_json(self.model_dump(mode="json"))

    def admits(self, worker: str) -> str | None:
        """None when ``worker`` may work under this policy, else why not (for the worker)."""
        if self.allow is not None and worker not in self.allow:
            return "the requester accepts work on this task only from workers they chose"
        if worker in self.block:
            return "the requester does not accept your work on their tasks"
        return None

    def value_of(self, type_id: str, worker: str) -> int | None:
        """The value ``worker`` holds of the requester's qualification ``type_id`` (None:
        they do not hold it)."""
        return (self.qualification_values or {}).get(type_id, {}).get(worker)

    def unmet(self, requirements: Iterable[RequesterQualification], worker: str) -> list[str]:
        """Each of the manifest's requester qualifications ``worker`` does not meet, in
        words (the values stay private: the sentence names the requirement only)."""
        return [
            f"{requirement.describe()} (a qualification the requester grants)"
            for requirement in requirements
            if not requirement.met_by(self.value_of(requirement.type_id, worker))
        ]


DEFAULT_POLICY: Final = Policy()


def task_policy(connection: Connection, requester: str, task_id: int) -> Policy | None:
    """The task's own policy, if its requester set one (not the default)."""
    return _read(connection, requester, task_id, [task_id])


def effective_policy(connection: Connection, requester: str, task_id: int) -> Policy:
    """The task's own policy, else the requester's default, else the platform's."""
    return _read(connection, requester, task_id, [0, task_id]) or DEFAULT_POLICY


def _read(connection: Connection, requester: str, task_id: int, wanted: list[int]) -> Policy | None:
    """The policy kept for the first of ``wanted`` (the task's own, then task 0) that has
    one, read every time (another process may have stored a newer one) but parsed once
    per process (`_PARSED`)."""
    versions = {
        row.task_id: row
        for row in connection.execute(_VERSIONS, {"requester": requester, "wanted": wanted})
    }
    chosen = versions.get(task_id) or versions.get(0)
    if chosen is None:
        return None
    key = (requester, chosen.task_id, chosen.issued_at, chosen.signature)
    with _PARSED_LOCK:
        policy = _PARSED.get(key)
    if policy is None:
        document = connection.scalar(
            _DOCUMENT,
            {"requester": requester, "task_id": chosen.task_id, "issued_at": chosen.issued_at},
        )
        if document is None:  # replaced since the versions were read: read it again
            return _read(connection, requester, task_id, wanted)
        policy = Policy.model_validate(document)
        with _PARSED_LOCK:
            _PARSED[key] = policy
            while len(_PARSED) > MAX_PARSED:
                del _PARSED[next(iter(_PARSED))]
    return policy


MAX_PARSED: Final = 1_000
_PARSED: dict[tuple[str, int, int, str], Policy] = {}
"""Policies parsed, by requester, task, ``issued_at`` and signature: a stored policy is
only ever replaced by one issued later (`store_policy`), and the signature covers the
document, so a key names one document for good and needs no invalidation."""
_PARSED_LOCK: Final = threading.Lock()
_VERSIONS: Final = select(
    VerifierPolicy.task_id, VerifierPolicy.issued_at, VerifierPolicy.signature
).where(
    VerifierPolicy.requester == bindparam("requester"),
    VerifierPolicy.task_id.in_(bindparam("wanted", expanding=True)),
)
_DOCUMENT: Final = select(VerifierPolicy.document).where(
    VerifierPolicy.requester == bindparam("requester"),
    VerifierPolicy.task_id == bindparam("task_id"),
    VerifierPolicy.issued_at == bindparam("issued_at"),
)


def store_policy(
    session: Session,
    *,
    requester: str,
    task_id: int,
    policy: Policy,
    issued_at: int,
    signature: bytes,
) -> None:
    """Keep ``policy`` unless a policy issued at the same time or later is kept already."""
    current = session.get(VerifierPolicy, (requester, task_id))
    if current is not None and current.issued_at >= issued_at:
        raise Replayed(
            f"a policy issued at {current.issued_at} is in force; sign a newer one to replace it"
        )
    document = policy.model_dump(mode="json")
    if current is None:
        session.add(
            VerifierPolicy(
                requester=requester,
                task_id=task_id,
                document=document,
                issued_at=issued_at,
                signature="0x" + signature.hex(),
            )
        )
    else:
        current.document = document
        current.issued_at = issued_at
        current.signature = "0x" + signature.hex()
