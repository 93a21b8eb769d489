"""The platform's HTTP API and the verifier's, over kept-alive connections.

The client never reads the database: like any other client it asks the API (`microtask up`
or `microtask api` serves it), so it works the same against a local platform and a remote
one (``MICROTASK_API_URL``). The verifier's routes are served by the API under `microtask
up`, or on their own (``MICROTASK_VERIFIER_URL``). A problem+json answer becomes one
readable error: `ApiRefused` (4xx, the request's fault), `ApiFailed` (5xx);
`ApiUnavailable` when nothing answers.

A pooled connection the server has just closed (its keep-alive ran out while the request
was on its way) fails the request with no answer. Reads, and the writes that are the same
whether they arrive once or twice (``idempotent``: a signed slot request, whose replay
gets the same slot back; a hand-in of one envelope, which gets the same receipt back; an
upload, named by its content), are then sent once more on a fresh connection. A timeout
is never resent: the server may still be working on it.

Example::

    with ApiClient.for_settings(settings) as api:
        page = api.get("/tasks", {"status": "open", "limit": 5})
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable
from time import perf_counter
from types import TracebackType
from typing import Any, Final, Literal, Self

import httpx

from microtask.client.connections import Answer, Connections, direct_origin
from microtask.client.errors import ApiFailed, ApiRefused, ApiUnavailable
from microtask.config import Settings

TIMEOUT_SECONDS = 15.0
"""A read's timeout; writes (uploads, claims, submissions, assessments) get four times it."""

Service = Literal["api", "verifier"]

RESENDABLE: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)
"""Transport errors after which a request had no answer and may be sent again."""

JSON_ACCEPT: Final = {"accept": "application/json"}
JSON_SENT: Final = {"accept": "application/json", "content-type": "application/json"}


def api_url(settings: Settings) -> str:
    """``MICROTASK_API_URL``, else the local API's address."""
    if settings.api_url:
        return settings.api_url.rstrip("/")
    host = "127.0.0.1" if settings.api_host in ("0.0.0.0", "::") else settings.api_host  # noqa: S104
    return f"http://{host}:{settings.api_port}"


def verifier_url(settings: Settings) -> str:
    """``MICROTASK_VERIFIER_URL``, else the API's (`microtask up` serves both)."""
    return (settings.verifier_url or api_url(settings)).rstrip("/")


Observer = Callable[[str, str, float, int], None]
"""Told of every answered request: method, path, seconds from sending to the whole answer,
status (a load test's timings; see ``bench/load.py``)."""


class ApiClient:
    """The API at ``api`` and the verifier at ``verifier`` (base URLs).

    Requests to a plain-``http`` origin no proxy covers go over kept-alive `http.client`
    connections (`microtask.client.connections`: a tenth of httpx's CPU a request, which a
    worker pays three times a slot); others over ``http`` (an httpx client shared with
    others, who close it) or over an httpx client of its own, opened on first use and
    closed with this object. ``observe`` is told of every answer."""

    def __init__(
        self,
        api: str,
        verifier: str | None = None,
        *,
        http: httpx.Client | None = None,
        observe: Observer | None = None,
    ) -> None:
        self.urls: dict[Service, str] = {
            "api": api.rstrip("/"),
            "verifier": (verifier or api).rstrip("/"),
        }
        self._http = http
        self._owns_http = http is None
        self._direct: dict[str, Connections | None] = {}
        self._direct_lock = threading.Lock()
        self.observe = observe

    @classmethod
    def for_settings(
        cls,
        settings: Settings,
        *,
        http: httpx.Client | None = None,
        observe: Observer | None = None,
    ) -> Self:
        return cls(api_url(settings), verifier_url(settings), http=http, observe=observe)

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client()
        return self._http

    def close(self) -> None:
        with self._direct_lock:
            pools, self._direct = list(self._direct.values()), {}
        for pool in pools:
            if pool is not None:
                pool.close()
        if self._owns_http and self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def get(
        self, path: str, params: dict[str, Any] | None = None, *, service: Service = "api"
    ) -> Any:
        """GET ``path`` (parameters that are None are left out); the JSON body."""
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        target = f"{path}?{httpx.QueryParams(clean)}" if clean else path
        return self._call(True, "GET", service, target, None, JSON_ACCEPT, TIMEOUT_SECONDS)

    def post(
        self, path: str, body: Any, *, service: Service = "api", idempotent: bool = False
    ) -> Any:
        """POST ``body`` as JSON to ``path``; the JSON body. ``idempotent``: the request
        means the same sent twice (see the module's note), so a dropped connection resends it."""
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return self._call(
            idempotent, "POST", service, path, content.encode(), JSON_SENT, TIMEOUT_SECONDS * 4
        )

    def upload_json(self, document: Any) -> str:
        """Put a platform document on the API's content store (``POST /content``, checked
        there as any upload is); its CID. Sent as canonical JSON, so the CID is the one
        ``add_json`` of any store gives."""
        from microtask.content import canonical_json

        answer = self._call(
            True, "POST", "api", "/content", canonical_json(document), JSON_SENT,
            TIMEOUT_SECONDS * 4,
        )  # fmt: skip
        return str(answer["cid"])

    def _call(
        self,
        resendable: bool,
        method: str,
        service: Service,
        target: str,
        content: bytes | None,
        headers: dict[str, str],
        timeout: float,
    ) -> Any:
        """Send once (twice if ``resendable`` and the connection dropped with no answer);
        the answer's JSON, or the error it means."""
        base = self.urls[service]
        started = perf_counter()
        try:
            answer = self._send(resendable, method, base, target, content, headers, timeout)
        except (httpx.HTTPError, OSError, http.client.HTTPException) as error:
            where = f"the API at {base}" if service == "api" else base
            raise ApiUnavailable(
                f"cannot reach {where} ({type(error).__name__}); is `microtask up` running?"
            ) from None
        if self.observe is not None:
            self.observe(method, target.partition("?")[0], perf_counter() - started, answer.status)
        return _answer(answer)

    def _send(
        self,
        resendable: bool,
        method: str,
        base: str,
        target: str,
        content: bytes | None,
        headers: dict[str, str],
        timeout: float,
    ) -> Answer:
        pool = self._pool(base)
        if pool is None:
            return self._send_httpx(resendable, method, base + target, content, headers, timeout)
        try:
            return pool.request(method, target, content, headers, timeout=timeout)
        except TimeoutError:
            raise  # the server may still be working on it: never resent
        except (OSError, http.client.HTTPException):
            if not resendable:
                raise
        return pool.request(method, target, content, headers, timeout=timeout)

    def _send_httpx(
        self,
        resendable: bool,
        method: str,
        url: str,
        content: bytes | None,
        headers: dict[str, str],
        timeout: float,
    ) -> Answer:
        options: dict[str, Any] = {"content": content, "headers": headers, "timeout": timeout}
        try:
            response = self.http.request(method, url, **options)
        except RESENDABLE:
            if not resendable:
                raise
            response = self.http.request(method, url, **options)
        return Answer(response.status_code, response.reason_phrase, response.content)

    def _pool(self, base: str) -> Connections | None:
        """The kept-alive connections to ``base``'s origin; None when it goes over httpx."""
        try:
            return self._direct[base]
        except KeyError:
            pass
        origin = direct_origin(base)
        pool = None if origin is None else Connections(*origin)
        with self._direct_lock:
            return self._direct.setdefault(base, pool)


def _answer(answer: Answer) -> Any:
    if answer.status < 400:
        return json.loads(answer.body)
    try:
        body = json.loads(answer.body)
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    detail = str(body.get("detail") or body.get("title") or answer.reason)
    if answer.status >= 500:
        raise ApiFailed(answer.status, detail)
    raise ApiRefused(answer.status, detail)
