"""Manifests: fetched off the ingest path, validated, marked, retried with backoff."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from microtask.content import LocalStore
from microtask.db.base import ManifestStatus
from microtask.db.models import table
from microtask.indexer import ManifestWorker
from tests.database_fixtures import DatabaseFactory
from tests.manifests.conftest import manifest_data
from tests.world import IndexedWorld


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _status(engine: object, cid: str) -> dict[str, object]:
    manifests = table("manifests")
    with engine.connect() as db:  # type: ignore[attr-defined]
        return dict(db.execute(select(manifests).where(manifests.c.cid == cid)).mappings().one())


def test_unreachable_is_retried_and_invalid_is_marked(
    embedded_world: IndexedWorld, database: DatabaseFactory, tmp_path: Path
) -> None:
    world = embedded_world
    store = LocalStore(tmp_path / "content")
    elsewhere = LocalStore(tmp_path / "elsewhere")
    good = json.dumps(manifest_data()).encode()
    good_cid = elsewhere.add_bytes(good)  # its CID, while our store does not have it yet
    bad_cid = store.add_bytes(b'{"type": "microtask/task-manifest", "title": ""}')
    missing = world.create(manifest_cid=bytes(good_cid))
    broken = world.create(manifest_cid=bytes(bad_cid))
    not_a_cid = world.create(manifest_cid=b"\x01\x02\x03")

    indexer = world.indexer(database())
    clock = FakeClock()
    worker = ManifestWorker(indexer.engine, store, world.settings, clock=clock)
    indexer.on_commit.append(worker.wake)
    indexer.sync()  # ingestion only records the CIDs: nothing is fetched yet
    assert _status(indexer.engine, str(good_cid))["status"] == ManifestStatus.PENDING

    assert worker.run_once() == 2  # the non-CID was marked invalid at ingestion
    unreachable = _status(indexer.engine, str(good_cid))
    assert unreachable["status"] == ManifestStatus.UNREACHABLE
    assert unreachable["attempts"] == 1
    base = world.settings.manifest_retry_base
    assert unreachable["next_attempt_at"] == clock.now + base
    invalid = _status(indexer.engine, str(bad_cid))
    assert invalid["status"] == ManifestStatus.INVALID
    assert "title" in str(invalid["error"])

    assert worker.run_once() == 0  # not due yet
    clock.now += base
    assert worker.run_once() == 1  # due: fails again, and waits twice as long
    again = _status(indexer.engine, str(good_cid))
    assert again["attempts"] == 2
    assert again["next_attempt_at"] == clock.now + 2 * base
    assert worker.next_due_in() == 2 * base

    store.add_bytes(good)  # the requester uploads it after all
    clock.now += 2 * base
    assert worker.run_once() == 1
    ok = _status(indexer.engine, str(good_cid))
    assert ok["status"] == ManifestStatus.OK
    assert ok["title"] == "Cat or dog?"
    assert ok["kind"] == "classification"
    assert ok["language"] == "en"
    assert ok["item_count"] == 2
    assert ok["tags"] == ["images", "animals"]
    assert ok["error"] is None

    tasks, tags, manifests = table("tasks"), table("manifest_tags"), table("manifests")
    with indexer.engine.connect() as db:
        marked = dict(
            db.execute(
                select(tasks.c.task_id, manifests.c.status).join(
                    manifests, manifests.c.cid == tasks.c.manifest_cid
                )
            ).all()
        )
        tagged = set(db.execute(select(tags.c.tag).where(tags.c.cid == str(good_cid))).scalars())
    assert marked == {
        missing: ManifestStatus.OK,
        broken: ManifestStatus.INVALID,
        not_a_cid: ManifestStatus.INVALID,
    }
    assert tagged == {"images", "animals"}
    store.close()
    elsewhere.close()
