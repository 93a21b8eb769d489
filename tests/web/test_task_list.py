"""The task list and the task page as the server renders them, and the list in Chromium:
filters (kind, the task's language, token, minimum reward in the token's units), what a
connected worker may not take and why (in their language), a hostile manifest shown as
text, and the list following the escrow's live feed without a page load."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import httpx

from microtask.chain.accounts import dev_accounts
from tests.web.conftest import WAIT_MS, WebPlatform, new_page, page_errors, ready

DEMO_TASKS = [3, 2, 1]  # newest first: shapes, sentiment, transcription


def manifest(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": title,
        "instructions": "Pick the review's sentiment.",
        "kind": "classification",
        "answer_schema": {
            "kind": "classification",
            "labels": [{"id": "pos", "text": "Positive"}, {"id": "neg", "text": "Negative"}],
        },
        "inputs": {"source": "inline", "items": [{"id": "r0", "data": {"text": "Bien."}}]},
        "redundancy": 1,
        "time_estimate_seconds": 20,
        **extra,
    }


def section(html: str, marker: str) -> str:
    """The HTML from ``marker`` to the end of its section."""
    start = html.index(marker)
    return html[start : html.index("</section>", start)]


def listed(html: str) -> list[int]:
    return [
        int(found) for found in re.findall(r'data-task="(\d+)"', section(html, 'id="task-list"'))
    ]


def cards_not_eligible(html: str) -> dict[int, str]:
    """Each task under "Tasks you cannot take yet", with its card's text."""
    if 'class="not-eligible"' not in html:
        return {}
    cards = section(html, 'class="not-eligible"').split('<li class="card muted">')[1:]
    found = {}
    for card in cards:
        task = int(re.search(r'href="/task/(\d+)"', card).group(1))  # type: ignore[union-attr]
        found[task] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card))
    return found


def test_filters_narrow_the_list_in_the_tokens_units(web: WebPlatform) -> None:
    spanish = web.post_task(
        manifest("¿Es positiva esta reseña?", language="es"), reward=300_000
    )  # 0.3 dUSD
    token = web.market.token
    with httpx.Client(base_url=web.url) as client:
        everything = client.get("/").text
        assert listed(everything) == [spanish, *DEMO_TASKS]
        assert listed(client.get("/?kind=transcription").text) == [3]
        # a task's own language is shown, and filterable
        assert listed(client.get("/?language=es").text) == [spanish]
        assert '<option value="es">Spanish</option>' in everything
        card = section(everything, f'data-task="{spanish}"')
        assert '<dd lang="es">Spanish</dd>' in card
        # rewards in dUSD (0.05, 0.08, 0.25 and 0.3): a decimal comma as Spanish writes it
        assert listed(client.get(f"/?token={token}&min_reward=0.1").text) == [spanish, 3]
        assert listed(client.get(f"/?token={token}&min_reward=0,26").text) == [spanish]
        # what the filters cannot take is said, and the list stays whole
        too_fine = client.get(f"/?token={token}&min_reward=0.0000001").text
        assert "not an amount of dUSD (up to 6 decimal places)" in too_fine
        assert listed(too_fine) == [spanish, *DEMO_TASKS]
        no_token = client.get("/?min_reward=1").text
        assert "Choose a token to filter by a minimum reward" in no_token
        assert listed(no_token) == [spanish, *DEMO_TASKS]
        # htmx asks for the list alone
        partial = client.get("/?kind=transcription", headers={"HX-Request": "true"}).text
        assert partial.lstrip().startswith('<section id="task-list"')
        assert listed(partial) == [3]


def test_a_worker_is_told_why_a_task_is_not_for_them(web: WebPlatform) -> None:
    picky = web.post_task(
        manifest(
            "Only for the proven",
            qualifications=[{"name": "gold-accuracy", "min_score": 0.9}],
        ),
        min_approved=5,
    )
    worker, requester = dev_accounts()[3].address, dev_accounts()[1].address
    with httpx.Client(base_url=web.url, cookies={"mt_worker": worker}) as client:
        page = client.get("/").text
        assert sorted(listed(page)) == sorted(DEMO_TASKS)  # ranked by match for the worker
        why = cards_not_eligible(page)
        assert list(why) == [picky]
        assert "It asks for 5 approved slots in its token; you have 0." in why[picky]
        assert "It asks for a “gold-accuracy” score: you get one after 5 assessed" in why[picky]
        # the task page says the same, and Spanish says it in Spanish
        assert "It asks for 5 approved slots in its token" in client.get(f"/task/{picky}").text
        spanish = cards_not_eligible(client.get("/?lang=es").text)[picky]
        assert "It asks for" not in spanish
        assert "5" in spanish
    with httpx.Client(base_url=web.url, cookies={"mt_worker": requester}) as client:
        page = client.get("/").text
        assert listed(page) == []
        why = cards_not_eligible(page)
        assert sorted(why) == sorted([picky, *DEMO_TASKS])
        assert all("You posted this task" in text for text in why.values())


def test_a_hostile_manifest_is_shown_as_text(web: WebPlatform) -> None:
    png = resources.files("microtask.demo").joinpath("images", "circle-red.png").read_bytes()
    image = str(web.store.add_bytes(png))
    instructions = (
        "# Steps\n\n<script>alert('instructions')</script>\n\n<img src=x onerror=alert(1)>\n\n"
        f"![pixel](https://tracker.example/p.gif) ![the shape](ipfs://{image})\n\n"
        "[click](javascript:alert(1)) and [help](https://example.org/help)\n\n"
        '<a href="https://evil.example" onclick="steal()">evil</a>'
    )
    task_id = web.post_task(
        manifest(
            '<b onmouseover="steal()">Bold</b> title',
            instructions=instructions,
            inputs={
                "source": "inline",
                "items": [
                    {
                        "id": "r0",
                        "media": [image],
                        "data": {"text": "<script>alert('item')</script>", "link": "javascript:x"},
                    }
                ],
            },
        )
    )
    page = httpx.get(f"{web.url}/task/{task_id}")
    assert page.status_code == 200
    body = page.text
    shown = body[body.index('class="instructions"') : body.index('id="examples-title"')]
    tags = re.findall(r"<[a-zA-Z][^>]*>", body)
    # no element the manifest wrote: its HTML is text, its handlers nowhere
    assert not [tag for tag in tags if re.search(r"\son\w+\s*=", tag)]
    scripts = [tag for tag in tags if tag.startswith("<script")]
    assert scripts[0] == '<script type="application/json" id="microtask-config">'  # data
    assert all(tag.startswith('<script type="module" src="/assets/') for tag in scripts[1:])
    assert "&lt;script&gt;alert('instructions')&lt;/script&gt;" in shown  # shown, not run
    assert "&lt;b onmouseover" in body
    assert "&lt;script&gt;alert(&#39;item&#39;)&lt;/script&gt;" in body
    # images only from this platform's content, links only to the web or to content
    sources = re.findall(r'\ssrc="([^"]*)"', body)
    assert sources
    assert all(src.startswith(("/content/", "/assets/")) for src in sources), sources
    assert f'<img src="/content/{image}" alt="the shape">' in shown
    assert "javascript:" not in "".join(re.findall(r'\shref="([^"]*)"', body))
    assert re.search(
        r'<a href="https://example.org/help" rel="nofollow noopener noreferrer">', shown
    )
    assert "<h1>" not in shown  # the page's own <h1> is the title; the manifest's start at <h2>


def test_the_list_follows_the_live_feed(web: WebPlatform, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=web.url)
    context.set_default_timeout(WAIT_MS)
    page = new_page(context)
    page.goto("/")
    ready(page)
    page.evaluate("window.__sameDocument = true")
    assert page.locator("#task-list li.card").count() == len(DEMO_TASKS)
    task_id = web.post_task(manifest("Posted while you watched"))
    page.locator(f'#task-list li.card[data-task="{task_id}"]').wait_for()
    assert page.evaluate("window.__sameDocument") is True  # no page load
    assert page.locator("#status").inner_text() == "The task list was updated."
    assert page_errors(page) == []
    context.close()
