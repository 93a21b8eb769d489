"""A task as the verifier needs it: the escrow's terms (from the index) and its manifest.

The terms come from the index's ``tasks`` row (the indexer follows the chain; the verifier
reads, never writes, those tables). The manifest is fetched by the verifier itself from
the content store and validated, rather than waiting for the indexer's manifest worker,
and cached by CID (the same CID always names the same bytes). A task is this verifier's
when the escrow names it as verifier, and the manifest names it too, with the public key
that opens submissions, and names the requester the escrow knows (the result set is
sealed to that requester's key from the manifest, so the two must agree).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, bindparam, select

from microtask.content import ContentStore
from microtask.content.errors import ContentError
from microtask.db.models import Task
from microtask.escrow import is_party, receipt_window_end, receipt_window_open
from microtask.manifests import InlineInputs, JsonLinesInputs, ManifestError, TaskManifest, parse_as
from microtask.manifests.limits import MAX_MANIFEST_BYTES
from microtask.verifier.errors import NotThisVerifier, UnknownTask

CACHED_MANIFESTS: Final = 256
MAX_ITEMS_FILE_BYTES: Final = 256 << 20


@dataclass(frozen=True)
class TaskTerms:
    """The escrow's terms of a task, as indexed."""

    task_id: int
    requester: str
    token: str
    manifest_cid: str
    reward: int
    slot_count: int
    receipt_slots: int
    deadline: int
    review_period: int
    lease: int
    verifier: str
    arbitrator: str
    min_approved: int
    min_approval_bps: int
    cancelled: bool
    receipt_slots_reclaimed: bool

    @property
    def receipt_window_end(self) -> int:
        """The last second receipts may be presented or receipt slots settled directly."""
        return receipt_window_end(self.deadline, self.review_period)

    def receipt_window_open(self, now: int) -> bool:
        return receipt_window_open(
            now,
            deadline=self.deadline,
            review_period=self.review_period,
            receipt_slots_reclaimed=self.receipt_slots_reclaimed,
        )

    def is_party(self, account: str) -> bool:
        """The requester, verifier and arbitrator are never paid for the task's work."""
        return is_party(
            account, requester=self.requester, verifier=self.verifier, arbitrator=self.arbitrator
        )


@dataclass(frozen=True)
class TaskContext:
    """A task this verifier verifies: its terms, its manifest, its items in order."""

    terms: TaskTerms
    manifest: TaskManifest
    item_ids: tuple[str, ...]
    gold_items: frozenset[int] = frozenset()
    """The gold items' indexes (the items workers with undecided slots are offered first)."""

    @property
    def task_id(self) -> int:
        return self.terms.task_id

    def item_of(self, slot: int) -> tuple[int, str]:
        """The (index, id) of the item ``slot`` works on (slots cycle through the items)."""
        index = self.manifest.item_index(slot)
        return index, self.item_ids[index]


_TERMS: Final = select(*(getattr(Task, name) for name in TaskTerms.__dataclass_fields__)).where(
    Task.task_id == bindparam("task_id")
)
"""The index's row of a task, as `TaskTerms` takes it: read for every claim and
submission, so built once (SQLAlchemy builds and keys a statement at each call otherwise)
and read without the ORM. Always read, never cached: a cancellation, a new deadline or
added slots take effect as soon as the index has them."""


def load_terms(connection: Connection, task_id: int) -> TaskTerms:
    row = connection.execute(_TERMS, {"task_id": task_id}).first()
    if row is None:
        raise UnknownTask(
            f"task {task_id} is not in the index (yet): if it was just created, retry in a moment"
        )
    return TaskTerms(**row._asdict())


def verified_task_ids(connection: Connection, verifier: str, *, settleable_after: int) -> list[int]:
    """Tasks naming ``verifier`` whose receipt window is still open at ``settleable_after``."""
    rows = connection.scalars(
        _VERIFIED, {"verifier": verifier, "settleable_after": settleable_after}
    )
    return list(rows)


_VERIFIED: Final = (  # `microtask.escrow.receipt_window_end` in SQL
    select(Task.task_id)
    .where(
        Task.verifier == bindparam("verifier"),
        Task.deadline + Task.review_period >= bindparam("settleable_after"),
    )
    .order_by(Task.task_id)
)


class TaskLoader:
    """Loads `TaskContext`s for one verifier, caching manifests and item lists by CID."""

    def __init__(self, store: ContentStore, verifier: str) -> None:
        self.store = store
        self.verifier = verifier
        self._cache: OrderedDict[str, tuple[TaskManifest, tuple[str, ...], frozenset[int]]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def context(self, connection: Connection, task_id: int) -> TaskContext:
        """The task, if it is this verifier's; `UnknownTask` or `NotThisVerifier` if not."""
        terms = load_terms(connection, task_id)
        if terms.verifier != self.verifier:
            raise NotThisVerifier(
                f"task {task_id} is verified by {terms.verifier}, not by this verifier "
                f"({self.verifier})"
            )
        manifest, items, gold = self._manifest(terms.manifest_cid, task_id)
        if manifest.verifier != self.verifier:
            raise NotThisVerifier(
                f"task {task_id}'s manifest names verifier {manifest.verifier}, not this one: "
                "submissions would not be readable here"
            )
        if manifest.requester != terms.requester:
            raise NotThisVerifier(
                f"task {task_id}'s manifest names requester {manifest.requester}, but the "
                f"escrow's requester is {terms.requester}"
            )
        return TaskContext(terms=terms, manifest=manifest, item_ids=items, gold_items=gold)

    def _manifest(
        self, cid: str, task_id: int
    ) -> tuple[TaskManifest, tuple[str, ...], frozenset[int]]:
        with self._lock:
            cached = self._cache.get(cid)
            if cached is not None:
                self._cache.move_to_end(cid)
                return cached
        try:
            manifest = parse_as(TaskManifest, self.store.cat(cid, max_bytes=MAX_MANIFEST_BYTES))
            items = self._item_ids(manifest)
        except (ContentError, ManifestError) as error:
            raise UnknownTask(f"task {task_id}'s manifest {cid} is not usable: {error}") from None
        index = {item_id: n for n, item_id in enumerate(items)}
        gold = frozenset(
            index[g.item_id]
            for g in (manifest.gold.items if manifest.gold is not None else ())
            if g.item_id in index
        )
        with self._lock:
            self._cache[cid] = (manifest, items, gold)
            while len(self._cache) > CACHED_MANIFESTS:
                self._cache.popitem(last=False)
        return manifest, items, gold

    def _item_ids(self, manifest: TaskManifest) -> tuple[str, ...]:
        """The item ids in order: inline, or read from the items file (JSON Lines)."""
        if isinstance(manifest.inputs, InlineInputs):
            return tuple(item.id for item in manifest.inputs.items)
        assert isinstance(manifest.inputs, JsonLinesInputs)
        data = self.store.cat(manifest.inputs.cid, max_bytes=MAX_ITEMS_FILE_BYTES)
        ids = _jsonl_ids(data.splitlines())
        if len(ids) != manifest.inputs.count:
            raise ContentError(
                f"the items file has {len(ids)} items, the manifest says {manifest.inputs.count}"
            )
        return ids


def _jsonl_ids(lines: Sequence[bytes]) -> tuple[str, ...]:
    ids: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            ids.append(str(item["id"]))
        except (ValueError, KeyError, TypeError):
            raise ContentError(f"line {number} of the items file is not an item") from None
    return tuple(ids)
