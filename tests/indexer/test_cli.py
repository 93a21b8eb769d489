"""`microtask index` as a user runs it: follows until Ctrl-C, one readable line on failure."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT
from tests.indexer.scenarios import simple_tasks
from tests.indexer.test_kill import _environment
from tests.world import NETWORK, IndexedWorld


def test_follows_until_interrupted(anvil_world: IndexedWorld, tmp_path: Path) -> None:
    simple_tasks(anvil_world, 1)
    environment = _environment(anvil_world, f"sqlite:///{tmp_path / 'index.sqlite'}", tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "microtask", "index", "--network", NETWORK],
        cwd=REPO_ROOT, env=environment, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:
        if "caught up at block" in line:
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert f"stopped at block {anvil_world.w3.eth.block_number}" in out
    assert "database: sqlite:///" in err


def test_failures_are_one_line(anvil_world: IndexedWorld, tmp_path: Path) -> None:
    environment = _environment(anvil_world, "postgresql://nobody@127.0.0.1:9/none", tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "microtask", "index", "--network", NETWORK, "--once"],
        cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 3
    assert run.stderr.count("\n") == 1
    assert "cannot open postgresql+psycopg://nobody@127.0.0.1:9/none" in run.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "microtask", "index", "--network", "elsewhere", "--once"],
        cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert missing.returncode == 1
    assert "unknown network 'elsewhere'" in missing.stderr
