"""`ManagedProcess` with real child processes: ready on its line, stopped, killed, watched."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from microtask.services.process import ProcessFailed
from tests.services.helpers import CRASHES, DEAF, SERVES, ScriptProcess


def _popen(process: ScriptProcess) -> subprocess.Popen[str]:
    popen = process._process
    assert popen is not None
    return popen


def test_start_returns_once_ready_and_stop_asks_it_to_exit(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "script.log"
    process = ScriptProcess(SERVES, log_file=log)
    assert process.start() == f"pid {process.pid}"
    popen = _popen(process)
    assert popen.poll() is None
    process.check()  # running: nothing to report
    process.stop()
    assert popen.returncode == 0, "SIGINT let it exit on its own terms"
    assert process.pid is None
    assert process.exits == 1
    assert log.read_text().splitlines() == ["starting", "ready"]
    process.stop()  # a second stop does nothing
    assert process.exits == 1


def test_a_process_that_exits_before_it_is_ready_fails_with_its_last_words() -> None:
    process = ScriptProcess(CRASHES)
    with pytest.raises(ProcessFailed) as failed:
        process.start(timeout=30)
    assert str(failed.value).splitlines() == [
        "the script did not start within 30s:",
        "cannot open the data directory",
    ]
    assert process.pid is None
    process.check()  # nothing runs, nothing to report


def test_a_process_deaf_to_the_stop_signal_is_killed() -> None:
    process = ScriptProcess(DEAF)
    process.start()
    popen = _popen(process)
    process.stop(timeout=0.2)
    assert popen.returncode == -signal.SIGKILL
    assert process.pid is None


def test_kill_ends_it_at_once() -> None:
    process = ScriptProcess(SERVES)
    process.start()
    popen = _popen(process)
    process.kill()
    assert popen.returncode == -signal.SIGKILL
    assert process.pid is None
    assert process.exits == 1


def test_check_reports_a_process_that_died_and_where_its_log_is(tmp_path: Path) -> None:
    log = tmp_path / "script.log"
    process = ScriptProcess(SERVES, log_file=log)
    process.start()
    pid = process.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)  # as the OOM killer would
    _popen(process).wait()
    with pytest.raises(ProcessFailed) as died:
        process.check()
    assert str(died.value) == (
        f"the script exited unexpectedly with code {-signal.SIGKILL}: ready (log: {log})"
    )
    process.stop()  # reaps what is left; nothing raises
    process.check()


def test_it_starts_once_at_a_time_and_again_after_a_stop() -> None:
    process = ScriptProcess(SERVES)
    with process:
        with pytest.raises(ProcessFailed, match="the script is already started"):
            process.start()
        first = process.pid
    assert process.pid is None
    with process:
        assert process.pid not in (None, first)
        assert process.output == ["starting", "ready"], "each start has its own output"
    assert process.exits == 2
