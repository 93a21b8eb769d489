"""A managed anvil process: a real local testnet on 127.0.0.1.

anvil comes from the npm package ``@foundry-rs/anvil``, whose platform package carries the
binary; we run that binary directly rather than the Node wrapper, so signals reach anvil
itself and a stop is clean. Readiness is anvil's own "Listening on" line, read from its
output, so the caller waits exactly as long as anvil takes and learns the real port when
it asked for port 0.
"""

from __future__ import annotations

import collections
import re
import shutil
import signal
import subprocess
import threading
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from microtask.chain.accounts import DEV_ACCOUNT_COUNT
from microtask.config import ANVIL_CHAIN_ID, DEV_MNEMONIC
from microtask.errors import EnvironmentProblem, ToolchainMissing

_LISTENING = re.compile(r"Listening on (\S+):(\d+)")
DEV_BALANCE_ETH = 10_000


class AnvilFailed(EnvironmentProblem):
    """anvil exited or never became ready; the message carries its last output."""


def find_anvil(node_root: Path) -> Path:
    """The anvil binary from node_modules, else one on PATH (e.g. from foundryup)."""
    for candidate in sorted((node_root / "node_modules" / "@foundry-rs").glob("anvil-*/bin/anvil")):
        if candidate.is_file():
            return candidate
    on_path = shutil.which("anvil")
    if on_path:
        return Path(on_path)
    raise ToolchainMissing(
        f"anvil is not installed: run `npm ci` in {node_root} (it brings @foundry-rs/anvil)"
    )


class AnvilProcess:
    """Start, await, and stop one anvil; usable as a context manager."""

    def __init__(
        self,
        binary: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        chain_id: int = ANVIL_CHAIN_ID,
        state_file: Path | None = None,
        block_time: float | None = None,
        log_file: Path | None = None,
    ) -> None:
        self.binary = binary
        self.host = host
        self.requested_port = port
        self.chain_id = chain_id
        self.state_file = state_file
        self.block_time = block_time
        self.log_file = log_file
        self.port: int | None = None
        self._process: subprocess.Popen[str] | None = None
        self._ready = threading.Event()
        self._tail: collections.deque[str] = collections.deque(maxlen=20)
        self._reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise AnvilFailed("anvil is not running")
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        args = [
            str(self.binary),
            "--host", self.host,
            "--port", str(self.requested_port),
            "--chain-id", str(self.chain_id),
            "--accounts", str(DEV_ACCOUNT_COUNT),
            "--balance", str(DEV_BALANCE_ETH),
            "--mnemonic", DEV_MNEMONIC,
        ]  # fmt: skip
        if self.state_file is not None:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            args += ["--state", str(self.state_file)]
        if self.block_time is not None:
            args += ["--block-time", str(self.block_time)]
        return args

    def start(self, timeout: float = 60.0) -> str:
        """Start anvil and return its RPC URL once it listens."""
        if self._process is not None:
            raise AnvilFailed("this anvil is already started")
        self._process = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # a Ctrl-C in the terminal reaches us, and we stop anvil
        )
        assert self._process.stdout is not None
        self._reader = threading.Thread(
            target=self._follow_output, args=(self._process.stdout,), daemon=True
        )
        self._reader.start()
        if not self._ready.wait(timeout) or self.port is None:
            output = "\n".join(self._tail)
            self.stop()
            raise AnvilFailed(f"anvil did not start within {timeout:.0f}s:\n{output}")
        return self.url

    def _follow_output(self, stream: IO[str]) -> None:
        log = self.log_file.open("a", encoding="utf-8") if self.log_file else None
        try:
            for line in stream:
                self._tail.append(line.rstrip())
                if log is not None:
                    log.write(line)
                    log.flush()
                if not self._ready.is_set() and (match := _LISTENING.search(line)):
                    self.port = int(match.group(2))
                    self._ready.set()
        finally:
            self._ready.set()  # anvil exited: wake a waiting start() so it can report
            if log is not None:
                log.close()

    def stop(self, timeout: float = 15.0) -> None:
        """Ask anvil to exit (it writes its state file on the way out), then reap it."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._reader is not None:
            self._reader.join(timeout)
        self.port = None

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
