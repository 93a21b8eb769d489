"""Content fixtures: both stores, and a real Kubo daemon per test worker.

The daemon (``kubo_daemon`` in tests/conftest.py) is the pinned Kubo release that
scripts/kubo.sh builds (or MICROTASK_KUBO_BIN, or an ipfs on PATH), in a repo of its own
under the session's temporary directory, offline and on 127.0.0.1 ports it picks itself.
Where no Kubo binary exists the tests that need it skip, saying how to get one; `make test`
builds it first wherever Go is installed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from microtask.content.cid import CID, block_key
from microtask.content.kubo import KuboStore
from microtask.content.kubo_daemon import KuboDaemon
from microtask.content.local import LocalStore
from microtask.content.store import ContentStore

BlockPath = Callable[[ContentStore, CID], Path]


def random_bytes(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.fixture
def kubo_store(kubo_daemon: KuboDaemon) -> Iterator[KuboStore]:
    with KuboStore(kubo_daemon.api_url, timeout=60, offline=True) as store:
        yield store


@pytest.fixture
def local_store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "content")


@pytest.fixture(params=["local", "kubo"])
def store(request: pytest.FixtureRequest) -> ContentStore:
    """Each test using this runs against both stores: the shared contract."""
    fixture = "local_store" if request.param == "local" else "kubo_store"
    content_store: ContentStore = request.getfixturevalue(fixture)
    return content_store


@pytest.fixture
def block_path(request: pytest.FixtureRequest) -> BlockPath:
    """Where a store keeps a block on disk, for tests that damage it behind its back."""

    def locate(content_store: ContentStore, cid: CID) -> Path:
        if isinstance(content_store, LocalStore):
            return content_store.blocks.path_of(cid)
        daemon: KuboDaemon = request.getfixturevalue("kubo_daemon")
        key = block_key(cid)  # Kubo's flatfs: base32 multihash, next-to-last/2 shards
        return daemon.repo / "blocks" / key[-3:-1] / f"{key}.data"

    return locate
