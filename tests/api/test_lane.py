"""The fast lane (`microtask.api.lane`) answers the gasless slot's requests exactly as the
FastAPI routes do, for good requests and bad, on a real verifier, index and content store.

The lane takes only requests without a query string, so the same request with ``?lane=off``
(a parameter those routes ignore) is answered by FastAPI's own routing: each case below
sends both and compares status, headers and body. A recorder around the lane's routes says
which of the two answered.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from microtask.api import create_app
from microtask.api.app import attach_verifier
from microtask.api.lane import FastLane, LaneRoute
from microtask.api.routes.verifier import SLOT_REQUEST_BODY_BYTES, verifier_app
from microtask.manifests import ItemAnswer, SubmissionAnswers, TaskManifest, seal_submission
from microtask.manifests.answers import ClassificationAnswer
from microtask.verifier import ANY_SLOT, SlotRequest
from microtask.verifier.typed_data import new_nonce
from tests.quality.scenario import WORKERS, item_id, manifest_data
from tests.verifier.conftest import Platform, platform  # noqa: F401 (the fixture)

CLAIMS = "/verifier/claims"
SUBMISSIONS = "/verifier/submissions"
CONTENT = "/content"
OFF = "?lane=off"


@dataclass
class Recorder:
    """Wraps the lane's routes: which requests the lane answered itself (FastAPI's router
    marks the scope with the route it matched; the lane does not)."""

    answered: list[str] = field(default_factory=list)
    handed_over: list[str] = field(default_factory=list)

    def wrap(self, route: LaneRoute) -> LaneRoute:
        recorder = self

        class Recorded:
            async def __call__(self, app: Any, scope: Scope, receive: Receive, send: Send) -> None:
                await route(app, scope, receive, send)
                by = recorder.handed_over if "route" in scope else recorder.answered
                by.append(scope["path"])

        return Recorded()


def recorded(app: FastAPI) -> Recorder:
    recorder = Recorder()
    (lane,) = [m for m in app.user_middleware if m.cls is FastLane]
    routes: dict[tuple[str, str], LaneRoute] = lane.kwargs["routes"]
    for key, route in routes.items():
        routes[key] = recorder.wrap(route)
    return recorder


@dataclass
class Served:
    platform: Platform
    app: FastAPI
    client: TestClient
    lane: Recorder

    def both(self, path: str, **request: Any) -> httpx.Response:
        """The request through the lane and through FastAPI: the same answer."""
        fast = self.client.post(path, **request)
        slow = self.client.post(path + OFF, **request)
        assert (fast.status_code, dict(fast.headers)) == (slow.status_code, dict(slow.headers))
        assert fast.content == slow.content
        return fast

    def claim_body(self, task_id: int, worker: Any = None) -> dict[str, Any]:
        worker = worker or WORKERS["G1"]
        request = SlotRequest(
            task_id, ANY_SLOT, worker.address, new_nonce(), self.platform.verifier.clock() + 600
        )
        signature = request.sign(worker, self.platform.chain_id, self.platform.escrow)
        return {
            "task_id": task_id,
            "worker": worker.address,
            "nonce": request.nonce,
            "expiry": request.expiry,
            "signature": "0x" + signature.hex(),
        }


@pytest.fixture
def served(platform: Platform) -> Iterator[Served]:  # noqa: F811 (the imported fixture)
    app = create_app(platform.settings, network="local", content=platform.store, with_verifier=True)
    attach_verifier(app, platform.verifier)
    lane = recorded(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Served(platform, app, client, lane)


def posted_task(world: Platform) -> tuple[int, str, TaskManifest]:
    manifest = TaskManifest.model_validate(manifest_data(items=4, redundancy=2))
    task_id, cid = world.post(manifest)
    return task_id, cid, manifest


def sealed(
    served: Served, task_id: int, slot: int, item: str, manifest: TaskManifest, cid: str
) -> bytes:
    envelope = seal_submission(
        SubmissionAnswers(
            answers=[ItemAnswer(item_id=item, answer=ClassificationAnswer(label="cat"))]
        ),
        manifest=manifest,
        manifest_cid=cid,
        chain_id=served.platform.chain_id,
        escrow=served.platform.escrow,
        task_id=task_id,
        slot=slot,
        worker=WORKERS["G1"],
    )
    return json.dumps(envelope.model_dump(mode="json")).encode()


def test_a_slot_claimed_uploaded_and_submitted_answers_as_through_fastapi(served: Served) -> None:
    task_id, manifest_cid, manifest = posted_task(served.platform)
    body = served.claim_body(task_id)
    first = served.client.post(CLAIMS, json=body)
    assert first.status_code == 201
    assert first.json()["replayed"] is False
    again = served.both(CLAIMS, json=body)  # the same signed request: the same slot back
    assert again.json() == {**first.json(), "replayed": True}
    grant = again.json()
    assert grant["item_id"] == item_id(0)

    envelope = sealed(served, task_id, grant["slot"], grant["item_id"], manifest, manifest_cid)
    headers = {"content-type": "application/json"}
    uploaded = served.both(CONTENT, content=envelope, headers=headers)
    assert uploaded.status_code == 201
    assert uploaded.headers["location"] == f"/content/{uploaded.json()['cid']}"
    assert uploaded.json()["document"] == "submission-envelope"

    submission = {"task_id": task_id, "slot": grant["slot"], "envelope_cid": uploaded.json()["cid"]}
    receipt = served.both(SUBMISSIONS, json=submission)  # a slot is receipted once
    assert receipt.status_code == 200
    assert receipt.json()["worker"] == WORKERS["G1"].address
    assert served.platform.verifier.receipt(task_id, grant["slot"]) is not None
    assert served.lane.answered == [CLAIMS, CLAIMS, CONTENT, SUBMISSIONS]
    assert served.lane.handed_over == []


BAD_CLAIMS: dict[str, dict[str, Any]] = {
    "not JSON": {"content": b'{"task_id": 1,', "headers": {"content-type": "application/json"}},
    "not an object": {"json": [1, 2]},
    "empty": {"content": b"", "headers": {"content-type": "application/json"}},
    "another media type": {"content": b'{"task_id": 1}', "headers": {"content-type": "text/plain"}},
    "no media type": {"content": b'{"task_id": 1}'},
    "bytes that are not text": {
        "content": b'{"a": "\xff"}',
        "headers": {"content-type": "application/json"},
    },
}


@pytest.mark.parametrize("case", BAD_CLAIMS, ids=list(BAD_CLAIMS))
def test_a_malformed_body_gets_fastapis_own_problem(served: Served, case: str) -> None:
    answer = served.both(CLAIMS, **BAD_CLAIMS[case])
    assert answer.status_code in (400, 422)
    assert answer.headers["content-type"] == "application/problem+json"
    assert served.lane.handed_over == [CLAIMS]  # read by the lane, answered by FastAPI


def test_wrong_fields_are_named_as_fastapi_names_them(served: Served) -> None:
    body = served.claim_body(1)
    cases = {
        "extra": {**body, "tip": 5},
        "missing": {key: value for key, value in body.items() if key != "signature"},
        "wrong type": {**body, "nonce": "many"},
        "bad signature text": {**body, "signature": "0x12"},
    }
    for name, sent in cases.items():
        answer = served.both(CLAIMS, json=sent)
        assert answer.status_code == 422, name
        assert answer.json()["type"] == "urn:microtask:problem:validation"
        assert answer.json()["errors"][0]["location"] == "body"
    valid = json.dumps(body).encode()  # a good body, but not declared JSON: FastAPI's 422
    for headers in ({"content-type": "text/plain"}, {}, {"content-type": "application/jsonx"}):
        answer = served.both(CLAIMS, content=valid, headers=headers)
        assert answer.status_code == 422, headers
    declared = served.both(CLAIMS, content=valid, headers={"content-type": "application/json"})
    assert declared.status_code == 404  # task 1 is not indexed: the body was read
    wrong = served.both(SUBMISSIONS, json={"task_id": 1, "slot": -1, "envelope_cid": "x"})
    assert wrong.json()["errors"][0]["field"] == "slot"
    assert served.lane.answered == [CLAIMS]


def test_the_verifiers_refusals_are_the_same_problems(served: Served) -> None:
    task_id, _, _ = posted_task(served.platform)
    unknown = served.both(CLAIMS, json=served.claim_body(task_id + 100))
    assert unknown.status_code == 404
    forged = {**served.claim_body(task_id), "worker": WORKERS["G2"].address}
    assert served.both(CLAIMS, json=forged).status_code == 401
    nothing = {"task_id": task_id, "slot": 0, "envelope_cid": "QmNotACid"}
    refused = served.both(SUBMISSIONS, json=nothing)
    assert refused.status_code in (400, 404, 409, 422)
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["instance"] == SUBMISSIONS
    assert served.lane.answered == [CLAIMS, CLAIMS, SUBMISSIONS]


def test_uploads_refused_alike(served: Served) -> None:
    json_headers = {"content-type": "application/json"}
    invalid = served.both(CONTENT, content=b'{"type": "microtask/review"}', headers=json_headers)
    assert invalid.status_code == 422
    media = served.both(CONTENT, content=b"x", headers={"content-type": "text/plain"})
    assert media.status_code == 415
    huge = served.both(
        CONTENT,
        content=b"{" + b" " * (5 << 20) + b"}",
        headers={"content-type": "application/json"},
    )
    assert huge.status_code == 413
    raw = served.both(
        CONTENT, content=b"\x00\x01", headers={"content-type": "application/octet-stream"}
    )
    assert raw.status_code == 201


def test_a_verifier_not_attached_yet_is_the_same_503(platform: Platform) -> None:  # noqa: F811
    app = create_app(platform.settings, network="local", content=platform.store, with_verifier=True)
    with TestClient(app, raise_server_exceptions=False) as client:
        body = {"task_id": 1, "slot": 0, "envelope_cid": "QmX"}
        fast, slow = client.post(SUBMISSIONS, json=body), client.post(SUBMISSIONS + OFF, json=body)
    assert fast.status_code == slow.status_code == 503
    assert fast.headers["retry-after"] == slow.headers["retry-after"]
    assert fast.json() == slow.json()


def test_an_unexpected_error_is_a_500_problem_both_ways(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:  # a fault the real verifier cannot be made to have
        raise RuntimeError("secret detail")

    monkeypatch.setattr(served.platform.verifier, "request_slot", broken)
    answer = served.both(CLAIMS, json=served.claim_body(1))
    assert answer.status_code == 500
    assert answer.json()["type"] == "urn:microtask:problem:internal"
    assert "secret" not in answer.text


def test_cors_headers_on_the_lanes_answers(platform: Platform) -> None:  # noqa: F811
    settings = platform.settings.model_copy(update={"api_cors_origins": ["http://localhost:5173"]})
    app = create_app(settings, network="local", content=platform.store, with_verifier=True)
    attach_verifier(app, platform.verifier)
    lane = recorded(app)
    origin = {"origin": "http://localhost:5173"}
    body = {"task_id": 10**6, "slot": 0, "envelope_cid": "QmX"}
    with TestClient(app, raise_server_exceptions=False) as client:
        fast = client.post(SUBMISSIONS, json=body, headers=origin)
        slow = client.post(SUBMISSIONS + OFF, json=body, headers=origin)
    assert fast.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert dict(fast.headers) == dict(slow.headers)
    assert fast.content == slow.content
    assert lane.answered == [SUBMISSIONS]


async def _asgi(app: FastAPI, path: str, chunks: list[bytes]) -> tuple[int, bytes]:
    """``app`` answering a POST whose body comes in ``chunks``, as a server streams it."""
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "state": {},
    }
    messages: list[Message] = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()  # the client waits for the answer
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_a_body_in_pieces_is_read_whole_by_either(served: Served) -> None:
    body = json.dumps(served.claim_body(10**6)).encode()
    pieces = [body[:10], body[10:40], body[40:]]
    status, answer = served.client.portal.call(_asgi, served.app, CLAIMS, pieces)
    assert status == 404  # read whole: the unknown task's answer
    assert json.loads(answer)["status"] == 404
    status, answer = served.client.portal.call(_asgi, served.app, CLAIMS, [b'{"task_id"', b": }"])
    assert status == 422
    assert json.loads(answer)["errors"][0]["detail"].startswith("JSON decode error")
    assert served.lane.answered == [CLAIMS]
    assert served.lane.handed_over == [CLAIMS]


@pytest.mark.parametrize("path", [CLAIMS, SUBMISSIONS])
def test_a_body_past_the_limit_is_refused_unread_either_way(served: Served, path: str) -> None:
    padded = {**served.claim_body(10**6), "padding": "x" * SLOT_REQUEST_BODY_BYTES}
    answer = served.both(path, json=padded)  # its content-length says it all
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert f"{SLOT_REQUEST_BODY_BYTES:,} bytes" in answer.json()["detail"]
    assert served.lane.answered == served.lane.handed_over == []  # no route saw it

    piece = b" " * 4096  # streamed without a length: refused once past the limit
    pieces = [b"{", *[piece] * (SLOT_REQUEST_BODY_BYTES // len(piece) + 1), b"}"]
    status, body = served.client.portal.call(_asgi, served.app, path, pieces)
    assert (status, json.loads(body)["type"]) == (413, answer.json()["type"])
    assert served.lane.answered == served.lane.handed_over == []


def test_a_body_at_the_limit_is_read_and_judged(served: Served) -> None:
    body = json.dumps(served.claim_body(10**6)).encode()
    body = body[:-1] + b" " * (SLOT_REQUEST_BODY_BYTES - len(body)) + b"}"
    assert len(body) == SLOT_REQUEST_BODY_BYTES
    answer = served.both(CLAIMS, content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 404  # the unknown task's answer: read whole, then judged
    assert served.lane.answered == [CLAIMS]


def test_the_verifiers_own_app_limits_bodies_too() -> None:
    headers = {"content-type": "application/json"}
    with TestClient(verifier_app(), raise_server_exceptions=False) as client:
        big = client.post(
            CLAIMS, content=b"{" + b" " * SLOT_REQUEST_BODY_BYTES + b"}", headers=headers
        )
        assert big.status_code == 413
        small = client.post(CLAIMS, content=b"{}", headers=headers)
        assert small.status_code == 503  # within the limit: on to the route (no verifier yet)


def test_the_routes_stay_documented(served: Served) -> None:
    paths = served.client.get("/openapi.json").json()["paths"]
    assert paths[CLAIMS]["post"]["requestBody"]["content"]["application/json"]
    assert "201" in paths[CLAIMS]["post"]["responses"]
    assert "200" in paths[SUBMISSIONS]["post"]["responses"]
    assert "413" in paths[CONTENT]["post"]["responses"]


def test_routes_are_built_at_startup_not_on_a_workers_first_request(
    platform: Platform,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import fastapi.routing

    from microtask.web import mount_pages

    app = create_app(platform.settings, network="local", content=platform.store, with_verifier=True)
    mount_pages(app)
    attach_verifier(app, platform.verifier)
    built: list[str] = []
    populate = fastapi.routing._populate_api_route_state

    def counted(*args: Any, **kwargs: Any) -> Any:
        built.append("route")
        return populate(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "_populate_api_route_state", counted)
    with TestClient(app, raise_server_exceptions=False) as client:
        started = len(built)
        assert started > 0  # FastAPI built them during startup
        assert client.get("/verifier/tasks/1?via=router").status_code == 404
        assert client.get("/health").status_code == 200
        assert client.post(SUBMISSIONS + OFF, json={"task_id": 1, "slot": 0}).status_code == 422
    assert len(built) == started
