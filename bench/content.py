"""Add throughput of the LocalStore against ``sha256sum`` over the same bytes, and memory.

For each size (1 MB, 100 MB and 1 GB by default) a file of random bytes is written once;
then, alternating so both see the same page cache, ``sha256sum FILE`` and a LocalStore
add of FILE (into a fresh store each time) are timed. The add does everything a real add
does: chunking, dag-pb framing, hashing every block, writing each block atomically with
fsync, and pinning. Where the pinned Kubo is built (scripts/kubo.sh), ``ipfs add`` into a
fresh offline repo runs alongside as a peer. Aim (docs/architecture.md, Targets): the add at least
half as fast as sha256sum (ratio >= 0.50).

Peak memory is measured for the largest add in a child process: its resident set once
microtask is imported, and its peak during the add (Linux's VmHWM, reset after the
import), so the difference is what the add itself holds, however large the file.

    scripts/dev.sh bench content [--sizes 1MB,100MB,1GB] [--rounds 3] [--no-kubo]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from microtask.content import LocalStore
from microtask.content.kubo_daemon import KuboDaemon, find_kubo
from microtask.errors import ToolchainMissing

UNITS = {"KB": 10**3, "MB": 10**6, "GB": 10**9}


def parse_size(text: str) -> int:
    for unit, factor in UNITS.items():
        if text.upper().endswith(unit):
            return int(float(text[: -len(unit)]) * factor)
    return int(text)


def write_random_file(path: Path, size: int) -> None:
    with path.open("wb") as handle:
        left = size
        while left:
            piece = os.urandom(min(left, 8 << 20))
            handle.write(piece)
            left -= len(piece)


def timed(action: Callable[..., object], *args: object, **kwargs: object) -> float:
    started = time.perf_counter()
    action(*args, **kwargs)
    return time.perf_counter() - started


def sha256sum(path: Path) -> float:
    return timed(subprocess.run, ["sha256sum", str(path)], check=True, capture_output=True)


def local_add(path: Path, scratch: Path, *, fsync: bool) -> float:
    """Seconds to add ``path`` to a fresh LocalStore (its removal afterwards is not timed)."""
    root = Path(tempfile.mkdtemp(dir=scratch, prefix="store-"))
    try:
        return timed(LocalStore(root, fsync=fsync).add_file, path)
    finally:
        shutil.rmtree(root)


def kubo_add(binary: Path, path: Path, scratch: Path) -> float:
    """Seconds for ``ipfs add`` into a fresh offline repo (made and removed outside the timing)."""
    repo = Path(tempfile.mkdtemp(dir=scratch, prefix="kubo-"))
    try:
        daemon = KuboDaemon(binary, repo)
        daemon.init()
        return timed(daemon.run, "add", "--quiet", "--offline", str(path))
    finally:
        shutil.rmtree(repo)


MEMORY_PROBE = """
import re
from pathlib import Path
from microtask.content import LocalStore

def status_kib(field):
    text = Path("/proc/self/status").read_text()
    return int(re.search(field + r":\\s+(\\d+) kB", text).group(1))

Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
before = status_kib("VmRSS")
LocalStore(Path({root!r})).add_file(Path({path!r}))
print(before, status_kib("VmHWM"))
"""


def peak_memory_mib(root: Path, path: Path) -> tuple[float, float]:
    """(resident set after importing microtask, peak resident set during the add), in MiB.

    Measured in a child process on Linux: its peak is reset once microtask is imported, so
    the peak is the add's own, not the import's.
    """
    script = MEMORY_PROBE.format(root=str(root), path=str(path))
    child = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    )
    before, peak = (int(value) / 1024 for value in child.stdout.split())
    return before, peak


def speed(size: int, seconds: float) -> str:
    return f"{size / seconds / 1e6:,.0f} MB/s ({seconds:.3f} s)"


def measure(size: int, path: Path, scratch: Path, rounds: int, kubo: Path | None) -> list[str]:
    """One table row: the best of ``rounds`` for each contender, run alternately."""
    runs: dict[str, list[float]] = {"sha": [], "add": [], "nosync": [], "kubo": []}
    for _ in range(rounds):
        runs["sha"].append(sha256sum(path))
        runs["add"].append(local_add(path, scratch, fsync=True))
        runs["nosync"].append(local_add(path, scratch, fsync=False))
        if kubo is not None:
            runs["kubo"].append(kubo_add(kubo, path, scratch))
    best = {name: min(times) for name, times in runs.items() if times}
    row = [
        f"{size / 1e6:,.0f} MB",
        speed(size, best["sha"]),
        speed(size, best["add"]),
        f"{best['sha'] / best['add']:.2f}",
        speed(size, best["nosync"]),
    ]
    if kubo is not None:
        row.append(speed(size, best["kubo"]))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1MB,100MB,1GB")
    parser.add_argument("--rounds", type=int, default=3, help="Timed runs per size (best kept).")
    parser.add_argument("--no-kubo", action="store_true", help="Skip the ipfs add column.")
    parser.add_argument("--dir", type=Path, default=None, help="Scratch directory (default: temp).")
    args = parser.parse_args()
    console = Console()
    sizes = [parse_size(size) for size in args.sizes.split(",")]
    kubo: Path | None = None
    if not args.no_kubo:
        try:
            kubo = find_kubo()
        except ToolchainMissing:
            console.print(
                "[dim]no Kubo binary (scripts/kubo.sh builds it): no ipfs add column[/dim]"
            )

    table = Table(title="LocalStore add vs sha256sum (best of rounds; MB = 10^6 bytes)")
    for column in ("size", "sha256sum", "LocalStore add", "ratio", "add, no fsync"):
        table.add_column(column, justify="right")
    if kubo is not None:
        table.add_column("ipfs add (Kubo)", justify="right")

    with tempfile.TemporaryDirectory(dir=args.dir, prefix="microtask-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        largest = scratch / "largest.bin"
        for size in sizes:
            path = scratch / f"random-{size}.bin"
            write_random_file(path, size)
            table.add_row(*measure(size, path, scratch, args.rounds, kubo))
            if size == max(sizes):
                path.replace(largest)
            else:
                path.unlink()
        console.print(table)

        before, peak = peak_memory_mib(scratch / "memory-store", largest)
        console.print(
            f"Peak memory adding {largest.stat().st_size / 1e6:,.0f} MB: {peak:.1f} MiB resident "
            f"({before:.1f} MiB before the add, so the add itself held {peak - before:.1f} MiB)"
        )


if __name__ == "__main__":
    main()
