"""How fast `microtask` starts: ``--help``, and a read-only command, as whole processes.

Each sample is a new ``python -m microtask`` process, timed from spawn to exit (what a
user waits for at the shell), the median of ``--rounds`` runs after one warm-up run (so
the file system cache is warm, as it is for someone using the CLI). ``work tasks`` runs
against `microtask up --demo` (anvil, the contracts, the indexer, the API and the demo's
tasks in dUSD), started first in its own process and stopped at the end, as dev account 3
(a worker, its keystore imported first); it lists the open tasks that worker qualifies for
through the API and reads the tokens' symbols and decimals from the chain. Beside
them, a bare ``python -c pass`` shows the interpreter's own start. Aim (docs/architecture.md,
Targets): ``--help`` under 0.5 s; ``work tasks`` under 1 s.

``python -X importtime -m microtask ...`` shows where the rest of the time goes.

    scripts/dev.sh bench cli [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT = 180.0


class Up:
    """`microtask up --demo` in its own process, its output followed for the URLs."""

    def __init__(self, env: dict[str, str]) -> None:
        command = [sys.executable, "-m", "microtask", "up", "--demo", "--port", "0"]
        self.process = subprocess.Popen(
            [*command, "--api-port", "0"],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._follow, daemon=True).start()

    def _follow(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def urls(self) -> tuple[str, str]:
        """The RPC and API URLs, once `up` says it is up."""
        seen: list[str] = []
        while (line := self.lines.get(timeout=STARTUP_TIMEOUT)) is not None:
            seen.append(line)
            if "microtask is up" in line:
                text = "\n".join(seen)
                rpc = re.search(r"RPC URL\s+(http://127\.0\.0\.1:\d+)", text)
                api = re.search(r"API\s+(http://127\.0\.0\.1:\d+)", text)
                if rpc is None or api is None:
                    raise RuntimeError(f"no RPC or API URL in:\n{text}")
                return rpc.group(1), api.group(1)
        raise RuntimeError("microtask up exited:\n" + "\n".join(seen))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wait_for_tasks(api: str) -> int:
    """The demo's open tasks, once the indexer has them (it lands each block in a poll)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    with httpx.Client(base_url=api, timeout=10) as client:
        while time.monotonic() < deadline:
            count = int(client.get("/tasks", params={"status": "open"}).json()["count"])
            if count:
                return count
            time.sleep(0.2)
    raise RuntimeError("the demo's tasks never appeared in the API")


def timed(command: list[str], env: dict[str, str], rounds: int) -> list[float]:
    """Seconds from spawn to exit of ``command``, ``rounds`` times after one warm-up."""
    samples = []
    for index in range(rounds + 1):  # the first run warms the file system cache
        started = time.perf_counter()
        done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, check=False)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr.decode()}")
        if index:
            samples.append(elapsed)
    return samples


def measure(rounds: int) -> Table:
    microtask = [sys.executable, "-m", "microtask"]
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MICROTASK_")}
        env.update(
            MICROTASK_DATA_DIR=str(root / "data"),
            MICROTASK_DEPLOYMENTS_DIR=str(root / "deployments"),
            MICROTASK_CONFIG=str(root / "microtask.toml"),
            MICROTASK_CONTENT_STORE="local",
            COLUMNS="120",
        )
        rows = [
            ("python -c pass", timed([sys.executable, "-c", "pass"], env, rounds), None),
            ("microtask --help", timed([*microtask, "--help"], env, rounds), 0.5),
        ]
        up = Up(env)
        try:
            rpc, api = up.urls()
            tasks = wait_for_tasks(api)
            port = rpc.rsplit(":", 1)[1]
            (root / "microtask.toml").write_text(
                f'[networks.local]\nkind = "anvil"\nport = {port}\n'
            )
            (root / "password").write_text("bench only\n")
            listing = dict(
                env, MICROTASK_API_URL=api, MICROTASK_PASSWORD_FILE=str(root / "password")
            )
            timed([*microtask, "account", "import", "worker", "--dev", "3"], listing, 0)
            command = [*microtask, "work", "tasks", "--account", "worker"]
            rows.append(
                (f"microtask work tasks ({tasks} tasks)", timed(command, listing, rounds), 1.0)
            )
        finally:
            up.stop()
    table = Table("command", "runs", "median s", "min s", "max s", "aim s", title="CLI start")
    for name, samples, aim in rows:
        table.add_row(
            name,
            str(len(samples)),
            f"{statistics.median(samples):.3f}",
            f"{min(samples):.3f}",
            f"{max(samples):.3f}",
            "-" if aim is None else f"< {aim}",
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed runs of each command")
    args = parser.parse_args()
    Console().print(measure(args.rounds))


if __name__ == "__main__":
    main()
