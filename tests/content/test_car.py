"""CAR v1 files: byte-identical to Kubo's ``dag export``, and readable both ways."""

from __future__ import annotations

import io
import json
from pathlib import Path

import dag_cbor
import pytest

from microtask.content import CarFormatError, ContentNotFound, LocalStore, parse_cid
from microtask.content.car import CarReader, encode_header, encode_section
from microtask.content.kubo_daemon import KuboDaemon
from microtask.content.varint import encode_varint
from tests.content.conftest import random_bytes


@pytest.mark.parametrize("cid_version", [0, 1])
@pytest.mark.parametrize("size", [0, 5, 1_000_000])
def test_kubos_export_imports_here_and_ours_is_byte_identical(
    kubo_daemon: KuboDaemon, local_store: LocalStore, tmp_path: Path, size: int, cid_version: int
) -> None:
    data = random_bytes(size, seed=size + cid_version)
    source = tmp_path / "data.bin"
    source.write_bytes(data)
    cid = kubo_daemon.run("add", "-Q", f"--cid-version={cid_version}", str(source)).decode().strip()
    kubos_car = kubo_daemon.run("dag", "export", cid)

    imported = local_store.import_car(io.BytesIO(kubos_car))
    assert [str(root) for root in imported.roots] == [cid]
    assert local_store.cat(cid) == data

    ours = io.BytesIO()
    local_store.export_car(cid, ours)
    assert ours.getvalue() == kubos_car


def test_ours_imports_into_kubo(
    kubo_daemon: KuboDaemon, local_store: LocalStore, tmp_path: Path
) -> None:
    data = random_bytes(700_000, seed=42)
    cid = local_store.add_bytes(data)
    car = tmp_path / "ours.car"
    with car.open("wb") as stream:
        local_store.export_car(cid, stream)
    answer = json.loads(kubo_daemon.run("dag", "import", "--enc=json", str(car)).splitlines()[0])
    assert answer["Root"]["Cid"]["/"] == str(cid)
    assert answer["Root"]["PinErrorMsg"] == ""
    assert kubo_daemon.run("cat", str(cid)) == data
    assert str(cid) in kubo_daemon.run("pin", "ls", "--type=recursive", str(cid)).decode()


def test_a_dag_cbor_root_is_followed(
    kubo_daemon: KuboDaemon, local_store: LocalStore, tmp_path: Path
) -> None:
    """A manifest-like DAG-CBOR object linking to a file travels with everything under it."""
    source = tmp_path / "item.bin"
    source.write_bytes(random_bytes(300_000, seed=5))
    file_cid = kubo_daemon.run("add", "-Q", str(source)).decode().strip()
    document = json.dumps({"title": "labels", "items": {"/": file_cid}}).encode()
    root = kubo_daemon.run("dag", "put", "--pin", input=document).decode().strip()
    kubos_car = kubo_daemon.run("dag", "export", root)

    local_store.import_car(io.BytesIO(kubos_car))
    assert local_store.stat(root).codec == "dag-cbor"
    assert local_store.cat(file_cid) == source.read_bytes()
    ours = io.BytesIO()
    local_store.export_car(root, ours)
    assert ours.getvalue() == kubos_car


def _small_car(local_store: LocalStore) -> bytes:
    cid = local_store.add_bytes(random_bytes(600_000, seed=8))
    car = io.BytesIO()
    local_store.export_car(cid, car)
    return car.getvalue()


def test_a_truncated_car_is_refused_and_nothing_pinned(
    local_store: LocalStore, tmp_path: Path
) -> None:
    car = _small_car(local_store)
    fresh = LocalStore(tmp_path / "fresh")
    with pytest.raises(CarFormatError, match="truncated"):
        fresh.import_car(io.BytesIO(car[:-1000]))
    assert fresh.pins() == []


def test_a_car_missing_blocks_imports_but_does_not_pin(
    local_store: LocalStore, tmp_path: Path
) -> None:
    car = _small_car(local_store)
    reader = CarReader(io.BytesIO(car))
    blocks = list(reader)
    partial = encode_header(reader.roots) + b"".join(
        encode_section(cid, block) + block for cid, block in blocks[:-1]
    )
    fresh = LocalStore(tmp_path / "fresh")
    with pytest.raises(ContentNotFound, match=str(blocks[-1][0])):
        fresh.import_car(io.BytesIO(partial))
    assert fresh.pins() == []
    assert fresh.import_car(io.BytesIO(partial), pin_roots=False).blocks == len(blocks) - 1


def _framed(header: bytes) -> bytes:
    return encode_varint(len(header)) + header


@pytest.mark.parametrize(
    ("car", "problem"),
    [
        (b"", "empty file"),
        (b"\x05hello", "not DAG-CBOR"),
        (b"\x0a\xa1\x67version\x02" + bytes(40), "CAR v2"),
        (b"\x01\x01", "not a map"),
        (b"\x0a\xa1\x67version\x07", "version 7"),
        (_framed(dag_cbor.encode({"version": 1, "roots": ["x"]})), "list of CIDs"),
        (
            encode_header([parse_cid("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH")])
            + b"\x05\x99\x99\x99\x99\x99",
            "invalid CID",
        ),
    ],
)
def test_malformed_cars_say_what_is_wrong(car: bytes, problem: str) -> None:
    with pytest.raises(CarFormatError, match=problem):
        list(CarReader(io.BytesIO(car)))
