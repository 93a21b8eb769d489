"""Gold scoring: each worker's accuracy on the items whose right answer the checker knows.

A manifest hides its gold answers one of two ways (`microtask.manifests.gold`), and a
`GoldKey` is what the checker needs to use either:

- ``encrypted``: the verifier opens each sealed answer with its private key, and judges an
  answer with `compare.answers_match` (case and spacing of text forgiven, boxes matched
  by overlap).
- ``salted_sha256``: the requester hands the verifier the salts; an answer is right when
  its salted hash, in the form given or in canonical form (`compare.canonical_answer`), is
  the published one. Only exact answers can match a hash, so requesters should hash the
  canonical form of their answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from microtask.manifests.answers import Answer
from microtask.manifests.errors import DecryptionFailed
from microtask.manifests.gold import (
    EncryptedGoldSet,
    HashedGoldSet,
    gold_matches,
    open_gold_answer,
)
from microtask.manifests.task import TaskManifest
from microtask.quality.compare import answers_match, canonical_answer
from microtask.quality.errors import GoldUnavailable
from microtask.quality.submissions import WorkerAnswer


class GoldKey:
    """What the checker knows about a task's gold items: an answer or a (salt, hash) each.

    Immutable once made. An empty key (a task without gold) checks nothing.
    """

    __slots__ = ("_answers", "_hashes")

    def __init__(
        self,
        *,
        answers: Mapping[str, Answer] | None = None,
        hashes: Mapping[str, tuple[bytes, bytes]] | None = None,
    ) -> None:
        """``answers``: item id to right answer; ``hashes``: item id to (salt, salted hash)."""
        self._answers = dict(answers or {})
        self._hashes = dict(hashes or {})
        both = self._answers.keys() & self._hashes.keys()
        if both:
            raise ValueError(f"gold items given both ways: {sorted(both)}")

    @classmethod
    def from_manifest(
        cls,
        manifest: TaskManifest,
        *,
        verifier_private_key: bytes | None = None,
        salts: Mapping[str, bytes] | None = None,
    ) -> Self:
        """The key to ``manifest``'s gold: its sealed answers opened with the verifier's key,
        or its hashes with the requester's ``salts`` (item id to salt).

        Raises `GoldUnavailable` when the key does not open an answer or a salt is missing:
        scoring on part of the gold would quietly change every worker's score.
        """
        gold = manifest.gold
        if gold is None:
            return cls()
        if isinstance(gold, EncryptedGoldSet):
            if verifier_private_key is None:
                raise GoldUnavailable("this task's gold is encrypted: the verifier's key opens it")
            answers: dict[str, Answer] = {}
            for item in gold.items:
                try:
                    answers[item.item_id] = open_gold_answer(
                        item.sealed_answer, verifier_private_key
                    )
                except DecryptionFailed as error:
                    raise GoldUnavailable(f"gold item {item.item_id!r}: {error}") from None
            return cls(answers=answers)
        assert isinstance(gold, HashedGoldSet)
        if salts is None:
            raise GoldUnavailable(
                "this task's gold is salted hashes: the requester's salts are needed to check it"
            )
        wanted = {item.item_id for item in gold.items}
        missing = sorted(wanted - salts.keys())
        if missing:
            raise GoldUnavailable(f"no salt for gold items {missing[:5]}")
        unknown = sorted(salts.keys() - wanted)
        if unknown:
            raise GoldUnavailable(f"salts for items that are not gold: {unknown[:5]}")
        return cls(
            hashes={item.item_id: (salts[item.item_id], item.answer_hash) for item in gold.items}
        )

    @property
    def item_ids(self) -> frozenset[str]:
        return frozenset(self._answers) | frozenset(self._hashes)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._answers or item_id in self._hashes

    def __len__(self) -> int:
        return len(self._answers) + len(self._hashes)

    def answer(self, item_id: str) -> Answer | None:
        """The right answer in the clear, when known (encrypted gold); None for hashed gold."""
        return self._answers.get(item_id)

    def check(self, item_id: str, answer: Answer) -> bool:
        """Whether ``answer`` is right for gold item ``item_id`` (KeyError if it is not gold)."""
        if item_id in self._answers:
            return answers_match(self._answers[item_id], answer)
        salt, expected = self._hashes[item_id]
        return gold_matches(answer, salt, expected) or gold_matches(
            canonical_answer(answer), salt, expected
        )


class GoldScore(BaseModel):
    """One worker's record on gold items: how many were checked, how many were right."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    worker: str
    checked: int = Field(ge=0)
    correct: int = Field(ge=0)
    accuracy: float | None = Field(ge=0, le=1, description="correct / checked; None if none.")
    missed: tuple[str, ...] = Field(description="The gold items answered wrongly.")

    @model_validator(mode="after")
    def _consistent(self) -> GoldScore:
        if self.correct > self.checked or len(self.missed) != self.checked - self.correct:
            raise ValueError("correct + missed must make checked")
        expected = None if self.checked == 0 else self.correct / self.checked
        if self.accuracy != expected:
            raise ValueError("accuracy is correct / checked")
        return self

    def passes(self, threshold: float, min_checked: int = 1) -> bool | None:
        """Whether accuracy reaches ``threshold``; None with fewer than ``min_checked`` items
        checked, since one unlucky answer says little about a worker."""
        if self.checked < max(min_checked, 1) or self.accuracy is None:
            return None
        return self.accuracy >= threshold


def score_gold(answers: Iterable[WorkerAnswer], key: GoldKey) -> dict[str, GoldScore]:
    """Every worker's `GoldScore` (workers who met no gold item get checked = 0), by worker."""
    tally: dict[str, tuple[int, list[str]]] = {}
    for answer in sorted(answers, key=lambda a: (a.worker, a.item_id)):
        correct, missed = tally.setdefault(answer.worker, (0, []))
        if answer.item_id not in key:
            continue
        if key.check(answer.item_id, answer.answer):
            tally[answer.worker] = (correct + 1, missed)
        else:
            missed.append(answer.item_id)
    return {
        worker: GoldScore(
            worker=worker,
            checked=correct + len(missed),
            correct=correct,
            accuracy=None if not correct + len(missed) else correct / (correct + len(missed)),
            missed=tuple(missed),
        )
        for worker, (correct, missed) in sorted(tally.items())
    }
