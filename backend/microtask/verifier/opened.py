"""Submissions opened already, so an assessment does not open them again.

Opening an envelope (fetch it, parse it, check the worker's signature, unwrap the key,
decrypt, check the answers against the manifest) is most of what an assessment costs, and
every assessment of a task used to do it again for every submission. Its outcome depends
only on what the key here names: the envelope's CID (which names its bytes), the task,
slot and worker it must be for, and the task's manifest (its CID; the verifier's key,
chain and escrow are fixed for one `VerifierService`). So an envelope is opened once:

- the receipt check at hand-in (`receipts.check_envelope`) opens every envelope it
  receipts, checking more than the assessment does, and leaves the answers here
  (`OpenedSubmissions`, in memory) and, sealed, in the receipt's row (below) once the
  receipt is recorded;
- the assessment (`assessment.open_work`) takes what is here, else what the row holds,
  and opens only the rest (receipts recorded before the row held answers, and
  submissions made on chain), leaving those here too, so the next assessment of the task
  opens only what arrived since.

A submission that could not be opened is never kept (it is tried again next time). The
memory is bounded (least recently used first out); a miss only costs the opening it
would have saved.

Across processes (on PostgreSQL the routes run in several, the loop in one of its own;
and after a restart) the receipt's row carries the answers (``verifier_slots.opened``),
sealed with `OpeningSeal`: AES-256-GCM under a key derived from the verifier's own key
(HKDF-SHA256), with the `OpenedKey` as associated data, so the database never holds a
worker's answers in the clear, and sealed answers moved to another slot, worker,
envelope or manifest do not open (the envelope is then opened as before).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import ClassVar, Final

from Crypto.Hash import SHA256
from Crypto.Protocol.KDF import HKDF
from pydantic import ValidationError

from microtask.manifests import DecryptionFailed, SubmissionAnswers
from microtask.manifests.sealing import NONCE_BYTES, decrypt_payload, encrypt_payload
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


class OpeningSeal:
    """Seals a slot's opened answers for the database, and opens them (see the module's
    note), with a key only the verifier's own key derives."""

    CONTEXT: ClassVar[bytes] = b"microtask verifier openings v1"

    def __init__(self, verifier_key: bytes) -> None:
        derived = HKDF(verifier_key, 32, b"", SHA256, 1, context=self.CONTEXT)
        assert isinstance(derived, bytes)
        self._key = derived

    def seal(self, key: OpenedKey, answers: SubmissionAnswers) -> bytes:
        nonce, sealed = encrypt_payload(
            self._key, answers.model_dump_json().encode(), _associated(key)
        )
        return nonce + sealed

    def open(self, key: OpenedKey, blob: bytes) -> SubmissionAnswers | None:
        """The answers sealed for ``key``; None if ``blob`` was not sealed for it with
        this verifier's key (altered, moved, or another key's)."""
        try:
            plaintext = decrypt_payload(
                self._key, blob[:NONCE_BYTES], blob[NONCE_BYTES:], _associated(key)
            )
            return SubmissionAnswers.model_validate_json(plaintext)
        except (DecryptionFailed, ValidationError):
            return None


def _associated(key: OpenedKey) -> bytes:
    parts = (key.task_id, key.slot, key.worker, key.envelope_cid, key.manifest_cid)
    return "\n".join(map(str, parts)).encode()
