"""``/verifier``: gasless work and the requester's controls, served by the verifier.

Mounted into the API when the verifier runs in the same process (`microtask up`), or in
an app of its own (`microtask verifier`, see `verifier_app`). Unlike the read routes,
these may talk to the chain (the verifier's clock, slot states, settlement transactions),
so they are plain functions FastAPI runs in its thread pool; except the two requests
every gasless slot makes, claims and submissions, which hand their one blocking call to
the app's `Offload` threads and are also served by the fast lane (`LANE`,
`microtask.api.lane`), the same functions either way.

The verifier's refusals become problems here, and only here:

| refusal | status |
| --- | --- |
| unknown task (not indexed yet) | 404 |
| a task of another verifier; a slot taken, none left, a task closed; a replayed request | 409 |
| a signature that is not the signer's | 401 |
| a worker who may not work on the task | 403 |
| an expired or malformed request, an envelope that does not check out | 422 |
| the chain or the verifier not answering | 503 |
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Final, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from pydantic import BaseModel
from web3.exceptions import Web3Exception

from microtask import __version__
from microtask.api import telemetry
from microtask.api.body_limit import BodyLimit
from microtask.api.deps import OffloadDep, get_offload
from microtask.api.lane import FastLane, JsonBodyRoute, LaneRoute, lane_key
from microtask.api.offload import Offload
from microtask.api.params import TaskId
from microtask.api.problems import (
    Problem,
    install_problem_handlers,
    not_found,
    problem_responses,
    unavailable,
)
from microtask.api.verifier_schemas import (
    AssessRequest,
    ClaimRequest,
    GrantPublic,
    Inbox,
    InboxRequest,
    MessageDelivery,
    MessagePublic,
    MessageRequest,
    PolicyRequest,
    PolicyStored,
    ReceiptPage,
    ReceiptPublic,
    ReceiptRow,
    SubmissionRequest,
    TaskReportPublic,
    VerifierInfo,
    VerifierTaskStatus,
)
from microtask.chain.reverts import TransactionReverted
from microtask.verifier import (
    BadSignature,
    NoSlot,
    NotEligible,
    NotThisVerifier,
    Replayed,
    RequestInvalid,
    SettlementError,
    SlotRequest,
    SubmissionRefused,
    TaskClosed,
    UnknownTask,
    VerifierError,
    VerifierService,
)
from microtask.verifier.policy import MAX_LISTED, MAX_QUALIFICATION_TYPES

router = APIRouter(prefix="/verifier", tags=["verifier"])
T = TypeVar("T")


async def get_verifier(request: Request) -> VerifierService:
    """The running verifier, or a 503 while it starts (async: nothing here blocks, and a
    sync dependency would cost every verifier request a trip to the thread pool)."""
    service: VerifierService | None = getattr(request.app.state, "verifier", None)
    if service is None:
        raise unavailable("verifier", "the verifier is starting; retry in a moment")
    return service


VerifierDep = Annotated[VerifierService, Depends(get_verifier)]


def problem_of_refusal(error: VerifierError) -> Problem:
    """The HTTP meaning of a verifier's refusal (see the module's table)."""
    status, kind, title = {
        UnknownTask: (404, "not-found", "Not found"),
        NotThisVerifier: (409, "not-this-verifier", "Not this verifier's task"),
        BadSignature: (401, "bad-signature", "Bad signature"),
        NotEligible: (403, "not-eligible", "Not eligible"),
        NoSlot: (409, "no-slot", "No slot"),
        TaskClosed: (409, "task-closed", "The task takes no more work"),
        Replayed: (409, "replayed", "Already used"),
        RequestInvalid: (422, "invalid-request", "Invalid request"),
        SubmissionRefused: (422, "submission-refused", "Submission refused"),
    }.get(type(error), (409, "refused", "Refused"))
    return Problem(status, kind, title, str(error))


@contextmanager
def answering() -> Iterator[None]:
    """Turn the verifier's refusals and the chain's failures into problems."""
    try:
        yield
    except VerifierError as refusal:
        raise problem_of_refusal(refusal) from None
    except TransactionReverted as reverted:
        raise Problem(409, "reverted", "The chain refused", str(reverted)) from None
    except SettlementError as failed:
        raise unavailable("chain", str(failed)) from None
    except (OSError, Web3Exception) as down:
        raise unavailable("chain", f"the chain does not answer: {down}") from None


def _call(call: Callable[[], T]) -> T:
    with answering():
        return call()


def _signature(text: str) -> bytes:
    return bytes.fromhex(text[2:])


def _encoded(answer: BaseModel, status_code: int = 200) -> Response:
    """``answer`` (already an instance of the route's ``response_model``) as the response,
    encoded once: returned as a model, FastAPI would dump it, validate the dump against the
    same model again and encode that, on the two requests every gasless slot makes."""
    return Response(
        answer.model_dump_json(), status_code=status_code, media_type="application/json"
    )


@router.get(
    "",
    response_model=VerifierInfo,
    summary="Who the verifier is",
    responses=problem_responses(503),
)
def info(verifier: VerifierDep) -> VerifierInfo:
    """The verifier's address and the public key manifests name for it."""
    return VerifierInfo.model_validate(verifier.info())


@router.post(
    "/claims",
    response_model=GrantPublic,
    status_code=201,
    summary="Ask for a receipt slot (gasless)",
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422, 503),
)
async def claim(body: ClaimRequest, verifier: VerifierDep, offload: OffloadDep) -> Response:
    """Reserve a receipt slot for the worker who signed the request, for the task's lease.

    The same signed request sent again returns the same slot while it is the worker's.
    """
    request = SlotRequest(body.task_id, body.slot, body.worker, body.nonce, body.expiry)
    signature = _signature(body.signature)
    grant = await offload.run(lambda: _call(lambda: verifier.request_slot(request, signature)))
    answer = GrantPublic(
        task_id=grant.task_id,
        slot=grant.slot,
        item_index=grant.item_index,
        item_id=grant.item_id,
        worker=grant.worker,
        reserved_at=grant.reserved_at,
        lease_end=grant.lease_end,
        replayed=grant.replayed,
    )
    return _encoded(answer, 201)


@router.post(
    "/submissions",
    response_model=ReceiptPublic,
    summary="Hand in a reserved slot's envelope; get a signed receipt",
    responses=problem_responses(400, 404, 409, 413, 422, 503),
)
async def submit(body: SubmissionRequest, verifier: VerifierDep, offload: OffloadDep) -> Response:
    """Check the envelope (signature, task, slot, schema, the slot's item) and receipt it.

    The same envelope sent again gets the same receipt; a slot is receipted once.
    """
    issued = await offload.run(
        lambda: _call(lambda: verifier.submit(body.task_id, body.slot, body.envelope_cid))
    )
    return _encoded(ReceiptPublic.model_validate(issued.as_json()))


@router.get(
    "/receipts/{task_id}/{slot}",
    response_model=ReceiptPublic,
    summary="The receipt issued for a slot",
    responses=problem_responses(404, 422, 503),
)
def get_receipt(task_id: TaskId, slot: TaskId, verifier: VerifierDep) -> ReceiptPublic:
    """For a worker who lost the answer to their submission."""
    issued = _call(lambda: verifier.receipt(task_id, slot))
    if issued is None:
        raise not_found(f"no receipt for slot {slot} of task {task_id}")
    return ReceiptPublic.model_validate(issued.as_json())


@router.post(
    "/policies",
    response_model=PolicyStored,
    summary="Set a requester's policy (allow/block lists, rule, gold salts)",
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422, 503),
)
def set_policy(body: PolicyRequest, verifier: VerifierDep) -> PolicyStored:
    """Kept by the verifier only (never served back); a newer ``issued_at`` replaces it."""
    _call(
        lambda: verifier.set_policy(
            body.requester, body.task_id, body.policy, body.issued_at, _signature(body.signature)
        )
    )
    return PolicyStored(requester=body.requester, task_id=body.task_id, issued_at=body.issued_at)


@router.post(
    "/tasks/{task_id}/assess",
    response_model=TaskReportPublic,
    summary="Assess and settle a task now (its requester asks)",
    responses=problem_responses(400, 401, 404, 409, 413, 422, 503),
)
def assess(task_id: TaskId, body: AssessRequest, verifier: VerifierDep) -> TaskReportPublic:
    """Runs quality control over every submission and settles what it decides."""
    report = _call(
        lambda: verifier.command_assess(task_id, body.issued_at, _signature(body.signature))
    )
    return TaskReportPublic.model_validate(report.as_json())


@router.get(
    "/tasks/{task_id}",
    response_model=VerifierTaskStatus,
    summary="What the verifier holds for a task",
    responses=problem_responses(404, 409, 422, 503),
)
def task_status(task_id: TaskId, verifier: VerifierDep) -> VerifierTaskStatus:
    """Reservations, receipts, each slot's decision (with its reasons) and transactions."""
    return VerifierTaskStatus.model_validate(_call(lambda: verifier.task_status(task_id)))


@router.get(
    "/tasks/{task_id}/receipts",
    response_model=ReceiptPage,
    summary="The receipts a task's slots got",
    responses=problem_responses(422, 503),
)
def task_receipts(
    task_id: TaskId,
    verifier: VerifierDep,
    after: Annotated[int, Query(ge=-1, le=2**32, description="List slots after this one.")] = -1,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ReceiptPage:
    """Each receipted slot (worker, envelope, times), by slot: how the task's requester
    finds the work handed in without gas (the envelopes open with the requester's key)."""
    found = _call(lambda: verifier.receipts(task_id, after=after, limit=limit))
    rows = [ReceiptRow(**issued.as_json(), reserved_at=reserved) for issued, reserved in found]
    more = len(rows) == limit
    return ReceiptPage(data=rows, next_after=rows[-1].slot if more else None)


@router.post(
    "/messages",
    response_model=MessageDelivery,
    summary="A requester's message to workers who did their work",
    responses=problem_responses(400, 401, 409, 413, 422, 503),
)
def send_message(body: MessageRequest, verifier: VerifierDep) -> MessageDelivery:
    """Kept for each named worker who did work for the requester (the others are listed
    with why not); the same signed message again is kept once."""
    delivery = _call(
        lambda: verifier.send_message(
            body.requester,
            list(body.workers),
            body.subject,
            body.text,
            body.issued_at,
            _signature(body.signature),
        )
    )
    return MessageDelivery(sent=list(delivery.sent), refused=delivery.refused)


@router.post(
    "/inbox",
    response_model=Inbox,
    summary="A worker's messages",
    responses=problem_responses(400, 401, 413, 422, 503),
)
def read_inbox(body: InboxRequest, verifier: VerifierDep) -> Inbox:
    """The messages requesters sent the worker who signed the request, newest first."""
    found = _call(
        lambda: verifier.inbox(
            body.worker, body.issued_at, _signature(body.signature), before=body.before
        )
    )
    return Inbox(
        worker=body.worker, data=[MessagePublic.model_validate(m.as_json()) for m in found]
    )


async def _claim_in_lane(request: Request, body: ClaimRequest) -> Response:
    return await claim(body, await get_verifier(request), await get_offload(request))


async def _submit_in_lane(request: Request, body: SubmissionRequest) -> Response:
    return await submit(body, await get_verifier(request), await get_offload(request))


LANE: Final[dict[tuple[str, str], LaneRoute]] = {
    lane_key(router, claim): JsonBodyRoute(ClaimRequest, _claim_in_lane),
    lane_key(router, submit): JsonBodyRoute(SubmissionRequest, _submit_in_lane),
}
"""The two verifier requests every gasless slot makes, through `microtask.api.lane`."""

SLOT_REQUEST_BODY_BYTES: Final = 16 * 1024
"""The most a claim's or a submission's body may hold (either is a few hundred bytes)."""

SIGNED_REQUEST_BODY_BYTES: Final = 16 * 1024
"""The most a signed request with no list in it (assess now, read an inbox) may hold."""

MESSAGE_BODY_BYTES: Final = 256 * 1024
"""The most a message's body may hold: 100 workers and 4,296 characters, each character
escaped to 12 bytes at worst, come to about 57 KB; the rest is room for whitespace."""

POLICY_BODY_BYTES: Final = (2 + MAX_QUALIFICATION_TYPES) * MAX_LISTED * 80
"""The most a policy's body may hold (about 82 MB): its longest lists (10,000 allowed,
10,000 blocked, 100 qualification types of 10,000 holders each) at 80 bytes an entry.
Large, because a requester may really list a million workers; but bounded, where before
any body was read whole."""

BODY_LIMITS: Final[dict[tuple[str, str], int]] = {
    **dict.fromkeys(LANE, SLOT_REQUEST_BODY_BYTES),
    lane_key(router, assess): SIGNED_REQUEST_BODY_BYTES,
    lane_key(router, read_inbox): SIGNED_REQUEST_BODY_BYTES,
    lane_key(router, send_message): MESSAGE_BODY_BYTES,
    lane_key(router, set_policy): POLICY_BODY_BYTES,
}
"""Every verifier route's body limit (`microtask.api.body_limit`)."""


def verifier_app(service: VerifierService | None = None) -> FastAPI:
    """The verifier's routes in an app of their own (`microtask verifier`)."""
    offload = Offload()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            offload.close()

    app = FastAPI(
        title="microtask verifier",
        version=__version__,
        description="Gasless work through signed receipts; the requester's controls.",
        lifespan=lifespan,
        telemetry=telemetry.OFF,
    )
    app.add_middleware(FastLane, routes=LANE)
    app.add_middleware(BodyLimit, limits=BODY_LIMITS)
    app.state.offload = offload
    app.state.verifier = service
    app.state.stopping = threading.Event()  # for `ApiServer`; no live feeds here
    install_problem_handlers(app)
    app.include_router(router)
    return app
