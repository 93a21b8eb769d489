"""The MTurk endpoint over HTTP: ``POST /mturk`` in the API (`mount_mturk`, as `microtask up`
serves it), or an app of its own (`mturk_app`, `microtask mturk serve`), which answers at
``/`` too (MTurk's own endpoints took requests at ``/``).

boto3 posts to its endpoint URL's path (``http://127.0.0.1:8000/mturk`` posts to
``/mturk/``), and that path is part of what it signs, so the route reads the raw path and
query as they arrived. The endpoint's work (signatures, databases, the chain) runs in the
thread pool.
"""

from __future__ import annotations

import threading

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from microtask import __version__
from microtask.mturk.endpoint import CONTENT_TYPE, Endpoint
from microtask.mturk.errors import OUT_OF_RANGE, UNSUPPORTED, MTurkError, fault
from microtask.mturk.sigv4 import SignedRequest
from microtask.mturk.wire import MAX_BODY_BYTES, encode

PATHS = ("/mturk", "/mturk/")


async def _handle(request: Request) -> Response:
    endpoint: Endpoint | None = getattr(request.app.state, "mturk", None)
    declared = request.headers.get("content-length", "0")
    refusal: MTurkError | None = None
    idle: str | None = getattr(request.app.state, "mturk_idle", None)
    if endpoint is None and idle is not None:
        refusal = MTurkError(idle, UNSUPPORTED)
    elif endpoint is None:
        refusal = fault("the MTurk endpoint is starting; retry in a moment")
    elif declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        refusal = MTurkError(f"the request is over {MAX_BODY_BYTES} bytes", OUT_OF_RANGE)
    if refusal is not None or endpoint is None:
        assert refusal is not None
        return Response(encode(refusal.body()), refusal.status, media_type=CONTENT_TYPE)
    body = await request.body()
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    signed = SignedRequest(
        method=request.method,
        raw_path=raw_path.decode("latin-1"),
        raw_query=request.scope.get("query_string", b"").decode("latin-1"),
        headers=dict(request.headers),
        body=body,
    )
    answer = await run_in_threadpool(endpoint.answer, signed)
    return Response(answer.body, answer.status, headers=answer.headers)


def mount_mturk(app: FastAPI, *, root: bool = False, idle: str | None = None) -> None:
    """Answer MTurk requests at ``/mturk`` (and ``/`` with ``root``): ``ServiceFault``s
    (botocore retries them) until `attach_mturk` gives the endpoint, or, when ``idle`` says
    why none will come, a ``RequestError`` with that message."""
    app.state.mturk = getattr(app.state, "mturk", None)
    app.state.mturk_idle = idle
    for path in (*PATHS, *(("/",) if root else ())):
        app.add_api_route(path, _handle, methods=["POST"], include_in_schema=False)


def attach_mturk(app: FastAPI, endpoint: Endpoint) -> None:
    app.state.mturk = endpoint


def mturk_app(endpoint: Endpoint | None = None) -> FastAPI:
    """The endpoint in an app of its own (`microtask mturk serve`)."""
    app = FastAPI(
        title="microtask MTurk endpoint", version=__version__, docs_url=None, redoc_url=None
    )
    app.state.stopping = threading.Event()  # for `ApiServer`; no live feeds here
    mount_mturk(app, root=True)
    app.state.mturk = endpoint
    return app
