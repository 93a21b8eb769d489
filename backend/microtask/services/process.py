"""`ManagedProcess`: a child process we start, wait for, watch, stop and log.

anvil, the Kubo daemon (and the tests' PostgreSQL server) are all run the same way: launch
the binary in a session of its own (so a terminal's Ctrl-C reaches us, and we decide how
the child stops), read its output line by line in a thread (into a log file and a short
tail for error messages), call it ready when it prints the line that says so (no polling,
no fixed sleeps), and stop it with the signal it treats as "shut down cleanly" (anvil
writes its state file on SIGINT), killing it only if it does not exit in time.

A subclass says only what differs: its command line, which output line means ready (and
what else the output tells, such as the port it picked), and how it names itself in errors.
"""

from __future__ import annotations

import collections
import signal
import subprocess
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, ClassVar, Self

from microtask.errors import EnvironmentProblem

DEFAULT_START_TIMEOUT = 60.0


class ProcessFailed(EnvironmentProblem):
    """A managed process exited or never became ready; the message carries its last output."""


class ManagedProcess(ABC):
    """One child process: `start` (returns once it is ready), `check`, `stop`, `kill`.

    Usable as a context manager. Subclasses implement `command`, `on_output` and
    `endpoint`, and may override `prepare`, `environment`, `inherited_fds` and `on_exit`.

    Example::

        with AnvilProcess(find_anvil(root), port=0) as anvil:
            w3 = connect_url(anvil.url)
    """

    name: ClassVar[str] = "the process"
    """How errors name it ("anvil", "the Kubo daemon")."""
    failure: ClassVar[type[EnvironmentProblem]] = ProcessFailed
    """The exception raised when it fails to start or dies."""
    readiness: ClassVar[str] = "start"
    """The verb of the start timeout's message: "anvil did not start within 60s"."""
    tail_lines: ClassVar[int] = 20
    """How many of its last output lines an error message shows."""
    stop_signal: ClassVar[signal.Signals] = signal.SIGINT
    """The signal that asks it to shut down cleanly."""
    stop_timeout: ClassVar[float] = 15.0
    """Seconds it may take to exit after `stop_signal` before it is killed."""

    def __init__(self, *, log_file: Path | None = None) -> None:
        self.log_file = log_file
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self._ready = threading.Event()
        self._became_ready = False
        self._tail: collections.deque[str] = collections.deque(maxlen=self.tail_lines)

    # ----------------------------------------------------------------- what differs

    @abstractmethod
    def command(self) -> list[str]:
        """The command line to run."""

    @abstractmethod
    def on_output(self, line: str) -> bool:
        """Read one line of its output (e.g. the port it listens on); True once it is ready."""

    @property
    @abstractmethod
    def endpoint(self) -> str:
        """What `start` returns once the process is ready: the URL to reach it at."""

    def environment(self) -> Mapping[str, str] | None:
        """Its environment variables; None inherits ours."""
        return None

    def inherited_fds(self) -> tuple[int, ...]:
        """File descriptors the child inherits (e.g. a listening socket it serves)."""
        return ()

    def prepare(self) -> None:  # noqa: B027 - a hook; most processes need nothing
        """Called before each start (e.g. to initialise a repository)."""

    def on_exit(self) -> None:  # noqa: B027 - a hook; most processes need nothing
        """Called once it has been reaped: forget what only a running process has."""

    # ----------------------------------------------------------------- the life cycle

    @property
    def pid(self) -> int | None:
        """The running process's id; None before `start` and after `stop`."""
        return None if self._process is None else self._process.pid

    @property
    def output(self) -> list[str]:
        """Its last output lines (at most `tail_lines`)."""
        return list(self._tail)

    def start(self, timeout: float = DEFAULT_START_TIMEOUT) -> str:
        """Start the process and return its `endpoint` once it says it is ready.

        If it exits or stays silent for ``timeout`` seconds, it is stopped and `failure`
        is raised with its last output lines.
        """
        if self._process is not None:
            raise self.failure(f"{self.name} is already started")
        self.prepare()
        self._ready.clear()
        self._became_ready = False
        self._tail.clear()
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            self.command(),
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,  # a Ctrl-C in the terminal reaches us, and we stop it
            pass_fds=self.inherited_fds(),
        )
        assert self._process.stdout is not None
        self._reader = threading.Thread(
            target=self._follow_output,
            args=(self._process.stdout,),
            name=f"{self.name} output",
            daemon=True,
        )
        self._reader.start()
        if not self._ready.wait(timeout) or not self._became_ready:
            output = "\n".join(self._tail)
            self.stop()
            raise self.failure(
                f"{self.name} did not {self.readiness} within {timeout:.0f}s:\n{output}"
            )
        return self.endpoint

    def _follow_output(self, stream: IO[str]) -> None:
        log = self.log_file.open("a", encoding="utf-8") if self.log_file else None
        try:
            for line in stream:
                self._tail.append(line.rstrip())
                if log is not None:
                    log.write(line)
                    log.flush()
                if self.on_output(line) and not self._became_ready:
                    self._became_ready = True
                    self._ready.set()
        finally:
            self._ready.set()  # it exited: wake a waiting start() so it can report
            if log is not None:
                log.close()

    def check(self) -> None:
        """Raise `failure` if the process has exited without being asked to stop."""
        process = self._process
        if process is None or process.poll() is None:
            return
        if self._reader is not None:
            self._reader.join(self.stop_timeout)  # its last words, which come before EOF
        last = self._tail[-1] if self._tail else "no output"
        where = f" (log: {self.log_file})" if self.log_file is not None else ""
        raise self.failure(
            f"{self.name} exited unexpectedly with code {process.returncode}: {last}{where}"
        )

    def stop(self, timeout: float | None = None) -> None:
        """Ask it to exit with `stop_signal`, kill it after ``timeout`` seconds, reap it."""
        timeout = self.stop_timeout if timeout is None else timeout
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.poll() is None:
                process.send_signal(self.stop_signal)
                try:
                    process.wait(timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        finally:
            self._reaped(timeout)

    def kill(self) -> None:
        """End it at once (SIGKILL), as a crash would, and reap it."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.poll() is None:
                process.kill()
            process.wait()
        finally:
            self._reaped(self.stop_timeout)

    def _reaped(self, timeout: float) -> None:
        if self._reader is not None:
            self._reader.join(timeout)
        self.on_exit()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
