"""Task manifests: every kind validates, and every mistake names its field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from microtask.manifests import DocumentInvalid, DocumentTooLarge, TaskManifest, parse_document
from microtask.manifests.limits import MAX_INLINE_ITEMS, MAX_ITEM_DATA_BYTES, MAX_MANIFEST_BYTES
from tests.manifests.conftest import (
    MEDIA_CID,
    REQUESTER,
    STRANGER,
    VERIFIER,
    manifest_data,
    public_key,
)

LABELS = [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}]
SCHEMAS = {
    "classification": {"kind": "classification", "labels": LABELS},
    "multi_label": {"kind": "multi_label", "labels": LABELS, "min_selected": 1},
    "free_text": {"kind": "free_text", "max_length": 500},
    "transcription": {"kind": "transcription"},
    "bounding_boxes": {"kind": "bounding_boxes", "labels": LABELS, "max_boxes": 5},
    "survey": {
        "kind": "survey",
        "questions": [
            {"id": "age", "prompt": "Age?", "type": "number", "minimum": 0},
            {"id": "like", "prompt": "Like it?", "type": "rating", "minimum": 1, "maximum": 5},
            {"id": "pick", "prompt": "Pick", "type": "single_choice", "options": LABELS},
        ],
    },
    "data_check": {"kind": "data_check", "fields": ["name", "city"]},
}


def invalid(data: dict[str, Any]) -> DocumentInvalid:
    with pytest.raises(DocumentInvalid) as caught:
        parse_document(json.dumps(data).encode())
    return caught.value


def fields_named(error: DocumentInvalid) -> list[str]:
    return [field for field, _ in error.problems]


@pytest.mark.parametrize("kind", SCHEMAS)
def test_every_task_kind_validates(kind: str) -> None:
    data = manifest_data(kind=kind, answer_schema=SCHEMAS[kind])
    manifest = parse_document(json.dumps(data).encode())
    assert isinstance(manifest, TaskManifest)
    assert manifest.kind == kind
    assert manifest.slot_count == 6  # two items, three assignments each


def test_a_manifest_round_trips_through_json(manifest: TaskManifest) -> None:
    again = parse_document(manifest.model_dump_json().encode())
    assert again == manifest
    assert manifest.recipients() == [
        ("requester", public_key(REQUESTER)),
        ("verifier", public_key(VERIFIER)),
    ]


def test_public_keys_and_addresses_are_normalised() -> None:
    compressed = "0x" + bytes.fromhex(public_key(REQUESTER)[2:])[1:33].hex()
    prefix = "02" if int(public_key(REQUESTER)[-2:], 16) % 2 == 0 else "03"
    manifest = TaskManifest.model_validate(
        manifest_data(
            requester=REQUESTER.address.lower(),
            requester_public_key="0x" + prefix + compressed[2:],
        )
    )
    assert manifest.requester == REQUESTER.address
    assert manifest.requester_public_key == public_key(REQUESTER)


def test_large_item_sets_go_by_cid() -> None:
    data = manifest_data(inputs={"source": "jsonl", "cid": MEDIA_CID, "count": 50_000})
    manifest = TaskManifest.model_validate(data)
    assert manifest.slot_count == 150_000


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "at least 1 character"),
        ({"title": "   "}, "title", "blank"),
        ({"kind": "painting"}, "kind", "Input should be"),
        ({"redundancy": 0}, "redundancy", "greater than or equal to 1"),
        ({"tags": ["Not A Slug"]}, "tags.0", "pattern"),
        ({"tags": ["a", "a"]}, "tags", "distinct"),
        ({"language": "english!"}, "language", "pattern"),
        ({"time_estimate_seconds": 0}, "time_estimate_seconds", "greater than"),
        ({"requester": "0x1234"}, "requester", "not an Ethereum address"),
        ({"requester_public_key": "0x04" + "00" * 64}, "requester_public_key", "secp256k1"),
        ({"surprise": True}, "surprise", "Extra inputs are not permitted"),
        ({"schema_version": 2}, "schema_version", "Input should be 1"),
        ({"inputs": {"source": "ftp"}}, "inputs", "does not match any of the expected tags"),
    ],
)
def test_mistakes_name_their_field(changes: dict[str, Any], field: str, message: str) -> None:
    error = invalid(manifest_data(**changes))
    assert any(found == field and message in text for found, text in error.problems), error.problems
    assert field in str(error)


def test_nested_mistakes_name_the_path() -> None:
    data = manifest_data()
    data["answer_schema"]["labels"] = [{"id": "cat", "text": "Cat"}]
    data["inputs"]["items"][1]["id"] = "bad id!"
    error = invalid(data)
    assert "answer_schema.classification.labels" in fields_named(error)
    assert "inputs.inline.items.1.id" in fields_named(error)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"verifier": None}, "verifier and verifier_public_key come together"),
        ({"verifier_public_key": public_key(STRANGER)}, "verifier_public_key is not the verifier"),
        (
            {"answer_schema": SCHEMAS["free_text"]},
            "answer_schema is for free_text, the task is classification",
        ),
    ],
)
def test_cross_field_mistakes_say_which_fields(changes: dict[str, Any], message: str) -> None:
    assert message in str(invalid(manifest_data(**changes)))


def test_the_requester_key_may_be_one_derived_from_the_wallet() -> None:
    """A browser requester names the key derived from a signature of its wallet
    (client.requester_key), whose address is not the account's: the createTask transaction
    that names the manifest is what vouches for it, so the manifest takes any valid key."""
    manifest = TaskManifest.model_validate(manifest_data(requester_public_key=public_key(STRANGER)))
    assert manifest.requester == REQUESTER.address
    assert manifest.recipients()[0] == ("requester", public_key(STRANGER))


def test_item_limits() -> None:
    items = [{"id": f"item-{index}"} for index in range(MAX_INLINE_ITEMS + 1)]
    error = invalid(manifest_data(inputs={"source": "inline", "items": items}))
    assert fields_named(error) == ["inputs.inline.items"]
    assert "at most 1000 items" in str(error)
    big = {"id": "big", "data": {"text": "x" * MAX_ITEM_DATA_BYTES}}
    error = invalid(manifest_data(inputs={"source": "inline", "items": [big]}))
    assert fields_named(error) == ["inputs.inline.items.0.data"]
    assert "list its CID under media" in str(error)
    duplicated = [{"id": "same"}, {"id": "same"}]
    assert "'same' appears twice" in str(
        invalid(manifest_data(inputs={"source": "inline", "items": duplicated}))
    )


def test_size_limit_is_checked_before_parsing() -> None:
    with pytest.raises(DocumentTooLarge, match=str(MAX_MANIFEST_BYTES)):
        parse_document(b" " * (MAX_MANIFEST_BYTES + 1), "task-manifest")


def test_not_json_says_where() -> None:
    with pytest.raises(DocumentInvalid, match="line 2 column 1"):
        parse_document(b'{"title": "x",\n}')
    with pytest.raises(DocumentInvalid, match="type: must be one of"):
        parse_document(b'{"title": "x"}')
    with pytest.raises(DocumentInvalid, match="JSON object"):
        parse_document(b"[1, 2]")


def test_slots_cycle_through_the_items() -> None:
    manifest = TaskManifest.model_validate(manifest_data())  # two items, redundancy 3
    assert manifest.slot_count == 6
    assert [manifest.item_index(slot) for slot in range(6)] == [0, 1, 0, 1, 0, 1]
    item = manifest.inline_item(3)
    assert item is not None
    assert item.id == "photo-2"
    with pytest.raises(ValueError, match="not negative"):
        manifest.item_index(-1)
