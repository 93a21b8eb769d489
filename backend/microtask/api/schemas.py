"""What the API answers: pydantic models layered as the FastAPI template layers them.

``TaskPublic`` is a task as lists show it, ``TaskDetail`` adds what one task's page needs;
list responses are ``{data, count, next_cursor}`` (see `Page`). Token amounts are decimal
strings (uint256 does not fit a JSON number that every client parses exactly), addresses
are EIP-55 checksummed, chain times are unix seconds. Every model carries examples for the
OpenAPI document.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Final, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from microtask.db.base import AssignmentSource, AssignmentStatus, ManifestStatus
from microtask.escrow import ApprovalBasis, SlotState

EXAMPLE_ADDRESS: Final = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
EXAMPLE_WORKER: Final = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
EXAMPLE_TOKEN: Final = "0x0000000000000000000000000000000000000000"  # noqa: S105 (ETH)
EXAMPLE_TX: Final = "0x" + "ab" * 32
EXAMPLE_CID: Final = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"

TokenAmount = Annotated[
    int,
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^[0-9]{1,78}$",
            "description": "A token amount in its smallest unit (wei), as a decimal string.",
            "examples": ["10000000000000000"],
        }
    ),
]
"""An exact uint256, served as a decimal string."""

ChecksumAddress = Annotated[
    str,
    Field(pattern="^0x[0-9a-fA-F]{40}$", examples=[EXAMPLE_ADDRESS]),
]


class Public(BaseModel):
    """Response models are built from database rows by attribute."""

    model_config = ConfigDict(from_attributes=True)


class TaskStatus(StrEnum):
    """Where a task stands for a worker, at the chain head's time."""

    OPEN = "open"  # not cancelled, deadline not passed, a slot available
    FULL = "full"  # not cancelled, deadline not passed, every slot taken
    EXPIRED = "expired"  # not cancelled, deadline passed
    CANCELLED = "cancelled"


class ManifestSummary(Public):
    """The manifest as the index validated it; the summary is filled once status is ok."""

    cid: str = Field(examples=[EXAMPLE_CID])
    status: ManifestStatus = Field(examples=["ok"])
    error: str | None = Field(default=None, description="Why it is invalid or unreachable.")
    title: str | None = Field(default=None, examples=["Cat or dog?"])
    kind: str | None = Field(default=None, examples=["classification"])
    language: str | None = Field(default=None, examples=["en"])
    tags: list[str] = Field(default_factory=list, examples=[["images", "animals"]])
    time_estimate_seconds: int | None = Field(default=None, examples=[20])
    item_count: int | None = Field(default=None, examples=[2])
    redundancy: int | None = Field(default=None, examples=[3])


class MatchPublic(BaseModel):
    """How well a task suits a worker: pay per estimated minute (relative to the best open
    task in the same token) times the worker's expected acceptance on its kind."""

    score: float = Field(ge=0, examples=[0.77])
    reward_per_minute: float = Field(
        description="Reward per estimated minute, in the token's smallest unit.",
        examples=[333333.3],
    )
    pay_share: float = Field(description="Of the best rate in this token.", examples=[0.8])
    acceptance: float = Field(description="Expected share approved.", examples=[0.96])
    basis: str = Field(examples=["your gold accuracy over 48 items on classification"])
    explanation: str = Field(description="All of the above in one line.")


class TaskPublic(Public):
    """A task as lists show it."""

    task_id: int = Field(examples=[1])
    status: TaskStatus = Field(examples=["open"])
    requester: ChecksumAddress
    token: ChecksumAddress = Field(description="The zero address is ETH.")
    reward: TokenAmount = Field(description="Paid per approved slot.")
    fee: TokenAmount = Field(description="The platform fee per approved slot.")
    slot_count: int = Field(examples=[6])
    receipt_slots: int = Field(examples=[0])
    open_slots: int = Field(description="Claimable slots nobody holds.", examples=[4])
    available_slots: int = Field(
        description="How many more workers the task can take (claims and receipts).",
        examples=[4],
    )
    deadline: int = Field(examples=[1767225600])
    review_period: int = Field(examples=[3600])
    lease: int = Field(examples=[600])
    verifier: ChecksumAddress
    arbitrator: ChecksumAddress
    arbitrator_is_default: bool = Field(
        description=(
            "Whether the task's arbitrator is the escrow's default one. A task with an "
            "arbitrator of its own deserves a look: the escrow refuses only the requester "
            "and the verifier, not someone they know."
        ),
        examples=[True],
    )
    min_approved: int = Field(examples=[0])
    min_approval_bps: int = Field(examples=[0])
    cancelled: bool
    created_at: int = Field(examples=[1767139200])
    created_block: int = Field(examples=[12])
    created_tx: str = Field(examples=[EXAMPLE_TX])
    manifest: ManifestSummary
    match: MatchPublic | None = Field(
        default=None, description="With sort=match: how well the task suits the worker."
    )


class SlotPublic(Public):
    """A slot something happened to. Slots without a row are open, or closed once their
    funds went back (a cancelled task's claimable slots, reclaimed receipt slots)."""

    slot: int = Field(examples=[0])
    state: SlotState = Field(examples=["submitted"])
    worker: ChecksumAddress | None = None
    timestamp: int = Field(
        description="Lease end, submitted at, rejected at or disputed at; 0 when open or final.",
        examples=[1767139800],
    )
    assignments: int = Field(description="How many assignments the slot has had.", examples=[1])


class TaskDetail(TaskPublic):
    """One task: its money, its slots and their states."""

    escrow: TokenAmount = Field(description="Funds still held for unsettled slots.")
    funded: TokenAmount
    paid: TokenAmount = Field(description="Rewards paid to workers (bonuses excluded).")
    fees_paid: TokenAmount
    refunded: TokenAmount
    bonuses: TokenAmount
    approved_slots: int
    closed_slots: int
    receipt_slots_used: int
    receipt_slots_reclaimed: bool
    cancelled_at: int | None = None
    updated_block: int
    slot_states: dict[str, int] = Field(
        description="How many slots are in each state (untouched slots count as open).",
        examples=[{"open": 4, "submitted": 1, "approved": 1}],
    )
    slots: list[SlotPublic] = Field(description="The slots that have rows, by index.")


class AssignmentPublic(Public):
    """One worker's turn at a slot, from claim (or receipt) to its outcome."""

    task_id: int = Field(examples=[1])
    slot: int = Field(examples=[0])
    number: int = Field(description="The assignment's number within its slot.", examples=[0])
    worker: ChecksumAddress = Field(examples=[EXAMPLE_WORKER])
    source: AssignmentSource = Field(examples=["claim"])
    status: AssignmentStatus = Field(examples=["approved"])
    claimed_at: int | None = None
    lease_end: int | None = None
    submitted_at: int | None = None
    result_cid: str | None = Field(default=None, examples=[EXAMPLE_CID])
    result_digest: str | None = None
    receipt_signer: ChecksumAddress | None = None
    rejected_at: int | None = None
    rejection_cid: str | None = None
    basis: ApprovalBasis | None = Field(default=None, examples=["review"])
    reward: TokenAmount | None = None
    refunded: TokenAmount | None = None
    ended_at: int | None = None
    started_block: int
    updated_block: int


Item = TypeVar("Item", bound=BaseModel)


class Page(BaseModel, Generic[Item]):
    """One page of a list: ``count`` matches the filters in all; pass ``next_cursor`` back
    as ``cursor`` for the next page (null on the last)."""

    data: list[Item]
    count: int = Field(description="How many items match the filters, on every page.")
    next_cursor: str | None = Field(default=None, examples=["eyJrIjpbMTJdfQ"])


class TasksPage(Page[TaskPublic]):
    pass


class AssignmentsPage(Page[AssignmentPublic]):
    pass


class TaskCounts(BaseModel):
    open: int = Field(examples=[3])
    full: int = Field(examples=[1])
    expired: int = Field(examples=[0])
    cancelled: int = Field(examples=[1])
    total: int = Field(examples=[5])


class WorkerRecord(Public):
    """A worker's record and earnings in one token (the contract keeps them per token)."""

    token: ChecksumAddress = Field(examples=[EXAMPLE_TOKEN])
    approved: int = Field(examples=[12])
    rejected: int = Field(examples=[1])
    approval_bps: int | None = Field(
        description="approved / (approved + rejected) in basis points; null without history.",
        examples=[9230],
    )
    disputes_won: int
    disputes_lost: int
    earned: TokenAmount = Field(description="Rewards for approved slots.")
    bonuses: TokenAmount
    balance: TokenAmount = Field(description="Credited in the escrow's ledger, not withdrawn.")
    withdrawn: TokenAmount


class WorkerPublic(BaseModel):
    address: ChecksumAddress = Field(examples=[EXAMPLE_WORKER])
    records: list[WorkerRecord]
    assignments: dict[str, int] = Field(
        description="The worker's assignments by status.", examples=[{"approved": 12}]
    )
    recent_assignments: list[AssignmentPublic] = Field(description="Newest tasks first.")
    scores: WorkerScoresPublic = Field(description="From the verifier's assessments.")
    badges: list[BadgePublic] = Field(description="Milestones earned, oldest first.")


class RequesterMoney(Public):
    token: ChecksumAddress = Field(examples=[EXAMPLE_TOKEN])
    funded: TokenAmount = Field(description="Paid into escrow: tasks, added slots, bonuses.")
    refunded: TokenAmount = Field(description="Escrow credited back (cancels, closed slots).")
    balance: TokenAmount = Field(description="Credited in the escrow's ledger, not withdrawn.")
    withdrawn: TokenAmount


class RequesterPublic(BaseModel):
    address: ChecksumAddress
    tasks: TaskCounts
    money: list[RequesterMoney]
    recent_tasks: list[TaskPublic] = Field(description="Newest first.")


class TokenStats(BaseModel):
    token: ChecksumAddress = Field(examples=[EXAMPLE_TOKEN])
    tasks: int
    escrow: TokenAmount = Field(description="Held for unsettled slots now.")
    funded: TokenAmount
    paid: TokenAmount = Field(description="Rewards for approved slots.")
    bonuses: TokenAmount
    fees: TokenAmount
    refunded: TokenAmount
    withdrawn: TokenAmount


class Stats(BaseModel):
    tasks: TaskCounts
    assignments: dict[str, int] = Field(examples=[{"approved": 40, "submitted": 3}])
    workers: int = Field(description="Addresses that have had an assignment.")
    requesters: int
    events: int
    indexed_block: int | None
    tokens: list[TokenStats]


class ContentStoreHealth(BaseModel):
    kind: str | None = Field(examples=["local"])
    status: Literal["ok", "unavailable"]
    detail: str | None = None


class Health(BaseModel):
    """How fresh the index is, and whether the content store answers."""

    status: Literal["ok", "degraded", "starting"] = Field(
        description=(
            "ok: indexed up to the chain head, polled recently, content store answers; "
            "starting: nothing indexed yet; degraded: see problems."
        )
    )
    problems: list[str] = Field(examples=[["the indexer last polled the chain 95 s ago"]])
    database: str = Field(examples=["sqlite"])
    chain_id: int | None = Field(examples=[31337])
    contract: ChecksumAddress | None = None
    chain_head: int | None = Field(examples=[120])
    chain_head_time: int | None = None
    indexed_block: int | None = Field(examples=[120])
    indexed_block_time: int | None = None
    lag_blocks: int | None = Field(examples=[0])
    lag_seconds: int | None = Field(examples=[0])
    last_poll_at: float | None = Field(description="Wall-clock unix time of the last poll.")
    last_poll_age_seconds: float | None = Field(examples=[0.4])
    content_store: ContentStoreHealth


class ContentCreated(BaseModel):
    cid: str = Field(examples=[EXAMPLE_CID])
    size: int = Field(examples=[1432])
    document: str | None = Field(
        description="The document kind for JSON uploads (task-manifest, ...); null for bytes.",
        examples=["task-manifest"],
    )
    media_type: str = Field(examples=["application/json"])


class ReorgData(BaseModel):
    """The live feed's ``reorg`` message: events with ids from ``first_event_id`` to
    ``last_event_id`` are no longer on the chain (the new branch's follow with new ids)."""

    fork_block: int = Field(description="The newest block still on the chain.")
    first_event_id: int
    last_event_id: int
    dropped: int = Field(description="How many indexed events the reorganisation dropped.")


class EventData(BaseModel):
    """The ``data`` of one live-feed message (its SSE ``id`` is the event id, ``event``
    its name)."""

    task_id: int | None = Field(examples=[1])
    block: int = Field(examples=[12])
    timestamp: int = Field(examples=[1767139200])
    tx: str = Field(examples=[EXAMPLE_TX])
    log_index: int = Field(examples=[0])
    args: dict[str, Any]


class KindScore(BaseModel):
    """A worker's record with the verifier, over one kind of task (or all)."""

    kind: str = Field(examples=["classification"])
    tasks: int
    slots: int = Field(description="Slots assessed.")
    gold_items: int = Field(description="Gold items met.")
    gold_accuracy: float | None = Field(description="Right answers over gold items met.")
    agreement_items: int = Field(description="Items compared with the crowd's aggregate.")
    agreement: float | None = Field(description="Mean agreement with the crowd's aggregate.")
    accuracy: float | None = Field(
        description="Gold accuracy from 5 gold items, else agreement from 5 items; else null."
    )
    accuracy_basis: str | None = Field(examples=["gold accuracy over 12 items"])
    approved: int = Field(description="Slots the verifier decided to approve.")
    rejected: int
    undecided: int


class WorkerScoresPublic(BaseModel):
    overall: KindScore
    by_kind: list[KindScore]
    qualifications: dict[str, float] = Field(
        description="The worker's value of every qualification name they have evidence for.",
        examples=[{"accuracy": 0.95, "classification-accuracy": 0.95}],
    )


class BadgePublic(BaseModel):
    id: str = Field(examples=["first-approved"])
    title: str = Field(examples=["First approval"])
    description: str
    earned_at: int = Field(description="Chain time the history first met it.")


class LeaderboardEntry(BaseModel):
    rank: int = Field(examples=[1])
    worker: ChecksumAddress = Field(examples=[EXAMPLE_WORKER])
    approved: int = Field(
        description="Approved slots in the period (accuracy board: approved by the verifier)."
    )
    earned: TokenAmount | None = Field(
        default=None, description="Rewards in the period, in the board's token."
    )
    gold_items: int | None = None
    gold_accuracy: float | None = None


class Leaderboard(BaseModel):
    by: Literal["earnings", "approved", "accuracy"]
    period: Literal["day", "week", "month", "all"]
    since: int | None = Field(description="Start of the period (chain time); null for all.")
    token: ChecksumAddress | None = None
    data: list[LeaderboardEntry]


class TaskResults(BaseModel):
    """Where a task's aggregated results are: a content object only its requester can read
    (`microtask task results` fetches and decrypts it)."""

    task_id: int = Field(examples=[2])
    requester: ChecksumAddress
    cid: str = Field(examples=[EXAMPLE_CID])
    run: int = Field(description="The assessment it comes from.", examples=[1])
    items: int
    method: str | None = Field(examples=["hierarchical_dawid_skene"])
    submissions: int
    approved: int
    rejected: int
    undecided: int
    assessed_at: int


WorkerPublic.model_rebuild()  # its score and badge models are defined after it
