"""`TaskManifest`: everything a worker needs to do a task, and a verifier to check it.

A requester publishes the manifest on IPFS and puts its CID on chain with the task's
escrow. It says what to do (title, Markdown instructions, the task kind and its answer
schema), on what (input items, inline or as a JSON Lines file by CID), how often (the
redundancy: assignments per item, so slots = items x redundancy), how quality is checked
(gold items whose answers stay hidden), who may work (qualifications, language), and who
reads the submissions (the requester's public key and the verifier's, if any).
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import Field, JsonValue, field_validator, model_validator

from microtask.encoding.canonical import canonical_json
from microtask.manifests.answers import AnswerSchema, Strict, TaskKind
from microtask.manifests.fields import (
    Address,
    CidText,
    Identifier,
    LanguageTag,
    PublicKey,
    Slug,
    address_of_public_key,
)
from microtask.manifests.gold import GoldSet
from microtask.manifests.limits import (
    MAX_INLINE_ITEMS,
    MAX_INSTRUCTIONS_CHARS,
    MAX_ITEM_DATA_BYTES,
    MAX_ITEMS_BY_CID,
    MAX_MEDIA_PER_ITEM,
    MAX_QUALIFICATIONS,
    MAX_REDUNDANCY,
    MAX_TAGS,
    MAX_TIME_ESTIMATE_SECONDS,
    MAX_TITLE_CHARS,
)

TASK_MANIFEST_TYPE: Final = "microtask/task-manifest"


class InputItem(Strict):
    """One thing to work on: small fields inline, media (images, audio) by CID."""

    id: Identifier
    data: dict[str, JsonValue] = Field(default_factory=dict)
    media: list[CidText] = Field(default_factory=list, max_length=MAX_MEDIA_PER_ITEM)

    @field_validator("data")
    @classmethod
    def _small(cls, data: dict[str, JsonValue]) -> dict[str, JsonValue]:
        size = len(canonical_json(data))
        if size > MAX_ITEM_DATA_BYTES:
            raise ValueError(
                f"item data is {size} bytes as JSON; at most {MAX_ITEM_DATA_BYTES} "
                "(put large content on IPFS and list its CID under media)"
            )
        return data


class InlineInputs(Strict):
    source: Literal["inline"] = "inline"
    items: list[InputItem] = Field(min_length=1, max_length=MAX_INLINE_ITEMS)

    @model_validator(mode="after")
    def _distinct(self) -> InlineInputs:
        seen: set[str] = set()
        for item in self.items:
            if item.id in seen:
                raise ValueError(f"item id {item.id!r} appears twice")
            seen.add(item.id)
        return self

    @property
    def count(self) -> int:
        return len(self.items)


class JsonLinesInputs(Strict):
    """A large item set: a JSON Lines file on IPFS, one `InputItem` per line."""

    source: Literal["jsonl"] = "jsonl"
    cid: CidText
    count: int = Field(ge=1, le=MAX_ITEMS_BY_CID)


Inputs = Annotated[InlineInputs | JsonLinesInputs, Field(discriminator="source")]


class Qualification(Strict):
    """A requirement checked off chain (on-chain thresholds live in the escrow)."""

    name: Slug
    min_score: float | None = Field(default=None, ge=0, le=1)
    description: str | None = Field(default=None, max_length=500)


Comparator = Literal[
    "LessThan",
    "LessThanOrEqualTo",
    "GreaterThan",
    "GreaterThanOrEqualTo",
    "EqualTo",
    "NotEqualTo",
    "Exists",
    "DoesNotExist",
    "In",
    "NotIn",
]
MAX_COMPARED_VALUES: Final = 15

_COMPARE: Final = {
    "LessThan": lambda value, bound: value < bound,
    "LessThanOrEqualTo": lambda value, bound: value <= bound,
    "GreaterThan": lambda value, bound: value > bound,
    "GreaterThanOrEqualTo": lambda value, bound: value >= bound,
    "EqualTo": lambda value, bound: value == bound,
    "NotEqualTo": lambda value, bound: value != bound,
}
_WORDS: Final = {
    "LessThan": "less than",
    "LessThanOrEqualTo": "at most",
    "GreaterThan": "greater than",
    "GreaterThanOrEqualTo": "at least",
    "EqualTo": "equal to",
    "NotEqualTo": "other than",
    "In": "one of",
    "NotIn": "none of",
}


class RequesterQualification(Strict):
    """A qualification the requester grants workers themselves, with a whole-number value
    (MTurk's requester-defined qualification types): the manifest says what the task asks
    of it, publicly; the values are the requester's and reach only the task's verifier, in
    the requester's signed policy (`microtask.verifier.policy`), which checks them when it
    hands out a slot.

    As on MTurk, every comparator but ``DoesNotExist`` needs the worker to hold the
    qualification: ``NotEqualTo`` 3 is met by a value of 4, not by having none.
    """

    type_id: str = Field(pattern=r"^[A-Z0-9]{1,64}$", description="The qualification type.")
    name: str = Field(min_length=1, max_length=200, description="What workers are shown.")
    comparator: Comparator
    values: list[int] = Field(default_factory=list, max_length=MAX_COMPARED_VALUES)

    @model_validator(mode="after")
    def _values_fit(self) -> RequesterQualification:
        count = len(self.values)
        if self.comparator in ("Exists", "DoesNotExist"):
            if count:
                raise ValueError(f"{self.comparator} compares no values")
        elif self.comparator in ("In", "NotIn"):
            if count == 0:
                raise ValueError(f"{self.comparator} needs at least one value")
        elif count != 1:
            raise ValueError(f"{self.comparator} compares exactly one value")
        return self

    def met_by(self, value: int | None) -> bool:
        """Whether a worker holding ``value`` (None: not holding it) meets the requirement."""
        if self.comparator == "DoesNotExist":
            return value is None
        if value is None:
            return False
        if self.comparator == "Exists":
            return True
        if self.comparator == "In":
            return value in self.values
        if self.comparator == "NotIn":
            return value not in self.values
        return bool(_COMPARE[self.comparator](value, self.values[0]))

    def describe(self) -> str:
        """The requirement in words: "Quality score at least 80"."""
        if self.comparator == "Exists":
            return f"{self.name}: granted by the requester"
        if self.comparator == "DoesNotExist":
            return f"{self.name}: not granted by the requester"
        listed = ", ".join(str(value) for value in self.values)
        return f"{self.name} {_WORDS[self.comparator]} {listed}"


class TaskManifest(Strict):
    type: Literal["microtask/task-manifest"] = TASK_MANIFEST_TYPE
    schema_version: Literal[1] = 1
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    instructions: str = Field(
        min_length=1, max_length=MAX_INSTRUCTIONS_CHARS, description="Markdown shown to workers."
    )
    kind: TaskKind
    answer_schema: AnswerSchema
    inputs: Inputs
    gold: GoldSet | None = None
    redundancy: int = Field(
        default=1, ge=1, le=MAX_REDUNDANCY, description="Assignments (slots) per input item."
    )
    tags: list[Slug] = Field(default_factory=list, max_length=MAX_TAGS)
    language: LanguageTag = "en"
    qualifications: list[Qualification] = Field(default_factory=list, max_length=MAX_QUALIFICATIONS)
    requester_qualifications: list[RequesterQualification] = Field(
        default_factory=list, max_length=MAX_QUALIFICATIONS
    )
    waits_for_policy: bool = Field(
        default=False,
        description="The verifier hands out no slot until the requester has set this task's "
        "policy (its block list and qualification values): no worker slips in between the "
        "task's creation and its policy.",
    )
    time_estimate_seconds: int = Field(ge=1, le=MAX_TIME_ESTIMATE_SECONDS)
    requester: Address
    requester_public_key: PublicKey = Field(
        description="Submissions and result sets are encrypted to this key: the requester "
        "account's own, or the key derived from the requester's wallet signature (see "
        "client.requester_key). The createTask transaction naming this manifest vouches for it."
    )
    verifier: Address | None = None
    verifier_public_key: PublicKey | None = None

    @field_validator("title")
    @classmethod
    def _title_not_blank(cls, title: str) -> str:
        if not title.strip():
            raise ValueError("the title is blank")
        return title

    @field_validator("tags")
    @classmethod
    def _distinct_tags(cls, tags: list[str]) -> list[str]:
        if len(set(tags)) != len(tags):
            raise ValueError("tags must be distinct")
        return tags

    @model_validator(mode="after")
    def _consistent(self) -> TaskManifest:
        if self.answer_schema.kind != self.kind:
            raise ValueError(
                f"answer_schema is for {self.answer_schema.kind}, the task is {self.kind}"
            )
        if (self.verifier is None) != (self.verifier_public_key is None):
            raise ValueError("verifier and verifier_public_key come together")
        if self.verifier_public_key is not None and (
            address_of_public_key(self.verifier_public_key) != self.verifier
        ):
            raise ValueError("verifier_public_key is not the verifier's key")
        if self.gold is not None:
            if self.gold.scheme == "encrypted" and self.verifier_public_key is None:
                raise ValueError("gold answers encrypted to a verifier need a verifier")
            if isinstance(self.inputs, InlineInputs):
                known = {item.id for item in self.inputs.items}
                unknown = [gold.item_id for gold in self.gold.items if gold.item_id not in known]
                if unknown:
                    raise ValueError(f"gold items that are not input items: {unknown[:5]}")
        return self

    @property
    def item_count(self) -> int:
        return self.inputs.count

    @property
    def slot_count(self) -> int:
        """Slots (assignments) the task needs on chain: every item, ``redundancy`` times."""
        return self.inputs.count * self.redundancy

    def item_index(self, slot: int) -> int:
        """The input item slot ``slot`` works on.

        Slots cycle through the items (slot ``s`` is item ``s mod items``), so every item
        gets its first answer before any gets its second: a task stopped early still covers
        its items evenly. Extra slots added later keep cycling.
        """
        if slot < 0:
            raise ValueError("a slot index is not negative")
        return slot % self.item_count

    def inline_item(self, slot: int) -> InputItem | None:
        """The item of ``slot`` when the items are inline; None when they are in a file."""
        if isinstance(self.inputs, InlineInputs):
            return self.inputs.items[self.item_index(slot)]
        return None

    def recipients(self) -> list[tuple[Literal["requester", "verifier"], str]]:
        """Who can read submissions: (role, public key) for the requester and any verifier."""
        keys: list[tuple[Literal["requester", "verifier"], str]] = [
            ("requester", self.requester_public_key)
        ]
        if self.verifier_public_key is not None:
            keys.append(("verifier", self.verifier_public_key))
        return keys
