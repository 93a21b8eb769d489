"""A real PostgreSQL server for the tests, started from the installed binaries.

Each test worker starts its own server in a temporary directory: ``initdb`` then
``postgres`` on a free 127.0.0.1 port with its unix socket in that directory, durability
off (the data is thrown away). Readiness is the server's own "ready to accept connections"
line; starting, stopping and the log are `microtask.services.ManagedProcess`'s, as for
anvil and Kubo. Running as root (CI), the server runs as the ``postgres`` user, since
PostgreSQL refuses root. Each test gets fresh databases from `PostgresServer.new_database`.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg

from microtask.services import ManagedProcess


def find_pg_bin() -> Path | None:
    """The directory with initdb and postgres: on PATH, else Debian's versioned directory."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("postgres"):
        return Path(on_path).resolve().parent
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").is_file() and (candidate / "postgres").is_file():
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer(ManagedProcess):
    """``postgres`` on a free port of 127.0.0.1, its data in a temporary directory."""

    name = "postgres"
    stop_signal = signal.SIGINT  # "fast shutdown": ends open sessions, the data is thrown away
    stop_timeout = 30.0

    def __init__(self, bin_dir: Path) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="microtask-pg-"))
        super().__init__(log_file=self.root / "postgres.log")
        self.bin_dir = bin_dir
        self.data = self.root / "data"
        self.port = _free_port()
        self._counter = itertools.count()
        self._user = None if os.geteuid() != 0 else pwd.getpwnam("postgres")

    def _command(self, *args: str) -> list[str]:
        if self._user is None:
            return list(args)
        return ["setpriv", f"--reuid={self._user.pw_uid}", f"--regid={self._user.pw_gid}",
                "--clear-groups", *args]  # fmt: skip

    def prepare(self) -> None:
        """``initdb``, the first time (as the ``postgres`` user when we are root)."""
        if self.data.exists():
            return
        if self._user is not None:
            os.chown(self.root, self._user.pw_uid, self._user.pw_gid)
        subprocess.run(
            self._command(
                str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres",
                "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions",
            ),
            check=True, capture_output=True, text=True, cwd=self.root,
        )  # fmt: skip

    def command(self) -> list[str]:
        return self._command(
            str(self.bin_dir / "postgres"), "-D", str(self.data),
            "-h", "127.0.0.1", "-p", str(self.port), "-k", str(self.root),
            "-c", "fsync=off", "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off", "-c", "max_connections=50",
        )  # fmt: skip

    def on_output(self, line: str) -> bool:
        return "ready to accept connections" in line

    @property
    def endpoint(self) -> str:
        return self.admin_url

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def new_database(self) -> str:
        """A fresh, empty database's URL."""
        name = f"test_{os.getpid()}_{next(self._counter)}"
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self, timeout: float | None = None) -> None:
        """Stop the server and delete its data."""
        super().stop(timeout)
        shutil.rmtree(self.root, ignore_errors=True)


def running_server() -> Iterator[PostgresServer]:
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL is not installed (no initdb/postgres on PATH or in "
            "/usr/lib/postgresql/*/bin): apt-get install postgresql (.ci/run does)"
        )
    server = PostgresServer(bin_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
