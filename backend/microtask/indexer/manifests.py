"""`ManifestWorker`: fetch and validate each task's manifest, off the ingest path.

The indexer only records a task's manifest CID (status ``pending``) in the batch that
indexes the task; this worker, in its own thread and database connection, fetches the
content, validates it as a `TaskManifest` and fills the summary the API filters on (tags
and qualifications included). A manifest the store does not have (or cannot reach) is
``unreachable`` and retried with exponential backoff; one that is too large or does not
validate is ``invalid`` with the reason. Invalid is final for that CID: the same CID
always names the same bytes. Ingestion never waits for any of this.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence

from sqlalchemy import Engine, delete, or_, select, update

from microtask.config import Settings
from microtask.content import ContentStore
from microtask.content.errors import (
    ContentCorrupted,
    ContentError,
    ContentNotFound,
    ContentStoreUnavailable,
)
from microtask.db.base import ManifestStatus
from microtask.db.models import table
from microtask.db.rows import (
    ManifestFetch,
    ManifestQualificationRow,
    ManifestSummary,
    ManifestTagRow,
)
from microtask.indexer.decoding import ChainEvent
from microtask.indexer.state import insert_ignoring_conflicts
from microtask.manifests import ManifestError, TaskManifest, parse_as
from microtask.manifests.limits import MAX_MANIFEST_BYTES

log = logging.getLogger("microtask.indexer.manifests")

BATCH = 50
_manifests = table("manifests")
_tags = table("manifest_tags")
_qualifications = table("manifest_qualifications")


class ManifestWorker:
    """Resolves pending and due manifests from one content store into one database."""

    def __init__(
        self,
        engine: Engine,
        store: ContentStore,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.store = store
        self.retry_base = settings.manifest_retry_base
        self.retry_max = settings.manifest_retry_max
        self.clock = clock
        self._wake = threading.Event()

    def wake(self, events: Sequence[ChainEvent] = ()) -> None:
        """Look for work now (the indexer calls this after committing new tasks)."""
        if not events or any(e.name == "TaskCreated" for e in events):
            self._wake.set()

    def due(self) -> list[str]:
        """CIDs to fetch now: pending ones, and unreachable ones whose retry time came."""
        now = self.clock()
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(_manifests.c.cid)
                .where(
                    or_(
                        _manifests.c.status == ManifestStatus.PENDING,
                        (_manifests.c.status == ManifestStatus.UNREACHABLE)
                        & (_manifests.c.next_attempt_at <= now),
                    )
                )
                .order_by(_manifests.c.next_attempt_at.is_not(None), _manifests.c.next_attempt_at)
                .limit(BATCH)
            ).all()
        return [row.cid for row in rows]

    def next_due_in(self) -> float | None:
        """Seconds until the next retry is due, or None when nothing waits for one."""
        with self.engine.connect() as connection:
            soonest = connection.execute(
                select(_manifests.c.next_attempt_at)
                .where(_manifests.c.status == ManifestStatus.UNREACHABLE)
                .order_by(_manifests.c.next_attempt_at)
                .limit(1)
            ).scalar()
        return None if soonest is None else max(0.0, float(soonest) - self.clock())

    def run_once(self) -> int:
        """Resolve every manifest due now; returns how many were tried."""
        tried = 0
        while cids := self.due():
            for cid in cids:
                self.resolve(cid)
                tried += 1
        return tried

    def resolve(self, cid: str) -> ManifestStatus:
        """Fetch, validate and record one manifest."""
        with self.engine.connect() as connection:
            attempts = connection.execute(
                select(_manifests.c.attempts).where(_manifests.c.cid == cid)
            ).scalar_one()
        attempts += 1
        now = self.clock()
        try:
            data = self.store.cat(cid, max_bytes=MAX_MANIFEST_BYTES)
        except (ContentNotFound, ContentStoreUnavailable, ContentCorrupted) as missing:
            delay = min(self.retry_max, self.retry_base * 2 ** (attempts - 1))
            self._record(
                cid,
                status=ManifestStatus.UNREACHABLE,
                error=str(missing),
                attempts=attempts,
                next_attempt_at=now + delay,
            )
            log.info("manifest %s unreachable (attempt %d): %s", cid, attempts, missing)
            return ManifestStatus.UNREACHABLE
        except ContentError as unusable:  # too large, not a file, unsupported codec
            self._record(cid, status=ManifestStatus.INVALID, error=str(unusable), attempts=attempts)
            return ManifestStatus.INVALID
        try:
            manifest = parse_as(TaskManifest, data)
        except ManifestError as invalid:
            self._record(cid, status=ManifestStatus.INVALID, error=str(invalid), attempts=attempts)
            return ManifestStatus.INVALID
        self._record(
            cid,
            status=ManifestStatus.OK,
            error=None,
            attempts=attempts,
            fetched_at=now,
            size=len(data),
            summary=manifest,
        )
        return ManifestStatus.OK

    def _record(
        self,
        cid: str,
        *,
        status: ManifestStatus,
        error: str | None,
        attempts: int,
        next_attempt_at: float | None = None,
        fetched_at: float | None = None,
        size: int | None = None,
        summary: TaskManifest | None = None,
    ) -> None:
        fetch: ManifestFetch = {
            "status": status,
            "error": error[:2000] if error else None,
            "attempts": attempts,
            "next_attempt_at": next_attempt_at,
            "fetched_at": fetched_at,
            "size": size,
        }
        values: Mapping[str, object] = fetch
        if summary is not None:
            columns: ManifestSummary = {
                "title": summary.title,
                "kind": str(summary.kind),
                "language": summary.language,
                "time_estimate_seconds": summary.time_estimate_seconds,
                "item_count": summary.item_count,
                "redundancy": summary.redundancy,
                "requester": summary.requester,
                "tags": list(summary.tags),
                "document": summary.model_dump(mode="json"),
            }
            values = {**fetch, **columns}
        with self.engine.begin() as connection:
            connection.execute(update(_manifests).where(_manifests.c.cid == cid).values(values))
            connection.execute(delete(_tags).where(_tags.c.cid == cid))
            connection.execute(delete(_qualifications).where(_qualifications.c.cid == cid))
            if summary is not None:
                rows: list[ManifestTagRow] = [{"cid": cid, "tag": tag} for tag in summary.tags]
                insert_ignoring_conflicts(connection, _tags, rows)
                required: list[ManifestQualificationRow] = [
                    {"cid": cid, "name": q.name, "min_score": q.min_score}
                    for q in summary.qualifications
                ]
                insert_ignoring_conflicts(connection, _qualifications, required)

    def run(self, stop: threading.Event, *, idle: float = 30.0) -> None:
        """Resolve manifests until ``stop`` is set, sleeping until woken or a retry is due."""
        while not stop.is_set():
            try:
                self.run_once()
                wait = self.next_due_in()
            except Exception:  # a database hiccup must not end the worker
                log.exception("manifest worker failed; retrying")
                wait = self.retry_base
            self._wake.wait(idle if wait is None else min(idle, max(wait, 0.05)))
            self._wake.clear()
            if stop.is_set():
                return
