"""`BodyLimit`: a request body refused past a size before it is read whole.

Neither uvicorn nor FastAPI caps a request body unless told to, so a JSON route reads
whatever a client sends into memory before validating it. The gasless slot's requests
(claims, submissions) are open to anyone and a few hundred bytes each: a client that sends
megabytes there is refused with a 413 problem as soon as its ``content-length`` says so,
or once what it streamed passes the limit, and the route never sees it. The limit applies
to the route whichever way it is served (the fast lane or FastAPI's router), because this
middleware sits outside both. The verifier's other routes have limits of their own, sized to
the largest body their schema admits (`routes.verifier.BODY_LIMITS`). Uploads keep their own
limits (`routes.content`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from starlette.requests import Request
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from microtask.api.problems import too_large


class BodyLimit:
    """ASGI middleware: each (method, path) in ``limits`` takes at most that many bytes of
    body; other requests pass untouched. A path may name parameters as its route does
    (``/verifier/tasks/{task_id}/assess``: one path segment each). The mapping is read per
    request, so routes added after the app is built (the verifier's) join it."""

    def __init__(self, app: ASGIApp, limits: Mapping[tuple[str, str], int]) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = (
            _limit(self.limits, scope["method"], scope["path"]) if scope["type"] == "http" else None
        )
        if limit is None:
            await self.app(scope, receive, send)
            return
        if _declared_length(scope) > limit:
            await _refuse(scope, limit, send)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                await _refuse(scope, limit, send)
                return
            if not message.get("more_body", False):
                break

        async def replayed() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replayed, send)


def _limit(limits: Mapping[tuple[str, str], int], method: str, path: str) -> int | None:
    exact = limits.get((method, path))
    if exact is not None:
        return exact
    for (listed_method, template), limit in limits.items():
        if listed_method == method and "{" in template and _pattern(template).match(path):
            return limit
    return None


@functools.cache
def _pattern(template: str) -> re.Pattern[str]:
    """A route's path as Starlette's router matches it (``{name}``: one path segment)."""
    pattern, _, _ = compile_path(template)
    return pattern


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0  # uvicorn refuses a malformed length before we are called
    return 0


async def _refuse(scope: Scope, limit: int, send: Send) -> None:
    problem = too_large(f"this request's body may be at most {limit:,} bytes")
    response = problem.response(Request(scope))
    response.headers["connection"] = "close"  # the rest of the body is not read
    await response(scope, _nothing, send)


async def _nothing() -> Message:
    return {"type": "http.disconnect"}
