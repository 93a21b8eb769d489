"""Cold and warm compile times of the project's contracts.

Cold: an empty cache, so py-solc-x starts the solcjs launcher (or the configured native
solc) and compiles everything. Warm: unchanged sources, so the build comes from the cache
(reading the sources and hashing the input is all that is left). Aim (docs/architecture.md,
Targets): warm under 100 ms.

    scripts/dev.sh bench compile [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from microtask.chain.compiler import compile_project
from microtask.config import Settings


def measure(rounds: int) -> Table:
    cold: list[float] = []
    warm: list[float] = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as data_dir:
            settings = Settings(data_dir=Path(data_dir))
            started = time.perf_counter()
            project = compile_project(settings)
            cold.append(time.perf_counter() - started)
            assert not project.from_cache
            for _ in range(10):
                started = time.perf_counter()
                project = compile_project(settings)
                warm.append(time.perf_counter() - started)
                assert project.from_cache
    table = Table("compile", "runs", "median ms", "min ms", "max ms", title=project.compiler)
    for name, samples in (("cold (empty cache)", cold), ("warm (cached)", warm)):
        table.add_row(
            name,
            str(len(samples)),
            f"{statistics.median(samples) * 1000:.1f}",
            f"{min(samples) * 1000:.1f}",
            f"{max(samples) * 1000:.1f}",
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="cold compiles (10 warm each)")
    args = parser.parse_args()
    Console().print(measure(args.rounds))


if __name__ == "__main__":
    main()
