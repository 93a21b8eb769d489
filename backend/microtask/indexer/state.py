"""The index's derived state as one batch sees it: loaded on demand, written at the end.

`BatchState` holds the rows the handlers of one batch read and change (tasks, slots,
assignments, disputes, accounts, the escrow's settings) and the rows they only append
(settlements, ledger movements, new manifests). `flush` writes them all; the caller
commits, in the same transaction as the events and the checkpoint they belong to.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from microtask.db.base import ManifestStatus
from microtask.db.models import table
from microtask.escrow import SlotState
from microtask.indexer.decoding import ChainEvent
from microtask.indexer.rows import Row, Rows

ZERO_AMOUNT_FIELDS = ("balance", "earned", "bonuses", "fees", "refunded", "funded", "withdrawn")
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


def insert_ignoring_conflicts(connection: Connection, table: Table, rows: list[Row]) -> None:
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
        self.tasks = Rows(connection, table("tasks"))
        self.slots = Rows(connection, table("slots"))
        self.assignments = Rows(connection, table("assignments"))
        self.disputes = Rows(connection, table("disputes"))
        self.accounts = Rows(connection, table("accounts"))
        self.settlements: list[Row] = []
        self.ledger: list[Row] = []
        self.manifests: dict[str, Row] = {}
        self._escrow: Row | None = None
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
    def escrow(self) -> Row:
        if self._escrow is None:
            escrow = table("escrow_state")
            found = (
                self.connection.execute(select(escrow).where(escrow.c.contract == self.contract))
                .mappings()
                .first()
            )
            if found is None:
                raise InconsistentIndex("the escrow's settings are missing from the index")
            self._escrow = dict(found)
        return self._escrow

    def init_escrow(self, row: Row) -> None:
        self._escrow = dict(row, contract=self.contract)
        self._escrow_new = True

    def escrow_changed(self) -> None:
        self._escrow_changed = True

    # ------------------------------------------------------------ rows by name

    def task(self, task_id: int) -> Row:
        row = self.tasks.get((task_id,))
        if row is None:
            raise InconsistentIndex(f"task {task_id} is not in the index")
        return row

    def slot(self, task_id: int, slot: int, block: int) -> Row:
        """The slot's row, created (open, never assigned) on first use."""
        key = (task_id, slot)
        row = self.slots.get(key)
        if row is None:
            row = self.slots.insert(
                key,
                {
                    "state": SlotState.OPEN,
                    "worker": None,
                    "timestamp": 0,
                    "assignments": 0,
                    "updated_block": block,
                },
            )
        else:
            self.slots.changed(key)
            row["updated_block"] = block
        return row

    def current_assignment(self, slot: Row, block: int) -> Row:
        if slot["assignments"] == 0:
            raise InconsistentIndex(f"slot {slot['task_id']}/{slot['slot']} has no assignment")
        key = (slot["task_id"], slot["slot"], slot["assignments"] - 1)
        row = self.assignments.get(key)
        if row is None:
            raise InconsistentIndex(f"assignment {key} is not in the index")
        self.assignments.changed(key)
        row["updated_block"] = block
        return row

    def new_assignment(self, slot: Row, values: Row, block: int) -> Row:
        key = (slot["task_id"], slot["slot"], slot["assignments"])
        slot["assignments"] += 1
        base: Row = {
            "claimed_at": None,
            "lease_end": None,
            "submitted_at": None,
            "result_cid": None,
            "result_digest": None,
            "receipt_signer": None,
            "rejected_at": None,
            "rejection_cid": None,
            "basis": None,
            "reward": None,
            "refunded": None,
            "ended_at": None,
            "started_block": block,
            "updated_block": block,
        }
        return self.assignments.insert(key, base | values)

    def dispute(self, task_id: int, slot: int, assignment: int) -> Row | None:
        key = (task_id, slot, assignment)
        row = self.disputes.get(key)
        if row is not None:
            self.disputes.changed(key)
        return row

    def account(self, token: str, address: str, block: int) -> Row:
        key = (token, address)
        row = self.accounts.get(key)
        if row is None:
            values: Row = dict.fromkeys(ZERO_AMOUNT_FIELDS, 0)
            values |= {"approved": 0, "rejected": 0, "disputes_won": 0, "disputes_lost": 0}
            row = self.accounts.insert(key, values | {"updated_block": block})
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
