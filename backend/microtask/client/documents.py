"""What the API and the verifier answer, as the client reads it.

Each model names the fields the library and its front ends use, typed as the API serves
them (token amounts are decimal strings, addresses checksummed, times unix seconds), and
keeps every other field the API sends (``extra="allow"``), so `Document.document` gives
back the API's JSON unchanged: the CLI's ``--json`` prints exactly what the API said. The
server's own models live in `microtask.api.schemas`; the client does not import the API
(front ends never import each other), and a test checks these against real answers.

Example::

    page = TaskPage.model_validate(api.get("/tasks", {"status": "open"}))
    [task.task_id for task in page.data]
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Document(BaseModel):
    """An answer of the API: the named fields typed, the rest kept as they came."""

    model_config = ConfigDict(extra="allow", frozen=True)

    def document(self) -> dict[str, Any]:
        """The answer as JSON, every field the API sent included."""
        return self.model_dump(mode="json")


class ManifestSummary(Document):
    cid: str
    status: str
    title: str | None = None
    kind: str | None = None
    time_estimate_seconds: int | None = None


class Match(Document):
    """How well a task suits the worker (``sort=match``)."""

    score: float
    reward_per_minute: float
    pay_share: float
    acceptance: float
    basis: str
    explanation: str


class TaskListing(Document):
    """A task as lists show it (the API's ``TaskPublic``)."""

    task_id: int
    status: str
    requester: str
    token: str
    reward: str
    fee: str
    slot_count: int
    available_slots: int
    deadline: int
    manifest: ManifestSummary
    arbitrator: str
    arbitrator_is_default: bool
    """False: the requester chose the arbitrator (`microtask.api.schemas.TaskPublic`)."""
    match: Match | None = None


class TaskPage(Document):
    """One page of tasks, newest first or as sorted; ``next_cursor`` for the next."""

    data: list[TaskListing]
    count: int
    next_cursor: str | None = None


class SlotRow(Document):
    slot: int
    state: str
    worker: str | None = None


class TaskDetail(TaskListing):
    """One task with its money and the slots something happened to."""

    escrow: str
    paid: str
    refunded: str
    slots: list[SlotRow]


class Assignment(Document):
    task_id: int
    slot: int
    worker: str
    rejection_cid: str | None = None


class AssignmentPage(Document):
    data: list[Assignment]
    count: int
    next_cursor: str | None = None


class WorkerRecord(Document):
    """A worker's record and money in one token."""

    token: str
    approved: int
    rejected: int
    earned: str
    balance: str


class KindScore(Document):
    kind: str
    slots: int
    gold_items: int
    gold_accuracy: float | None
    agreement_items: int
    agreement: float | None
    accuracy: float | None


class WorkerScores(Document):
    overall: KindScore
    by_kind: list[KindScore]


class Badge(Document):
    id: str
    title: str
    description: str
    earned_at: int


class WorkerProfile(Document):
    """A worker's records per token, scores from the verifier's assessments, badges."""

    address: str
    records: list[WorkerRecord]
    scores: WorkerScores
    badges: list[Badge]


class LeaderboardEntry(Document):
    rank: int
    worker: str
    approved: int
    earned: str | None = None
    gold_items: int | None = None
    gold_accuracy: float | None = None


class Leaderboard(Document):
    by: str
    period: str
    token: str | None = None
    data: list[LeaderboardEntry]


class ResultsSummary(Document):
    """Where a task's sealed result set is, and the assessment's counts."""

    task_id: int
    cid: str
    run: int
    approved: int
    rejected: int
    undecided: int


class VerifierInfo(Document):
    """The platform's verifier: its address and the key to seal submissions to."""

    verifier: str
    public_key: str
    chain_id: int
    escrow: str


class Grant(Document):
    """A receipt slot the verifier reserved for the worker until ``lease_end``."""

    task_id: int
    slot: int
    item_index: int
    item_id: str
    worker: str
    lease_end: int


class IssuedReceipt(Document):
    """The verifier's EIP-712 receipt for a handed-in slot (its ``signature`` 0x-hex)."""

    task_id: int
    slot: int
    worker: str
    result_digest: str
    submitted_at: int
    expiry: int
    signature: str
    envelope_cid: str


class PolicyStored(Document):
    requester: str
    task_id: int
    issued_at: int


class AssessmentReport(Document):
    """What an "assess now" did: its counts per outcome and what was settled."""

    task_id: int
    outcomes: dict[str, int]
    settled: dict[str, int]


class Decision(Document):
    slot: int
    worker: str
    outcome: str
    settled: str
    reasons: list[dict[str, Any]]


class VerificationStatus(Document):
    """What the task's verifier holds: receipts, decisions and their settlement."""

    task_id: int
    reserved: int
    receipted: int
    submitted_on_chain: int
    run: int | None
    decisions: list[Decision]


class ReceiptRow(IssuedReceipt):
    """A receipt a task's slot got, with when the slot was reserved for its worker."""

    reserved_at: int


class ReceiptPage(Document):
    data: list[ReceiptRow]
    next_after: int | None = None


class MessageDelivery(Document):
    """Who a requester's message reached, and who it was refused for (with why)."""

    sent: list[str]
    refused: dict[str, str]


class InboxMessage(Document):
    id: int
    requester: str
    subject: str
    text: str
    sent_at: int


class Inbox(Document):
    worker: str
    data: list[InboxMessage]
