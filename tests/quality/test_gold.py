"""Gold keys from both hidden forms, and per-worker gold scores."""

from __future__ import annotations

from typing import Any

import pytest

from microtask.manifests import TaskManifest
from microtask.manifests.answers import (
    Answer,
    BoundingBoxesAnswer,
    Box,
    DataCheckAnswer,
    MultiLabelAnswer,
    TranscriptionAnswer,
)
from microtask.manifests.gold import gold_hash
from microtask.quality import (
    GoldKey,
    GoldScore,
    GoldUnavailable,
    WorkerAnswer,
    canonical_answer,
    score_gold,
)
from tests.quality.scenario import (
    STRANGER,
    VERIFIER,
    cls,
    encrypted_gold,
    hashed_gold,
    item_id,
    manifest_data,
)

SALTS = {item_id(0): b"\x01" * 32, item_id(1): b"\x02" * 32}
GOLD = {item_id(0): cls("cat"), item_id(1): cls("dog")}


def manifest_with(gold: dict[str, Any], **changes: Any) -> TaskManifest:
    return TaskManifest.model_validate(manifest_data(gold=gold, **changes))


def answer(worker: str, item: int, given: Answer) -> WorkerAnswer:
    return WorkerAnswer(
        worker=worker, item_id=item_id(item), answer=given, slot=item, submitted_at=0
    )


def test_encrypted_gold_opens_with_the_verifier_key() -> None:
    key = GoldKey.from_manifest(
        manifest_with(encrypted_gold(GOLD)), verifier_private_key=VERIFIER.key
    )
    assert key.item_ids == {item_id(0), item_id(1)}
    assert len(key) == 2
    assert key.answer(item_id(0)) == cls("cat")
    assert key.check(item_id(0), cls("cat"))
    assert not key.check(item_id(0), cls("dog"))
    assert item_id(2) not in key
    with pytest.raises(KeyError):
        key.check(item_id(2), cls("cat"))


def test_encrypted_gold_refuses_another_key_and_no_key() -> None:
    manifest = manifest_with(encrypted_gold(GOLD))
    with pytest.raises(GoldUnavailable, match="photo-00"):
        GoldKey.from_manifest(manifest, verifier_private_key=STRANGER.key)
    with pytest.raises(GoldUnavailable, match="verifier's key"):
        GoldKey.from_manifest(manifest)


def test_salted_gold_checks_against_the_hashes_with_the_salts() -> None:
    key = GoldKey.from_manifest(manifest_with(hashed_gold(GOLD, SALTS)), salts=SALTS)
    assert key.item_ids == {item_id(0), item_id(1)}
    assert key.answer(item_id(0)) is None  # a hash does not reveal the answer
    assert key.check(item_id(0), cls("cat"))
    assert not key.check(item_id(0), cls("dog"))
    assert key.check(item_id(1), cls("dog"))


def test_salted_gold_needs_every_salt_and_only_gold_salts() -> None:
    manifest = manifest_with(hashed_gold(GOLD, SALTS))
    with pytest.raises(GoldUnavailable, match="salts are needed"):
        GoldKey.from_manifest(manifest)
    with pytest.raises(GoldUnavailable, match=r"no salt for gold items \['photo-01'\]"):
        GoldKey.from_manifest(manifest, salts={item_id(0): SALTS[item_id(0)]})
    with pytest.raises(GoldUnavailable, match="not gold"):
        GoldKey.from_manifest(manifest, salts={**SALTS, item_id(5): b"\x05" * 32})
    wrong = {item: b"\x09" * 32 for item in SALTS}
    key = GoldKey.from_manifest(manifest, salts=wrong)
    assert not key.check(item_id(0), cls("cat"))  # a wrong salt matches nothing


def test_a_task_without_gold_has_an_empty_key() -> None:
    key = GoldKey.from_manifest(TaskManifest.model_validate(manifest_data()))
    assert len(key) == 0
    assert key.item_ids == frozenset()


def test_a_key_refuses_an_item_given_both_ways() -> None:
    with pytest.raises(ValueError, match="both ways"):
        GoldKey(answers={"a": cls("cat")}, hashes={"a": (b"\x00" * 32, b"\x00" * 32)})


@pytest.mark.parametrize(
    ("gold", "right", "wrong"),
    [
        (
            MultiLabelAnswer(labels=["a", "b"]),
            MultiLabelAnswer(labels=["b", "a"]),
            MultiLabelAnswer(labels=["a"]),
        ),
        (
            TranscriptionAnswer(text="Hello  World"),
            TranscriptionAnswer(text="hello world "),
            TranscriptionAnswer(text="hello word"),
        ),
        (
            DataCheckAnswer(verdict="invalid", corrections={"city": "Paris"}),
            DataCheckAnswer(verdict="invalid", corrections={"city": "paris", "zip": "75001"}),
            DataCheckAnswer(verdict="invalid", corrections={"city": "Lyon"}),
        ),
    ],
)
def test_gold_forgives_order_case_and_spacing_in_both_forms(
    gold: Answer, right: Answer, wrong: Answer
) -> None:
    encrypted = GoldKey(answers={"x": gold})
    assert encrypted.check("x", right)
    assert not encrypted.check("x", wrong)
    if isinstance(gold, DataCheckAnswer):
        return  # a hash cannot ignore extra corrections; only exact answers match a hash
    salt = b"\x07" * 32
    hashed = GoldKey(hashes={"x": (salt, gold_hash(canonical_answer(gold), salt))})
    assert hashed.check("x", right)
    assert not hashed.check("x", wrong)


def test_a_hash_of_the_exact_answer_also_matches() -> None:
    salt = b"\x07" * 32
    gold = TranscriptionAnswer(text="Hello World")
    hashed = GoldKey(hashes={"x": (salt, gold_hash(gold, salt))})
    assert hashed.check("x", TranscriptionAnswer(text="Hello World"))
    assert not hashed.check("x", TranscriptionAnswer(text="hello world"))  # case is lost


def test_gold_boxes_match_by_overlap_and_label() -> None:
    gold = BoundingBoxesAnswer(boxes=[Box(label="car", x=0.1, y=0.1, width=0.4, height=0.4)])
    key = GoldKey(answers={"x": gold})
    shifted = Box(label="car", x=0.12, y=0.1, width=0.4, height=0.38)
    assert key.check("x", BoundingBoxesAnswer(boxes=[shifted]))
    far = Box(label="car", x=0.5, y=0.5, width=0.4, height=0.4)
    assert not key.check("x", BoundingBoxesAnswer(boxes=[far]))
    relabelled = Box(label="bus", x=0.1, y=0.1, width=0.4, height=0.4)
    assert not key.check("x", BoundingBoxesAnswer(boxes=[relabelled]))
    assert not key.check("x", BoundingBoxesAnswer(boxes=[shifted, far]))


def test_scores_count_checked_and_right_answers_per_worker() -> None:
    key = GoldKey(answers=GOLD)
    answers = [
        answer("0xA", 0, cls("cat")),
        answer("0xA", 1, cls("cat")),
        answer("0xA", 2, cls("fish")),  # not gold
        answer("0xB", 0, cls("cat")),
        answer("0xB", 1, cls("dog")),
        answer("0xC", 3, cls("cat")),
    ]
    scores = score_gold(answers, key)
    assert list(scores) == ["0xA", "0xB", "0xC"]
    assert scores["0xA"] == GoldScore(
        worker="0xA", checked=2, correct=1, accuracy=0.5, missed=(item_id(1),)
    )
    assert scores["0xB"].accuracy == 1.0
    assert scores["0xC"].checked == 0
    assert scores["0xC"].accuracy is None
    assert scores["0xA"].passes(0.5) is True
    assert scores["0xA"].passes(0.6) is False
    assert scores["0xA"].passes(0.5, min_checked=3) is None
    assert scores["0xC"].passes(0.0) is None


def test_a_gold_score_must_add_up() -> None:
    with pytest.raises(ValueError, match="accuracy"):
        GoldScore(worker="0xA", checked=2, correct=1, accuracy=0.7, missed=("x",))
    with pytest.raises(ValueError, match="missed"):
        GoldScore(worker="0xA", checked=2, correct=1, accuracy=0.5, missed=())
