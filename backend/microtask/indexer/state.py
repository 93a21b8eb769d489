"""The index's derived state as one batch sees it: loaded on demand, written at the end.

`BatchState` holds the rows the handlers of one batch read and change (tasks, slots,
assignments, disputes, accounts, the escrow's settings) and the rows they only append
(settlements, ledger movements, new manifests). `flush` writes them all; the caller
commits, in the same transaction as the events and the checkpoint they belong to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from microtask.db.base import AssignmentSource, AssignmentStatus, ManifestStatus
from microtask.db.models import table
from microtask.db.rows import (
    AccountRow,
    AssignmentRow,
    DisputeRow,
    EscrowRow,
    EscrowSettings,
    LedgerRow,
    ManifestInsert,
    SettlementRow,
    SlotRow,
    TaskRow,
)
from microtask.escrow import SlotState
from microtask.indexer.decoding import ChainEvent
from microtask.indexer.rows import Rows

_SLOT_EVENTS = frozenset(
    {
        "SlotClaimed",
        "SlotFreed",
        "WorkSubmitted",
        "ReceiptPresented",
        "DisputeOpened",
        "DisputeRuled",
        "SlotClosed",
    }
)
_BATCH_SLOT_EVENTS = frozenset({"SlotsApproved", "SlotsRejected"})


class InconsistentIndex(RuntimeError):
    """An event refers to a row the index does not have: the index is not this chain's."""


def insert_ignoring_conflicts(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert ``rows``, skipping those whose primary key exists (SQLite and PostgreSQL)."""
    if not rows:
        return
    dialect = sqlite if connection.dialect.name == "sqlite" else postgresql
    connection.execute(dialect.insert(table).on_conflict_do_nothing(), rows)


class BatchState:
    """The rows one batch of events works on."""

    def __init__(self, connection: Connection, contract: str) -> None:
        self.connection = connection
        self.contract = contract
        self.tasks = Rows[TaskRow](connection, table("tasks"))
        self.slots = Rows[SlotRow](connection, table("slots"))
        self.assignments = Rows[AssignmentRow](connection, table("assignments"))
        self.disputes = Rows[DisputeRow](connection, table("disputes"))
        self.accounts = Rows[AccountRow](connection, table("accounts"))
        self.settlements: list[SettlementRow] = []
        self.ledger: list[LedgerRow] = []
        self.manifests: dict[str, ManifestInsert] = {}
        self._escrow: EscrowRow | None = None
        self._escrow_new = False
        self._escrow_changed = False

    # ------------------------------------------------------------ loading

    def preload(self, events: Iterable[ChainEvent]) -> None:
        """Load in bulk the tasks, slots and current assignments these events touch."""
        events = list(events)
        task_ids = {(e.task_id,) for e in events if e.task_id is not None}
        self.tasks.preload(task_ids)
        slot_keys: set[tuple[Any, ...]] = set()
        for e in events:
            if e.name in _SLOT_EVENTS:
                slot_keys.add((e.task_id, int(e.args["slot"])))
            elif e.name in _BATCH_SLOT_EVENTS:
                slot_keys.update((e.task_id, int(slot)) for slot in e.args["slots"])
        self.slots.preload(slot_keys)
        current = []
        for key in slot_keys:
            row = self.slots.get(key)
            if row is not None and row["assignments"] > 0:
                current.append((*key, row["assignments"] - 1))
        self.assignments.preload(current)
        accounts: set[tuple[Any, ...]] = set()
        for e in events:
            task = self.tasks.get((e.task_id,)) if e.task_id is not None else None
            if task is None:
                continue
            accounts.add((task["token"], task["requester"]))
            for name in ("worker",):
                if name in e.args:
                    accounts.add((task["token"], e.args[name]))
            accounts.update((task["token"], worker) for worker in e.args.get("workers", ()))
        self.accounts.preload(accounts)

    @property
    def escrow(self) -> EscrowRow:
        if self._escrow is None:
            escrow = table("escrow_state")
            found = (
                self.connection.execute(select(escrow).where(escrow.c.contract == self.contract))
                .mappings()
                .first()
            )
            if found is None:
                raise InconsistentIndex("the escrow's settings are missing from the index")
            self._escrow = cast(EscrowRow, dict(found))  # every column of escrow_state
        return self._escrow

    def init_escrow(self, settings: EscrowSettings) -> None:
        self._escrow = EscrowRow(**settings, contract=self.contract)
        self._escrow_new = True

    def escrow_changed(self) -> None:
        self._escrow_changed = True

    # ------------------------------------------------------------ rows by name

    def task(self, task_id: int) -> TaskRow:
        row = self.tasks.get((task_id,))
        if row is None:
            raise InconsistentIndex(f"task {task_id} is not in the index")
        return row

    def slot(self, task_id: int, slot: int, block: int) -> SlotRow:
        """The slot's row, created (open, never assigned) on first use."""
        key = (task_id, slot)
        row = self.slots.get(key)
        if row is None:
            row = self.slots.insert(
                {
                    "task_id": task_id,
                    "slot": slot,
                    "state": SlotState.OPEN,
                    "worker": None,
                    "timestamp": 0,
                    "assignments": 0,
                    "updated_block": block,
                }
            )
        else:
            self.slots.changed(key)
            row["updated_block"] = block
        return row

    def current_assignment(self, slot: SlotRow, block: int) -> AssignmentRow:
        if slot["assignments"] == 0:
            raise InconsistentIndex(f"slot {slot['task_id']}/{slot['slot']} has no assignment")
        key = (slot["task_id"], slot["slot"], slot["assignments"] - 1)
        row = self.assignments.get(key)
        if row is None:
            raise InconsistentIndex(f"assignment {key} is not in the index")
        self.assignments.changed(key)
        row["updated_block"] = block
        return row

    def new_assignment(
        self,
        slot: SlotRow,
        block: int,
        *,
        worker: str,
        source: AssignmentSource,
        status: AssignmentStatus,
        claimed_at: int | None = None,
        lease_end: int | None = None,
        submitted_at: int | None = None,
        result_digest: str | None = None,
        receipt_signer: str | None = None,
    ) -> AssignmentRow:
        """The slot's next assignment: a claim, a presented receipt, or a receipt slot
        settled directly."""
        number = slot["assignments"]
        slot["assignments"] += 1
        return self.assignments.insert(
            {
                "task_id": slot["task_id"],
                "slot": slot["slot"],
                "number": number,
                "worker": worker,
                "source": source,
                "status": status,
                "claimed_at": claimed_at,
                "lease_end": lease_end,
                "submitted_at": submitted_at,
                "result_cid": None,
                "result_digest": result_digest,
                "receipt_signer": receipt_signer,
                "rejected_at": None,
                "rejection_cid": None,
                "basis": None,
                "reward": None,
                "refunded": None,
                "ended_at": None,
                "started_block": block,
                "updated_block": block,
            }
        )

    def dispute(self, task_id: int, slot: int, assignment: int) -> DisputeRow | None:
        key = (task_id, slot, assignment)
        row = self.disputes.get(key)
        if row is not None:
            self.disputes.changed(key)
        return row

    def account(self, token: str, address: str, block: int) -> AccountRow:
        """The account's row, created (all zero) on first use."""
        key = (token, address)
        row = self.accounts.get(key)
        if row is None:
            row = self.accounts.insert(
                {
                    "token": token,
                    "address": address,
                    "balance": 0,
                    "approved": 0,
                    "rejected": 0,
                    "disputes_won": 0,
                    "disputes_lost": 0,
                    "earned": 0,
                    "bonuses": 0,
                    "fees": 0,
                    "refunded": 0,
                    "funded": 0,
                    "withdrawn": 0,
                    "updated_block": block,
                }
            )
        else:
            self.accounts.changed(key)
            row["updated_block"] = block
        return row

    def ensure_manifest(self, cid: str, error: str | None) -> None:
        if cid not in self.manifests:
            self.manifests[cid] = {
                "cid": cid,
                "status": ManifestStatus.INVALID if error else ManifestStatus.PENDING,
                "error": error,
                "attempts": 0,
            }

    # ------------------------------------------------------------ writing

    def flush(self) -> None:
        """Write every new and changed row (parents before children)."""
        connection = self.connection
        insert_ignoring_conflicts(connection, table("manifests"), list(self.manifests.values()))
        self.manifests.clear()
        if self._escrow is not None and (self._escrow_new or self._escrow_changed):
            escrow = table("escrow_state")
            if self._escrow_new:
                connection.execute(escrow.insert(), [self._escrow])
            else:
                connection.execute(
                    escrow.update().where(escrow.c.contract == self.contract), [self._escrow]
                )
            self._escrow_new = self._escrow_changed = False
        for rows in (self.tasks, self.slots, self.assignments, self.disputes, self.accounts):
            rows.flush()
        if self.settlements:
            connection.execute(table("settlements").insert(), self.settlements)
            self.settlements = []
        if self.ledger:
            connection.execute(table("ledger").insert(), self.ledger)
            self.ledger = []
