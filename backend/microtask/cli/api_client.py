"""Read what the index knows, through the API (`microtask up` or `microtask api` serves it).

The CLI never reads the database itself: like any other client it asks the API, so it
works the same against a local platform and a remote one (``MICROTASK_API_URL``).
A problem+json error comes back as one readable line.
"""

from __future__ import annotations

from typing import Any

import httpx

from microtask.config import Settings
from microtask.content import canonical_json
from microtask.errors import EnvironmentProblem, UserError

TIMEOUT_SECONDS = 15.0


class ApiUnavailable(EnvironmentProblem, ConnectionError):
    """Nothing answers at the API's URL."""


def verifier_url(settings: Settings) -> str:
    """``MICROTASK_VERIFIER_URL``, else the API's (`microtask up` serves both)."""
    return (settings.verifier_url or api_url(settings)).rstrip("/")


def api_url(settings: Settings) -> str:
    """``MICROTASK_API_URL``, else the local API's address."""
    if settings.api_url:
        return settings.api_url.rstrip("/")
    host = "127.0.0.1" if settings.api_host in ("0.0.0.0", "::") else settings.api_host  # noqa: S104
    return f"http://{host}:{settings.api_port}"


def get(
    settings: Settings,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    base: str | None = None,
) -> Any:
    """GET ``path`` and return the JSON body; errors as `UserError` or `ApiUnavailable`."""
    base = (base or api_url(settings)).rstrip("/")
    clean = {k: v for k, v in (params or {}).items() if v is not None}
    try:
        response = httpx.get(f"{base}{path}", params=clean, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as error:
        raise ApiUnavailable(
            f"cannot reach the API at {base} ({type(error).__name__}); is `microtask up` running?"
        ) from None
    if response.status_code >= 400:
        raise _problem(response)
    return response.json()


def post(settings: Settings, path: str, body: Any, *, base: str | None = None) -> Any:
    """POST ``body`` as JSON to ``path`` (of ``base``, else the API) and return the JSON body."""
    root = (base or api_url(settings)).rstrip("/")
    try:
        response = httpx.post(f"{root}{path}", json=body, timeout=TIMEOUT_SECONDS * 4)
    except httpx.HTTPError as error:
        raise ApiUnavailable(
            f"cannot reach {root} ({type(error).__name__}); is `microtask up` running?"
        ) from None
    if response.status_code >= 400:
        raise _problem(response)
    return response.json()


def upload_json(settings: Settings, document: Any) -> str:
    """Put a platform document on the API's content store (``POST /content``, checked there
    as any upload is); its CID. Sent as canonical JSON, so the CID is the one
    ``add_json`` of any store gives."""
    base = api_url(settings)
    try:
        response = httpx.post(
            f"{base}/content",
            content=canonical_json(document),
            headers={"content-type": "application/json"},
            timeout=TIMEOUT_SECONDS * 4,
        )
    except httpx.HTTPError as error:
        raise ApiUnavailable(
            f"cannot reach the API at {base} ({type(error).__name__}); is `microtask up` running?"
        ) from None
    if response.status_code >= 400:
        raise _problem(response)
    return str(response.json()["cid"])


def _problem(response: httpx.Response) -> Exception:
    try:
        body = response.json()
    except ValueError:
        body = {}
    detail = body.get("detail") or body.get("title") or response.reason_phrase
    message = f"the API answered {response.status_code}: {detail}"
    if response.status_code >= 500:
        return EnvironmentProblem(message)
    return UserError(message)
