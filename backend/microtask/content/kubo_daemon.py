"""A Kubo daemon of our own: the pinned binary, a private repo, offline, on loopback.

Kubo ships no binary any package registry serves, but it is a Go module, so
``scripts/kubo.sh`` builds the pinned release once per machine into a cache outside the
repository; `find_kubo` looks there (after ``MICROTASK_KUBO_BIN``) and then on PATH.

`KuboDaemon` runs it the way tests and local tools need: ``ipfs init --profile test``
in a repo of its own (no bootstrap peers, no mDNS, no AutoConf), no swarm listeners,
no routing, telemetry off, started with ``--offline``, so it never dials anything; API and
gateway on free 127.0.0.1 ports. Readiness is Kubo's own "Daemon is ready" line, and the
ports come from its "listening on" lines, so nobody waits longer than Kubo takes; starting,
stopping (SIGINT, as Ctrl-C would) and the log are `ManagedProcess`'s.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from microtask.errors import ToolchainMissing
from microtask.services.process import ManagedProcess, ProcessFailed

KUBO_VERSION = "v0.38.1"
"""The Kubo release microtask is tested against; scripts/kubo.sh builds the same one."""

KUBO_HINT = (
    "build it with scripts/kubo.sh (needs Go; about two minutes, once per machine), "
    "or point MICROTASK_KUBO_BIN at an ipfs binary"
)

_API = re.compile(r"RPC API server listening on (\S+)")
_GATEWAY = re.compile(r"Gateway server listening on (\S+)")
_READY = "Daemon is ready"
_PORT = re.compile(r"/tcp/(\d+)")


class KuboFailed(ProcessFailed):
    """The Kubo daemon could not be initialised or started; carries its last output."""


def kubo_cache_dir() -> Path:
    """Where scripts/kubo.sh keeps built Kubo releases (outside any checkout)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "microtask" / "kubo"


def pinned_kubo_path() -> Path:
    return kubo_cache_dir() / KUBO_VERSION / "bin" / "ipfs"


KUBO_BIN_ENV = "MICROTASK_KUBO_BIN"


def find_kubo(configured: Path | None = None) -> Path:
    """The ``ipfs`` binary: ``configured`` (default: ``$MICROTASK_KUBO_BIN``), else the
    pinned build, else one on PATH."""
    if configured is None and os.environ.get(KUBO_BIN_ENV):
        configured = Path(os.environ[KUBO_BIN_ENV])
    if configured is not None:
        if configured.is_file() and os.access(configured, os.X_OK):
            return configured
        raise ToolchainMissing(f"{KUBO_BIN_ENV}={configured} is not an executable file")
    pinned = pinned_kubo_path()
    if pinned.is_file():
        return pinned
    on_path = shutil.which("ipfs")
    if on_path:
        return Path(on_path)
    raise ToolchainMissing(f"Kubo (ipfs) is not installed: {KUBO_HINT}")


def _port_of(multiaddr: str) -> int:
    match = _PORT.search(multiaddr)
    if match is None:
        raise KuboFailed(f"Kubo listens on {multiaddr}, which has no TCP port")
    return int(match.group(1))


class KuboDaemon(ManagedProcess):
    """Initialise (once), start, await, and stop one Kubo daemon; a context manager."""

    name = "the Kubo daemon"
    failure = KuboFailed
    readiness = "become ready"
    tail_lines = 30
    stop_timeout = 20.0

    def __init__(
        self,
        binary: Path,
        repo: Path,
        *,
        host: str = "127.0.0.1",
        api_port: int = 0,
        gateway_port: int = 0,
        log_file: Path | None = None,
    ) -> None:
        super().__init__(log_file=log_file)
        self.binary = binary
        self.repo = repo
        self.host = host
        self.requested_api_port = api_port
        self.requested_gateway_port = gateway_port
        self.api_port: int | None = None
        self.gateway_port: int | None = None

    @property
    def env(self) -> dict[str, str]:
        """The environment for any ``ipfs`` command aimed at this repo (and its daemon)."""
        return {**os.environ, "IPFS_PATH": str(self.repo), "IPFS_TELEMETRY": "off"}

    @property
    def api_url(self) -> str:
        if self.api_port is None:
            raise KuboFailed("the Kubo daemon is not running")
        return f"http://{self.host}:{self.api_port}"

    @property
    def api_multiaddr(self) -> str:
        if self.api_port is None:
            raise KuboFailed("the Kubo daemon is not running")
        return f"/ip4/{self.host}/tcp/{self.api_port}"

    @property
    def gateway_url(self) -> str:
        if self.gateway_port is None:
            raise KuboFailed("the Kubo daemon is not running")
        return f"http://{self.host}:{self.gateway_port}"

    def run(self, *args: str, input: bytes | None = None) -> bytes:
        """Run ``ipfs ARGS`` against this repo (through the daemon when it runs); its stdout."""
        completed = subprocess.run(
            [str(self.binary), *args],
            env=self.env,
            input=input,
            capture_output=True,
            check=False,
        )
        if completed.returncode != 0:
            message = completed.stderr.decode("utf-8", "replace").strip()
            raise KuboFailed(f"ipfs {' '.join(args)} failed: {message}")
        return completed.stdout

    def init(self) -> None:
        """Create the repo if it does not exist yet, configured to stay off the network."""
        config_file = self.repo / "config"
        if not config_file.exists():
            self.repo.mkdir(parents=True, exist_ok=True)
            self.run("init", "--profile", "test", "--empty-repo")
        config = json.loads(config_file.read_text(encoding="utf-8"))
        addresses = config.setdefault("Addresses", {})
        addresses["API"] = f"/ip4/{self.host}/tcp/{self.requested_api_port}"
        addresses["Gateway"] = f"/ip4/{self.host}/tcp/{self.requested_gateway_port}"
        addresses["Swarm"] = []
        addresses["Announce"] = []
        config.setdefault("Routing", {})["Type"] = "none"
        plugins = config.setdefault("Plugins", {})
        if not isinstance(plugins.get("Plugins"), dict):
            plugins["Plugins"] = {}
        plugins["Plugins"]["telemetry"] = {"Config": {"Mode": "off"}}
        config_file.write_text(json.dumps(config, indent=2), encoding="utf-8")

    def prepare(self) -> None:
        self.init()

    def command(self) -> list[str]:
        return [str(self.binary), "daemon", "--offline", "--migrate=false"]

    def environment(self) -> dict[str, str]:
        return self.env

    @property
    def endpoint(self) -> str:
        return self.api_url

    def on_output(self, line: str) -> bool:
        """Ports from the "listening on" lines; ready at "Daemon is ready"."""
        if match := _API.search(line):
            self.api_port = _port_of(match.group(1))
        elif match := _GATEWAY.search(line):
            self.gateway_port = _port_of(match.group(1))
        return _READY in line and self.api_port is not None

    def on_exit(self) -> None:
        self.api_port = self.gateway_port = None
