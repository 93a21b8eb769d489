"""Mounting the pages on the API's app, and the dependency every page handler takes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from microtask.api.problems import unavailable
from microtask.api.state import ApiState
from microtask.web.assets import Assets, asset_router
from microtask.web.render import PageContext, Renderer
from microtask.web.site import Site


def page_context(request: Request) -> PageContext:
    """The request as pages see it; 503 until `attach_site` has run."""
    site: Site | None = getattr(request.app.state, "site", None)
    state: ApiState | None = getattr(request.app.state, "api", None)
    if site is None or state is None:
        raise unavailable("pages", "the platform is starting; reload in a moment")
    renderer: Renderer = request.app.state.renderer
    return PageContext(request=request, site=site, state=state, renderer=renderer)


PageDep = Annotated[PageContext, Depends(page_context)]


def mount_pages(app: FastAPI, assets: Assets | None = None) -> None:
    """Serve the worker's pages (``/``, ``/task/{id}``, ``/my-work``, ``/earnings``,
    ``/profile``, ``/leaders``; an MTurk HIT's question and service worker), the
    requester's (``/requester/new``, ``/my-tasks``, ``/my-tasks/{id}/review``,
    ``/my-tasks/{id}/results``, ``/policy``), the operator's (``/operator``) and the
    arbitrator's (``/arbitrate``), and their assets (``/assets/…``) from ``app``."""
    from microtask.web.pages import (
        arbitrate,
        create,
        earnings,
        mturk,
        operator,
        policy,
        profile,
        requests,
        results,
        review,
        task,
        tasks,
        work,
    )

    chosen = assets or Assets()
    app.state.renderer = Renderer(chosen)
    app.state.site = getattr(app.state, "site", None)
    app.include_router(asset_router(chosen))
    pages = (
        tasks,
        task,
        work,
        earnings,
        profile,
        create,
        mturk,
        requests,
        results,
        review,
        policy,
        operator,
        arbitrate,
    )
    for module in pages:
        app.include_router(module.router)


def attach_site(app: FastAPI, site: Site) -> None:
    """Tell the pages which deployment they serve (see `Site`)."""
    app.state.site = site
