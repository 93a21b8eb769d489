"""Gasless work from the worker's side: ask the verifier for a slot, hand in, keep receipts.

Every step is signed in this process and sent over HTTP: a `SlotRequest` to
``POST /verifier/claims``; the sealed envelope to ``POST /content`` and its CID to
``POST /verifier/submissions``. The worker needs no ETH for any of it.

A receipt is the worker's claim on the escrow, so it is checked the moment it arrives
(signed by the task's verifier or requester, for this slot, worker and envelope) and kept
in the data directory, one JSON file per slot under
``DATA_DIR/receipts/<network>/<escrow>/<worker>/``, written atomically. A worker who loses
contact with the verifier still holds it: `enforce` presents it on chain
(``presentReceipts``) and, once the review period has passed without a rejection,
collects the pay (``finalize``). Those two steps cost gas, and only if the verifier stays
silent.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Final

from eth_utils.address import to_checksum_address

from microtask.chain.devchain import latest_timestamp
from microtask.chain.escrow import SlotState
from microtask.chain.typed_data import Receipt
from microtask.cli import api_client
from microtask.cli.escrow_session import EscrowSession
from microtask.content import parse_cid
from microtask.errors import UserError
from microtask.files import write_atomically
from microtask.manifests import SubmissionAnswers, TaskManifest, seal_submission
from microtask.manifests.typed_data import recover
from microtask.verifier import ANY_SLOT, SlotRequest
from microtask.verifier.typed_data import new_nonce

REQUEST_LIFETIME: Final = 600


def receipts_dir(session: EscrowSession, worker: str) -> Path:
    return (
        session.settings.data_dir
        / "receipts"
        / session.network
        / session.record.address.lower()
        / worker.lower()
    )


def record_path(session: EscrowSession, worker: str, task_id: int, slot: int) -> Path:
    return receipts_dir(session, worker) / f"task-{task_id}-slot-{slot}.json"


def load_record(session: EscrowSession, worker: str, task_id: int, slot: int) -> dict[str, Any]:
    """What this worker keeps about a gasless slot (empty when nothing)."""
    path = record_path(session, worker, task_id, slot)
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError:
        raise UserError(f"{path} is not JSON; move it away and ask the verifier again") from None
    return data


def save_record(
    session: EscrowSession, worker: str, task_id: int, slot: int, data: dict[str, Any]
) -> Path:
    path = record_path(session, worker, task_id, slot)
    write_atomically(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
    return path


def all_records(session: EscrowSession, worker: str) -> list[dict[str, Any]]:
    found = []
    for path in sorted(receipts_dir(session, worker).glob("task-*-slot-*.json")):
        try:
            found.append(json.loads(path.read_text(encoding="utf-8")))
        except ValueError:
            continue
    return sorted(found, key=lambda r: (int(r["task_id"]), int(r["slot"])))


def request_slot(session: EscrowSession, task_id: int, slot: int | None) -> dict[str, Any]:
    """Sign a slot request and send it to the verifier; the grant, kept locally too."""
    account = session.client.account
    request = SlotRequest(
        task_id=task_id,
        slot=ANY_SLOT if slot is None else slot,
        worker=account.address,
        nonce=new_nonce(),
        # the verifier's clock is the wall clock unless the chain is ahead of it (an idle
        # chain that mines on demand keeps an old head): count from the later of the two
        expiry=max(latest_timestamp(session.w3), int(time.time())) + REQUEST_LIFETIME,
    )
    signature = request.sign(account, session.connection.chain_id, session.record.address)
    body = {
        "task_id": request.task_id,
        "slot": request.slot,
        "worker": request.worker,
        "nonce": request.nonce,
        "expiry": request.expiry,
        "signature": "0x" + signature.hex(),
    }
    settings = session.settings
    grant: dict[str, Any] = api_client.post(
        settings, "/verifier/claims", body, base=api_client.verifier_url(settings)
    )
    save_record(session, account.address, task_id, int(grant["slot"]), {**grant, "request": body})
    return grant


def slot_answers(answers: SubmissionAnswers, item_id: str) -> SubmissionAnswers:
    """The answer to one item out of a file that may answer many."""
    chosen = [answer for answer in answers.answers if answer.item_id == item_id]
    if not chosen:
        raise UserError(f"the answers file has no answer for item {item_id!r}")
    return SubmissionAnswers(answers=chosen, note=answers.note)


def check_receipt(session: EscrowSession, data: dict[str, Any], envelope_cid: str) -> Receipt:
    """The receipt in ``data``, once it is shown to be good on chain for this envelope."""
    receipt = Receipt(
        task_id=int(data["task_id"]),
        slot=int(data["slot"]),
        worker=to_checksum_address(data["worker"]),
        result_digest=bytes.fromhex(str(data["result_digest"])[2:]),
        submitted_at=int(data["submitted_at"]),
        expiry=int(data["expiry"]),
    )
    signer = recover(
        receipt.signable(session.connection.chain_id, session.record.address),
        bytes.fromhex(str(data["signature"])[2:]),
    )
    task = session.client.task(receipt.task_id)
    if signer not in (task.verifier, task.requester):
        raise UserError(
            f"the receipt is signed by {signer}, neither task {receipt.task_id}'s verifier nor "
            "its requester: the escrow would refuse it"
        )
    if receipt.worker != session.client.account.address:
        raise UserError(f"the receipt names {receipt.worker}, not you")
    if bytes(parse_cid(envelope_cid).raw_digest) != receipt.result_digest:
        raise UserError("the receipt's digest is not your envelope's")
    return receipt


def submit(
    session: EscrowSession,
    task_id: int,
    slot: int,
    answers: SubmissionAnswers,
    *,
    manifest: TaskManifest,
    manifest_cid: str,
) -> dict[str, Any]:
    """Seal the slot's answer, upload it, get the receipt checked and kept; the receipt."""
    account = session.client.account
    record = load_record(session, account.address, task_id, slot)
    item_id = record.get("item_id")
    if item_id is None:
        inline = manifest.inline_item(slot)
        if inline is None:
            raise UserError(f"no record of slot {slot}: claim it with --gasless first")
        item_id = inline.id
    envelope = seal_submission(
        slot_answers(answers, str(item_id)),
        manifest=manifest,
        manifest_cid=manifest_cid,
        chain_id=session.connection.chain_id,
        escrow=session.record.address,
        task_id=task_id,
        slot=slot,
        worker=account,
    )
    settings = session.settings
    cid = api_client.upload_json(settings, envelope.model_dump(mode="json"))
    receipt: dict[str, Any] = api_client.post(
        settings,
        "/verifier/submissions",
        {"task_id": task_id, "slot": slot, "envelope_cid": cid},
        base=api_client.verifier_url(settings),
    )
    check_receipt(session, receipt, cid)
    record.update(task_id=task_id, slot=slot, item_id=item_id, receipt=receipt)
    save_record(session, account.address, task_id, slot, record)
    return receipt


def enforce(session: EscrowSession, task_id: int, slot: int) -> dict[str, Any]:
    """Present the kept receipt if the slot is still open, then collect once the review
    period is over; what was done and where the slot stands."""
    account = session.client.account
    record = load_record(session, account.address, task_id, slot)
    data = record.get("receipt")
    if not data:
        raise UserError(f"no receipt kept for slot {slot} of task {task_id}")
    receipt = check_receipt(session, data, str(data["envelope_cid"]))
    client = session.client
    done: list[str] = []
    view = client.slot(task_id, slot)
    if view.state is SlotState.OPEN:
        client.present_receipts([(receipt, bytes.fromhex(str(data["signature"])[2:]))])
        done.append("presented")
        view = client.slot(task_id, slot)
    due = None
    if view.state is SlotState.SUBMITTED and view.worker == account.address:
        due = view.timestamp + client.task(task_id).review_period
        if latest_timestamp(session.w3) > due:
            client.finalize(task_id, [slot])
            done.append("finalized")
            view = client.slot(task_id, slot)
    return {
        "task_id": task_id,
        "slot": slot,
        "done": done,
        "state": view.state.name.lower(),
        "payable_after": due,
    }
