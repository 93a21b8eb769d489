"""RFC 9457 problem details: every error the API returns is ``application/problem+json``.

One `Problem` exception carries what the response needs; the handlers registered by
`install_problem_handlers` turn everything else into one: FastAPI's request validation
(422, with each offending field), Starlette's HTTP errors (404, 405, ...), the domain
errors of the layers below (only this module knows their HTTP meaning), a database that
does not answer (503) and, as a last resort, any other exception (500, still a problem).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from microtask.content.errors import (
    ContentCorrupted,
    ContentNotFound,
    ContentStoreUnavailable,
    ContentTooLarge,
    InvalidCid,
    NotAFile,
    UnsupportedContent,
)
from microtask.manifests.errors import DocumentInvalid, DocumentTooLarge

log = logging.getLogger("microtask.api")

PROBLEM_JSON: Final = "application/problem+json"
TYPE_PREFIX: Final = "urn:microtask:problem:"
RETRY_AFTER_SECONDS: Final = 5


class FieldError(BaseModel):
    """One offending input: where it is, which field, and what is wrong with it."""

    location: str = Field(examples=["query"], description="query, path, header or body.")
    field: str = Field(examples=["limit"], description="Dotted path within that location.")
    detail: str = Field(examples=["Input should be less than or equal to 100"])


class ProblemDetails(BaseModel):
    """The body of every error response (RFC 9457)."""

    type: str = Field(examples=[TYPE_PREFIX + "validation"])
    title: str = Field(examples=["Request validation failed"])
    status: int = Field(examples=[422])
    detail: str | None = Field(default=None, examples=["query.limit: must be at most 100"])
    instance: str | None = Field(default=None, examples=["/tasks"])
    errors: list[FieldError] | None = Field(
        default=None, description="Validation errors, one per offending field."
    )


class Problem(Exception):
    """An error response: raise it from a route and the handler answers with it."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.errors = list(errors)
        self.headers = headers or {}

    def response(self, request: Request) -> JSONResponse:
        body: dict[str, Any] = {
            "type": TYPE_PREFIX + self.kind if self.kind != "about:blank" else self.kind,
            "title": self.title,
            "status": self.status,
            "instance": request.url.path,
        }
        if self.detail:
            body["detail"] = self.detail
        if self.errors:
            body["errors"] = [error.model_dump() for error in self.errors]
        return JSONResponse(
            body, status_code=self.status, headers=self.headers, media_type=PROBLEM_JSON
        )


def http_problem(status: int, detail: str | None = None) -> Problem:
    """A problem that means no more than its HTTP status (``type: about:blank``)."""
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return Problem(status, "about:blank", phrase, detail)


def not_found(detail: str) -> Problem:
    return Problem(404, "not-found", "Not found", detail)


def invalid_field(location: str, field: str, detail: str) -> Problem:
    """A 422 for one input our own code (not FastAPI's) found wrong, e.g. a cursor."""
    return Problem(
        422,
        "validation",
        "Request validation failed",
        f"{location}.{field}: {detail}",
        errors=[FieldError(location=location, field=field, detail=detail)],
    )


def too_large(detail: str) -> Problem:
    return Problem(413, "too-large", "Content too large", detail)


def unavailable(what: str, detail: str) -> Problem:
    return Problem(
        503,
        f"{what}-unavailable",
        f"The {what.replace('-', ' ')} is unavailable",
        detail,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _validation_errors(raw: Sequence[Any]) -> list[FieldError]:
    errors = []
    for item in raw:
        loc = [str(part) for part in item.get("loc", ())]
        location = loc[0] if loc else "request"
        errors.append(
            FieldError(
                location=location,
                field=".".join(loc[1:]),
                detail=str(item.get("msg", "invalid")).removeprefix("Value error, "),
            )
        )
    return errors


def validation_problem(errors: list[FieldError]) -> Problem:
    listed = "; ".join(
        f"{e.location}.{e.field}: {e.detail}" if e.field else f"{e.location}: {e.detail}"
        for e in errors
    )
    return Problem(422, "validation", "Request validation failed", listed, errors=errors)


def problem_of(error: Exception) -> Problem:
    """The HTTP meaning of an exception the lower layers raise (500 for the unknown)."""
    if isinstance(error, Problem):
        return error
    if isinstance(error, RequestValidationError):
        return validation_problem(_validation_errors(error.errors()))
    if isinstance(error, StarletteHTTPException):
        problem = http_problem(error.status_code, str(error.detail) if error.detail else None)
        problem.headers = dict(error.headers or {})
        return problem
    if isinstance(error, DocumentInvalid):
        errors = [
            FieldError(location="body", field=field, detail=message)
            for field, message in error.problems
        ]
        return Problem(
            422, "invalid-document", f"Invalid {error.document}", str(error), errors=errors
        )
    if isinstance(error, DocumentTooLarge | ContentTooLarge):
        return too_large(str(error))
    if isinstance(error, InvalidCid):
        return Problem(400, "invalid-cid", "Not a valid CID", str(error))
    if isinstance(error, ContentNotFound):
        return not_found(str(error))
    if isinstance(error, NotAFile | UnsupportedContent):
        return Problem(422, "unsupported-content", "Content this API cannot serve", str(error))
    if isinstance(error, ContentStoreUnavailable | ContentCorrupted):
        return unavailable("content-store", str(error))
    if isinstance(error, DataError):
        # a value the database refuses (the routes validate inputs; this is the net)
        return Problem(400, "bad-request", "Bad request", "the database refused a value given")
    if isinstance(error, OperationalError | PoolTimeout) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    ):
        first_line = str(error.orig if isinstance(error, DBAPIError) else error).splitlines()
        return unavailable("database", first_line[0] if first_line else "no answer")
    return Problem(
        500,
        "internal",
        "Internal error",
        "the server failed to answer this request; the error is logged",
    )


async def answer_error(request: Request, error: Exception) -> JSONResponse:
    """The problem answering ``error`` (logged when it is the server's fault or a 503)."""
    problem = problem_of(error)
    if problem.status >= 500 and problem.kind == "internal":
        log.error("internal error answering %s %s", request.method, request.url.path,
                  exc_info=error)  # fmt: skip
    elif problem.status == 503:
        log.warning("%s: %s", problem.title, problem.detail)
    return problem.response(request)


HANDLED: Final[tuple[type[Exception], ...]] = (
    Problem,
    RequestValidationError,
    StarletteHTTPException,
    DocumentInvalid,
    DocumentTooLarge,
    ContentTooLarge,
    InvalidCid,
    ContentNotFound,
    NotAFile,
    UnsupportedContent,
    ContentStoreUnavailable,
    ContentCorrupted,
    DBAPIError,
    PoolTimeout,
)


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error as problem+json, the unknown ones included (as a 500)."""
    for kind in HANDLED:
        app.add_exception_handler(kind, answer_error)
    # Exception goes to Starlette's outermost middleware: it answers with our problem, then
    # re-raises so the server logs the traceback too.
    app.add_exception_handler(Exception, answer_error)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem+json answers for ``statuses``."""
    return {
        status: {
            "model": ProblemDetails,
            "content": {PROBLEM_JSON: {}},
            "description": HTTPStatus(status).phrase,
        }
        for status in statuses
    }
