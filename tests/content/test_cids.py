"""Our CIDs against published vectors, against Kubo itself, and against the JavaScript importer.

Three independent sources: the well-known CIDs in the IPFS docs and specs, Kubo's
``ipfs add --only-hash`` (the reference), and ipfs-unixfs-importer (the JavaScript IPFS
stack's own importer, from npm). Sizes cover the edges of a chunk (262143-262145), a full
node (174 chunks), the first two-level tree (174 chunks + 1 byte) and random megabytes.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from microtask.content.importer import DiscardBlocks, ImportOptions, import_stream
from microtask.content.kubo_daemon import KuboDaemon
from tests.conftest import REPO_ROOT
from tests.content.conftest import random_bytes

CHUNK = 262_144
SIZES = {
    "empty": 0,
    "one-byte": 1,
    "chunk-minus-one": CHUNK - 1,
    "one-chunk": CHUNK,
    "chunk-plus-one": CHUNK + 1,
    "full-node": 174 * CHUNK,
    "two-level": 174 * CHUNK + 1,
    "random-3MiB": 3 * 2**20 + 7,
    "random-5MB": 5_000_000,
}

# The IPFS documentation's and specs' well-known CIDs (``ipfs add`` of these exact bytes).
PUBLISHED = [
    (b"", "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", 0),
    (b"", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", 1),
    (b"hello world", "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD", 0),
    (b"hello world", "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", 1),
    (b"hello world\n", "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o", 0),
    (b"hello world\n", "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4", 1),
]

MODES = {
    "cidv0": (ImportOptions(cid_version=0), []),
    "cidv1": (ImportOptions(cid_version=1), ["--cid-version", "1"]),
    "cidv0-raw-leaves": (ImportOptions(cid_version=0, raw_leaves=True), ["--raw-leaves"]),
}


def our_cid(path: Path, options: ImportOptions) -> str:
    with path.open("rb") as stream:
        return str(import_stream(stream, DiscardBlocks(), options).cid)


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("samples")
    files = {}
    for name, size in SIZES.items():
        path = directory / f"{name}.bin"
        path.write_bytes(random_bytes(size, seed=size))
        files[name] = path
    return files


@pytest.mark.parametrize(("data", "cid", "version"), PUBLISHED)
def test_published_vectors(data: bytes, cid: str, version: int) -> None:
    options = ImportOptions(cid_version=version)
    assert str(import_stream(io.BytesIO(data), DiscardBlocks(), options).cid) == cid


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", SIZES)
def test_same_cid_as_kubo(
    kubo_daemon: KuboDaemon, sample_files: dict[str, Path], name: str, mode: str
) -> None:
    options, flags = MODES[mode]
    path = sample_files[name]
    kubo = kubo_daemon.run("add", "--quiet", "--only-hash", *flags, str(path)).decode().strip()
    assert our_cid(path, options) == kubo


def test_same_cid_as_kubo_for_a_three_level_tree(kubo_daemon: KuboDaemon, tmp_path: Path) -> None:
    """Small chunks reach depth three without gigabytes: 174 x 174 chunks + 1 byte."""
    path = tmp_path / "deep.bin"
    path.write_bytes(random_bytes(174 * 174 * 1024 + 1, seed=3))
    for options, flags in [
        (ImportOptions(chunk_size=1024), []),
        (ImportOptions(chunk_size=1024, cid_version=1), ["--cid-version", "1"]),
    ]:
        args = ["add", "--quiet", "--only-hash", "--chunker", "size-1024", *flags, str(path)]
        assert our_cid(path, options) == kubo_daemon.run(*args).decode().strip()


@pytest.fixture(scope="module")
def javascript_cids(sample_files: dict[str, Path]) -> dict[str, dict[str, str]]:
    node = shutil.which("node")
    script = REPO_ROOT / "tests" / "content" / "js" / "unixfs_cids.mjs"
    if node is None:
        pytest.skip("needs Node 20+ (scripts/dev.sh checks for it)")
    if not (REPO_ROOT / "node_modules" / "ipfs-unixfs-importer").is_dir():
        pytest.fail("ipfs-unixfs-importer is missing from node_modules: run scripts/dev.sh shell")
    paths = [str(path) for path in sample_files.values()]
    completed = subprocess.run(
        [node, str(script), *paths], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    lines = [json.loads(line) for line in completed.stdout.splitlines()]
    return {line["path"]: line for line in lines}


@pytest.mark.parametrize("version", [0, 1])
@pytest.mark.parametrize("name", SIZES)
def test_same_cid_as_the_javascript_importer(
    javascript_cids: dict[str, dict[str, str]],
    sample_files: dict[str, Path],
    name: str,
    version: int,
) -> None:
    path = sample_files[name]
    expected = javascript_cids[str(path)][f"v{version}"]
    assert our_cid(path, ImportOptions(cid_version=version)) == expected
