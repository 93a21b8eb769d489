"""The requester's, operator's and arbitrator's pages, in every language, at a phone's
width and a desktop's: axe-core finds no violation, nothing scrolls sideways at 360 px,
``lang`` and ``dir`` are right, the Content-Security-Policy is on, and the keyboard reaches
every form. Screenshots for the README as in test_pages (``UPDATE_SCREENSHOTS=1``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from microtask.chain.accounts import dev_accounts
from microtask.web.i18n import LANGUAGES
from tests.web.conftest import WebPlatform, page_errors, ready
from tests.web.roles import OWNER, REQUESTER, WORKER, browser_as, disputed, post, worked
from tests.web.test_pages import SCREENSHOTS, UPDATE, violations

PAGES = {
    OWNER: {"operator": "/operator", "arbitrate": "/arbitrate"},
    REQUESTER: {"requests": "/my-tasks", "policy": "/policy"},
}


def check(page: Any, name: str, path: str, language: str, folder: Path) -> list[str]:
    problems = []
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 800})
        response = page.goto(path)
        assert response is not None
        assert response.status == 200, name
        ready(page)
        html = page.locator("html")
        assert html.get_attribute("lang") == language
        assert html.get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        problems += [f"{name} at {width}px: {p}" for p in violations(page)]
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{name} is {scroll}px wide at {width}px ({language})"
        if (language == "en" and width == 1280) or (language == "ar" and width == 360):
            shot = folder / f"{name}-{language}-{width}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 0
    return problems


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_role_pages_are_accessible_at_360_and_1280(
    web: WebPlatform, browser: Any, language: str, tmp_path: Path
) -> None:
    disputed(web, 1)
    task_id = post(web, 2)
    worked(web, task_id, range(1), dev_accounts()[WORKER])
    web.sync()
    folder = SCREENSHOTS if UPDATE else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    found: list[str] = []
    pages_of = PAGES | {
        REQUESTER: PAGES[REQUESTER]
        | {
            "results": f"/my-tasks/{task_id}/results",
            "review": f"/my-tasks/{task_id}/review",
        }
    }
    for index, pages in pages_of.items():
        context, page, _ = browser_as(web, browser, index, locale=language)
        page.goto(f"/?lang={language}")
        ready(page)
        for name, path in pages.items():
            found += check(page, name, path, language, folder)
        # the keyboard reaches every form's button, in order, from the content's start
        page.goto(next(iter(pages.values())))
        ready(page)
        buttons = page.locator("main button:visible").count()
        page.locator("#main").focus()
        reached = 0
        for _ in range(200):
            page.keyboard.press("Tab")
            if (
                page.evaluate(
                    "document.activeElement.closest('main') && document.activeElement.tagName"
                )
                == "BUTTON"
            ):
                reached += 1
            if reached == buttons:
                break
        assert reached == buttons
        assert page_errors(page) == []
        context.close()
    assert found == []
