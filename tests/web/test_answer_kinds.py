"""Answer interfaces beyond classification, in Chromium: boxes drawn on an image without
dragging (two clicks, and the keyboard alone: WCAG 2.5.7), and an answer the schema
refuses, named in an error summary, with nothing typed lost; multi-label, free text,
transcription, survey and data check; a task claimed and handed in on chain. What the
verifier or the requester decrypts is what was given."""

from __future__ import annotations

import io
import wave
from collections.abc import Callable
from importlib import resources
from typing import Any

import httpx

from microtask.chain.accounts import dev_accounts, dev_verifier
from microtask.demo.seed import PHRASES
from microtask.manifests import SubmissionEnvelope, TaskManifest, open_submission
from microtask.verifier import IssuedReceipt
from tests.web.conftest import (
    WAIT_MS,
    InjectedWallet,
    WebPlatform,
    connect_wallet,
    page_errors,
    ready,
    with_wallet,
)

TRANSCRIPTION = 3
"""The demo's transcription task: no receipt slots, every slot claimed on chain."""


def post_boxes_task(web: WebPlatform) -> tuple[int, TaskManifest]:
    image = resources.files("microtask.demo").joinpath("images", "square-blue.png").read_bytes()
    cid = str(web.store.add_bytes(image))
    task_id = web.post_task(
        {
            "title": "Box the shapes",
            "instructions": "Draw a box around **each** shape.",
            "kind": "bounding_boxes",
            "answer_schema": {
                "kind": "bounding_boxes",
                "labels": [{"id": "square", "text": "Square"}, {"id": "circle", "text": "Circle"}],
                "min_boxes": 1,
                "max_boxes": 5,
            },
            "inputs": {"source": "inline", "items": [{"id": "image-0", "media": [cid]}]},
            "redundancy": 2,
            "time_estimate_seconds": 30,
        },
        lease=1800,
    )
    return task_id, web.platform.manifest(task_id).manifest


def decrypted(web: WebPlatform, task_id: int, slot: int, manifest: TaskManifest) -> Any:
    issued: IssuedReceipt | None = web.verifier.receipt(task_id, slot)
    assert issued is not None
    document = web.store.cat_json(issued.envelope_cid)
    envelope = SubmissionEnvelope.model_validate(document)
    answers = open_submission(
        envelope,
        bytes(dev_verifier().key),
        chain_id=web.chain_id,
        escrow=web.record.address,
        manifest=manifest,
    )
    return answers.answers[0].answer


def test_boxes_are_drawn_with_two_clicks_and_with_the_keyboard(
    web: WebPlatform, browser: Any
) -> None:
    task_id, manifest = post_boxes_task(web)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=web.url)
    context.set_default_timeout(WAIT_MS)
    wallet = InjectedWallet(web.w3, dev_accounts()[3])
    page = with_wallet(context, wallet)
    page.goto(f"/task/{task_id}")
    ready(page)
    connect_wallet(page, wallet)
    page.locator("#accept").click()
    canvas = page.locator("[data-boxes-canvas]")
    canvas.wait_for()
    page.locator("#auto-next").uncheck()

    # an empty answer is refused in the browser, in words, linked to the drawing area
    page.locator("#hand-in").click()
    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    assert "between 1 and 5 boxes" in summary.inner_text()
    assert summary.locator("a").get_attribute("href") == "#boxes-canvas"

    # two clicks, no drag: a square box over the left half of the image
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.2)
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.6)
    assert page.locator("[data-boxes-list] li").count() == 1
    # the keyboard alone: the other label, then the cross moved with arrows, Enter twice
    page.get_by_role("radio", name="Circle").check()
    canvas.focus()
    page.keyboard.press("Enter")  # the cross starts at the centre: (0.5, 0.5)
    for _ in range(3):
        page.keyboard.press("Shift+ArrowRight")  # +0.1 each
    page.keyboard.press("ArrowDown")  # +0.01
    page.keyboard.press("Enter")
    assert page.locator("[data-boxes-list] li").count() == 2
    page.locator("#hand-in").click()
    page.locator("#done-list li").first.wait_for()

    slot = int(httpx.get(f"{web.url}/verifier/tasks/{task_id}").json()["receipted"]) - 1
    answer = decrypted(web, task_id, slot, manifest)
    boxes = [box.model_dump() for box in answer.boxes]
    assert [b["label"] for b in boxes] == ["square", "circle"]
    square, circle = boxes
    assert abs(square["x"] - 0.1) < 0.02
    assert abs(square["y"] - 0.2) < 0.02
    assert abs(square["width"] - 0.4) < 0.02
    assert abs(square["height"] - 0.4) < 0.02
    assert circle == {"label": "circle", "x": 0.5, "y": 0.5, "width": 0.3, "height": 0.01}
    assert page_errors(page) == []
    context.close()


def wav_bytes() -> bytes:
    """A tenth of a second of silence, as a WAV file (the item's recording)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\0\0" * 800)
    return out.getvalue()


def one_item(kind: str, schema: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": f"One {kind} item",
        "instructions": f"Answer the {kind} item.",
        "kind": kind,
        "answer_schema": {"kind": kind, **schema},
        "inputs": {"source": "inline", "items": [{"id": "item-0", **item}]},
        "redundancy": 1,
        "time_estimate_seconds": 30,
    }


def answer_multi_label(page: Any) -> None:
    page.locator("input[name=labels]").first.focus()
    page.keyboard.press("1")
    page.keyboard.press("3")


def answer_free_text(page: Any) -> None:
    page.locator("#answer-text").focus()
    page.keyboard.type("¡Hola, mundo!")


def answer_transcription(page: Any) -> None:
    text = page.locator("#answer-text")
    assert text.input_value() == "a cat sat on a mat"  # the machine's guess, to correct
    text.focus()
    page.keyboard.press("Control+a")
    page.keyboard.type("the cat sat on the mat")


def answer_survey(page: Any) -> None:
    page.get_by_label("Fine", exact=True).check()
    page.get_by_label("Pen", exact=True).check()
    page.get_by_label("Ink", exact=True).check()
    page.get_by_label("How old are you?").fill("42.5")
    page.locator("input[name='q:stars'][value='4']").check()


def answer_data_check(page: Any) -> None:
    page.locator("input[name=verdict]").first.focus()
    page.keyboard.press("2")  # "No, something is wrong"
    page.get_by_label("city", exact=True).fill("Lille")


def test_every_other_kind_is_answered_and_sealed_as_given(web: WebPlatform, browser: Any) -> None:
    """Multi-label (number keys), free text, transcription (a media player and the
    machine's guess), survey and data check: what the verifier decrypts is what was given."""
    audio = str(web.store.add_bytes(wav_bytes()))
    cases: list[tuple[dict[str, Any], Callable[[Any], None], dict[str, Any]]] = [
        (
            one_item(
                "multi_label",
                {"labels": [{"id": i, "text": i.title()} for i in ("cat", "dog", "bird")]},
                {"data": {"text": "A cat watches a bird."}},
            ),
            answer_multi_label,
            {"kind": "multi_label", "labels": ["cat", "bird"]},
        ),
        (
            one_item("free_text", {"min_length": 3}, {"data": {"text": "Say hello in Spanish."}}),
            answer_free_text,
            {"kind": "free_text", "text": "¡Hola, mundo!"},
        ),
        (
            one_item(
                "transcription",
                {"max_length": 200},
                {"media": [audio], "data": {"machine_guess": "a cat sat on a mat"}},
            ),
            answer_transcription,
            {"kind": "transcription", "text": "the cat sat on the mat"},
        ),
        (
            one_item(
                "survey",
                {
                    "questions": [
                        {
                            "id": "mood",
                            "prompt": "How are you?",
                            "type": "single_choice",
                            "options": [{"id": "ok", "text": "Fine"}, {"id": "meh", "text": "Meh"}],
                        },
                        {
                            "id": "tools",
                            "prompt": "What do you write with?",
                            "type": "multiple_choice",
                            "options": [
                                {"id": "pen", "text": "Pen"},
                                {"id": "keys", "text": "Keyboard"},
                                {"id": "ink", "text": "Ink"},
                            ],
                        },
                        {"id": "age", "prompt": "How old are you?", "type": "number"},
                        {
                            "id": "stars",
                            "prompt": "Stars?",
                            "type": "rating",
                            "minimum": 1,
                            "maximum": 5,
                        },
                        {
                            "id": "note",
                            "prompt": "Anything else?",
                            "type": "text",
                            "required": False,
                        },
                    ]
                },
                {},
            ),
            answer_survey,
            {
                "kind": "survey",
                "responses": {"mood": "ok", "tools": ["pen", "ink"], "age": 42.5, "stars": 4.0},
            },
        ),
        (
            one_item(
                "data_check",
                {"fields": ["name", "city"]},
                {"data": {"name": "Ana", "city": "Lyon"}},
            ),
            answer_data_check,
            {"kind": "data_check", "verdict": "invalid", "corrections": {"city": "Lille"}},
        ),
    ]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=web.url)
    context.set_default_timeout(WAIT_MS)
    wallet = InjectedWallet(web.w3, dev_accounts()[3])
    page = with_wallet(context, wallet)
    page.goto("/")
    ready(page)
    connect_wallet(page, wallet)
    for manifest, answer, expected in cases:
        task_id = web.post_task(manifest)
        page.goto(f"/task/{task_id}")
        ready(page)
        page.locator("#accept").focus()
        page.keyboard.press("Enter")
        page.locator("#item .item-view").wait_for()
        if manifest["kind"] == "transcription":
            assert page.locator(f'#item audio[controls][src="/content/{audio}"]').count() == 1
        answer(page)
        page.locator("#hand-in").focus()
        page.keyboard.press("Enter")
        page.locator("#done-list li").first.wait_for()
        found = decrypted(web, task_id, 0, web.platform.manifest(task_id).manifest)
        assert found.model_dump(mode="json") == expected, manifest["kind"]
    assert page_errors(page) == []
    context.close()


def test_a_transcription_is_claimed_and_handed_in_on_chain(web: WebPlatform, browser: Any) -> None:
    """The demo's transcription task has no receipt slots: the wallet claims a slot on
    chain, the answer is sealed and uploaded, and the wallet submits its CID; the next
    slot is claimed at once and survives a reload. The requester opens what was typed."""
    worker = dev_accounts()[3]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=web.url)
    context.set_default_timeout(WAIT_MS)
    wallet = InjectedWallet(web.w3, worker)
    page = with_wallet(context, wallet)
    page.goto(f"/task/{TRANSCRIPTION}")
    ready(page)
    connect_wallet(page, wallet)
    page.locator("#claim").focus()
    page.keyboard.press("Enter")
    text = page.locator("#answer-text")
    text.wait_for()
    slot = int(page.locator("#slot-heading").inner_text().split(":", 1)[0].rsplit(" ", 1)[1])
    item = page.locator("#slot-heading").inner_text().rsplit(" ", 1)[1]
    phrase = PHRASES[int(item.removeprefix("clip-"))]
    view = web.client(worker).slot(TRANSCRIPTION, slot)
    assert (view.state.name.lower(), view.worker) == ("claimed", worker.address)
    assert page.locator("#lease").inner_text() != ""  # the lease is counting down
    text.focus()
    page.keyboard.press("Control+a")
    page.keyboard.type(phrase)
    page.locator("#hand-in").focus()
    page.keyboard.press("Enter")
    page.locator("#done-list li").first.wait_for()
    assert web.client(worker).slot(TRANSCRIPTION, slot).state.name.lower() == "submitted"
    # the next slot was claimed at once (the "next item" box is ticked)
    page.locator("#slot-heading").filter(has_not_text=f"Slot {slot}:").wait_for()
    following = int(page.locator("#slot-heading").inner_text().split(":", 1)[0].rsplit(" ", 1)[1])
    assert web.client(worker).slot(TRANSCRIPTION, following).worker == worker.address
    assert [sent["to"].lower() for sent in wallet.sent] == [web.record.address.lower()] * 3

    # a reload takes the claimed slot up again
    web.sync()
    page.reload()
    ready(page)
    page.locator("#slot-heading").filter(has_text=f"Slot {following}:").wait_for()

    # the requester reads exactly what was typed
    web.sync()
    assignments = httpx.get(f"{web.url}/tasks/{TRANSCRIPTION}/assignments").json()["data"]
    cid = next(a["result_cid"] for a in assignments if a["slot"] == slot)
    envelope = SubmissionEnvelope.model_validate(web.store.cat_json(cid))
    opened = open_submission(
        envelope,
        bytes(dev_accounts()[1].key),
        chain_id=web.chain_id,
        escrow=web.record.address,
        manifest=web.platform.manifest(TRANSCRIPTION).manifest,
    )
    assert opened.answers[0].item_id == item
    assert opened.answers[0].answer.model_dump() == {"kind": "transcription", "text": phrase}
    assert page_errors(page) == []
    context.close()
