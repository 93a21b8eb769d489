"""The platform's HTTP API and the verifier's, through one reused connection pool.

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

from types import TracebackType
from typing import Any, Literal, Self

import httpx

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


def api_url(settings: Settings) -> str:
    """``MICROTASK_API_URL``, else the local API's address."""
    if settings.api_url:
        return settings.api_url.rstrip("/")
    host = "127.0.0.1" if settings.api_host in ("0.0.0.0", "::") else settings.api_host  # noqa: S104
    return f"http://{host}:{settings.api_port}"


def verifier_url(settings: Settings) -> str:
    """``MICROTASK_VERIFIER_URL``, else the API's (`microtask up` serves both)."""
    return (settings.verifier_url or api_url(settings)).rstrip("/")


class ApiClient:
    """The API at ``api`` and the verifier at ``verifier`` (base URLs), over ``http`` (a
    client shared with others, who close it) or over a client of its own, opened on first
    use and closed with this object."""

    def __init__(
        self, api: str, verifier: str | None = None, *, http: httpx.Client | None = None
    ) -> None:
        self.urls: dict[Service, str] = {
            "api": api.rstrip("/"),
            "verifier": (verifier or api).rstrip("/"),
        }
        self._http = http
        self._owns_http = http is None

    @classmethod
    def for_settings(cls, settings: Settings, *, http: httpx.Client | None = None) -> Self:
        return cls(api_url(settings), verifier_url(settings), http=http)

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client()
        return self._http

    def close(self) -> None:
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
        base = self.urls[service]
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self._send(
                True, "GET", f"{base}{path}", params=clean, timeout=TIMEOUT_SECONDS
            )
        except httpx.HTTPError as error:
            raise ApiUnavailable(
                f"cannot reach the API at {base} ({type(error).__name__}); "
                "is `microtask up` running?"
            ) from None
        return _answer(response)

    def post(
        self, path: str, body: Any, *, service: Service = "api", idempotent: bool = False
    ) -> Any:
        """POST ``body`` as JSON to ``path``; the JSON body. ``idempotent``: the request
        means the same sent twice (see the module's note), so a dropped connection resends it."""
        base = self.urls[service]
        try:
            response = self._send(
                idempotent, "POST", f"{base}{path}", json=body, timeout=TIMEOUT_SECONDS * 4
            )
        except httpx.HTTPError as error:
            raise ApiUnavailable(
                f"cannot reach {base} ({type(error).__name__}); is `microtask up` running?"
            ) from None
        return _answer(response)

    def upload_json(self, document: Any) -> str:
        """Put a platform document on the API's content store (``POST /content``, checked
        there as any upload is); its CID. Sent as canonical JSON, so the CID is the one
        ``add_json`` of any store gives."""
        from microtask.content import canonical_json

        base = self.urls["api"]
        try:
            response = self._send(
                True,
                "POST",
                f"{base}/content",
                content=canonical_json(document),
                headers={"content-type": "application/json"},
                timeout=TIMEOUT_SECONDS * 4,
            )
        except httpx.HTTPError as error:
            raise ApiUnavailable(
                f"cannot reach the API at {base} ({type(error).__name__}); "
                "is `microtask up` running?"
            ) from None
        return str(_answer(response)["cid"])

    def _send(self, resendable: bool, method: str, url: str, **options: Any) -> httpx.Response:
        try:
            return self.http.request(method, url, **options)
        except RESENDABLE:
            if not resendable:
                raise
        return self.http.request(method, url, **options)


def _answer(response: httpx.Response) -> Any:
    if response.status_code < 400:
        return response.json()
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    detail = str(body.get("detail") or body.get("title") or response.reason_phrase)
    if response.status_code >= 500:
        raise ApiFailed(response.status_code, detail)
    raise ApiRefused(response.status_code, detail)
