"""Answer interfaces beyond classification, in Chromium: boxes drawn on an image without
dragging (two clicks, and the keyboard alone: WCAG 2.5.7), and an answer the schema
refuses, named in an error summary, with nothing typed lost. What the verifier decrypts
is what was drawn."""

from __future__ import annotations

from importlib import resources
from typing import Any

import httpx

from microtask.chain.accounts import dev_accounts, dev_verifier
from microtask.chain.devchain import latest_timestamp
from microtask.chain.escrow import TaskParams
from microtask.manifests import SubmissionEnvelope, TaskManifest, open_submission
from microtask.manifests.sealing import public_key_of
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


def key_of(index: int) -> str:
    return "0x" + public_key_of(bytes(dev_accounts()[index].key)).hex()


def post_boxes_task(web: WebPlatform) -> tuple[int, TaskManifest]:
    image = resources.files("microtask.demo").joinpath("images", "square-blue.png").read_bytes()
    cid = str(web.store.add_bytes(image))
    requester = dev_accounts()[1]
    manifest = TaskManifest.model_validate(
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
            "requester": requester.address,
            "requester_public_key": key_of(1),
            "verifier": dev_verifier().address,
            "verifier_public_key": key_of(2),
        }
    )
    manifest_cid = web.store.add_json(manifest.model_dump(mode="json"))
    task_id, _ = web.client(requester).create_task(
        TaskParams(
            manifest_cid=bytes(manifest_cid),
            reward=100_000,
            slots=2,
            receipt_slots=2,
            deadline=latest_timestamp(web.w3) + 7 * 24 * 3600,
            review_period=24 * 3600,
            lease=1800,
            token=web.market.token,
            verifier=dev_verifier().address,
        )
    )
    web.sync()
    return task_id, manifest


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
