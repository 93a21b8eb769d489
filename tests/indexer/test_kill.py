"""``kill -9`` at any moment, then a restart, gives exactly what a fresh full index gives.

A real ``python -m microtask index`` process indexes one block per batch (so there are many
batches to land in) and is killed with SIGKILL right after it logs that it is writing a
batch (inside the transaction), after it logs a commit, and at a random line; each restart
resumes from its checkpoint. The last run catches up with ``--once``; the whole database is
then compared with an index made in one go.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT
from tests.database_fixtures import DatabaseFactory
from tests.indexer.compare import assert_matches_contract, assert_same_index
from tests.indexer.scenarios import simple_tasks
from tests.world import NETWORK, IndexedWorld


def _environment(world: IndexedWorld, url: str, tmp_path: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MICROTASK_")}
    rpc_url = world.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    environment |= {
        "MICROTASK_CONFIG": str(tmp_path / "absent.toml"),
        "MICROTASK_DATA_DIR": str(tmp_path / "data"),
        "MICROTASK_DEPLOYMENTS_DIR": str(world.settings.deployments_dir),
        "MICROTASK_NETWORKS": f'{{"{NETWORK}": {{"kind": "rpc", "rpc_url": "{rpc_url}"}}}}',
        "MICROTASK_DATABASE_URL": url,
        "MICROTASK_CONTENT_STORE": "local",
        "MICROTASK_LOG_RANGE_INITIAL": "1",
        "MICROTASK_LOG_RANGE_MAX": "1",
    }
    return environment


def _kill_at(environment: dict[str, str], marker: str, occurrence: int) -> list[str]:
    """Run the indexer and SIGKILL it at the ``occurrence``-th log line containing ``marker``."""
    process = subprocess.Popen(
        [sys.executable, "-m", "microtask", "index", "--network", NETWORK, "--verbose"],
        cwd=REPO_ROOT, env=environment, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stderr is not None
    seen, lines = 0, []
    for line in process.stderr:
        lines.append(line)
        if marker in line:
            seen += 1
            if seen == occurrence:
                process.send_signal(signal.SIGKILL)
                break
    process.wait(30)
    assert process.returncode == -signal.SIGKILL, "".join(lines[-20:])
    return lines


def test_kill_9_then_restart_equals_a_fresh_index(
    anvil_world: IndexedWorld, database: DatabaseFactory, tmp_path: Path
) -> None:
    world = anvil_world
    simple_tasks(world, 4)
    url = database()
    environment = _environment(world, url, tmp_path)
    chooser = random.Random(os.getpid())
    kills = [
        ("writing blocks", 3),  # inside a batch's transaction
        ("committed blocks", chooser.randint(1, 4)),  # just after a commit
        ("blocks", chooser.randint(1, 6)),  # anywhere around a batch
    ]
    for marker, occurrence in kills:
        _kill_at(environment, marker, occurrence)
    finished = subprocess.run(
        [sys.executable, "-m", "microtask", "index", "--network", NETWORK, "--once"],
        cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr
    restarted = world.engine(url)
    fresh = world.indexer(database())
    fresh.sync()
    assert_same_index(restarted, fresh.engine)
    assert_matches_contract(world, restarted)
