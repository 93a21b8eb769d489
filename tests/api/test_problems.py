"""Every error is problem+json; CORS when configured; the OpenAPI document is complete."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from microtask.api import create_app
from microtask.api.problems import problem_of
from microtask.content import ContentCorrupted
from tests.conftest import make_settings


def test_unknown_route_is_404_problem(api: TestClient) -> None:
    response = api.get("/nothing/here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank", "title": "Not Found", "status": 404, "instance": "/nothing/here",
        "detail": "Not Found",
    }  # fmt: skip


def test_wrong_method_is_405_problem(api: TestClient) -> None:
    response = api.delete("/tasks")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert "GET" in response.headers["allow"]


def test_a_value_given_twice_is_refused_unless_the_parameter_is_a_list(api: TestClient) -> None:
    # FastAPI would read the last value: the client's first one would be dropped in silence
    address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    response = api.get(f"/workers/{address}?recent=&recent=%7B%7D&recent=0.0")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {
            "location": "query",
            "field": "recent",
            "detail": "given more than once; it takes one value",
        }
    ]
    refused = api.get("/tasks?limit=5&limit=50&status=all&status=open")
    assert [error["field"] for error in refused.json()["errors"]] == ["limit", "status"]
    assert api.get(f"/workers/{address}?recent=5").status_code == 200
    # a list parameter repeats, as its documentation says
    assert api.get("/tasks?status=all&tag=animals&tag=images").status_code == 200


def test_an_unexpected_error_is_still_a_problem(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, content_store="local"))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:microtask:problem:internal"
    assert "a bug" not in response.text  # no internals leak


def test_corrupted_content_is_503() -> None:
    assert problem_of(ContentCorrupted("block x")).status == 503


def test_cors_off_by_default(api: TestClient) -> None:
    response = api.get("/stats", headers={"origin": "http://evil.example"})
    assert "access-control-allow-origin" not in response.headers


def test_cors_for_configured_origins(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, content_store="local", api_cors_origins=["http://localhost:5173"]
    )
    with TestClient(create_app(settings)) as client:
        allowed = client.get("/stats", headers={"origin": "http://localhost:5173"})
        assert allowed.headers["access-control-allow-origin"] == "http://localhost:5173"
        other = client.get("/stats", headers={"origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = client.options(
            "/content",
            headers={
                "origin": "http://localhost:5173",
                "access-control-request-method": "POST",
                "access-control-request-headers": "content-type",
            },
        )
        assert preflight.status_code == 200


def test_openapi_document_is_complete(api: TestClient) -> None:
    document = api.get("/openapi.json").json()
    paths = document["paths"]
    assert set(paths) == {
        "/tasks", "/tasks/{task_id}", "/tasks/{task_id}/assignments", "/workers/{address}",
        "/requesters/{address}", "/stats", "/health", "/events", "/content", "/content/{cid}",
        "/tasks/{task_id}/results", "/leaderboard",
    }  # fmt: skip
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            assert operation.get("tags"), (method, path)
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert "application/problem+json" in response["content"], (path, status)
    schemas = document["components"]["schemas"]
    assert schemas["TaskPublic"]["properties"]["reward"]["type"] == "string"
    assert schemas["TaskPublic"]["properties"]["requester"]["examples"]
    assert set(paths["/content"]["post"]["requestBody"]["content"]) == {
        "application/json",
        "application/octet-stream",
    }
    assert "text/event-stream" in paths["/events"]["get"]["responses"]["200"]["content"]
    listed = {p["name"] for p in paths["/tasks"]["get"]["parameters"]}
    assert listed == {
        "status", "token", "min_reward", "kind", "tag", "language", "requester",
        "min_open_slots", "eligible_for", "sort", "cursor", "limit",
    }  # fmt: skip


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages(api: TestClient, path: str) -> None:
    assert api.get(path).status_code == 200
