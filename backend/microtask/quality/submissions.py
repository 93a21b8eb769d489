"""The input of quality control: opened submissions with their timing.

A `Submission` is one slot's answers after the verifier has opened the envelope, plus the
two times the timing checks need. The library never opens envelopes or reads a chain
itself: the verifier service does that (`Submission.opened` is the bridge), so everything
here can be tested on plain data.

Times should come from clocks the worker does not control: the claim's block timestamp or
the verifier's lease for ``started_at``, and the receipt's or the block's time for
``submitted_at``. The envelope's own ``submitted_at`` is the worker's word; a cheat can
set it to anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, model_validator

from microtask.manifests.answers import Answer
from microtask.manifests.envelope import ItemAnswer, SubmissionAnswers, SubmissionEnvelope
from microtask.manifests.fields import Address, CidText, Identifier
from microtask.manifests.task import InlineInputs, TaskManifest


class Submission(BaseModel):
    """One slot's opened answers: who, which slot, what, and when."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slot: int = Field(ge=0)
    worker: Address
    answers: tuple[ItemAnswer, ...] = Field(min_length=1)
    submitted_at: int = Field(ge=0, description="Unix seconds, by a clock the worker cannot set.")
    started_at: int | None = Field(
        default=None,
        ge=0,
        description="When the worker got the slot (claim or lease), unix seconds; None if unknown.",
    )
    cid: CidText | None = Field(
        default=None, description="The envelope's CID; a rejection's Review names it."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Submission:
        if self.started_at is not None and self.started_at > self.submitted_at:
            raise ValueError("started_at is after submitted_at")
        ids = [answer.item_id for answer in self.answers]
        if len(set(ids)) != len(ids):
            raise ValueError("each item is answered at most once")
        return self

    @classmethod
    def opened(
        cls,
        envelope: SubmissionEnvelope,
        answers: SubmissionAnswers,
        *,
        submitted_at: int,
        started_at: int | None = None,
        cid: str | None = None,
    ) -> Submission:
        """A submission from an envelope and its opened answers (`open_submission`).

        ``submitted_at`` is required rather than taken from the envelope, whose time the
        worker wrote (see the module's note).
        """
        return cls(
            slot=envelope.slot,
            worker=envelope.worker,
            answers=tuple(answers.answers),
            submitted_at=submitted_at,
            started_at=started_at,
            cid=cid,
        )

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(answer.item_id for answer in self.answers)

    @property
    def seconds(self) -> int | None:
        """How long the slot took, if its start is known."""
        return None if self.started_at is None else self.submitted_at - self.started_at


@dataclass(frozen=True, slots=True)
class WorkerAnswer:
    """One worker's answer to one item: the unit that is scored, voted and compared."""

    worker: str
    item_id: str
    answer: Answer
    slot: int
    submitted_at: int


def expected_items(manifest: TaskManifest) -> Sequence[str] | None:
    """The item ids in manifest order when they are inline; None when they are in a file.

    Pass the file's ids to `assess` yourself to have each slot's item checked.
    """
    if isinstance(manifest.inputs, InlineInputs):
        return [item.id for item in manifest.inputs.items]
    return None


def slot_item(item_ids: Sequence[Identifier], slot: int) -> str:
    """The item slot ``slot`` works on: slots cycle through the items (`item_index`)."""
    return item_ids[slot % len(item_ids)]


def worker_answers(
    submissions: Iterable[Submission], item_ids: Sequence[str] | None = None
) -> list[WorkerAnswer]:
    """Every (worker, item) answer, at most one per pair, sorted by item then worker.

    When ``item_ids`` are known, a submission counts only for its own slot's item: answers
    to other items are the worker casting extra votes, and are ignored (the slot is judged
    `incomplete` if it lacks its own item, see `fraud.missing_items`). A worker who answered
    one item in two slots counts once, with the later answer.
    """
    chosen: dict[tuple[str, str], WorkerAnswer] = {}
    for submission in sorted(submissions, key=lambda s: (s.submitted_at, s.slot)):
        own = None if item_ids is None else slot_item(item_ids, submission.slot)
        for item in submission.answers:
            if own is not None and item.item_id != own:
                continue
            chosen[(submission.worker, item.item_id)] = WorkerAnswer(
                worker=submission.worker,
                item_id=item.item_id,
                answer=item.answer,
                slot=submission.slot,
                submitted_at=submission.submitted_at,
            )
    return sorted(chosen.values(), key=lambda a: (a.item_id, a.worker))
