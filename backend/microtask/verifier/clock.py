"""The verifier's clock: chain time, which is what the escrow compares receipts with,
read without a round trip to the node per request.

A receipt's ``submittedAt`` must not be after the task's deadline, and its review period
runs from it, both in block time; leases and the too-fast check measure the seconds
between a reservation and a submission. So the verifier's "now" is the chain's: the wall
clock plus how far ahead of it the chain's newest block was when it appeared (a
development chain's clock can be moved forward, and the chain keeps that lead; a real
chain's newest block is a few seconds behind the wall clock, and then "now" is the wall
clock). It never goes backwards.

**Where the newest block comes from.** The indexer follows the chain anyway and writes the
head it last saw, with the wall-clock time it saw it, into its checkpoint (`IndexHead`);
the clock reads that at most once every ``refresh`` seconds (`DEFAULT_REFRESH`), so a
claim or a submission costs no request to the node and a round of the verifier's loop at
most one cheap database read. Before the index has a head (a fresh database) it asks the
node (`NodeHead`), at the same pace. Tests that move the chain's time by hand use
``refresh=0``: the node on every call, as before.

**How stale, and why that is safe.** Between blocks "now" runs on with the wall clock, so
only a jump of the chain's own clock can be missed, and only until the indexer has seen a
block after it and the clock has re-read the head: the indexer's poll interval
(``MICROTASK_POLL_INTERVAL``, 0.5 s) plus ``refresh`` (0.5 s), about a second, more while the
indexer is down. Real chains do not jump (their blocks trail the wall clock, so "now" is
the wall clock and is never behind the chain); only a development chain's
``evm_increaseTime`` does. A clock running behind by that second

- dates a receipt up to a second early: a submission arriving in the last second before a
  jump past the deadline can still be receipted (the escrow checks ``submittedAt`` against
  the deadline, not against its own clock), and its review period ends a second early,
  well inside the verifier's margins (`settlement.REJECT_MARGIN`, 30 s; assessment starts
  at least 60 s before a review period closes);
- ends a lease up to a second late: leases are the verifier's own bookkeeping (receipt
  slots have no lease on chain), so a slot returns to the pool a second later;
- measures reservation-to-submission times on one clock, so the too-fast check is exact.

A clock running ahead (the wall clock ahead of a real chain's newest block) refuses a
submission slightly before the deadline, never after it: the safe side.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:  # imported when used: the client reads the clock without them
    from sqlalchemy import Engine
    from web3 import Web3

DEFAULT_REFRESH: Final = 0.5
"""Seconds between reads of the newest block (see the module's note)."""


@dataclass(frozen=True)
class Head:
    """The newest block someone saw: its number and time, and the wall-clock time it was
    seen (None: now)."""

    number: int
    timestamp: int
    seen_at: float | None = None


class HeadSource(Protocol):
    def __call__(self) -> Head | None: ...


class NodeHead:
    """The node's latest block, asked for (a round trip)."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3

    def __call__(self) -> Head:
        block = self.w3.eth.get_block("latest")
        return Head(int(block["number"]), int(block["timestamp"]))


class IndexHead:
    """The head the indexer last saw, from its checkpoint; None before it saw one."""

    def __init__(self, engine: Engine) -> None:
        from sqlalchemy import select

        from microtask.db.models import Checkpoint

        self.engine = engine
        self.query = select(
            Checkpoint.chain_head, Checkpoint.chain_head_timestamp, Checkpoint.chain_head_seen_at
        ).limit(1)

    def __call__(self) -> Head | None:
        with self.engine.connect() as connection:
            row = connection.execute(self.query).first()
        if row is None or not row.chain_head_timestamp:
            return None
        return Head(int(row.chain_head), int(row.chain_head_timestamp), row.chain_head_seen_at)


def first_of(*sources: HeadSource) -> HeadSource:
    """The first source that has a head."""

    def head() -> Head | None:
        for source in sources:
            found = source()
            if found is not None:
                return found
        return None

    return head


class ChainClock:
    """``clock()`` is the chain's current time in unix seconds (see the module's note)."""

    def __init__(
        self,
        heads: HeadSource,
        *,
        refresh: float = DEFAULT_REFRESH,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.heads = heads
        self.refresh = refresh
        self.wall = wall
        self._head = -1
        self._timestamp = 0
        self._lead = 0
        self._last = 0
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    @classmethod
    def of_node(cls, w3: Web3, *, refresh: float = 0.0) -> ChainClock:
        """The node's latest block on every call (``refresh`` 0): exact, one round trip."""
        return cls(NodeHead(w3), refresh=refresh)

    @classmethod
    def following(cls, engine: Engine, w3: Web3, *, refresh: float = DEFAULT_REFRESH) -> ChainClock:
        """The head the indexer follows into ``engine``'s database, else the node's."""
        return cls(first_of(IndexHead(engine), NodeHead(w3)), refresh=refresh)

    def observe(self, head: Head) -> None:
        """Take in a block seen elsewhere (e.g. by the indexer in this process)."""
        with self._lock:
            self._take(head, self.wall())

    def _take(self, head: Head, wall: float) -> None:
        if head.number != self._head:
            seen = wall if head.seen_at is None else head.seen_at
            self._head = head.number
            self._timestamp = head.timestamp
            self._lead = max(0, head.timestamp - int(seen))

    def __call__(self) -> int:
        wall = self.wall()
        if wall - self._read_at >= self.refresh:
            head = self.heads()
            wall = self.wall()
            with self._lock:
                self._read_at = wall
                if head is not None:
                    self._take(head, wall)
        with self._lock:
            now = max(int(wall) + self._lead, self._timestamp)
            self._last = max(self._last, now)
            return self._last
