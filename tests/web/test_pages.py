"""Every page, in every language, at a phone's width and a desktop's: axe-core finds no
accessibility violation (WCAG 2.2 A and AA rules), nothing needs sideways scrolling at
360 px, ``lang`` and ``dir`` are right, and the Content-Security-Policy is on every page.
The English desktop screenshots (and a phone one in Arabic) go to docs/screenshots/ for
the README."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe

from microtask.chain.accounts import dev_accounts
from microtask.web.i18n import LANGUAGES
from tests.conftest import REPO_ROOT
from tests.web.conftest import (
    WAIT_MS,
    InjectedWallet,
    WebPlatform,
    connect_wallet,
    page_errors,
    ready,
    with_wallet,
)

SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
UPDATE = os.environ.get("UPDATE_SCREENSHOTS") == "1"
"""`UPDATE_SCREENSHOTS=1 make test ARGS=tests/web/test_pages.py` refreshes the README's."""
PAGES = {
    "tasks": "/",
    "task": "/task/2",
    "work": "/my-work",
    "earnings": "/earnings",
    "profile": "/profile",
    "leaders": "/leaders?period=all",
}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def violations(page: Any) -> list[str]:
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}x: {v['nodes'][0]['target']})"
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_page_is_accessible_at_360_and_1280(
    web: WebPlatform, browser: Any, language: str, tmp_path: Path
) -> None:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=web.url, locale=language
    )
    context.set_default_timeout(WAIT_MS)
    wallet = InjectedWallet(web.w3, dev_accounts()[3])
    page = with_wallet(context, wallet)
    page.goto(f"/?lang={language}")
    ready(page)
    connect_wallet(page, wallet)
    found: dict[str, list[str]] = {}
    for name, path in PAGES.items():
        for width in (1280, 360):
            page.set_viewport_size({"width": width, "height": 800})
            response = page.goto(path)
            assert response is not None
            assert response.status == 200, name
            ready(page)
            if name == "task" and width == 1280:
                # the answering view too: accept an item
                page.locator("#accept").click()
                page.locator("#item input[name=label]").first.wait_for()
            html = page.locator("html")
            assert html.get_attribute("lang") == language
            assert html.get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
            csp = response.headers["content-security-policy"]
            assert "script-src 'self'" in csp
            assert "unsafe" not in csp
            problems = violations(page)
            if problems:
                found[f"{name} at {width}px"] = problems
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, f"{name} is {scroll}px wide at {width}px ({language})"
            if (language == "en" and width == 1280) or (language == "ar" and width == 360):
                # the README's, refreshed only when asked: a test run leaves the tree clean
                folder = SCREENSHOTS if UPDATE else tmp_path
                folder.mkdir(parents=True, exist_ok=True)
                shot = folder / f"{name}-{language}-{width}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 0
    assert found == {}
    assert page_errors(page) == []
    context.close()


def test_the_pages_send_no_inline_script_and_sanitise_manifests(web: WebPlatform) -> None:
    with httpx.Client(base_url=web.url) as client:
        page = client.get("/task/2")
        assert page.status_code == 200
        body = page.text
        assert "<script>" not in body
        assert "onclick" not in body
        assert 'type="module" src="/assets/app-' in body
        script = client.get(body.split('type="module" src="', 1)[1].split('"', 1)[0])
        assert script.status_code == 200
        assert script.headers["cache-control"].endswith("immutable")
        assert client.get("/assets/../../etc/passwd").status_code == 404
