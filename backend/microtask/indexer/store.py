"""The index's writes: one batch per transaction, and rollbacks to a fork point.

A batch's blocks, events, derived rows and checkpoint are committed together or not at
all, so after ``kill -9`` the database holds exactly the batches whose checkpoint it holds,
and the indexer resumes after the last one. Writing a batch is idempotent: events whose
(block hash, log index) are stored already are skipped, handlers included.

**Reorganisations: rebuild from stored events.** When the chain's block at a stored
number no longer has the stored hash, `rollback_to` deletes the events and blocks above
the fork point, empties the derived tables and replays the remaining stored events through
the same handlers, in one transaction. We chose this over an undo log per block because:

- it is exact by construction: there is one code path that turns events into rows, so no
  inverse operation can drift from its forward operation as handlers evolve;
- ingestion writes nothing extra (an undo log roughly doubles the rows written per event,
  the hot path the 5,000 events/s target is about);
- replay needs no RPC: it reads ``events`` and runs at ingestion speed or better (see
  ``bench/indexer.py``), and reorgs are rare and, with ``confirmations`` set to a chain's
  usual depth, rarer still.

Its cost grows with the history, a full replay per reorg; a per-batch undo snapshot could
bound that later without changing the handlers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from microtask.db.models import DERIVED_TABLES, table
from microtask.db.rows import BlockRow, CheckpointRow, EscrowRow, EscrowSettings, EventInsert
from microtask.indexer.chain import BlockHeader
from microtask.indexer.decoding import ChainEvent
from microtask.indexer.handlers import apply
from microtask.indexer.state import BatchState

REPLAY_CHUNK = 5_000
HEAD_NOTE_SECONDS = 5.0
"""While the head stays the same block, how often `IndexStore.note_head` still writes that
the indexer saw it (the API's health reads ``chain_head_seen_at`` as the indexer's last
poll and calls it stale after 30 s or more)."""
_events = table("events")
_blocks = table("blocks")
_checkpoints = table("checkpoints")
_reorgs = table("reorgs")


class StoredBlockMismatch(RuntimeError):
    """A block number is stored with another hash than the batch has: a reorg under way."""


@dataclass(frozen=True)
class IndexedPoint:
    """The checkpoint as the follower needs it."""

    block_number: int
    block_hash: str


@dataclass(frozen=True)
class Batch:
    """Blocks ``start`` to ``end.number`` of the canonical chain, with their events."""

    start: int
    end: BlockHeader
    events: list[ChainEvent]
    headers: dict[int, BlockHeader]
    head: BlockHeader


def _event_from_row(row: Any) -> ChainEvent:
    return ChainEvent(
        name=row.name,
        args=row.args,
        block_number=row.block_number,
        block_hash=row.block_hash,
        block_timestamp=row.block_timestamp,
        tx_hash=row.tx_hash,
        tx_index=row.tx_index,
        log_index=row.log_index,
    )


def _event_row(event: ChainEvent) -> EventInsert:
    return {
        "block_number": event.block_number,
        "block_hash": event.block_hash,
        "block_timestamp": event.block_timestamp,
        "tx_hash": event.tx_hash,
        "tx_index": event.tx_index,
        "log_index": event.log_index,
        "name": event.name,
        "task_id": event.task_id,
        "args": event.args,
    }


class IndexStore:
    """Writes the index of one escrow contract into one database."""

    def __init__(
        self,
        engine: Engine,
        *,
        contract: str,
        chain_id: int,
        deployment_block: int,
        initial_escrow: EscrowSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.contract = contract
        self.chain_id = chain_id
        self.deployment_block = deployment_block
        self.initial_escrow = initial_escrow
        self.clock = clock
        self._noted: tuple[int, str] | None = None
        self._noted_at = float("-inf")

    # ------------------------------------------------------------ reading

    def checkpoint(self) -> IndexedPoint | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(_checkpoints.c.block_number, _checkpoints.c.block_hash).where(
                    _checkpoints.c.contract == self.contract
                )
            ).first()
        return IndexedPoint(row.block_number, row.block_hash) if row else None

    def stored_blocks(self, below_or_at: int, limit: int) -> list[tuple[int, str]]:
        """Stored (number, hash) pairs, newest first, from ``below_or_at`` down."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(_blocks.c.number, _blocks.c.hash)
                .where(_blocks.c.number <= below_or_at)
                .order_by(_blocks.c.number.desc())
                .limit(limit)
            ).all()
        return [(row.number, row.hash) for row in rows]

    # ------------------------------------------------------------ setting up

    def prepare(self) -> bool:
        """Make sure the database indexes this contract on this chain; True if it was reset.

        A database that indexed another contract (a redeploy) or chain is emptied: its
        rows describe something else, and a fresh index is the only correct state.
        """
        with self.engine.begin() as connection:
            rows = connection.execute(select(_checkpoints)).mappings().all()
            foreign = [
                row
                for row in rows
                if row["contract"] != self.contract or row["chain_id"] != self.chain_id
            ]
            if not foreign:
                return False
            self._noted = None
            self._empty(connection, everything=True)
            return True

    def _empty(self, connection: Connection, *, everything: bool) -> None:
        for name in DERIVED_TABLES:
            connection.execute(delete(table(name)))
        if everything:
            connection.execute(delete(_checkpoints))
            connection.execute(delete(_events))
            connection.execute(delete(_blocks))
            connection.execute(delete(_reorgs))

    # ------------------------------------------------------------ writing

    def write_batch(self, batch: Batch) -> int:
        """Commit one batch with its checkpoint; returns how many events were new."""
        with self.engine.begin() as connection:
            first = self._checkpoint_row(connection) is None
            fresh = self._new_events(connection, batch)
            self._store_blocks(connection, batch)
            if fresh:
                connection.execute(_events.insert(), [_event_row(e) for e in fresh])
            state = BatchState(connection, self.contract)
            if first:
                state.init_escrow(self.initial_escrow)
            state.preload(fresh)
            for event in fresh:
                apply(state, event)
            state.flush()
            seen_at = self._set_checkpoint(connection, batch.end, batch.head)
        self._noted, self._noted_at = (batch.head.number, batch.head.hash), seen_at
        return len(fresh)

    def note_head(self, head: BlockHeader) -> bool:
        """Record the chain head just seen (for the API's lag and the verifier's clock),
        when nothing else changes; whether it wrote.

        A head already recorded is written again only every `HEAD_NOTE_SECONDS`: the
        indexer polls every half second, mostly to find the same block (a gasless
        platform's chain is quiet), and each write is a write transaction that claims and
        hand-ins wait behind on SQLite. The verifier's clock takes ``chain_head_seen_at``
        only from a new head, so it is unaffected; the health's "last poll" is at most that
        many seconds old while the indexer runs.
        """
        seen_at = self.clock()
        if self._noted == (head.number, head.hash) and seen_at - self._noted_at < HEAD_NOTE_SECONDS:
            return False
        with self.engine.begin() as connection:
            connection.execute(
                _checkpoints.update()
                .where(_checkpoints.c.contract == self.contract)
                .values(
                    chain_head=head.number,
                    chain_head_timestamp=head.timestamp,
                    chain_head_seen_at=seen_at,
                )
            )
        self._noted, self._noted_at = (head.number, head.hash), seen_at
        return True

    def _checkpoint_row(self, connection: Connection) -> Any:
        return connection.execute(
            select(_checkpoints.c.block_number).where(_checkpoints.c.contract == self.contract)
        ).first()

    def _new_events(self, connection: Connection, batch: Batch) -> list[ChainEvent]:
        if not batch.events:
            return []
        stored = {
            (row.block_hash, row.log_index)
            for row in connection.execute(
                select(_events.c.block_hash, _events.c.log_index).where(
                    _events.c.block_number.between(batch.start, batch.end.number)
                )
            )
        }
        return [e for e in batch.events if (e.block_hash, e.log_index) not in stored]

    def _store_blocks(self, connection: Connection, batch: Batch) -> None:
        wanted = dict(batch.headers)
        if not wanted:
            return
        stored = dict(
            connection.execute(
                select(_blocks.c.number, _blocks.c.hash).where(_blocks.c.number.in_(list(wanted)))
            ).all()
        )
        for number, known in stored.items():
            if wanted[number].hash != known:
                raise StoredBlockMismatch(f"block {number} is stored as {known}")
        new: list[BlockRow] = [
            {
                "number": h.number,
                "hash": h.hash,
                "parent_hash": h.parent_hash,
                "timestamp": h.timestamp,
            }
            for number, h in sorted(wanted.items())
            if number not in stored
        ]
        if new:
            connection.execute(_blocks.insert(), new)

    def _set_checkpoint(
        self, connection: Connection, point: BlockHeader | None, head: BlockHeader
    ) -> float:
        """Write the checkpoint (or delete it: ``point`` None); when the head was seen."""
        seen_at = self.clock()
        if point is None:
            connection.execute(delete(_checkpoints).where(_checkpoints.c.contract == self.contract))
            return seen_at
        values: CheckpointRow = {
            "contract": self.contract,
            "chain_id": self.chain_id,
            "deployment_block": self.deployment_block,
            "block_number": point.number,
            "block_hash": point.hash,
            "block_timestamp": point.timestamp,
            "chain_head": head.number,
            "chain_head_timestamp": head.timestamp,
            "chain_head_seen_at": seen_at,
        }
        dialect = sqlite if connection.dialect.name == "sqlite" else postgresql
        statement = dialect.insert(_checkpoints).values(values)
        update = {k: v for k, v in values.items() if k != "contract"}
        connection.execute(
            statement.on_conflict_do_update(index_elements=["contract"], set_=update)
        )
        return seen_at

    # ------------------------------------------------------------ reorganisations

    def rollback_to(self, fork: int, head: BlockHeader) -> int:
        """Forget everything after block ``fork`` and rebuild the rest from stored events.

        ``fork`` is the newest stored block still on the canonical chain, or one below the
        deployment block when none is. Returns how many stored events were dropped.
        """
        self._noted = None
        with self.engine.begin() as connection:
            point = connection.execute(select(_blocks).where(_blocks.c.number == fork)).first()
            nothing_stays = point is None or fork < self.deployment_block
            gone = select(func.min(_events.c.id), func.max(_events.c.id), func.count())
            if not nothing_stays:
                gone = gone.where(_events.c.block_number > fork)
            first, last, dropped = connection.execute(gone).one()
            connection.execute(delete(_events).where(_events.c.block_number > fork))
            connection.execute(delete(_blocks).where(_blocks.c.number > fork))
            if point is None or nothing_stays:
                self._empty(connection, everything=True)  # nothing stored is canonical
                self._set_checkpoint(connection, None, head)
            else:
                self._empty(connection, everything=False)
                self._replay(connection)
                header = BlockHeader(point.number, point.hash, point.parent_hash, point.timestamp)
                self._set_checkpoint(connection, header, head)
            if dropped:  # for the live feed: clients that saw these ids learn they are gone
                connection.execute(
                    insert(_reorgs).values(
                        fork_block=fork,
                        first_event_id=first,
                        last_event_id=last,
                        dropped=dropped,
                        detected_at=time.time(),
                    )
                )
        return int(dropped or 0)

    def rebuild(self) -> int:
        """Rebuild every derived table from the stored events (what a rollback does)."""
        with self.engine.begin() as connection:
            self._empty(connection, everything=False)
            return self._replay(connection)

    def _stored_events(self, connection: Connection) -> Iterator[list[ChainEvent]]:
        after = (-1, -1)
        while True:
            rows = connection.execute(
                select(_events)
                .where(tuple_(_events.c.block_number, _events.c.log_index) > after)
                .order_by(_events.c.block_number, _events.c.log_index)
                .limit(REPLAY_CHUNK)
            ).all()
            if not rows:
                return
            yield [_event_from_row(row) for row in rows]
            after = (rows[-1].block_number, rows[-1].log_index)

    def _replay(self, connection: Connection) -> int:
        count = 0
        first = True
        for chunk in self._stored_events(connection):
            state = BatchState(connection, self.contract)
            if first:
                state.init_escrow(self.initial_escrow)
                first = False
            state.preload(chunk)
            for event in chunk:
                apply(state, event)
            state.flush()
            count += len(chunk)
        if first:  # no events at all: the escrow's settings still start as deployed
            row = EscrowRow(**self.initial_escrow, contract=self.contract)
            connection.execute(table("escrow_state").insert(), [row])
        return count
