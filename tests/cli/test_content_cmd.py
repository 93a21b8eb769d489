"""`microtask content`: the commands as a user types them, against both stores."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from microtask.cli.app import run
from microtask.cli.exit_codes import ExitCode
from microtask.content.kubo_daemon import KuboDaemon
from tests.conftest import REPO_ROOT
from tests.content.conftest import random_bytes
from tests.content.test_kubo import closed_port

HELLO = b"hello world\n"
HELLO_V0 = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
HELLO_V1 = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"


@pytest.fixture
def local_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory of its own, with the local store."""
    monkeypatch.setenv("MICROTASK_PROJECT_ROOT", str(REPO_ROOT))
    monkeypatch.setenv("MICROTASK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MICROTASK_CONTENT_STORE", "local")
    return tmp_path


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def add(path: Path, *flags: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert run(["content", "add", str(path), *flags]) == ExitCode.OK
    return capsys.readouterr().out.strip()


def test_add_prints_kubos_cid(local_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = local_env / "hello.txt"
    source.write_bytes(HELLO)
    assert add(source, capsys=capsys) == HELLO_V0
    assert add(source, "--cid-version", "1", capsys=capsys) == HELLO_V1


def test_add_reads_standard_input(
    local_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(HELLO)))
    assert run(["content", "add", "-"]) == ExitCode.OK
    assert capsys.readouterr().out.strip() == HELLO_V0


def test_cat_and_stat(local_env: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    data = random_bytes(700_000, seed=3)
    source = local_env / "data.bin"
    source.write_bytes(data)
    assert run(["content", "add", str(source)]) == ExitCode.OK
    cid = capsysbinary.readouterr().out.decode().strip()
    assert run(["content", "cat", cid]) == ExitCode.OK
    assert capsysbinary.readouterr().out == data
    assert run(["content", "cat", cid, "-o", str(local_env / "copy.bin")]) == ExitCode.OK
    assert (local_env / "copy.bin").read_bytes() == data
    assert run(["content", "stat", cid]) == ExitCode.OK
    assert b"700,000 bytes" in capsysbinary.readouterr().out


def test_only_hash_stores_nothing(local_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = local_env / "hello.txt"
    source.write_bytes(HELLO)
    assert add(source, "--only-hash", capsys=capsys) == HELLO_V0
    assert run(["content", "cat", HELLO_V0]) == ExitCode.USER_ERROR
    assert "not in the local store" in one_error_line(capsys.readouterr().err)


def test_export_then_import_into_another_data_dir(
    local_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = local_env / "data.bin"
    source.write_bytes(random_bytes(300_000, seed=5))
    cid = add(source, capsys=capsys)
    car = local_env / "data.car"
    assert run(["content", "export", cid, "--car", str(car)]) == ExitCode.OK
    assert f"exported {cid}" in capsys.readouterr().out
    monkeypatch.setenv("MICROTASK_DATA_DIR", str(local_env / "elsewhere"))
    assert run(["content", "import", str(car)]) == ExitCode.OK
    assert f"imported 3 blocks: {cid} (pinned)" in capsys.readouterr().out
    assert run(["content", "pins"]) == ExitCode.OK
    assert capsys.readouterr().out.split() == [cid]
    assert run(["content", "unpin", cid]) == ExitCode.OK
    assert run(["content", "gc"]) == ExitCode.OK
    assert "removed 3 blocks from local store" in capsys.readouterr().out


def test_the_kubo_store_through_the_cli(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    kubo_daemon: KuboDaemon,
) -> None:
    monkeypatch.setenv("MICROTASK_IPFS_API", kubo_daemon.api_url)
    source = tmp_path / "data.bin"
    source.write_bytes(random_bytes(400_000, seed=6))
    cid = add(source, capsys=capsys)
    assert kubo_daemon.run("cat", cid) == source.read_bytes()
    assert run(["content", "stat", cid]) == ExitCode.OK
    assert "400,000 bytes" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["content", "add", "/no/such/file"], ExitCode.USER_ERROR, "no such file: /no/such/file"),
        (["content", "cat", "not-a-cid"], ExitCode.USER_ERROR, "'not-a-cid' is not a valid CID"),
        (["content", "unpin", HELLO_V0], ExitCode.USER_ERROR, f"{HELLO_V0} is not pinned"),
        (["content", "import", "/no/such.car"], ExitCode.USER_ERROR, "no such file"),
    ],
)
def test_mistakes_are_one_line(
    local_env: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    code: ExitCode,
    message: str,
) -> None:
    assert run(args) == code
    assert message in one_error_line(capsys.readouterr().err)


def test_a_damaged_block_is_an_environment_error(
    local_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = local_env / "hello.txt"
    source.write_bytes(HELLO)
    cid = add(source, capsys=capsys)
    (block,) = (local_env / "data" / "content" / "blocks").glob("*/*.data")
    block.chmod(0o644)
    block.write_bytes(block.read_bytes().replace(b"hello", b"HELLO"))
    assert run(["content", "cat", cid]) == ExitCode.ENVIRONMENT
    assert "tampered with or truncated" in one_error_line(capsys.readouterr().err)


def test_an_unreachable_kubo_is_an_environment_error(
    local_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MICROTASK_CONTENT_STORE", "auto")
    monkeypatch.setenv("MICROTASK_IPFS_API", f"http://127.0.0.1:{closed_port()}")
    assert run(["content", "pins"]) == ExitCode.ENVIRONMENT
    assert "cannot reach the Kubo node" in one_error_line(capsys.readouterr().err)
