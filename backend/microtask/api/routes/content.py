"""``/content``: upload documents and files to the content store, read them by CID.

JSON uploads must be one of the platform's documents (a task manifest, a submission
envelope or answers, a review), checked by `microtask.manifests.parse_document` before
anything is stored, so a CID this API hands out for JSON always names a valid document;
the bytes are stored exactly as sent, so the CID is the one the client can compute
itself. Raw bytes (``application/octet-stream``: images, audio, JSON Lines inputs) are
stored as they are. Sizes are checked twice: the declared Content-Length before reading,
and the bytes actually read, so a client that lies or streams without a length is cut off
at the limit with the same 413.
"""

from __future__ import annotations

import json
from tempfile import SpooledTemporaryFile
from typing import Annotated, Final

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from microtask.api.deps import (
    ContentStoreDep,
    OffloadDep,
    SettingsDep,
    get_content_store,
    get_offload,
    get_settings,
    get_state,
)
from microtask.api.lane import LaneRoute, RequestRoute, lane_key
from microtask.api.problems import Problem, problem_responses, too_large
from microtask.api.schemas import EXAMPLE_CID, ContentCreated
from microtask.content import ContentStore
from microtask.content.cid import parse_cid
from microtask.content.spelling import cid_text
from microtask.manifests import parse_document
from microtask.manifests.documents import DOCUMENTS, SIZE_LIMITS

router = APIRouter(prefix="/content", tags=["content"])

JSON: Final = "application/json"
OCTETS: Final = "application/octet-stream"
MAX_DOCUMENT_BYTES: Final = max(SIZE_LIMITS.values())
SNIFF_LIMIT: Final = MAX_DOCUMENT_BYTES
"""Content up to this size is checked for JSON when served (to label it application/json)."""
SPOOL_IN_MEMORY: Final = 1 << 20
IMMUTABLE: Final = "public, max-age=31536000, immutable"

CidPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        description="A CID in any multibase (CIDv0 Qm…, CIDv1 bafy…).",
        examples=[EXAMPLE_CID],
    ),
]

REQUEST_BODY: Final = {
    "required": True,
    "content": {
        JSON: {
            "schema": {
                "type": "object",
                "description": (
                    "A platform document; its `type` says which: "
                    + ", ".join(f"microtask/{name}" for name in DOCUMENTS)
                    + " (schemas: `microtask manifest schema`)."
                ),
            },
            "example": {"type": "microtask/review", "...": "see the review schema"},
        },
        OCTETS: {"schema": {"type": "string", "format": "binary"}},
    },
}


def _media_type(request: Request) -> str:
    declared = request.headers.get("content-type", "")
    media = declared.split(";", 1)[0].strip().lower()
    if media in (JSON, OCTETS):
        return media
    raise Problem(
        415,
        "unsupported-media-type",
        "Unsupported media type",
        f"send {JSON} (a platform document) or {OCTETS} (raw bytes), not {declared or 'nothing'}",
    )


def _declared_length(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared is None:
        return
    try:
        length = int(declared)
    except ValueError:
        raise Problem(400, "bad-request", "Bad request", "Content-Length is not a number") from None
    if length > limit:
        raise too_large(f"the body is {length} bytes; the limit is {limit} bytes")


async def _read_limited(request: Request, limit: int) -> SpooledTemporaryFile[bytes]:
    """The body in a spooled file, refused with 413 once more than ``limit`` bytes came."""
    spool: SpooledTemporaryFile[bytes] = SpooledTemporaryFile(  # noqa: SIM115 (returned)
        max_size=SPOOL_IN_MEMORY
    )
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise too_large(f"the body is over the limit of {limit} bytes")
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def _store_stream(store: ContentStore, spool: SpooledTemporaryFile[bytes]) -> str:
    with spool:
        return cid_text(store.add_stream(spool))  # type: ignore[arg-type]


@router.post(
    "",
    status_code=201,
    response_model=ContentCreated,
    summary="Upload a document or a file",
    openapi_extra={"requestBody": REQUEST_BODY},
    responses={
        201: {"headers": {"Location": {"schema": {"type": "string"}}}},
        **problem_responses(400, 413, 415, 422, 503),
    },
)
async def upload(
    request: Request, store: ContentStoreDep, settings: SettingsDep, offload: OffloadDep
) -> JSONResponse:
    """Store the body; the answer is its CID, with ``Location: /content/{cid}``."""
    media = _media_type(request)
    limit = MAX_DOCUMENT_BYTES if media == JSON else settings.api_upload_max_bytes
    _declared_length(request, limit)
    spool = await _read_limited(request, limit)
    document: str | None = None
    if media == JSON:
        with spool:
            data = spool.read()
        parsed = parse_document(data)  # names the offending fields, or 413 per kind
        document = str(getattr(parsed, "type", "")).removeprefix("microtask/") or None
        size = len(data)
        cid = cid_text(await offload.run(lambda: store.add_bytes(data)))
    else:
        size = spool.seek(0, 2)
        spool.seek(0)
        cid = await offload.run(lambda: _store_stream(store, spool))
    created = ContentCreated(cid=cid, size=size, document=document, media_type=media)
    return JSONResponse(
        created.model_dump(), status_code=201, headers={"Location": f"/content/{cid}"}
    )


async def _upload_in_lane(request: Request) -> JSONResponse:
    state = await get_state(request)
    store = await get_content_store(state)
    return await upload(request, store, await get_settings(state), await get_offload(request))


LANE: Final[dict[tuple[str, str], LaneRoute]] = {
    lane_key(router, upload): RequestRoute(_upload_in_lane)
}
"""The upload every gasless slot makes, through `microtask.api.lane`."""


def _looks_like_json(data: bytes) -> bool:
    head = data.lstrip()[:1]
    if head not in (b"{", b"["):
        return False
    try:
        json.loads(data)
    except (UnicodeDecodeError, ValueError):
        return False
    return True


@router.get(
    "/{cid}",
    summary="Read content by CID",
    response_class=Response,
    responses={
        200: {
            "description": "The bytes: application/json for JSON documents, else octets.",
            "content": {JSON: {}, OCTETS: {"schema": {"type": "string", "format": "binary"}}},
        },
        **problem_responses(400, 404, 422, 503),
    },
)
def read(cid: CidPath, store: ContentStoreDep) -> Response:
    """Content is immutable, so answers may be cached for good (``ETag`` is the CID)."""
    parsed = parse_cid(cid)
    stat = store.stat(parsed)
    headers = {"Cache-Control": IMMUTABLE, "ETag": f'"{parsed}"'}
    if stat.kind != "file":
        raise Problem(
            422, "unsupported-content", "Not a file", f"{parsed} is a {stat.kind}, not a file"
        )
    if stat.size <= SNIFF_LIMIT:
        data = store.cat(parsed)
        media = JSON if _looks_like_json(data) else OCTETS
        return Response(data, media_type=media, headers=headers)
    headers["Content-Length"] = str(stat.size)
    return StreamingResponse(
        iterate_in_threadpool(store.iter_cat(parsed)), media_type=OCTETS, headers=headers
    )
