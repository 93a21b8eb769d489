"""`microtask up` picks its content store: a configured Kubo node, or it refuses to start."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from microtask.content.kubo_daemon import KuboDaemon
from tests.conftest import REPO_ROOT, SHARED_CACHE
from tests.content.test_kubo import closed_port
from tests.integration.test_up import READY, UpProcess


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("MICROTASK_")}
    values.update(
        MICROTASK_DATA_DIR=str(tmp_path / "data"),
        MICROTASK_DEPLOYMENTS_DIR=str(tmp_path / "deployments"),
        MICROTASK_CONFIG=str(tmp_path / "absent.toml"),
        MICROTASK_CACHE_DIR=str(SHARED_CACHE),
        IPFS_PATH=str(tmp_path / "no-ipfs"),  # no daemon of the developer's is discovered
        COLUMNS="200",
    )
    return values


def test_up_uses_the_configured_kubo_node(env: dict[str, str], kubo_daemon: KuboDaemon) -> None:
    env["MICROTASK_IPFS_API"] = kubo_daemon.api_url
    up = UpProcess(env)
    try:
        lines = up.wait_for(READY)
        row = next(line for line in lines if "content store" in line)
        assert re.search(rf"content store\s+Kubo \S+ at {re.escape(kubo_daemon.api_url)}", row)
        assert up.interrupt() == 0
    finally:
        up.kill()


def test_up_refuses_an_unreachable_kubo_before_starting_anything(env: dict[str, str]) -> None:
    env["MICROTASK_IPFS_API"] = f"http://127.0.0.1:{closed_port()}"
    completed = subprocess.run(
        [sys.executable, "-m", "microtask", "up", "--port", "0", "--api-port", "0"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 3
    errors = [line for line in completed.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "cannot reach the Kubo node" in errors[0]
    assert "Traceback" not in completed.stderr
    assert "starting anvil" not in completed.stderr
