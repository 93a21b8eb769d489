"""`microtask up` as a user runs it: a real process, Ctrl-C, and a restart that continues."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from microtask.chain.networks import connect_url
from tests.conftest import REPO_ROOT, SHARED_CACHE

READY = "microtask is up"
STARTUP_TIMEOUT = 120


class UpProcess:
    """`python -m microtask up` with its stdout followed line by line."""

    def __init__(self, env: dict[str, str], *extra: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "microtask", "up", "--port", "0", "--api-port", "0", *extra],
            env=env,
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._follow, daemon=True).start()

    def _follow(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, text: str) -> list[str]:
        while True:
            line = self.lines.get(timeout=STARTUP_TIMEOUT)
            if line is None:
                raise AssertionError(f"exited before {text!r}:\n" + "\n".join(self.seen))
            self.seen.append(line)
            if text in line:
                return self.seen

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=STARTUP_TIMEOUT)
        self.wait_for_end()
        return code

    def wait_for_end(self) -> None:
        while (line := self.lines.get(timeout=STARTUP_TIMEOUT)) is not None:
            self.seen.append(line)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def up_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROTASK_")}
    env.update(
        MICROTASK_DATA_DIR=str(tmp_path / "data"),
        MICROTASK_DEPLOYMENTS_DIR=str(tmp_path / "deployments"),
        MICROTASK_CONFIG=str(tmp_path / "absent.toml"),
        MICROTASK_CACHE_DIR=str(SHARED_CACHE),
        COLUMNS="200",
    )
    return env


@pytest.fixture
def start_up(up_env: dict[str, str]) -> Iterator[type[UpProcess]]:
    started: list[UpProcess] = []

    class Tracked(UpProcess):
        def __init__(self) -> None:
            super().__init__(up_env)
            started.append(self)

    yield Tracked  # type: ignore[misc]
    for process in started:
        process.kill()


def _rpc_url(lines: list[str]) -> str:
    for line in lines:
        if match := re.search(r"RPC URL\s+(http://127\.0\.0\.1:\d+)", line):
            return match.group(1)
    raise AssertionError("no RPC URL printed:\n" + "\n".join(lines))


def test_up_deploys_serves_and_stops_cleanly(start_up: type[UpProcess], tmp_path: Path) -> None:
    first = start_up()
    lines = first.wait_for(READY)
    url = _rpc_url(lines)
    record = tmp_path / "deployments" / "local" / "TaskEscrow.json"
    assert any(str(record) in line for line in lines), "the deployment file is printed"
    address = re.search(r'"address": "(0x[0-9a-fA-F]{40})"', record.read_text())
    assert address is not None
    w3 = connect_url(url)
    assert w3.eth.chain_id == 31337
    assert len(w3.eth.get_code(address.group(1))) > 0  # type: ignore[arg-type]
    assert first.interrupt() == 0
    assert any("stopped" in line for line in first.seen)

    # the chain was saved: a second `up` continues it and finds the contract deployed
    second = start_up()
    lines = second.wait_for(READY)
    assert any("TaskEscrow unchanged" in line for line in lines), "\n".join(lines)
    assert second.interrupt() == 0


def _child_named(parent: int, name: str) -> int:
    """The pid of ``parent``'s child process called ``name`` (from /proc: Linux)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text()
        except OSError:  # the process ended while we looked
            continue
        comm, rest = (
            fields[fields.index("(") + 1 : fields.rindex(")")],
            fields[fields.rindex(")") + 2 :],
        )
        if comm == name and int(rest.split()[1]) == parent:
            return int(stat.parent.name)
    raise AssertionError(f"process {parent} has no child called {name!r}")


def test_up_stops_everything_with_one_line_when_anvil_dies(
    start_up: type[UpProcess], tmp_path: Path
) -> None:
    up = start_up()
    up.wait_for(READY)
    os.kill(_child_named(up.process.pid, "anvil"), signal.SIGKILL)  # as the OOM killer would
    code = up.process.wait(timeout=STARTUP_TIMEOUT)
    up.wait_for_end()
    assert code == 3, "\n".join(up.seen)
    errors = [line for line in up.seen if line.startswith("error:")]
    assert errors == [up.seen[-1]], "\n".join(up.seen)
    assert errors[0].startswith("error: anvil exited unexpectedly with code -9: ")
    assert errors[0].endswith(f"(log: {tmp_path / 'data' / 'logs' / 'anvil.log'})")
    assert "stopping …" in up.seen
