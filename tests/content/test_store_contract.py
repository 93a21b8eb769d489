"""The contract every ContentStore keeps, run against the LocalStore and a real Kubo node."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from microtask.content import (
    CarFormatError,
    ContentCorrupted,
    ContentNotFound,
    ContentStore,
    ContentTooLarge,
    LocalStore,
    NotAFile,
    NotPinned,
    parse_cid,
)
from microtask.content.car import encode_header, encode_section
from microtask.content.cid import CODEC_DAG_PB, block_cid
from microtask.content.dagpb import PBLink, encode_node
from microtask.content.importer import DiscardBlocks, ImportOptions, import_stream
from microtask.content.unixfs import DataType, UnixFSData, encode
from tests.content.conftest import BlockPath, random_bytes

SIZES = [0, 1, 262_143, 262_144, 262_145, 1_000_000]


def expected_cid(data: bytes, cid_version: int = 0) -> str:
    options = ImportOptions(cid_version=cid_version)
    return str(import_stream(io.BytesIO(data), DiscardBlocks(), options).cid)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("cid_version", [0, 1])
def test_add_then_cat_round_trips_with_kubos_cid(
    store: ContentStore, size: int, cid_version: int
) -> None:
    data = random_bytes(size, seed=size)
    cid = store.add_bytes(data, cid_version=cid_version)
    assert str(cid) == expected_cid(data, cid_version)
    assert store.cat(cid) == data
    assert store.cat(str(cid)) == data
    assert store.has(cid)


def test_stat_describes_a_file(store: ContentStore) -> None:
    data = random_bytes(600_000)
    cid = store.add_bytes(data)
    stat = store.stat(cid)
    assert (stat.kind, stat.codec, stat.size, stat.links) == ("file", "dag-pb", 600_000, 3)
    assert stat.cumulative_size > 600_000
    raw = store.stat(store.add_bytes(b"tiny", cid_version=1))
    assert (raw.kind, raw.codec, raw.size, raw.cumulative_size) == ("file", "raw", 4, 4)


def test_add_stream_reports_progress_and_add_file_matches(
    store: ContentStore, tmp_path: Path
) -> None:
    data = random_bytes(700_000, seed=7)
    seen: list[int] = []
    cid = store.add_stream(io.BytesIO(data), progress=seen.append)
    assert seen
    assert seen[-1] == len(data)
    assert seen == sorted(seen)
    path = tmp_path / "input.bin"
    path.write_bytes(data)
    assert store.add_file(path) == cid


def test_json_is_stored_canonically(store: ContentStore) -> None:
    value = {"b": [1, 2, {"z": None}], "a": "é"}
    cid = store.add_json(value)
    assert store.cat(cid) == '{"a":"é","b":[1,2,{"z":null}]}'.encode()
    assert store.cat_json(cid) == value
    assert store.add_json({"a": "é", "b": [1, 2, {"z": None}]}) == cid


def test_missing_content_is_not_found(store: ContentStore) -> None:
    absent = parse_cid(expected_cid(b"never added anywhere"))
    assert not store.has(absent)
    with pytest.raises(ContentNotFound):
        store.cat(absent)
    with pytest.raises(ContentNotFound):
        store.stat(absent)


def test_cat_refuses_content_over_the_limit_before_reading(store: ContentStore) -> None:
    cid = store.add_bytes(random_bytes(1000))
    assert len(store.cat(cid, max_bytes=1000)) == 1000
    with pytest.raises(ContentTooLarge, match="1000 bytes"):
        store.cat(cid, max_bytes=999)


def test_pins_unpin_and_gc(store: ContentStore) -> None:
    kept = store.add_bytes(random_bytes(300_000, seed=1))
    dropped = store.add_bytes(random_bytes(300_000, seed=2))
    unpinned = store.add_bytes(random_bytes(10, seed=3), pin=False)
    assert {kept, dropped} <= set(store.pins())
    assert unpinned not in store.pins()
    store.unpin(dropped)
    with pytest.raises(NotPinned):
        store.unpin(dropped)
    result = store.gc()
    assert result.removed_blocks >= 4  # dropped: a root and two leaves; unpinned: one block
    assert not store.has(dropped)
    assert not store.has(unpinned)
    assert store.cat(kept) == random_bytes(300_000, seed=1)
    store.pin(unpinned_again := store.add_bytes(random_bytes(10, seed=3), pin=False))
    assert unpinned_again in store.pins()


def test_pin_needs_the_whole_dag(store: ContentStore) -> None:
    with pytest.raises(ContentNotFound):
        store.pin(expected_cid(b"not here"))


def test_car_export_then_import_into_a_fresh_store(store: ContentStore, tmp_path: Path) -> None:
    data = random_bytes(900_000, seed=9)
    cid = store.add_bytes(data)
    car = io.BytesIO()
    written = store.export_car(cid, car)
    assert written == len(car.getvalue())
    fresh = LocalStore(tmp_path / "fresh")
    imported = fresh.import_car(io.BytesIO(car.getvalue()))
    assert imported.roots == (cid,)
    assert imported.blocks == 5  # a root over four leaves
    assert fresh.cat(cid) == data
    assert cid in fresh.pins()
    # and back again, after the original forgot it
    store.unpin(cid)
    store.gc()
    assert not store.has(cid)
    again = store.import_car(io.BytesIO(car.getvalue()))
    assert again.roots == (cid,)
    assert store.cat(cid) == data


def test_a_tampered_car_is_refused(store: ContentStore) -> None:
    data = b"the real bytes, not these"
    cid = parse_cid(expected_cid(data))
    block = io.BytesIO()
    import_stream(io.BytesIO(data), _Capture(block), ImportOptions())
    forged = block.getvalue().replace(b"real", b"fake")
    car = encode_header([cid]) + encode_section(cid, forged) + forged
    with pytest.raises(CarFormatError):
        store.import_car(io.BytesIO(car))
    assert not store.has(cid)


class _Capture:
    def __init__(self, sink: io.BytesIO) -> None:
        self.sink = sink

    def put(self, cid: object, *parts: bytes | memoryview) -> None:
        for part in parts:
            self.sink.write(part)


@pytest.mark.parametrize("damage", ["tamper", "truncate"])
def test_a_damaged_block_is_detected_never_served(
    store: ContentStore, block_path: BlockPath, damage: str
) -> None:
    data = random_bytes(600_000, seed=11)
    cid = store.add_bytes(data)
    leaf = parse_cid(expected_cid(data[262_144:524_288]))  # the second leaf, as a file of its own
    path = block_path(store, leaf)
    original = path.read_bytes()
    path.chmod(0o644)
    if damage == "tamper":
        damaged = bytearray(original)
        damaged[100] ^= 0xFF
        path.write_bytes(bytes(damaged))
    else:
        path.write_bytes(original[: len(original) // 2])
    chunks = store.iter_cat(cid)
    assert next(chunks) == data[:262_144]  # the intact first leaf is served
    with pytest.raises(ContentCorrupted, match=str(leaf)):
        next(chunks)
    with pytest.raises(ContentCorrupted):
        store.cat(cid)
    with pytest.raises(ContentCorrupted):
        store.export_car(cid, io.BytesIO())


def test_a_directory_is_not_a_file(store: ContentStore) -> None:
    child = parse_cid(expected_cid(b"inside"))
    child_block = io.BytesIO()
    import_stream(io.BytesIO(b"inside"), _Capture(child_block), ImportOptions())
    directory = encode_node(
        [PBLink(child, "inside.txt", len(child_block.getvalue()))],
        encode(UnixFSData(DataType.DIRECTORY)),
    )
    root = block_cid(directory, CODEC_DAG_PB, 0)
    car = (
        encode_header([root])
        + encode_section(root, directory)
        + directory
        + encode_section(child, child_block.getvalue())
        + child_block.getvalue()
    )
    store.import_car(io.BytesIO(car))
    assert store.stat(root).kind == "directory"
    assert store.cat(child) == b"inside"
    with pytest.raises(NotAFile):
        store.cat(root)


def test_cat_json_of_non_json_is_a_clear_error(store: ContentStore) -> None:
    cid = store.add_bytes(b"\xff not json")
    with pytest.raises(Exception, match="is not JSON"):
        store.cat_json(cid)
    assert json.loads(store.cat(store.add_json([1]))) == [1]
