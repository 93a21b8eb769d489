"""`microtask api`: serves until Ctrl-C; a taken port is one readable line, exit code 1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from microtask.cli.app import run
from microtask.cli.exit_codes import ExitCode
from tests.conftest import REPO_ROOT


def test_port_in_use_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MICROTASK_DATA_DIR", str(tmp_path / "data"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = run(["api", "--port", str(port)])
    assert code == ExitCode.USER_ERROR
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: 127.0.0.1:{port} is already in use; stop what listens there or "
                   "pick another port with --port (or MICROTASK_API_PORT)"]  # fmt: skip


def test_unknown_network_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MICROTASK_DATA_DIR", str(tmp_path / "data"))
    assert run(["api", "--network", "nowhere"]) == ExitCode.USER_ERROR
    assert "unknown network 'nowhere'" in capsys.readouterr().err


def test_serves_until_interrupted(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROTASK_")}
    env.update(
        MICROTASK_DATA_DIR=str(tmp_path / "data"),
        MICROTASK_CONFIG=str(tmp_path / "absent.toml"),
        MICROTASK_CONTENT_STORE="local",
        COLUMNS="200",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "microtask", "api", "--port", "0"],
        env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "API at http://127.0.0.1:" in line, line
        url = line.split("API at ", 1)[1].split(" ", 1)[0]
        health = httpx.get(f"{url}/health", timeout=10).json()
        assert health["status"] == "starting"
        assert (tmp_path / "data" / "index-local.sqlite").is_file()
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=30)
        assert process.returncode == 0
        assert "API stopped" in out
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
