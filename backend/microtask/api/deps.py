"""Typed dependencies, as the FastAPI template writes them: ``session: SessionDep``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from microtask.api.offload import Offload
from microtask.api.state import ApiState
from microtask.config import Settings
from microtask.content import ContentStore


async def get_state(request: Request) -> ApiState:
    """Async although it does no I/O: FastAPI runs sync dependencies in the thread pool,
    a hop this one does not need (it is on every request, the cached ones included)."""
    state: ApiState = request.app.state.api
    return state


StateDep = Annotated[ApiState, Depends(get_state)]


async def get_session(state: StateDep) -> AsyncIterator[Session]:
    """A read session per request.

    An async dependency: making a Session does no I/O (it connects on first use, in the
    route's worker thread), so only closing it, which returns the connection to the pool,
    takes a trip to the thread pool. A sync generator dependency would take two.
    """
    session = state.sessions()
    try:
        yield session
    finally:
        await run_in_threadpool(session.close)


SessionDep = Annotated[Session, Depends(get_session)]


async def get_settings(state: StateDep) -> Settings:
    return state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_content_store(state: StateDep) -> ContentStore:
    """The content store, or a 503 problem when it cannot be reached.

    Async for the reason `get_state` is: once the store is open (every request but the
    first), handing it over needs no thread; opening it may connect to Kubo, so that
    happens in the thread pool."""
    store = state.content.opened()
    if store is not None:
        return store
    return await run_in_threadpool(state.content.get)


ContentStoreDep = Annotated[ContentStore, Depends(get_content_store)]


async def get_offload(request: Request) -> Offload:
    """The app's threads for the hot routes' blocking calls (`microtask.api.offload`)."""
    offload: Offload = request.app.state.offload
    return offload


OffloadDep = Annotated[Offload, Depends(get_offload)]
