"""Crowds to measure quality control on: the shared real data sets and simulated crowds.

Real: ``<repo>/../shared/crowd-data/{rte,dog}`` (answers from Mechanical Turk workers and
the true label of every item; see its README), read when present, never fetched;
``MICROTASK_CROWD_DATA`` names another folder.

Simulated: crowds that reproduce what goes wrong on real data (issue 13), each from a seed:

- ``three_per_item``: three answers per item, one class 88% of items, a long tail of
  workers who do a handful of items, some leaning to the common class, a few spammers;
- ``imbalanced_dense``: 108 items, every one of 39 workers answers every item, one class
  60% of items, half the workers saying the common class almost always, some near chance
  (one-coin Dawid-Skene's class prior runs away here, as on a real set in issue 13);
- ``hard_four``: four classes, workers 50 to 80% accurate, hard items whose wrong answers
  go mostly to one confusable label;
- ``spammers``: three classes, five answers per item, a third of the workers answering at
  random or always the same;
- ``copiers``: four classes, five answers per item, and pairs where one worker hands in
  the other's answers on most of the items they share.

Each `Crowd` becomes a task as the verifier hands it to `assess` (`Crowd.task`): one slot
per answer, slot s working on item s mod items, gold items as encrypted gold would be.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
from eth_utils.address import to_checksum_address

from microtask.manifests import ItemAnswer, TaskManifest
from microtask.manifests.answers import Answer, ClassificationAnswer
from microtask.quality import GoldKey, Submission
from tests.quality.scenario import manifest_data

SHARED: Final = Path(
    os.environ.get(
        "MICROTASK_CROWD_DATA",
        Path(__file__).resolve().parents[2].parent / "shared" / "crowd-data",
    )
)
"""``<repo>/../shared/crowd-data``, or where ``MICROTASK_CROWD_DATA`` says (a worktree that
is not beside ``shared/``)."""
REAL_SETS: Final = ("rte", "dog")
SIMULATED: Final = ("three_per_item", "imbalanced_dense", "hard_four", "spammers", "copiers")
ITEMS_CID: Final = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"

Row = tuple[str, str, str]


@dataclass(frozen=True)
class Task:
    """A crowd as a task: what `assess` takes."""

    manifest: TaskManifest
    submissions: list[Submission]
    item_ids: list[str]
    gold: GoldKey
    worker_of: dict[str, str]
    """Address to the crowd's worker name."""


@dataclass(frozen=True)
class Crowd:
    """Answers (item, worker, label), one per worker and item, and every item's truth."""

    name: str
    labels: tuple[str, ...]
    rows: tuple[Row, ...]
    truth: dict[str, str]
    copiers: tuple[tuple[str, str], ...] = ()
    """(source, copier) pairs planted in a simulated crowd."""
    spammers: frozenset[str] = field(default_factory=frozenset)

    @property
    def items(self) -> list[str]:
        return sorted(self.truth)

    def worker_accuracy(self) -> dict[str, float]:
        """Each worker's true accuracy: right answers over answers."""
        right: dict[str, list[bool]] = {}
        for item, worker, label in self.rows:
            right.setdefault(worker, []).append(self.truth[item] == label)
        return {worker: float(np.mean(marks)) for worker, marks in sorted(right.items())}

    def gold_items(self, share: float, seed: int = 0) -> list[str]:
        """``share`` of the items, drawn with ``seed``, to serve as gold."""
        count = round(share * len(self.truth))
        if count == 0:
            return []
        picked = np.random.default_rng(seed).choice(len(self.items), size=count, replace=False)
        return sorted(self.items[int(i)] for i in picked)

    def task(self, gold: Collection[str] = ()) -> Task:
        """The crowd as the verifier hands it to `assess`."""
        items = self.items
        index = {item: n for n, item in enumerate(items)}
        manifest = TaskManifest.model_validate(
            manifest_data(
                answer_schema={
                    "kind": "classification",
                    "labels": [{"id": label, "text": label} for label in self.labels],
                },
                inputs={"source": "jsonl", "cid": ITEMS_CID, "count": len(items)},
                redundancy=max(1, max(_per_item(self.rows).values())),
            )
        )
        address = {worker: address_of(worker) for worker in {w for _, w, _ in self.rows}}
        turns: dict[str, int] = {}
        submissions: list[Submission] = []
        for n, (item, worker, label) in enumerate(sorted(self.rows)):
            turn = turns.get(item, 0)
            turns[item] = turn + 1
            slot = index[item] + len(items) * turn
            submissions.append(
                Submission(
                    slot=slot,
                    worker=address[worker],
                    answers=(ItemAnswer(item_id=item, answer=ClassificationAnswer(label=label)),),
                    submitted_at=1_700_000_000 + n,
                )
            )
        answers: dict[str, Answer] = {
            item: ClassificationAnswer(label=self.truth[item]) for item in gold
        }
        return Task(
            manifest=manifest,
            submissions=submissions,
            item_ids=items,
            gold=GoldKey(answers=answers),
            worker_of={a: w for w, a in address.items()},
        )


def address_of(worker: str) -> str:
    """A stable address standing for a data set's worker id."""
    return to_checksum_address("0x" + hashlib.sha256(worker.encode()).hexdigest()[:40])


def _per_item(rows: Collection[Row]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item, _, _ in rows:
        counts[item] = counts.get(item, 0) + 1
    return counts


# ------------------------------------------------------------------ real data


def shared_available() -> bool:
    return all((SHARED / name / "answers.csv").is_file() for name in REAL_SETS)


def real(name: str) -> Crowd:
    """A shared data set (`shared_available` says whether it is there)."""
    folder = SHARED / name
    with (folder / "truth.csv").open(newline="") as file:
        truth = {row["item"]: row["truth"] for row in csv.DictReader(file)}
    with (folder / "answers.csv").open(newline="") as file:
        rows = {(row["item"], row["worker"], row["label"]) for row in csv.DictReader(file)}
    kept = tuple(sorted(row for row in rows if row[0] in truth))
    labels = tuple(sorted({label for _, _, label in kept} | set(truth.values())))
    return Crowd(name=name, labels=labels, rows=kept, truth=truth)


# ------------------------------------------------------------------ simulation

Confusion = Callable[[np.random.Generator, int], np.ndarray]


def honest(low: float, high: float) -> Confusion:
    """Right with an accuracy drawn from [low, high], errors spread evenly."""

    def make(rng: np.random.Generator, labels: int) -> np.ndarray:
        accuracy = rng.uniform(low, high)
        matrix = np.full((labels, labels), (1 - accuracy) / (labels - 1))
        np.fill_diagonal(matrix, accuracy)
        return matrix

    return make


def leaning(common: float, rare: tuple[float, float]) -> Confusion:
    """Binary: right on the common class (label 0) ``common`` of the time, on the rare
    class only ``rare`` of the time: a worker who says the common class too often."""

    def make(rng: np.random.Generator, labels: int) -> np.ndarray:
        assert labels == 2
        sensitivity = rng.uniform(*rare)
        return np.array([[common, 1 - common], [1 - sensitivity, sensitivity]])

    return make


def spammer(rng: np.random.Generator, labels: int) -> np.ndarray:
    """Half answer at random, half always give one label."""
    if rng.random() < 0.5:
        return np.full((labels, labels), 1.0 / labels)
    matrix = np.zeros((labels, labels))
    matrix[:, rng.integers(labels)] = 1.0
    return matrix


@dataclass(frozen=True)
class Profile:
    items: int
    labels: int
    per_item: int
    workers: int
    kinds: tuple[tuple[float, Confusion], ...]
    prior: tuple[float, ...] | None = None
    difficulty: tuple[float, float] = (1.0, 14.0)
    """Beta parameters of the share of an item's right answers that go to its confuser."""
    workload: float | None = None
    """Pareto shape of the workers' workloads (None: even)."""
    copiers: int = 0


PROFILES: Final[Mapping[str, Profile]] = {
    "three_per_item": Profile(
        items=8_333,
        labels=2,
        per_item=3,
        workers=176,
        prior=(0.88, 0.12),
        workload=1.1,
        kinds=(
            (0.65, honest(0.8, 0.98)),
            (0.25, leaning(0.97, (0.5, 0.85))),
            (0.10, spammer),
        ),
    ),
    "imbalanced_dense": Profile(
        items=108,
        labels=2,
        per_item=39,
        workers=39,
        prior=(0.6, 0.4),
        kinds=(
            (0.30, honest(0.8, 0.95)),
            (0.50, leaning(0.98, (0.05, 0.3))),
            (0.20, honest(0.5, 0.65)),
        ),
    ),
    "hard_four": Profile(
        items=584,
        labels=4,
        per_item=9,
        workers=27,
        difficulty=(1.5, 4.0),
        kinds=((1.0, honest(0.6, 0.95)),),
    ),
    "spammers": Profile(
        items=1_000,
        labels=3,
        per_item=5,
        workers=60,
        workload=1.5,
        kinds=((0.67, honest(0.75, 0.95)), (0.33, spammer)),
    ),
    "copiers": Profile(
        items=1_000,
        labels=4,
        per_item=5,
        workers=50,
        copiers=4,
        kinds=((0.9, honest(0.7, 0.95)), (0.1, spammer)),
    ),
}


def simulate(name: str, seed: int = 0) -> Crowd:
    """The simulated crowd ``name`` (see the module's note), drawn with ``seed``."""
    profile = PROFILES[name]
    rng = np.random.default_rng(seed)
    labels = profile.labels
    prior = np.array(profile.prior or [1.0 / labels] * labels)
    truth = rng.choice(labels, size=profile.items, p=prior)
    shares = np.array([share for share, _ in profile.kinds])
    kind_of = rng.choice(len(profile.kinds), size=profile.workers, p=shares / shares.sum())
    confusion = np.stack([profile.kinds[k][1](rng, labels) for k in kind_of])
    spammers = {w for w in range(profile.workers) if profile.kinds[kind_of[w]][1] is spammer}
    difficulty = rng.beta(*profile.difficulty, size=profile.items)
    confuser = (truth + rng.integers(1, labels, size=profile.items)) % labels
    if profile.workload is None:
        weight = np.full(profile.workers, 1.0 / profile.workers)
    else:
        weight = rng.pareto(profile.workload, profile.workers) + 1
        weight /= weight.sum()
    per_item = min(profile.per_item, profile.workers)
    chosen = np.stack(
        [
            rng.choice(profile.workers, size=per_item, replace=False, p=weight)
            for _ in range(profile.items)
        ]
    )
    answers = np.zeros_like(chosen)
    for item in range(profile.items):
        for n, worker in enumerate(chosen[item]):
            p = confusion[worker, truth[item]].copy()
            moved = p[truth[item]] * difficulty[item]
            p[truth[item]] -= moved
            p[confuser[item]] += moved
            answers[item, n] = rng.choice(labels, p=p)
    pairs = _plant_copiers(rng, profile, chosen, answers, spammers)
    name_of = [f"w{n:03d}" for n in range(profile.workers)]
    rows = tuple(
        sorted(
            (f"i{item:05d}", name_of[int(worker)], f"L{int(answers[item, n])}")
            for item in range(profile.items)
            for n, worker in enumerate(chosen[item])
        )
    )
    return Crowd(
        name=name,
        labels=tuple(f"L{k}" for k in range(labels)),
        rows=rows,
        truth={f"i{item:05d}": f"L{int(truth[item])}" for item in range(profile.items)},
        copiers=tuple((name_of[a], name_of[b]) for a, b in pairs),
        spammers=frozenset(name_of[w] for w in spammers),
    )


def _plant_copiers(
    rng: np.random.Generator,
    profile: Profile,
    chosen: np.ndarray,
    answers: np.ndarray,
    spammers: set[int],
) -> list[tuple[int, int]]:
    """Make ``profile.copiers`` honest workers copy another honest worker: on 60% of the
    source's items the copier takes one of the item's other places and hands in the
    source's answer (95% of the time; a slip otherwise)."""
    honest_workers = [w for w in range(profile.workers) if w not in spammers]
    picked = rng.choice(honest_workers, size=2 * profile.copiers, replace=False)
    pairs = [(int(picked[2 * n]), int(picked[2 * n + 1])) for n in range(profile.copiers)]
    for source, copier in pairs:
        for item in np.flatnonzero((chosen == source).any(axis=1)):
            if rng.random() >= 0.6:
                continue
            places = chosen[item]
            if copier in places:
                place = int(np.flatnonzero(places == copier)[0])
            else:
                place = int(rng.choice(np.flatnonzero(places != source)))
                places[place] = copier
            own = answers[item, int(np.flatnonzero(places == source)[0])]
            answers[item, place] = own if rng.random() < 0.95 else rng.integers(profile.labels)
    return pairs
