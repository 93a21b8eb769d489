"""Qualifications: the names a manifest may require, and whether a worker meets them.

A manifest lists ``qualifications: [{name, min_score}]``. The names this platform scores
(each a value from 0 to 1, from `scores.WorkerScores`):

| name | value |
| --- | --- |
| ``accuracy`` | gold accuracy, else agreement with the crowd, over every kind of task |
| ``gold-accuracy`` | right gold answers over gold answers met |
| ``agreement`` | mean agreement with the crowd's aggregate |
| ``approval-rate`` | approved over decided slots on the escrow's record (all tokens) |
| ``<kind>-accuracy`` | ``accuracy`` on one kind: ``classification-accuracy``, ... |

Kind names replace the kind's underscores with hyphens (``data-check-accuracy``). A
value exists only from `scores.MIN_EVIDENCE` observations. A worker meets a
qualification when the value exists and is at least ``min_score`` (a qualification
without ``min_score`` asks only that the value exists). A name the platform does not
score can never be met: the requester asked for something nobody can show, and the
verifier says so rather than letting anyone in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from microtask.manifests import TaskKind
from microtask.manifests.task import Qualification
from microtask.reputation.scores import MIN_EVIDENCE, WorkerScores


def kind_name(kind: str) -> str:
    """The qualification name of accuracy on ``kind`` (``data_check`` → ``data-check-accuracy``)."""
    return f"{kind.replace('_', '-')}-accuracy"


BASE_NAMES: Final = ("accuracy", "gold-accuracy", "agreement", "approval-rate")
KIND_NAMES: Final = {kind_name(kind.value): kind.value for kind in TaskKind}
KNOWN_NAMES: Final = frozenset((*BASE_NAMES, *KIND_NAMES))


def qualification_values(scores: WorkerScores) -> dict[str, float]:
    """Every qualification value ``scores`` supports (names without evidence are absent)."""
    values: dict[str, float] = {}
    overall = scores.overall
    accuracy = overall.accuracy()
    if accuracy is not None:
        values["accuracy"] = accuracy[0]
    if overall.gold_checked >= MIN_EVIDENCE and overall.gold_accuracy is not None:
        values["gold-accuracy"] = overall.gold_accuracy
    if overall.agreement_items >= MIN_EVIDENCE and overall.agreement is not None:
        values["agreement"] = overall.agreement
    if scores.approval_rate is not None:
        values["approval-rate"] = scores.approval_rate
    for name, kind in KIND_NAMES.items():
        on_kind = scores.kind(kind).accuracy()
        if on_kind is not None:
            values[name] = on_kind[0]
    return values


class Required(Protocol):
    """A qualification as a manifest states it, or as the index keeps it."""

    @property
    def name(self) -> str: ...

    @property
    def min_score(self) -> float | None: ...


@dataclass(frozen=True)
class Shortfall:
    """One qualification a worker does not meet, and why: ``value`` is None when the name
    is unknown (``known`` False) or the worker has no score for it yet."""

    name: str
    known: bool
    value: float | None
    minimum: float | None


def shortfalls(qualifications: Iterable[Required], values: Mapping[str, float]) -> list[Shortfall]:
    """Each qualification the worker with these `qualification_values` does not meet."""
    missing: list[Shortfall] = []
    for qualification in qualifications:
        name, minimum = qualification.name, qualification.min_score
        value = values.get(name)
        if name not in KNOWN_NAMES:
            missing.append(Shortfall(name, False, None, minimum))
        elif value is None or (minimum is not None and value < minimum):
            missing.append(Shortfall(name, True, value, minimum))
    return missing


def unmet(qualifications: Iterable[Qualification], scores: WorkerScores) -> list[str]:
    """Each qualification ``scores`` do not meet, as a sentence for the worker."""
    missing: list[str] = []
    for short in shortfalls(qualifications, qualification_values(scores)):
        if not short.known:
            missing.append(f"{short.name}: not a score this platform keeps, so nobody can meet it")
        elif short.value is None:
            missing.append(
                f"{short.name}: no score yet (it needs {MIN_EVIDENCE} assessed items; "
                "build it on tasks without this requirement)"
            )
        else:
            missing.append(
                f"{short.name}: {short.value:.0%}, the task asks for {short.minimum or 0:.0%}"
            )
    return missing
