"""A managed anvil process: a real local testnet on 127.0.0.1.

anvil comes from the npm package ``@foundry-rs/anvil``, whose platform package carries the
binary; we run that binary directly rather than the Node wrapper, so signals reach anvil
itself and a stop is clean. Readiness is anvil's own "Listening on" line, read from its
output, so the caller waits exactly as long as anvil takes and learns the real port when
it asked for port 0. Starting, stopping (SIGINT, so anvil writes its state file) and the
log are `ManagedProcess`'s.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from microtask.chain.accounts import DEV_ACCOUNT_COUNT
from microtask.config import ANVIL_CHAIN_ID, DEV_MNEMONIC
from microtask.errors import ToolchainMissing
from microtask.services.process import ManagedProcess, ProcessFailed

_LISTENING = re.compile(r"Listening on (\S+):(\d+)")
DEV_BALANCE_ETH = 10_000


class AnvilFailed(ProcessFailed):
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


class AnvilProcess(ManagedProcess):
    """Start, await, and stop one anvil; usable as a context manager."""

    name = "anvil"
    failure = AnvilFailed

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
        super().__init__(log_file=log_file)
        self.binary = binary
        self.host = host
        self.requested_port = port
        self.chain_id = chain_id
        self.state_file = state_file
        self.block_time = block_time
        self.port: int | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise AnvilFailed("anvil is not running")
        return f"http://{self.host}:{self.port}"

    @property
    def endpoint(self) -> str:
        return self.url

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

    def on_output(self, line: str) -> bool:
        """anvil is ready when it says where it listens (the real port, when 0 was asked)."""
        if self.port is None and (match := _LISTENING.search(line)):
            self.port = int(match.group(2))
        return self.port is not None

    def on_exit(self) -> None:
        self.port = None
