"""The fast lane: the gasless slot's requests answered without FastAPI's per-request walk.

Every gasless slot makes three requests (claim, upload, submission). Through FastAPI each
one walks the included routers to find its route, runs the middleware FastAPI adds inside
the user's (exception middleware, exit stacks), builds a scope context and solves the
route's dependencies, a fixed cost larger than some handlers. `FastLane`, a plain ASGI
middleware, finds those routes by their exact method and path in one dictionary lookup
and calls the very functions the FastAPI routes are (`LaneRoute`s name them), with the
same dependency functions; so each rule is still written once, and the routes, their
OpenAPI documentation included, stay as they are.

What the lane answers is what FastAPI would have answered:

- It sits inside the app's middleware (the outermost error handler, CORS when on), so
  those apply to its answers as to any other.
- It takes only the plain case: no query string (FastAPI's app-wide check of repeated
  query parameters has nothing to check then), no root path, and, for a route taking a
  JSON body, a body declared ``application/json`` that parses and validates as the
  route's model. Anything else (bad JSON, a wrong field, another media type, an empty
  body, a client gone while sending) goes to FastAPI with the bytes already read handed
  over as they came, so every refusal keeps its exact problem+json.
- An error from the handler or a dependency becomes a response through the problem
  handlers' own function (`problems.answer_error`), for the same exception types they are
  registered for; any other exception goes up to the outermost error handler, as from a
  FastAPI route.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, Protocol, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from microtask.api.problems import HANDLED, answer_error

JSON_MEDIA: Final = b"application/json"
M = TypeVar("M", bound=BaseModel)


class LaneRoute(Protocol):
    """How the lane answers one route, or hands the request to FastAPI (``app``)."""

    async def __call__(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the request."""


async def _answer(request: Request, call: Callable[[], Awaitable[Response]], send: Send) -> None:
    try:
        response = await call()
    except HANDLED as error:
        response = await answer_error(request, error)
    await response(request.scope, request.receive, send)


@dataclass(frozen=True)
class RequestRoute:
    """A route that reads the request itself (its body unparsed: an upload)."""

    handler: Callable[[Request], Awaitable[Response]]

    async def __call__(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        await _answer(request, lambda: self.handler(request), send)


def _json_media(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            media: bytes = value.split(b";", 1)[0].strip().lower()
            return media == JSON_MEDIA
    return False


async def _read(receive: Receive) -> tuple[list[Message], bytes | None]:
    """The messages the body came in, and the body (None: the client left)."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return messages, b"".join(chunks)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` as if nothing had been read from it yet."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


@dataclass(frozen=True)
class JsonBodyRoute(Generic[M]):
    """A route whose input is one JSON body of ``model``."""

    model: type[M]
    handler: Callable[[Request, M], Awaitable[Response]]

    def _parsed(self, scope: Scope, body: bytes | None) -> M | None:
        if not body or not _json_media(scope):
            return None
        try:
            data: Any = json.loads(body)  # as FastAPI's `Request.json` reads it
            return self.model.model_validate(data) if isinstance(data, dict) else None
        except (ValueError, ValidationError):  # FastAPI says what is wrong
            return None

    async def __call__(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        messages, body = await _read(receive)
        value = self._parsed(scope, body)
        if value is None:
            await app(scope, _replay(messages, receive), send)
            return
        request = Request(scope, receive)
        await _answer(request, lambda: self.handler(request, value), send)


def lane_key(router: APIRouter, endpoint: Callable[..., Any]) -> tuple[str, str]:
    """The method and path ``router`` serves ``endpoint`` at (each written once, there)."""
    for route in router.routes:
        if isinstance(route, APIRoute) and route.endpoint is endpoint:
            (method,) = sorted(route.methods or ())  # one method per lane route
            return method, route.path
    raise LookupError(f"{endpoint.__name__} is not a route of {router.prefix or '/'}")


class FastLane:
    """ASGI middleware: ``routes`` (by method and path) through the lane, the rest on to
    ``app``. The mapping is read per request, so routes added after the app is built
    (the verifier's) join the lane."""

    def __init__(self, app: ASGIApp, routes: Mapping[tuple[str, str], LaneRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["query_string"] and not scope.get("root_path"):
            route = self.routes.get((scope["method"], scope["path"]))
            if route is not None:
                await route(self.app, scope, receive, send)
                return
        await self.app(scope, receive, send)
