"""``/content``: uploads validated and size-limited, reads by CID, the CIDs Kubo gives."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from microtask.api import create_app
from microtask.api.routes.content import MAX_DOCUMENT_BYTES
from microtask.content import LocalStore
from tests.api.seed import WALL
from tests.conftest import make_settings
from tests.manifests.conftest import manifest_data

EMPTY_FILE = "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"
LIMIT = 300_000


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The API with a small raw-upload limit (the content routes never touch the index)."""
    settings = make_settings(
        tmp_path, content_store="local", content_fsync=False, api_upload_max_bytes=LIMIT
    )
    with TestClient(create_app(settings, clock=lambda: WALL)) as client:
        yield client


def post_json(client: TestClient, body: bytes) -> object:
    return client.post("/content", content=body, headers={"content-type": "application/json"})


def test_manifest_upload_and_read_back(client: TestClient, tmp_path: Path) -> None:
    body = json.dumps(manifest_data(), indent=1).encode()
    response = client.post(
        "/content", content=body, headers={"content-type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 201, response.text
    created = response.json()
    with LocalStore(tmp_path / "elsewhere", fsync=False) as other:
        assert created["cid"] == str(other.add_bytes(body))  # the bytes as sent, Kubo's CID
    assert created == {
        "cid": created["cid"], "size": len(body), "document": "task-manifest",
        "media_type": "application/json",
    }  # fmt: skip
    assert response.headers["location"] == f"/content/{created['cid']}"
    read = client.get(response.headers["location"])
    assert read.status_code == 200
    assert read.headers["content-type"] == "application/json"
    assert read.content == body
    assert read.headers["etag"] == f'"{created["cid"]}"'
    assert "immutable" in read.headers["cache-control"]


def test_review_document(client: TestClient) -> None:
    review = {
        "type": "microtask/review", "task_id": 1, "slot": 0, "submission": EMPTY_FILE,
        "reviewer": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "decision": "approved",
        "reviewed_at": 1_800_000_000,
    }  # fmt: skip
    response = post_json(client, json.dumps(review).encode())
    assert response.status_code == 201, response.text
    assert response.json()["document"] == "review"
    review["decision"] = "rejected"  # without a reason
    refused = post_json(client, json.dumps(review).encode())
    assert refused.status_code == 422
    assert "reason" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"title": ""}, ["title"]),
        ({"redundancy": 0, "time_estimate_seconds": 0}, ["redundancy", "time_estimate_seconds"]),
        ({"kind": "poetry"}, ["kind"]),
        ({"surprise": 1}, ["surprise"]),
    ],
)
def test_invalid_manifest_names_fields(
    client: TestClient, changes: dict[str, object], fields: list[str]
) -> None:
    response = post_json(client, json.dumps(manifest_data(**changes)).encode())
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:microtask:problem:invalid-document"
    assert problem["title"] == "Invalid task-manifest"
    named = {error["field"].split(".")[0] for error in problem["errors"]}
    assert set(fields) <= named
    assert {error["location"] for error in problem["errors"]} == {"body"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"type": "microtask/poem"}', "type"),
        (b"[1, 2]", ""),
        (b"{not json", ""),
        (b"\xff\xfe", ""),
    ],
)
def test_json_that_is_no_document(client: TestClient, body: bytes, field: str) -> None:
    response = post_json(client, body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def test_raw_bytes(client: TestClient) -> None:
    image = bytes(range(256)) * 1000  # 256 kB: more than one chunk
    response = client.post(
        "/content", content=image, headers={"content-type": "application/octet-stream"}
    )
    assert response.status_code == 201
    created = response.json()
    assert created["document"] is None
    assert created["size"] == len(image)
    read = client.get(f"/content/{created['cid']}")
    assert read.headers["content-type"] == "application/octet-stream"
    assert read.content == image


def test_json_looking_bytes_are_served_as_json(client: TestClient) -> None:
    cid = client.post(
        "/content", content=b'{"a": 1}', headers={"content-type": "application/octet-stream"}
    ).json()["cid"]
    assert client.get(f"/content/{cid}").headers["content-type"] == "application/json"


def test_large_content_streams(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, content_store="local", content_fsync=False)
    big = bytes(range(251)) * (MAX_DOCUMENT_BYTES // 251 + 1000)
    with LocalStore(settings.content_dir, fsync=False) as store:
        cid = str(store.add_bytes(big))
    with TestClient(create_app(settings)) as client:
        read = client.get(f"/content/{cid}")
    assert read.status_code == 200
    assert read.headers["content-type"] == "application/octet-stream"
    assert read.headers["content-length"] == str(len(big))
    assert read.content == big


def test_declared_length_over_the_limit_is_413(client: TestClient) -> None:
    response = client.post(
        "/content", content=b"x" * (LIMIT + 1), headers={"content-type": "application/octet-stream"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:microtask:problem:too-large"


def test_streamed_body_over_the_limit_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while reading
        for _ in range(10):
            yield b"y" * 50_000

    response = client.post(
        "/content", content=chunks(), headers={"content-type": "application/octet-stream"}
    )
    assert response.status_code == 413
    assert "over the limit" in response.json()["detail"]


def test_lying_content_length_is_cut_at_the_limit(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"z" * 50_000

    response = client.post(
        "/content",
        content=chunks(),
        headers={"content-type": "application/octet-stream", "content-length": "10"},
    )
    assert response.status_code in (413, 400)  # cut off; never stored whole


def test_json_over_the_document_limit_is_413(client: TestClient) -> None:
    body = b'{"type": "microtask/task-manifest", "pad": "' + b"a" * MAX_DOCUMENT_BYTES + b'"}'
    response = post_json(client, body)
    assert response.status_code == 413


def test_manifest_over_its_own_limit_is_413(client: TestClient) -> None:
    body = json.dumps(manifest_data(instructions="a" * (1 << 20))).encode()
    assert len(body) < MAX_DOCUMENT_BYTES
    response = post_json(client, body)
    assert response.status_code == 413
    assert "task-manifest" in response.json()["detail"]


@pytest.mark.parametrize("media", ["text/plain", "multipart/form-data; boundary=x", None])
def test_other_media_types_are_415(client: TestClient, media: str | None) -> None:
    headers = {"content-type": media} if media else {}
    response = client.post("/content", content=b"hello", headers=headers)
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"


def test_bad_content_length_is_400(client: TestClient) -> None:
    response = client.post(
        "/content",
        content=b"abc",
        headers={"content-type": "application/octet-stream", "content-length": "three"},
    )
    assert response.status_code == 400


@pytest.mark.parametrize("cid", ["not-a-cid", "Qm123", "bafyxyz", "z", "f", "%20"])
def test_invalid_cid_is_400(client: TestClient, cid: str) -> None:
    response = client.get(f"/content/{cid}")
    assert response.status_code == 400
    assert response.json()["type"] == "urn:microtask:problem:invalid-cid"


def test_absent_cid_is_404(client: TestClient) -> None:
    response = client.get(f"/content/{EMPTY_FILE}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_cidv1_spelling_reads_the_same_content(client: TestClient) -> None:
    created = client.post(
        "/content", content=b"hello", headers={"content-type": "application/octet-stream"}
    ).json()
    from microtask.content import parse_cid

    v1 = parse_cid(created["cid"]).set(version=1, base="base32")
    assert client.get(f"/content/{v1}").content == b"hello"
