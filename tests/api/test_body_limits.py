"""Every verifier route with a body refuses one past its limit before reading it.

The gasless slot's two requests are covered with the fast lane in ``test_lane.py``; here the
others: a requester's policy, "assess now", a message, an inbox. They run against the
verifier's own app with no verifier attached, so a body within its limit reaches the route
and gets its 503, and one past it gets the middleware's 413 without the route seeing it.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi.testclient import TestClient
from starlette.types import Message

from microtask.api.routes.verifier import (
    BODY_LIMITS,
    MESSAGE_BODY_BYTES,
    POLICY_BODY_BYTES,
    SIGNED_REQUEST_BODY_BYTES,
    verifier_app,
)
from microtask.verifier.policy import MAX_LISTED, MAX_QUALIFICATION_TYPES

JSON = {"content-type": "application/json"}


async def _declared(path: str, length: int) -> tuple[int, dict[str, object]]:
    """POST ``path`` declaring a ``content-length`` of ``length`` and never sending it."""
    app = verifier_app()
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 5000),
        "headers": [(b"content-type", b"application/json"),
                    (b"content-length", str(length).encode())],
    }  # fmt: skip
    sent: list[Message] = []

    async def receive() -> Message:
        raise AssertionError("a body past the limit was read")

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("/verifier/policies", POLICY_BODY_BYTES),
        ("/verifier/tasks/7/assess", SIGNED_REQUEST_BODY_BYTES),
        ("/verifier/messages", MESSAGE_BODY_BYTES),
        ("/verifier/inbox", SIGNED_REQUEST_BODY_BYTES),
    ],
)
def test_a_declared_length_past_the_limit_is_refused_unread(path: str, limit: int) -> None:
    status, problem = asyncio.run(_declared(path, limit + 1))
    assert status == 413
    assert f"{limit:,} bytes" in str(problem["detail"])


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("/verifier/tasks/7/assess", SIGNED_REQUEST_BODY_BYTES),
        ("/verifier/messages", MESSAGE_BODY_BYTES),
        ("/verifier/inbox", SIGNED_REQUEST_BODY_BYTES),
    ],
)
def test_a_body_at_the_limit_reaches_the_route(path: str, limit: int) -> None:
    with TestClient(verifier_app(), raise_server_exceptions=False) as client:
        at_limit = b"{" + b" " * (limit - 2) + b"}"
        assert client.post(path, content=at_limit, headers=JSON).status_code == 503
        past = client.post(path, content=at_limit + b" ", headers=JSON)
        assert past.status_code == 413
        assert past.headers["content-type"] == "application/problem+json"


def test_a_route_parameter_matches_one_path_segment_only() -> None:
    with TestClient(verifier_app(), raise_server_exceptions=False) as client:
        past = b"{" + b" " * SIGNED_REQUEST_BODY_BYTES + b"}"
        limited = client.post("/verifier/tasks/7/assess", content=past, headers=JSON)
        assert limited.status_code == 413
        elsewhere = client.post("/verifier/tasks/7/x/assess", content=past, headers=JSON)
        assert elsewhere.status_code == 404  # not the route, so not its limit either


def test_every_limited_route_documents_its_413() -> None:
    with TestClient(verifier_app()) as client:
        paths = client.get("/openapi.json").json()["paths"]
    for method, path in BODY_LIMITS:
        assert "413" in paths[path][method.lower()]["responses"], path


def test_the_policy_limit_holds_the_largest_lists_a_policy_admits() -> None:
    address = '"0x' + "Ab" * 20 + '"'
    entry = f"{address}: 4294967295, "  # a qualification holder, the longest kind of entry
    largest = len(entry) * MAX_LISTED * (2 + MAX_QUALIFICATION_TYPES)
    assert largest < POLICY_BODY_BYTES
