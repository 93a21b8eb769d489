"""What only the embedded store promises: streaming adds, crash safety, locking, repair."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import io
import os
import random
import subprocess
import sys
import textwrap
import threading
import tracemalloc
from pathlib import Path

import pytest

from microtask.content import ContentCorrupted, ContentTooLarge, LocalStore
from microtask.content.importer import DiscardBlocks, import_stream
from tests.conftest import REPO_ROOT
from tests.content.conftest import random_bytes


class GeneratedStream(io.RawIOBase):
    """``size`` pseudo-random bytes produced on demand, never held whole in memory."""

    def __init__(self, size: int, seed: int = 0, on_read: object = None) -> None:
        self._left = size
        self._random = random.Random(seed)
        self._on_read = on_read
        self.reads = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = min(len(buffer), self._left)
        buffer[:count] = self._random.randbytes(count)
        self._left -= count
        self.reads += 1
        if callable(self._on_read):
            self._on_read(self)
        return count


def _stored_blocks_are_whole(store: LocalStore) -> int:
    """Check every stored block against the multihash it is named by; return the count."""
    count = 0
    for key in store.blocks.iter_keys():
        multihash = base64.b32decode(key + "=" * (-len(key) % 8))
        assert multihash[:2] == b"\x12\x20"
        path = store.blocks.root / key[-3:-1] / f"{key}.data"
        assert hashlib.sha256(path.read_bytes()).digest() == multihash[2:], key
        count += 1
    return count


def test_a_large_add_streams_in_bounded_memory(local_store: LocalStore) -> None:
    size = 96 * 2**20
    expected = import_stream(GeneratedStream(size, seed=1), DiscardBlocks()).cid
    tracemalloc.start()
    try:
        cid = local_store.add_stream(GeneratedStream(size, seed=1))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert cid == expected
    assert peak < 12 * 2**20, f"peak {peak / 2**20:.1f} MiB while adding {size / 2**20:.0f} MiB"
    assert local_store.stat(cid).size == size


def test_a_failed_add_leaves_only_whole_blocks_and_no_pin(local_store: LocalStore) -> None:
    def fail_after_three_chunks(stream: GeneratedStream) -> None:
        if stream.reads == 4:
            raise OSError("the disk went away")

    with pytest.raises(OSError, match="went away"):
        local_store.add_stream(GeneratedStream(10 * 2**20, on_read=fail_after_three_chunks))
    assert local_store.pins() == []
    stored = _stored_blocks_are_whole(local_store)  # writes still queued were dropped
    assert stored <= 3
    assert not list(local_store.blocks.root.glob("*/.tmp-*"))
    assert local_store.gc().removed_blocks == stored


def test_a_killed_add_leaves_no_corrupt_block(tmp_path: Path) -> None:
    """The process dies mid-add (os._exit, as a kill -9 would): every named block is whole."""
    root = tmp_path / "content"
    child = textwrap.dedent(
        f"""
        import os, random, sys
        from pathlib import Path
        from microtask.content import LocalStore

        class Dying:
            def __init__(self):
                self.rng, self.reads = random.Random(5), 0
            def readinto(self, buffer):
                self.reads += 1
                if self.reads == 40:
                    os._exit(9)
                buffer[:] = self.rng.randbytes(len(buffer))
                return len(buffer)

        LocalStore(Path({str(root)!r})).add_stream(Dying())
        """
    )
    completed = subprocess.run([sys.executable, "-c", child], cwd=REPO_ROOT, check=False)
    assert completed.returncode == 9
    store = LocalStore(root)
    assert 1 <= _stored_blocks_are_whole(store) <= 39  # however many finished, all whole
    assert store.pins() == []
    store.gc()
    assert list(store.blocks.iter_keys()) == []
    assert not list(root.glob("blocks/*/.tmp-*"))


def test_gc_waits_for_adds_in_progress(local_store: LocalStore) -> None:
    attempts: list[str] = []

    def try_exclusive_lock(stream: GeneratedStream) -> None:
        if stream.reads == 2:
            with (local_store.root / "lock").open("a") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    attempts.append("refused")
                else:
                    attempts.append("granted")

    cid = local_store.add_stream(GeneratedStream(2 * 2**20, on_read=try_exclusive_lock))
    assert attempts == ["refused"]
    local_store.gc()
    assert local_store.stat(cid).size == 2 * 2**20


def test_adding_again_repairs_a_truncated_block(local_store: LocalStore) -> None:
    data = random_bytes(600_000, seed=4)
    cid = local_store.add_bytes(data)
    leaf = local_store.add_bytes(data[:262_144], pin=False)
    path = local_store.blocks.path_of(leaf)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(Exception, match="tampered with or truncated"):
        local_store.cat(cid)
    assert local_store.add_bytes(data) == cid
    assert local_store.cat(cid) == data


def test_without_fsync_the_cids_and_bytes_are_the_same(tmp_path: Path) -> None:
    data = random_bytes(700_000, seed=6)
    durable = LocalStore(tmp_path / "durable")
    fast = LocalStore(tmp_path / "fast", fsync=False)
    assert durable.add_bytes(data) == fast.add_bytes(data)
    assert fast.cat(fast.pins()[0]) == data


def test_identical_chunks_are_stored_once(local_store: LocalStore) -> None:
    cid = local_store.add_bytes(bytes(10 * 262_144))
    assert len(list(local_store.blocks.iter_keys())) == 2  # one zero leaf, one root
    assert local_store.cat(cid) == bytes(10 * 262_144)


def test_pins_survive_a_new_store_object(local_store: LocalStore) -> None:
    cid = local_store.add_bytes(b"kept", cid_version=1)
    reopened = LocalStore(local_store.root)
    assert reopened.pins() == [cid]
    assert reopened.gc().removed_blocks == 0
    assert reopened.describe() == f"local store at {local_store.root}"


@pytest.mark.parametrize("size", [1_421, 262_144, 600_000])
def test_an_add_is_durable_when_it_returns(
    local_store: LocalStore, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    """Every block, the directories its renames went into, then the pin and the pins'
    directory are flushed to disk before the add returns (small adds write in the
    caller's thread, large ones through the writer pool: both keep this order)."""
    flushed: list[Path] = []
    real_fsync = os.fsync

    def recording_fsync(descriptor: int) -> None:
        flushed.append(Path(f"/proc/self/fd/{descriptor}").readlink())
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    data = random_bytes(size, seed=size)
    cid = local_store.add_bytes(data)
    monkeypatch.setattr(os, "fsync", real_fsync)

    blocks = local_store.blocks.root
    pins = local_store.root / "pins"
    block_files = [p for p in flushed if p.parent.parent == blocks]
    assert len(block_files) == len(list(local_store.blocks.iter_keys()))
    shards = {p.parent for p in block_files}
    assert shards <= set(flushed)  # each shard directory the blocks were renamed into
    pin_file = next(i for i, p in enumerate(flushed) if p.parent == pins)
    assert all(flushed.index(p) < pin_file for p in [*block_files, *shards])
    assert flushed[-1] == pins  # the pin's rename itself
    assert local_store.pins() == [cid]
    assert local_store.cat(cid) == data


@pytest.mark.parametrize("cid_version", [0, 1])
def test_a_pin_is_named_by_its_cidv1_and_holds_the_cid_as_added(
    local_store: LocalStore, cid_version: int
) -> None:
    cid = local_store.add_bytes(b'{"type": "microtask/review"}', cid_version=cid_version)
    (pin,) = (local_store.root / "pins").iterdir()
    assert pin.name == str(cid.set(version=1, base="base32"))
    assert pin.read_text(encoding="utf-8") == str(cid)
    assert str(cid).startswith("Qm" if cid_version == 0 else "baf")


def test_an_add_waits_for_a_flush_of_its_directories_running_in_another_thread(
    local_store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adds in two threads share the directories to flush: B's flush takes the shard
    directory A's block was renamed into; A's own flush must not return (and A must not
    record its pin) before B's fsync of that directory is done."""
    blocks = local_store.blocks
    real_fsync = os.fsync
    b_fsyncing, release = threading.Event(), threading.Event()
    order: list[str] = []

    def slow_directory_fsync(descriptor: int) -> None:
        if Path(f"/proc/self/fd/{descriptor}").readlink().parent == blocks.root:
            b_fsyncing.set()
            release.wait()
            order.append("B's fsync of the directory done")
        real_fsync(descriptor)

    from microtask.content.cid import block_cid

    data = b"A's block"
    blocks.put(block_cid(data, 0x55, 1), data)  # A wrote its block; its directory is dirty
    monkeypatch.setattr(os, "fsync", slow_directory_fsync)
    flush_b = threading.Thread(target=blocks.flush)
    flush_b.start()
    b_fsyncing.wait()
    flush_a = threading.Thread(target=lambda: (blocks.flush(), order.append("A flushed")))
    flush_a.start()
    flush_a.join(0.5)  # a flush that does not wait returns at once (nothing left to take)
    release.set()
    flush_a.join()
    flush_b.join()
    assert order == ["B's fsync of the directory done", "A flushed"]


@pytest.mark.parametrize("size", [0, 900, 600_000])
def test_a_bounded_cat_reads_and_checks_each_block_once(
    local_store: LocalStore, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    """Asking for a size limit (what the verifier does with every envelope) costs no second
    read of the root block: it both declares the size and, for a one-block file, holds it."""
    data = random_bytes(size, seed=size)
    cid = local_store.add_bytes(data)
    reads: list[str] = []
    real_get = local_store.blocks.get

    def counted(block: object) -> bytes:
        reads.append(str(block))
        return real_get(block)  # type: ignore[arg-type]

    monkeypatch.setattr(local_store.blocks, "get", counted)
    assert local_store.cat(cid, max_bytes=size) == data
    assert sorted(reads) == sorted(set(reads))
    assert reads[0] == str(cid)
    reads.clear()
    if size:
        with pytest.raises(ContentTooLarge, match=f"{size} bytes"):
            local_store.cat(cid, max_bytes=size - 1)
        assert reads == [str(cid)]  # refused from the root alone


def test_a_bounded_cat_still_refuses_a_tampered_root(local_store: LocalStore) -> None:
    cid = local_store.add_bytes(b'{"an": "envelope"}')
    path = local_store.blocks.path_of(cid)
    path.write_bytes(path.read_bytes().replace(b"envelope", b"envelopf"))
    with pytest.raises(ContentCorrupted):
        local_store.cat(cid, max_bytes=1000)
