"""Receipts a worker keeps, and how a receipt is checked before it is trusted.

A receipt is the worker's claim on the escrow, so it is checked the moment it arrives
(`check_receipt`: signed by the task's verifier or requester, for this slot, worker and
envelope) and kept on disk, one JSON file per slot (`ReceiptStore`):
``DATA_DIR/receipts/<network>/<escrow>/<worker>/task-<id>-slot-<n>.json`` (addresses in
lower case), written atomically. The file holds the verifier's grant with the signed
request (`Worker.request_slot` writes it; `Worker.work_gasless` only if the hand-in
fails), then, with them, the receipt once the work is handed in. A worker who loses contact with the
verifier still holds it and can enforce it on chain (`Worker.enforce`).

`check_receipt`, `enforcement_step` and `equivocation` are pure (no key, no I/O): a web
server can check a receipt, and say what enforcing it does next, for a worker whose
browser holds the key.

A receipt is as good as payment even against the party that signed it: if its slot went to
another worker (a second receipt presented first, or the slot approved to someone else
without its receipt), `equivocation` says so and `Worker.enforce` proves it on chain
(``proveEquivocation``), which pays the receipt's holder through another open slot.

Example::

    store = ReceiptStore.of(platform, worker_address)
    for kept in store.all():
        print(kept.task_id, kept.slot, "receipted" if kept.receipt else "reserved")
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from eth_utils.address import to_checksum_address

from microtask.chain.typed_data import Receipt
from microtask.client.errors import ReceiptInvalid, ReceiptStoreCorrupt
from microtask.client.platform import Platform
from microtask.client.results import KeptSlot
from microtask.content.cid import sha256_digest
from microtask.encoding import checksum, recover
from microtask.escrow import ZERO_ADDRESS, Slot, SlotState, has_ended, review_end
from microtask.files import fsync_directory, write_atomically


class ReceiptStore:
    """One worker's kept gasless slots on one escrow (see the module's note for the layout)."""

    def __init__(self, data_dir: Path, network: str, escrow: str, worker: str) -> None:
        self.directory = data_dir / "receipts" / network / escrow.lower() / worker.lower()

    @classmethod
    def of(cls, platform: Platform, worker: str) -> ReceiptStore:
        """``worker``'s store for the platform's escrow, in the settings' data directory."""
        settings = platform.settings
        return cls(settings.data_dir, platform.network, platform.escrow_address, worker)

    def path(self, task_id: int, slot: int) -> Path:
        return self.directory / f"task-{task_id}-slot-{slot}.json"

    def load(self, task_id: int, slot: int) -> KeptSlot | None:
        """What is kept about the slot; None when nothing is."""
        path = self.path(task_id, slot)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError:
            raise ReceiptStoreCorrupt(
                f"{path} is not JSON; move it away and ask the verifier again"
            ) from None
        return KeptSlot(data)

    def save(
        self, task_id: int, slot: int, document: Mapping[str, Any], *, durable: bool = True
    ) -> KeptSlot:
        """Keep ``document`` as the slot's record (replacing any), atomically; ``durable``
        (for a receipt: the worker's claim on the escrow): on disk, its directory entry
        included, when this returns. A grant alone is saved with ``durable=False``: a
        machine crash may lose it, which costs the worker a reservation (its lease runs
        out and the verifier grants the slot again), never pay, and saves an fsync a slot."""
        data = dict(document)
        path = self.path(task_id, slot)
        text = json.dumps(data, sort_keys=True) + "\n"  # one line: the C encoder (indent is Python)
        write_atomically(path, text, durable=durable)
        if durable:
            fsync_directory(path.parent)
        return KeptSlot(data)

    def all(self) -> list[KeptSlot]:
        """Every kept slot, by task and slot (files that are not JSON are skipped)."""
        found = []
        for path in sorted(self.directory.glob("task-*-slot-*.json")):
            try:
                found.append(KeptSlot(json.loads(path.read_text(encoding="utf-8"))))
            except ValueError:
                continue
        return sorted(found, key=lambda kept: (kept.task_id, kept.slot))


def receipt_of(document: Mapping[str, Any]) -> tuple[Receipt, bytes]:
    """The EIP-712 receipt and its signature in a verifier's answer (or a kept copy)."""
    receipt = Receipt(
        task_id=int(document["task_id"]),
        slot=int(document["slot"]),
        worker=checksum(str(document["worker"])),
        result_digest=bytes.fromhex(str(document["result_digest"])[2:]),
        submitted_at=int(document["submitted_at"]),
        expiry=int(document["expiry"]),
    )
    return receipt, bytes.fromhex(str(document["signature"])[2:])


def check_receipt(
    document: Mapping[str, Any],
    *,
    signers: Collection[str],
    worker: str,
    envelope_cid: str,
    chain_id: int,
    escrow: str,
) -> tuple[Receipt, bytes]:
    """The receipt and signature in ``document``, once shown to be good on chain for
    ``worker``'s envelope ``envelope_cid``: signed by one of ``signers``, the receipt's task's
    requester and verifier as the chain has them (`Platform.task_parties`). `ReceiptInvalid`
    otherwise.

    Example: ``check_receipt(answer, signers=platform.task_parties(2), worker=me,
    envelope_cid=cid, chain_id=platform.chain_id, escrow=platform.escrow_address)``
    """
    receipt, signature = receipt_of(document)
    signer = recover(receipt.signable(chain_id, escrow), signature)
    if signer not in signers:
        raise ReceiptInvalid(
            f"the receipt is signed by {signer}, neither task {receipt.task_id}'s verifier nor "
            "its requester: the escrow would refuse it"
        )
    if receipt.worker != checksum(worker):
        raise ReceiptInvalid(f"the receipt names {receipt.worker}, not you")
    if sha256_digest(envelope_cid) != receipt.result_digest:
        raise ReceiptInvalid("the receipt's digest is not your envelope's")
    return receipt, signature


@dataclass(frozen=True)
class EnforcementStep:
    """What enforcing a kept receipt does next: ``present`` it (the slot is still open on
    chain), ``finalize`` (presented, and the review period passed without a rejection),
    ``wait`` until ``payable_after``, or nothing (``none``: settled, or not this worker's)."""

    action: Literal["present", "finalize", "wait", "none"]
    payable_after: int | None = None


def enforcement_step(view: Slot, worker: str, review_period: int, now: int) -> EnforcementStep:
    """The next step of enforcing ``worker``'s receipt for a slot the chain shows as
    ``view`` at ``now`` (`Worker.enforce` takes it; a web page shows or sends it).

    Example: ``enforcement_step(platform.slot(2, 4), me, task.review_period, platform.now())``
    """
    if view.state is SlotState.OPEN:
        return EnforcementStep("present")
    if view.state is SlotState.SUBMITTED and view.worker == to_checksum_address(worker):
        due = review_end(view.timestamp, review_period)
        return EnforcementStep("finalize" if has_ended(due, now) else "wait", due)
    return EnforcementStep("none")


@dataclass(frozen=True)
class Equivocation:
    """A receipt slot the chain shows held by another worker than the receipt names:
    ``holder``, and ``batch``, the ``SlotsApproved`` pairs that show it when the slot was
    approved without its receipt (empty when the chain keeps the holder in the slot)."""

    holder: str
    batch: tuple[tuple[int, str], ...] = ()


def equivocation(
    view: Slot, worker: str, slot: int, approvals: Iterable[Sequence[tuple[int, str]]]
) -> Equivocation | None:
    """Whether ``worker``'s receipt for ``slot`` (which the chain shows as ``view``) was
    given away: the slot is held by someone else, on chain or, approved without a receipt,
    in the first of ``approvals`` (the task's ``SlotsApproved`` batches in chain order, as
    ``(slot, worker)`` pairs) that names it (later batches skip a settled slot).
    ``proveEquivocation`` pays it; nothing to prove is None.

    Example: ``equivocation(platform.slot(2, 0), me, 0, [[(0, other)]]).holder   # other``
    """
    me = to_checksum_address(worker)
    if view.state is SlotState.OPEN:
        return None
    if view.worker != ZERO_ADDRESS:
        return None if view.worker == me else Equivocation(view.worker)
    if view.state is not SlotState.APPROVED:
        return None
    for pairs in approvals:
        for paid_slot, paid_worker in pairs:
            if paid_slot == slot:
                holder = to_checksum_address(paid_worker)
                return None if holder == me else Equivocation(holder, tuple(pairs))
    return None
