"""`Indexer`: follow the escrow's events into the database, the single writer.

One loop: read the head, check the newest indexed block is still canonical (else roll
back to the fork point and replay, see `microtask.indexer.store`), then fetch logs in
adaptive ranges up to ``head - confirmations``, committing each range with its checkpoint.
A range is written only if the chain did not change while it was read: the end block's
hash is the same before and after the log query, the checkpoint block is still canonical,
and every log's block hash is the canonical one. Otherwise the loop starts over, and the
reorg check finds what changed.

A poll that finds the same head block as the last one that left the index caught up
(the same number and hash: a block's hash covers every block before it, so the chain up
to it is unchanged) with the same checkpoint (read: it is the database's word, not this
process's memory) asks the node nothing else, since that checkpoint is still canonical and
nothing new is confirmed: no reorg check, and the head is noted only every
`microtask.indexer.store.HEAD_NOTE_SECONDS`. A quiet chain, the gasless platform's usual
state, then costs one request and one read per poll, not two requests and a write.

`sync` catches up once (tests and ``microtask index --once`` use it); `run` follows until
told to stop, retrying RPC and database outages with exponential backoff and logging each
outage once. `wait_for_block` lets a caller await a block instead of sleeping.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from web3 import Web3

from microtask.chain.deployments import DeploymentRecord
from microtask.config import Settings
from microtask.db.migrate import migrate
from microtask.db.rows import EscrowSettings
from microtask.errors import ConfigurationError
from microtask.indexer.chain import BlockHeader, ChainReader, RangeRefused, RpcUnavailable
from microtask.indexer.decoding import ChainEvent, EventDecoder
from microtask.indexer.ranges import AdaptiveRange
from microtask.indexer.store import Batch, IndexedPoint, IndexStore, StoredBlockMismatch

log = logging.getLogger("microtask.indexer")

FORK_SEARCH_STEP = 64
MAX_RESTARTS = 20
BACKOFF_START = 0.25


class ChainChanged(RuntimeError):
    """The chain changed while a range was read; the range is read again."""


CommitListener = Callable[[Sequence[ChainEvent]], None]
ProgressListener = Callable[[int, int], None]


def initial_escrow_state(w3: Web3, record: DeploymentRecord) -> EscrowSettings:
    """The escrow's settings as deployed: constructor arguments, which no event carries.

    Records without them (made by other tools) are read back from the contract as of its
    deployment block.
    """
    args = record.constructor_args
    if len(args) == 6:
        owner, treasury, fee_bps, arbitrator, window, timeout = args
    else:
        contract = w3.eth.contract(address=Web3.to_checksum_address(record.address), abi=record.abi)
        at = record.block_number
        functions = contract.functions
        owner = functions.owner().call(block_identifier=at)
        treasury = functions.treasury().call(block_identifier=at)
        fee_bps = functions.feeBps().call(block_identifier=at)
        arbitrator = functions.defaultArbitrator().call(block_identifier=at)
        window = functions.disputeWindow().call(block_identifier=at)
        timeout = functions.arbitrationTimeout().call(block_identifier=at)
    return {
        "owner": Web3.to_checksum_address(owner),
        "pending_owner": None,
        "treasury": Web3.to_checksum_address(treasury),
        "fee_bps": int(fee_bps),
        "default_arbitrator": Web3.to_checksum_address(arbitrator),
        "paused": False,
        "dispute_window": int(window),
        "arbitration_timeout": int(timeout),
    }


class Indexer:
    """Indexes one deployed TaskEscrow into one database."""

    def __init__(
        self,
        w3: Web3,
        engine: Engine,
        record: DeploymentRecord,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        chain_id = w3.eth.chain_id
        if chain_id != record.chain_id:
            raise ConfigurationError(
                f"the node serves chain {chain_id}, but {record.contract_name} was deployed "
                f"on chain {record.chain_id}"
            )
        self.w3 = w3
        self.engine = engine
        self.record = record
        self.settings = settings
        self.address = Web3.to_checksum_address(record.address)
        self.deployment_block = record.block_number
        self.confirmations = settings.confirmations
        self.reader = ChainReader(w3, self.address)
        self.decoder = EventDecoder(record.abi)
        self.ranges = AdaptiveRange(
            settings.log_range_initial, settings.log_range_max, settings.log_range_target_events
        )
        self.store = IndexStore(
            engine,
            contract=self.address,
            chain_id=chain_id,
            deployment_block=record.block_number,
            initial_escrow=initial_escrow_state(w3, record),
            clock=clock,
        )
        self.on_commit: list[CommitListener] = []
        self.on_progress: list[ProgressListener] = []
        self.events_written = 0
        self._condition = threading.Condition()
        self._indexed: int | None = None
        self._target: int | None = None
        self._down: str | None = None
        self._prepared = False
        self._caught_up: tuple[BlockHeader, IndexedPoint] | None = None
        """The head and checkpoint at the end of the last sync that left the index caught
        up with that head."""

    # ------------------------------------------------------------ state for others

    @property
    def indexed_block(self) -> int | None:
        return self._indexed

    @property
    def target_block(self) -> int | None:
        return self._target

    def wait_for_block(self, number: int, timeout: float | None = None) -> bool:
        """Block until ``number`` is indexed (True) or ``timeout`` passes (False)."""
        with self._condition:
            return self._condition.wait_for(
                lambda: self._indexed is not None and self._indexed >= number, timeout
            )

    def _publish(self, indexed: int | None, target: int) -> None:
        with self._condition:
            self._indexed = indexed
            self._target = target
            self._condition.notify_all()
        for listener in self.on_progress:
            listener(indexed if indexed is not None else self.deployment_block - 1, target)

    # ------------------------------------------------------------ catching up

    def prepare(self) -> None:
        """Migrate the schema and make sure the database indexes this deployment."""
        if self._prepared:
            return
        migrate(self.engine)
        if self.store.prepare():
            log.warning(
                "the database indexed another contract or chain; starting over for %s",
                self.address,
            )
        point = self.store.checkpoint()
        self._indexed = point.block_number if point else None
        self._caught_up = None
        self._prepared = True

    def sync(self, stop: threading.Event | None = None) -> int:
        """Index every block up to ``head - confirmations``; returns the newest indexed."""
        self.prepare()
        for _ in range(MAX_RESTARTS):
            try:
                return self._sync_once(stop)
            except (ChainChanged, StoredBlockMismatch) as change:
                log.info("the chain changed while reading it (%s); reading again", change)
        raise RpcUnavailable("the chain keeps changing under the indexer; will retry")

    def _sync_once(self, stop: threading.Event | None) -> int:
        head = self.reader.head()
        target = head.number - self.confirmations
        point = self.store.checkpoint()
        if point is not None and self._caught_up == (head, point):  # see the module's note
            self.store.note_head(head)
            self._publish(point.block_number, target)
            return point.block_number
        self._caught_up = None
        if point is not None:
            point = self._follow_reorg(point, head)
        start = point.block_number + 1 if point else self.deployment_block
        if start > target:
            if point is not None:
                self.store.note_head(head)
                self._caught_up = (head, point)
            self._publish(point.block_number if point else None, target)
            return point.block_number if point else start - 1
        while start <= target and not (stop is not None and stop.is_set()):
            end = min(start + self.ranges.span - 1, target)
            indexed = self._index_range(start, end, point, head)
            if indexed is None:
                continue  # refused: the range is smaller now
            point = indexed
            self._publish(point.block_number, target)
            start = end + 1
        if point is not None and start > target:
            self._caught_up = (head, point)
        return point.block_number if point else start - 1

    def _index_range(
        self, start: int, end: int, point: IndexedPoint | None, head: BlockHeader
    ) -> IndexedPoint | None:
        """Index blocks ``start`` to ``end``; None when the node refused that many."""
        before = self.reader.header(end)
        if before is None:
            raise ChainChanged(f"block {end} is gone")
        try:
            logs = self.reader.logs(start, end)
        except RangeRefused as refused:
            if self.ranges.refused():
                log.info("%s; asking for %d blocks at a time", refused, self.ranges.span)
                return None
            raise RpcUnavailable(str(refused)) from refused
        numbers = {entry.block_number for entry in logs} | {end}
        if point is not None:
            numbers.add(point.block_number)
        headers = self.reader.headers(numbers)
        after = headers.get(end)
        if after is None or after.hash != before.hash:
            raise ChainChanged(f"block {end} changed")
        if point is not None:
            current = headers.get(point.block_number)
            if current is None or current.hash != point.block_hash:
                raise ChainChanged(f"block {point.block_number} changed")
        events = []
        for entry in logs:
            header = headers.get(entry.block_number)
            if header is None or header.hash != entry.block_hash:
                raise ChainChanged(f"block {entry.block_number} changed")
            event = self.decoder.decode(entry, header.timestamp)
            if event is not None:
                events.append(event)
        log.info("writing blocks %d-%d: %d events", start, end, len(events))
        written = self.store.write_batch(
            Batch(
                start=start,
                end=after,
                events=events,
                headers={e.block_number: headers[e.block_number] for e in events},
                head=head,
            )
        )
        log.info("committed blocks %d-%d (%d new events)", start, end, written)
        self.events_written += written
        self.ranges.answered(len(logs))
        for listener in self.on_commit:
            listener(events)
        return IndexedPoint(end, after.hash)

    def _follow_reorg(self, point: IndexedPoint, head: BlockHeader) -> IndexedPoint | None:
        canonical = self.reader.header(point.block_number)
        if canonical is not None and canonical.hash == point.block_hash:
            return point
        fork = self._fork_point(point.block_number)
        dropped = self.store.rollback_to(fork, head)
        log.warning(
            "chain reorganisation: block %d is no longer canonical; rolled back to block %d "
            "(%d events dropped) and rebuilt from stored events",
            point.block_number,
            fork,
            dropped,
        )
        restored = self.store.checkpoint()
        self._publish(restored.block_number if restored else None, head.number)
        return restored

    def _fork_point(self, newest: int) -> int:
        """The newest stored block that is still canonical (deployment block - 1 if none)."""
        upper = newest
        while True:
            stored = self.store.stored_blocks(upper, FORK_SEARCH_STEP)
            if not stored:
                return self.deployment_block - 1
            canonical = self.reader.headers(number for number, _ in stored)
            for number, block_hash in stored:
                header = canonical.get(number)
                if header is not None and header.hash == block_hash:
                    return number
            upper = stored[-1][0] - 1

    # ------------------------------------------------------------ following

    def run(self, stop: threading.Event) -> None:
        """Follow the chain until ``stop`` is set; outages are retried, never fatal."""
        delay = BACKOFF_START
        while not stop.is_set():
            try:
                self.sync(stop)
            except (RpcUnavailable, OperationalError) as outage:
                reason = str(outage).splitlines()[0]
                if self._down is None:
                    log.warning("%s; retrying with backoff until it is back", reason)
                self._down = reason
                stop.wait(delay)
                delay = min(delay * 2, self.settings.rpc_retry_max)
                continue
            if self._down is not None:
                log.warning("reachable again after: %s", self._down)
                self._down = None
            delay = BACKOFF_START
            stop.wait(self.settings.poll_interval)
