"""What the library's actions return: frozen values, amounts in the token's smallest unit.

Every action that sends a transaction returns its `Transaction` (hash and block) inside a
value that says what changed; front ends format these, the library never prints.

Example::

    created = requester.create_task(draft)
    print(created.task_id, created.token.format(created.escrowed), created.transaction.hash)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: these values load without web3 or the manifests
    from web3.types import TxReceipt

    from microtask.client.documents import Grant, IssuedReceipt, ResultsSummary
    from microtask.client.tokens import Token
    from microtask.escrow import Reputation, SlotState
    from microtask.manifests import Review, TaskManifest


@dataclass(frozen=True)
class Transaction:
    """A mined transaction: its hash (0x-hex) and block."""

    hash: str
    block_number: int

    @classmethod
    def of(cls, receipt: TxReceipt) -> Transaction:
        return cls(receipt["transactionHash"].to_0x_hex(), int(receipt["blockNumber"]))


@dataclass(frozen=True)
class PublishedManifest:
    """A task's manifest as its ``TaskCreated`` event names it: the CID and the document."""

    cid: str
    manifest: TaskManifest


@dataclass(frozen=True)
class CreatedTask:
    task_id: int
    manifest_cid: str
    token: Token
    escrowed: int
    """Rewards and fees of every slot, taken from the requester's wallet."""
    transaction: Transaction


@dataclass(frozen=True)
class SlotsApproved:
    task_id: int
    slots: tuple[tuple[int, str], ...]
    """(slot, worker) pairs, each paid at once."""
    transaction: Transaction


@dataclass(frozen=True)
class SlotsRejected:
    task_id: int
    slots: tuple[tuple[int, str], ...]
    reasons_cid: str
    """The `ReviewBatch` telling each worker why."""
    transaction: Transaction
    """The last of ``transactions``."""
    transactions: tuple[Transaction, ...] = ()
    """One for slots submitted or presented on chain, one for receipt slots rejected with
    their proofs (`Requester.reject` sends what the slots need)."""


@dataclass(frozen=True)
class BonusPaid:
    task_id: int
    worker: str
    amount: int
    token: Token
    transaction: Transaction


@dataclass(frozen=True)
class SlotsAdded:
    task_id: int
    count: int
    transaction: Transaction


@dataclass(frozen=True)
class DeadlineExtended:
    task_id: int
    deadline: int
    transaction: Transaction


@dataclass(frozen=True)
class Refunded:
    """Escrow credited back to the requester's ledger balance (cancel, reclaim)."""

    task_id: int
    amount: int
    token: Token
    transaction: Transaction


@dataclass(frozen=True)
class Withdrawn:
    """Ledger balance sent from the escrow to a wallet."""

    amount: int
    token: Token
    to: str
    transaction: Transaction


@dataclass(frozen=True)
class SubmittedAnswer:
    """One answer of one slot's submission, decrypted."""

    slot: int
    worker: str
    item_id: str
    answer: dict[str, Any]
    envelope_cid: str
    submitted_at: int


@dataclass(frozen=True)
class Submissions:
    task_id: int
    manifest_cid: str
    answers: tuple[SubmittedAnswer, ...]


@dataclass(frozen=True)
class Claimed:
    task_id: int
    slot: int
    item_id: str | None
    """The slot's item when the items are inline in the manifest."""
    item_index: int
    lease_end: int
    transaction: Transaction


@dataclass(frozen=True)
class Submitted:
    task_id: int
    slot: int
    envelope_cid: str
    transaction: Transaction


@dataclass(frozen=True)
class Disputed:
    task_id: int
    slot: int
    reason_cid: str
    transaction: Transaction


@dataclass(frozen=True)
class Ruling:
    task_id: int
    slot: int
    paid: bool
    """True: the worker is paid; False: the rejection stands."""
    reason_cid: str | None
    transaction: Transaction


@dataclass(frozen=True)
class Earnings:
    """A worker's ledger balance and record in one token."""

    token: Token
    balance: int
    record: Reputation


@dataclass(frozen=True)
class KeptSlot:
    """What a worker keeps about a gasless slot: the verifier's grant (with the signed
    request) and, once handed in, the receipt. ``document`` is the file's JSON."""

    document: Mapping[str, Any]

    @property
    def task_id(self) -> int:
        return int(self.document["task_id"])

    @property
    def slot(self) -> int:
        return int(self.document["slot"])

    @property
    def item_id(self) -> str | None:
        item = self.document.get("item_id")
        return None if item is None else str(item)

    @property
    def lease_end(self) -> int | None:
        end = self.document.get("lease_end")
        return None if end is None else int(end)

    @property
    def receipt(self) -> dict[str, Any] | None:
        receipt = self.document.get("receipt")
        return dict(receipt) if receipt else None


@dataclass(frozen=True)
class ReceiptStatus:
    """A kept gasless slot beside its state on chain."""

    kept: KeptSlot
    on_chain: SlotState


@dataclass(frozen=True)
class GaslessWork:
    """A slot reserved and handed in without gas: the grant and the checked receipt."""

    grant: Grant
    receipt: IssuedReceipt


@dataclass(frozen=True)
class Enforcement:
    """What enforcing a kept receipt did (``presented``, ``finalized``, ``proven``, or
    nothing yet), and where the slot stands; ``payable_after`` is when silence pays, once
    submitted. ``paid_slot``: the open slot that paid a proven equivocation (the receipt's
    slot went to another worker), whose state is then ``state``."""

    task_id: int
    slot: int
    done: tuple[str, ...]
    state: SlotState
    payable_after: int | None
    paid_slot: int | None = None


@dataclass(frozen=True)
class SlotReview:
    """Why one of the worker's slots was rejected: the review and the batch it is in."""

    review: Review
    reasons_cid: str


@dataclass(frozen=True)
class ResultSet:
    """A task's aggregated results, decrypted: one row per item, and the same as CSV and
    JSON Lines (the bytes the verifier sealed)."""

    summary: ResultsSummary
    """Where the sealed set is, and the assessment's counts."""
    rows: tuple[dict[str, Any], ...]
    csv: bytes
    jsonl: bytes


@dataclass(frozen=True)
class Balance:
    """An account's wallet balance and escrow ledger balance in one token (``ledger`` is
    None when no escrow is deployed on the network)."""

    token: Token
    wallet: int
    ledger: int | None
