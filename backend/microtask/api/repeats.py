"""A query parameter given more than once is refused unless the route takes a list.

FastAPI reads the last of repeated values for a parameter that takes one value:
``?recent=5&recent=50`` means 50, and ``?recent=&recent=0.0`` means 0. A client that sent
two values meant something the API would silently drop, so that is a 422 naming the
parameter. Which parameters are repeatable is read from the route's own OpenAPI operation
(its array-typed query parameters, such as ``GET /tasks``'s ``tag``), so the rule is
written once and follows the routes; routes outside the OpenAPI document (the web app's
pages) are left alone.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from microtask.api.problems import FieldError, validation_problem


def _is_array(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "array":
        return True
    return any(_is_array(option) for option in schema.get("anyOf", []))


def _repeatable(request: Request) -> frozenset[str] | None:
    """The query parameters the matched route takes as lists; None for a route the
    OpenAPI document does not describe."""
    path = getattr(request.scope.get("route"), "path_format", None)
    operations = request.app.openapi().get("paths", {}).get(path) if path else None
    if operations is None:
        return None
    method = "get" if request.method == "HEAD" else request.method.lower()
    parameters = operations.get(method, {}).get("parameters", [])
    return frozenset(
        parameter["name"]
        for parameter in parameters
        if parameter.get("in") == "query" and _is_array(parameter.get("schema", {}))
    )


async def single_query_values(request: Request) -> None:
    """Refuse a repeated query parameter the route takes one value of (an app-wide
    dependency: see the module's docstring)."""
    names = [name for name, _ in request.query_params.multi_items()]
    if len(names) == len(set(names)):
        return
    repeatable = _repeatable(request)
    if repeatable is None:
        return
    repeated = sorted({name for name in names if names.count(name) > 1} - repeatable)
    if repeated:
        raise validation_problem(
            [
                FieldError(
                    location="query", field=name, detail="given more than once; it takes one value"
                )
                for name in repeated
            ]
        )
