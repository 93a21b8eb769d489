"""Workers: ``CreateWorkerBlock``, ``DeleteWorkerBlock``, ``ListWorkerBlocks``,
``NotifyWorkers``.

The block list is the requester's: every open HIT's policy carries it, so the verifier
hands a blocked worker no slot of the requester's HITs (from the gateway's next round).
A message (``NotifyWorkers``) waits in each worker's inbox with the platform's verifier,
signed by the requester; as on MTurk, only workers who did work for the requester can be
written to, and the others come back as failures.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from microtask.mturk import ids, paging
from microtask.mturk.errors import INVALID_VALUE, MTurkError
from microtask.mturk.gateway import Gateway, epoch, operation
from microtask.mturk.state import WorkerBlock
from microtask.mturk.wire import Params


@operation("CreateWorkerBlock")
def create_worker_block(gateway: Gateway, params: Params) -> dict[str, Any]:
    worker = ids.address_of_worker(params.required_text("WorkerId"))
    reason = params.required_text("Reason", max_length=4096)
    with gateway.writing():
        with gateway.session() as session:
            session.merge(WorkerBlock(worker=worker, reason=reason, created_at=epoch()))
        gateway.policies.mark()
    return {}


@operation("DeleteWorkerBlock")
def delete_worker_block(gateway: Gateway, params: Params) -> dict[str, Any]:
    worker = ids.address_of_worker(params.required_text("WorkerId"))
    params.text("Reason", max_length=4096)
    with gateway.writing():
        with gateway.session() as session:
            row = session.get(WorkerBlock, worker)
            if row is not None:
                session.delete(row)
        gateway.policies.mark()
    return {}


@operation("ListWorkerBlocks")
def list_worker_blocks(gateway: Gateway, params: Params) -> dict[str, Any]:
    size, last = paging.page_size(params), paging.after(params)
    query = select(WorkerBlock)
    if last is not None:
        query = query.where(WorkerBlock.worker > str(last))
    with gateway.session() as session:
        rows = list(session.scalars(query.order_by(WorkerBlock.worker).limit(size)))
    found = [{"WorkerId": ids.worker_id(row.worker), "Reason": row.reason} for row in rows]
    return paging.answer(params, "WorkerBlocks", found, rows[-1].worker if rows else None)


@operation("NotifyWorkers")
def notify_workers(gateway: Gateway, params: Params) -> dict[str, Any]:
    subject = params.required_text("Subject", max_length=200)
    text = params.required_text("MessageText", max_length=4096)
    named = params.items("WorkerIds", max_items=100)
    if not named or not all(isinstance(w, str) for w in named):
        raise MTurkError("NotifyWorkers: WorkerIds lists 1 to 100 worker ids", INVALID_VALUE)
    failures: list[dict[str, Any]] = []
    addresses: dict[str, str] = {}
    for worker_id in dict.fromkeys(named):
        try:
            addresses[ids.address_of_worker(worker_id)] = worker_id
        except MTurkError as error:
            failures.append(_failure(worker_id, "HardFailure", error.message))
    if addresses:
        delivery = gateway.requester.notify_workers(list(addresses), subject, text)
        failures += [
            _failure(addresses[address], "HardFailure", why)
            for address, why in delivery.refused.items()
        ]
    return {"NotifyWorkersFailureStatuses": failures}


def _failure(worker_id: str, code: str, message: str) -> dict[str, Any]:
    return {
        "NotifyWorkersFailureCode": code,
        "NotifyWorkersFailureMessage": message,
        "WorkerId": worker_id,
    }
