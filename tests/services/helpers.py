"""Real services for the supervisor's tests: Python child processes and worker threads.

`ScriptProcess` is a `ManagedProcess` running a few lines of Python (so a test chooses how
it starts, answers signals and dies); `LoopService` is a real thread that runs until
stopped, and can be told to fail while running or to raise while stopping. Every start and
stop lands in a shared journal, so tests can check the order.
"""

from __future__ import annotations

import sys
import textwrap
import threading
from pathlib import Path

from microtask.errors import MicrotaskError
from microtask.services import ManagedProcess

READY = "ready"

SERVES = f"""
import signal, sys, threading
signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
print("starting", flush=True)
print("{READY}", flush=True)
threading.Event().wait()
"""
"""Says it is ready, then waits until SIGINT, on which it exits cleanly."""

DEAF = f"""
import signal, threading
signal.signal(signal.SIGINT, signal.SIG_IGN)
print("{READY}", flush=True)
threading.Event().wait()
"""
"""Says it is ready and ignores SIGINT: only a kill ends it."""

CRASHES = """
import sys
print("cannot open the data directory", flush=True)
sys.exit(2)
"""
"""Fails before it is ready, with a last word."""


class ScriptProcess(ManagedProcess):
    """``python -c SCRIPT``, ready when it prints ``ready``."""

    name = "the script"

    def __init__(
        self,
        script: str,
        *,
        journal: list[str] | None = None,
        label: str = "script",
        log_file: Path | None = None,
    ) -> None:
        super().__init__(log_file=log_file)
        self.script = textwrap.dedent(script)
        self.journal = journal if journal is not None else []
        self.label = label
        self.exits = 0

    def command(self) -> list[str]:
        return [sys.executable, "-c", self.script]

    def on_output(self, line: str) -> bool:
        return line.strip() == READY

    @property
    def endpoint(self) -> str:
        return f"pid {self.pid}"

    def on_exit(self) -> None:
        self.exits += 1

    def start(self, timeout: float = 30.0) -> str:
        self.journal.append(f"start {self.label}")
        return super().start(timeout)

    def stop(self, timeout: float | None = None) -> None:
        self.journal.append(f"stop {self.label}")
        super().stop(timeout)


class Broken(MicrotaskError):
    """A failure of our own, which the supervisor passes on unchanged."""


class LoopService:
    """A thread that runs until `stop`; it can be told to `fail`, or raise in `stop`."""

    def __init__(
        self,
        label: str,
        journal: list[str],
        *,
        error_when_failing: BaseException | None = None,
        error_on_stop: BaseException | None = None,
        error_on_start: BaseException | None = None,
    ) -> None:
        self.name = f"the {label}"
        self.label = label
        self.journal = journal
        self.error_when_failing = error_when_failing or RuntimeError("disk I/O error\nand more")
        self.error_on_stop = error_on_stop
        self.error_on_start = error_on_start
        self.failure: BaseException | None = None
        self.failed = threading.Event()
        self._failing = False
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def fail(self) -> None:
        """Make the thread end with `error_when_failing`, as a crash in its loop would."""
        self._failing = True
        self._wake.set()

    def _run(self) -> None:
        self._wake.wait()
        if self._failing and not self._stop.is_set():
            self.failure = self.error_when_failing
            self.failed.set()

    def start(self) -> None:
        self.journal.append(f"start {self.label}")
        if self.error_on_start is not None:
            raise self.error_on_start
        self._thread = threading.Thread(target=self._run, name=self.label)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def check(self) -> None:
        if self.failure is not None:
            raise self.failure

    def stop(self) -> None:
        self.journal.append(f"stop {self.label}")
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        if self.error_on_stop is not None:
            raise self.error_on_stop
