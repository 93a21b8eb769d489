"""Gold answers stay hidden but checkable; reviews say why."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import TypeAdapter

from microtask.manifests import (
    Answer,
    DecryptionFailed,
    DocumentInvalid,
    Review,
    ReviewBatch,
    TaskManifest,
    parse_document,
)
from microtask.manifests.gold import (
    gold_hash,
    gold_matches,
    new_salt,
    open_gold_answer,
    seal_gold_answer,
)
from tests.manifests.conftest import REQUESTER, VERIFIER, WORKER, manifest_data, public_key

ANSWER: TypeAdapter[Answer] = TypeAdapter(Answer)
CAT = ANSWER.validate_python({"kind": "classification", "label": "cat"})
DOG = ANSWER.validate_python({"kind": "classification", "label": "dog"})
ENVELOPE_CID = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"


def test_encrypted_gold_opens_for_the_verifier_only() -> None:
    sealed = seal_gold_answer(CAT, public_key(VERIFIER))
    gold = {"scheme": "encrypted", "items": [{"item_id": "photo-1", "sealed_answer": sealed}]}
    manifest = TaskManifest.model_validate(manifest_data(gold=gold))
    assert manifest.gold is not None
    assert b'"label":"cat"' not in sealed
    assert '"label"' not in manifest.model_dump_json()
    (item,) = manifest.gold.items
    assert open_gold_answer(item.sealed_answer, VERIFIER.key) == CAT  # type: ignore[union-attr]
    with pytest.raises(DecryptionFailed):
        open_gold_answer(item.sealed_answer, WORKER.key)  # type: ignore[union-attr]


def test_salted_gold_hashes_check_answers_without_revealing_them() -> None:
    salt = new_salt()
    digest = gold_hash(CAT, salt)
    gold = {
        "scheme": "salted_sha256",
        "items": [{"item_id": "photo-2", "answer_hash": "0x" + digest.hex()}],
    }
    manifest = TaskManifest.model_validate(manifest_data(gold=gold))
    assert manifest.gold is not None
    assert gold_matches(CAT, salt, digest)
    assert not gold_matches(DOG, salt, digest)
    assert not gold_matches(CAT, new_salt(), digest)
    with pytest.raises(ValueError, match="16 random bytes"):
        gold_hash(CAT, b"short")


@pytest.mark.parametrize(
    ("gold", "message"),
    [
        (
            {
                "scheme": "salted_sha256",
                "items": [{"item_id": "photo-7", "answer_hash": "0x" + "11" * 32}],
            },
            "gold items that are not input items: ['photo-7']",
        ),
        (
            {"scheme": "salted_sha256", "items": [{"item_id": "photo-1", "answer_hash": "0x1234"}]},
            "gold.salted_sha256.items.0.answer_hash",
        ),
        ({"scheme": "salted_sha256", "items": []}, "gold.salted_sha256.items"),
    ],
)
def test_gold_mistakes_are_named(gold: dict[str, Any], message: str) -> None:
    with pytest.raises(DocumentInvalid, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_document(json.dumps(manifest_data(gold=gold)).encode())


def test_encrypted_gold_needs_a_verifier() -> None:
    sealed = seal_gold_answer(CAT, public_key(REQUESTER))
    gold = {"scheme": "encrypted", "items": [{"item_id": "photo-1", "sealed_answer": sealed}]}
    data = manifest_data(gold=gold, verifier=None, verifier_public_key=None)
    with pytest.raises(ValueError, match="need a verifier"):
        TaskManifest.model_validate(data)


def review(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": "microtask/review",
        "task_id": 7,
        "slot": 4,
        "submission": ENVELOPE_CID,
        "reviewer": VERIFIER.address,
        "decision": "rejected",
        "reasons": [{"code": "gold_failed", "item_id": "photo-2", "detail": "that is a cat"}],
        "feedback": "Please look at the *ears*.",
        "gold_score": 0.5,
        "reviewed_at": 1_800_000_100,
    }
    data.update(changes)
    return data


def test_a_rejection_review_round_trips() -> None:
    parsed = parse_document(json.dumps(review()).encode())
    assert isinstance(parsed, Review)
    assert parsed.reasons[0].code == "gold_failed"
    assert parse_document(parsed.model_dump_json().encode()) == parsed


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reasons": []}, "a rejection needs at least one reason"),
        ({"decision": "approved"}, "an approval has no rejection reasons"),
        ({"reasons": [{"code": "lazy"}]}, "reasons.0.code"),
        ({"gold_score": 1.5}, "gold_score"),
        ({"submission": "not-a-cid"}, "submission: not a CID"),
        ({"feedback": "x" * 10_001}, "feedback"),
    ],
)
def test_review_mistakes_are_named(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(DocumentInvalid, match=message):
        parse_document(json.dumps(review(**changes)).encode())


def batch(*reviews: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": "microtask/review-batch",
        "task_id": 7,
        "reviewer": VERIFIER.address,
        "reviews": list(reviews),
    }
    data.update(changes)
    return data


def test_a_batch_of_reviews_finds_each_slot() -> None:
    parsed = parse_document(json.dumps(batch(review(slot=1), review(slot=4))).encode())
    assert isinstance(parsed, ReviewBatch)
    found = parsed.for_slot(4)
    assert found is not None
    assert found.slot == 4
    assert parsed.for_slot(2) is None


@pytest.mark.parametrize(
    ("reviews", "changes", "message"),
    [
        ((), {}, "reviews: List should have at least 1 item"),
        ((review(slot=1), review(slot=1)), {}, "two reviews of slot 1"),
        ((review(task_id=8),), {}, "a review for task 8 in a batch for task 7"),
        ((review(),), {"reviewer": WORKER.address}, "in a batch by"),
    ],
)
def test_batch_mistakes_are_named(
    reviews: tuple[dict[str, Any], ...], changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(DocumentInvalid, match=message):
        parse_document(json.dumps(batch(*reviews, **changes)).encode())
