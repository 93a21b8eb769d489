"""Submissions this process opened already, so an assessment does not open them again.

Opening an envelope (fetch it, parse it, check the worker's signature, unwrap the key,
decrypt, check the answers against the manifest) is most of what an assessment costs, and
every assessment of a task used to do it again for every submission. Its outcome depends
only on what the key here names: the envelope's CID (which names its bytes), the task,
slot and worker it must be for, and the task's manifest (its CID; the verifier's key,
chain and escrow are fixed for one `VerifierService`). So an opening is done once per
process:

- the receipt check at hand-in (`receipts.check_envelope`) opens every envelope it
  receipts, checking more than the assessment does, and leaves the answers here once the
  receipt is recorded;
- the assessment (`assessment.open_work`) takes what is here and opens only the rest (in
  a process that did not receipt them: after a restart, in another process serving the
  routes, or submissions made on chain), leaving those here too, so the next assessment
  of the task opens only what arrived since.

A submission that could not be opened is never kept (it is tried again next time). The
memory is bounded (least recently used first out); a miss only costs the opening it
would have saved.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

from microtask.quality import Submission

MAX_KEPT: Final = 50_000
"""Openings kept per process (one slot's answers each: a few hundred bytes)."""


@dataclass(frozen=True, slots=True)
class OpenedKey:
    """What an opening's outcome depends on (see the module's note)."""

    task_id: int
    slot: int
    worker: str
    envelope_cid: str
    """Normalised (`content.parse_cid`), as receipts and `quality.Submission` spell it."""
    manifest_cid: str


class OpenedSubmissions:
    """Envelopes opened and checked already, as `quality.Submission`s, by `OpenedKey`;
    thread-safe (the routes and the loop share it)."""

    def __init__(self, capacity: int = MAX_KEPT) -> None:
        self.capacity = capacity
        self._kept: OrderedDict[OpenedKey, Submission] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: OpenedKey) -> Submission | None:
        with self._lock:
            submission = self._kept.get(key)
            if submission is not None:
                self._kept.move_to_end(key)
            return submission

    def keep(self, key: OpenedKey, submission: Submission) -> None:
        with self._lock:
            self._kept[key] = submission
            self._kept.move_to_end(key)
            while len(self._kept) > self.capacity:
                self._kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)
