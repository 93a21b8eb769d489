"""The new-task form's fields made into items, labels and problems that name their field
(`client.task_form`); the parts that need a platform are tested through the web app
(tests/web/test_requester_create.py)."""

from __future__ import annotations

import pytest

from microtask.client.task_form import (
    MediaFile,
    TaskFormInvalid,
    items_from_csv,
    items_from_images,
    items_from_jsonl,
    parse_form,
)
from microtask.errors import UserError


def test_a_csv_row_is_an_item_its_gold_cell_is_kept_apart() -> None:
    items = items_from_csv("id,text,gold\nr1,Good,Positive\n,No id here,\n")
    assert [(i.id, i.data, i.gold) for i in items] == [
        ("r1", {"text": "Good"}, "Positive"),
        ("item-2", {"text": "No id here"}, None),
    ]
    assert items[0].manifest_item() == {"id": "r1", "data": {"text": "Good"}}


def test_ids_are_made_valid_and_a_ragged_csv_is_refused_with_its_row() -> None:
    assert items_from_csv("id,text\nmy item/1,x\n")[0].id == "my-item-1"
    with pytest.raises(UserError, match="row 3"):
        items_from_csv("id,text\na,b\nc,d,e\n")
    with pytest.raises(UserError, match="empty"):
        items_from_csv("")


def test_json_lines_take_data_media_and_gold() -> None:
    text = '{"id": "a", "data": {"text": "x"}, "gold": "cat"}\n\n{"text": "y"}\n'
    items = items_from_jsonl(text)
    assert [(i.id, i.data, i.gold) for i in items] == [
        ("a", {"text": "x"}, "cat"),
        ("item-2", {"text": "y"}, None),
    ]
    with pytest.raises(UserError, match="line 2"):
        items_from_jsonl('{"id": "a"}\nnot json\n')


def test_images_are_items_named_after_their_files() -> None:
    cid = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
    items = items_from_images([MediaFile(name="cat 1.jpg", cid=cid)])
    assert items[0].manifest_item() == {"id": "cat-1", "media": [cid]}


def test_every_wrong_field_is_named_at_once() -> None:
    with pytest.raises(TaskFormInvalid) as caught:
        parse_form(
            {
                "requester": "0x123",
                "requester_public_key": "0x04" + "ab" * 64,
                "title": "",
                "instructions": "Do it",
                "token": "0x" + "00" * 20,
                "redundancy": 0,
                "verifier": "someone",
            }
        )
    assert {name for name, _ in caught.value.problems} == {
        "requester",
        "title",
        "redundancy",
        "verifier",
    }
