"""The verifier's clock: chain time, which is what the escrow compares receipts with.

A receipt's ``submittedAt`` must not be after the task's deadline, and its review period
runs from it, both in block time; leases and the too-fast check measure the seconds
between a reservation and a submission. So the verifier's "now" is the chain's: the wall
clock plus how far ahead of it the chain's newest block was when it first appeared (a
development chain's clock can be moved forward, and the chain keeps that lead; a real
chain's newest block is a few seconds behind the wall clock, and then "now" is the wall
clock). It never goes backwards.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from web3 import Web3


class ChainClock:
    """``clock()`` is the chain's current time in unix seconds (see the module's note)."""

    def __init__(self, w3: Web3, wall: Callable[[], float] = time.time) -> None:
        self.w3 = w3
        self.wall = wall
        self._head = -1
        self._lead = 0
        self._last = 0
        self._lock = threading.Lock()

    def __call__(self) -> int:
        block = self.w3.eth.get_block("latest")
        number, timestamp = int(block["number"]), int(block["timestamp"])
        wall = self.wall()
        with self._lock:
            if number != self._head:
                self._head = number
                self._lead = max(0, timestamp - int(wall))
            now = max(int(wall) + self._lead, timestamp)
            self._last = max(self._last, now)
            return self._last
