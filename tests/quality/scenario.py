"""Planted crowds: tasks whose workers' honesty the test knows, built from a seed.

The issue's scenario is a classification task of 20 items x 3 answers (60 slots; slot s
works on item s mod 20, so item i's slots are i, i + 20 and i + 40) with six gold items,
answered by:

- three good workers (G1-G3): right on gold, right on 95% of the rest;
- a borderline worker (B): right everywhere except one of the four gold items they meet;
- a careless worker (R): a uniformly random label everywhere;
- a copying pair (P1 answers at random, P2 hands in P1's answers) on the same five items;
- a straight-liner (S): "cat" to every item;
- a too-fast worker (F): right answers, each slot submitted 1 s after it was claimed.

Honest workers take 15-60 s per slot against a 30 s estimate. Everything random comes from
``random.Random(seed)``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from microtask.content.cid import CODEC_RAW, block_cid
from microtask.manifests import ItemAnswer, TaskManifest
from microtask.manifests.answers import Answer, ClassificationAnswer
from microtask.manifests.gold import gold_hash, seal_gold_answer
from microtask.manifests.sealing import public_key_of
from microtask.quality import Submission

LABELS = ("cat", "dog", "bird", "fish", "horse")
ITEMS = 20
REDUNDANCY = 3
GOLD_ITEMS = (0, 1, 2, 3, 4, 5)
ESTIMATE_SECONDS = 30


def account(seed: int) -> LocalAccount:
    acct: LocalAccount = Account.from_key(seed.to_bytes(32, "big"))
    return acct


REQUESTER = account(0xA11CE)
VERIFIER = account(0xB0B)
STRANGER = account(0xD00D)
WORKERS: dict[str, LocalAccount] = {
    name: account(0x1000 + index)
    for index, name in enumerate(["G1", "G2", "G3", "B", "R", "P1", "P2", "S", "F"])
}
NAME_OF = {acct.address: name for name, acct in WORKERS.items()}


def public_key(who: LocalAccount) -> str:
    return "0x" + public_key_of(who.key).hex()


def envelope_cid(slot: int) -> str:
    """A stand-in CID for slot ``slot``'s envelope (the CIDv1 of some raw bytes)."""
    return str(block_cid(f"envelope of slot {slot}".encode(), CODEC_RAW, 1))


def item_id(index: int) -> str:
    return f"photo-{index:02d}"


def manifest_data(
    kind: str = "classification",
    answer_schema: dict[str, Any] | None = None,
    items: int = ITEMS,
    gold: dict[str, Any] | None = None,
    **changes: Any,
) -> dict[str, Any]:
    """A valid manifest as JSON data (a classification over `LABELS` unless told)."""
    data: dict[str, Any] = {
        "title": "Which animal?",
        "instructions": "Pick the animal in the photo.",
        "kind": kind,
        "answer_schema": answer_schema
        or {"kind": "classification", "labels": [{"id": x, "text": x.title()} for x in LABELS]},
        "inputs": {
            "source": "inline",
            "items": [{"id": item_id(i), "data": {"n": i}} for i in range(items)],
        },
        "redundancy": REDUNDANCY,
        "time_estimate_seconds": ESTIMATE_SECONDS,
        "requester": REQUESTER.address,
        "requester_public_key": public_key(REQUESTER),
        "verifier": VERIFIER.address,
        "verifier_public_key": public_key(VERIFIER),
    }
    if gold is not None:
        data["gold"] = gold
    data.update(changes)
    return data


def encrypted_gold(answers: dict[str, Answer]) -> dict[str, Any]:
    return {
        "scheme": "encrypted",
        "items": [
            {"item_id": item, "sealed_answer": seal_gold_answer(answer, public_key(VERIFIER))}
            for item, answer in answers.items()
        ],
    }


def hashed_gold(answers: dict[str, Answer], salts: dict[str, bytes]) -> dict[str, Any]:
    return {
        "scheme": "salted_sha256",
        "items": [
            {"item_id": item, "answer_hash": gold_hash(answer, salts[item])}
            for item, answer in answers.items()
        ],
    }


# which items each planted worker (other than G1-G3, who fill the rest) answers
PLANTED_ITEMS: dict[str, tuple[int, ...]] = {
    "B": (0, 1, 4, 5, 6, 7, 8, 9, 10),
    "R": (0, 1, 4, 10, 11, 15),
    "P1": (2, 3, 12, 13, 14),
    "P2": (2, 3, 12, 13, 14),
    "S": (6, 7, 8, 9, 16),
    "F": (17, 18, 19),
}
GOOD = ("G1", "G2", "G3")
HONEST = (*GOOD, "B")


@dataclass
class Crowd:
    """A built scenario: the manifest, the submissions, and what was planted."""

    manifest: TaskManifest
    submissions: list[Submission]
    truth: dict[str, str]
    items_of: dict[str, list[str]]
    salts: dict[str, bytes] = field(default_factory=dict)

    def slots_of(self, name: str) -> list[int]:
        address = WORKERS[name].address
        return sorted(s.slot for s in self.submissions if s.worker == address)

    def clear_items(self) -> list[str]:
        """Items with at least two right answers from honest workers and at most one other
        answer: the crowd's answer there is not in doubt."""
        clear = []
        for item, label in self.truth.items():
            right = [
                s
                for s in self.submissions
                if NAME_OF[s.worker] in HONEST
                and s.answers[0].item_id == item
                and _label(s.answers[0].answer) == label
            ]
            answered = [s for s in self.submissions if s.answers[0].item_id == item]
            if len(right) >= 2 and len(answered) - len(right) <= 1:
                clear.append(item)
        return clear


def _label(answer: Answer) -> str:
    assert isinstance(answer, ClassificationAnswer)
    return answer.label


def _allocate() -> dict[str, list[int]]:
    """Each worker's items: the planted ones, then G1-G3 fill the free places, least loaded
    first, never twice on one item."""
    items_of = {name: list(items) for name, items in PLANTED_ITEMS.items()}
    taken = {i: [n for n, items in PLANTED_ITEMS.items() if i in items] for i in range(ITEMS)}
    for name in GOOD:
        items_of[name] = []
    for i in range(ITEMS):
        while len(taken[i]) < REDUNDANCY:
            name = min((n for n in GOOD if n not in taken[i]), key=lambda n: (len(items_of[n]), n))
            items_of[name].append(i)
            taken[i].append(name)
    return items_of


def crowd(seed: int = 7, gold_scheme: str = "encrypted") -> Crowd:
    """The issue's scenario (see the module's note) for ``seed``."""
    rng = random.Random(seed)
    truth = {item_id(i): rng.choice(LABELS) for i in range(ITEMS)}
    gold_answers: dict[str, Answer] = {
        item_id(i): ClassificationAnswer(label=truth[item_id(i)]) for i in GOLD_ITEMS
    }
    salts: dict[str, bytes] = {}
    if gold_scheme == "encrypted":
        gold = encrypted_gold(gold_answers)
    else:
        # salts from a generator of their own, so both gold schemes plant the same crowd
        salt_rng = random.Random(f"salts {seed}")
        salts = {item: salt_rng.randbytes(32) for item in gold_answers}
        gold = hashed_gold(gold_answers, salts)
    manifest = TaskManifest.model_validate(manifest_data(gold=gold))
    items_of = _allocate()
    slot_users: dict[int, int] = {}
    answers: dict[tuple[str, int], str] = {}
    for name, items in sorted(items_of.items()):
        for i in items:
            right = truth[item_id(i)]
            wrong = [x for x in LABELS if x != right]
            if name in GOOD:
                label = right if i in GOLD_ITEMS or rng.random() < 0.95 else rng.choice(wrong)
            elif name == "B":
                label = wrong[0] if i == 4 else right
            elif name in ("R", "P1"):
                label = rng.choice(LABELS)
            elif name == "P2":
                label = answers[("P1", i)]
            elif name == "S":
                label = "cat"
            else:  # F: right, but far too fast
                label = right
            answers[(name, i)] = label
    submissions: list[Submission] = []
    clock: dict[str, int] = {}
    # slots in order of claiming: item i's first claimant gets slot i, the next i + 20, ...
    for name, items in sorted(items_of.items()):
        now = clock.get(name, 1_700_000_000 + rng.randrange(600))
        for i in items:
            turn = slot_users.get(i, 0)
            slot_users[i] = turn + 1
            slot = i + ITEMS * turn
            seconds = 1 if name == "F" else rng.randint(15, 60)
            started = now + rng.randint(1, 20)
            submissions.append(
                Submission(
                    slot=slot,
                    worker=WORKERS[name].address,
                    answers=(
                        ItemAnswer(
                            item_id=item_id(i),
                            answer=ClassificationAnswer(label=answers[(name, i)]),
                        ),
                    ),
                    started_at=started,
                    submitted_at=started + seconds,
                    cid=envelope_cid(slot),
                )
            )
            now = started + seconds
        clock[name] = now
    return Crowd(
        manifest=manifest,
        submissions=sorted(submissions, key=lambda s: s.slot),
        truth=truth,
        items_of={name: [item_id(i) for i in items] for name, items in items_of.items()},
        salts=salts,
    )


def submission(
    worker: str,
    slot: int,
    answer: Answer,
    *,
    item: str | None = None,
    started_at: int | None = None,
    submitted_at: int = 1_700_000_100,
) -> Submission:
    """One slot's submission by the named planted worker (item: the slot's, of 20 items)."""
    return Submission(
        slot=slot,
        worker=WORKERS[worker].address,
        answers=(ItemAnswer(item_id=item or item_id(slot % ITEMS), answer=answer),),
        started_at=started_at,
        submitted_at=submitted_at,
        cid=envelope_cid(slot),
    )


def cls(label: str) -> ClassificationAnswer:
    return ClassificationAnswer(label=label)
