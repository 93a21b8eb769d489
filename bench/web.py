"""The web app: pages over 100,000 indexed tasks, the script each page ships, and sealing in
the browser.

1. **Time to first byte** of the task list (``GET /``), anonymous and for a connected
   worker (ranked by match), p50 and p99 over sequential requests on one keep-alive
   connection, with 100,000 tasks in a SQLite index (seeded as bench/api.py seeds it); the
   server is a child process, as `microtask up` serves it.
2. **A loaded task list** in Debian's chromium: navigation until the page's script has
   set itself up (``html[data-ready]``), p50.
3. **JavaScript shipped per page**, gzipped, as Chromium received it (aim: under 60 kB on
   the task list, DESIGN.md section 6).
4. **Sealing and signing one answer in the browser**: `microtask up --demo` in a child
   process, a development account, the demo's sentiment task answered item by item; the
   page's own User Timing marks give the time to seal (AES-GCM, ECIES to two recipients,
   canonical JSON, keccak) and to seal and have the wallet sign (EIP-712 over anvil).

    scripts/dev.sh bench web [--tasks N] [--requests N] [--loads N] [--no-chain]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for bench.api's seeding
from bench.api import ETH, USD, WORKER, populate

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PAGES = {
    "task list": "/",
    "task": "/task/1",
    "my work": "/my-work",
    "earnings": "/earnings",
    "profile": f"/profile/{WORKER}",
    "leaderboard": "/leaders",
}
console = Console()


def serve(url: str) -> None:
    """The API with its pages over ``url`` until SIGTERM; prints its port when ready."""
    from microtask.api import create_app
    from microtask.api.server import ApiServer
    from microtask.client import Token
    from microtask.config import Settings
    from microtask.db import make_engine
    from microtask.web import Site, attach_site

    settings = Settings(data_dir=Path(tempfile.mkdtemp()), content_store="local")
    app = create_app(settings, engine=make_engine(url), with_pages=True)
    attach_site(
        app,
        Site(
            network="local",
            chain_id=31337,
            chain_name="Anvil (local)",
            escrow="0x5FbDB2315678afecb367f032d93F642f64180aa3",
            dispute_window=3 * 24 * 3600,
            tokens={ETH: Token.eth(), USD: Token(USD, "dUSD", 6)},
        ),
    )
    server = ApiServer(app, "127.0.0.1", 0)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    print(server.port, flush=True)
    stop.wait()
    server.stop()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def ttfb(base: str, requests: int, cookies: dict[str, str]) -> list[float]:
    """Milliseconds from sending ``GET /`` to its status line and headers."""
    samples = []
    with httpx.Client(base_url=base, cookies=cookies, timeout=30) as client:
        client.get("/")  # warm: templates compiled, connection open
        for _ in range(requests):
            started = time.perf_counter()
            with client.stream("GET", "/") as response:
                samples.append((time.perf_counter() - started) * 1000)
                response.read()
                assert response.status_code == 200
    return samples


def browse(base: str, loads: int) -> tuple[list[float], dict[str, int]]:
    """Loaded-task-list times (ms) and the gzipped JavaScript each page received (bytes)."""
    from playwright.sync_api import sync_playwright

    times: list[float] = []
    shipped: dict[str, int] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(loads):
            context = browser.new_context(base_url=base)
            page = context.new_page()
            started = time.perf_counter()
            page.goto("/")
            page.wait_for_selector("html[data-ready=true]", state="attached")
            times.append((time.perf_counter() - started) * 1000)
            context.close()
        for name, path in PAGES.items():
            context = browser.new_context(base_url=base)
            page = context.new_page()
            sizes: list[int] = []

            def record(response: Any, sizes: list[int] = sizes) -> None:
                if response.request.resource_type == "script":
                    sizes.append(int(response.headers.get("content-length", "0")))

            page.on("response", record)
            page.goto(path)
            page.wait_for_selector("html[data-ready=true]", state="attached")
            page.wait_for_load_state("networkidle")
            shipped[name] = sum(sizes)
            context.close()
        browser.close()
    return times, shipped


def seal_in_browser() -> tuple[list[float], list[float]]:
    """Seal, and seal-and-sign, milliseconds per answer, on `microtask up --demo`."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MICROTASK_")}
        env.update(
            MICROTASK_DATA_DIR=f"{home}/data",
            MICROTASK_DEPLOYMENTS_DIR=f"{home}/deployments",
            MICROTASK_CONTENT_STORE="local",
            MICROTASK_CONFIG=f"{home}/absent.toml",
            COLUMNS="200",
        )
        up = subprocess.Popen(
            [sys.executable, "-m", "microtask", "up", "--demo", "--port", "0", "--api-port", "0"],
            env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            assert up.stdout is not None
            base = ""
            for line in up.stdout:
                if line.strip().startswith("web app"):
                    base = line.split()[2].rstrip("/")
                if "microtask is up" in line:
                    break
            assert base, "microtask up printed no web app URL"
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_context(base_url=base).new_page()
                page.goto("/task/2")
                page.wait_for_selector("html[data-ready=true]", state="attached")
                page.click("#wallet-button")
                page.wait_for_selector("#dev-accounts:not([hidden])")
                page.select_option("#dev-account", index=3)
                page.click("#dev-use")
                page.wait_for_selector("html[data-wallet=connected]", state="attached")
                page.wait_for_selector("html[data-ready=true]", state="attached")
                page.click("#accept")
                for done in range(1, 7):
                    page.locator("#item input[name=label]").first.wait_for()
                    page.locator("#item input[name=label]").first.check()
                    page.click("#hand-in")
                    page.locator("#done-list li").nth(done - 1).wait_for(state="attached")
                measures = page.evaluate(
                    "() => performance.getEntriesByType('measure').map(m => [m.name, m.duration])"
                )
                browser.close()
        finally:
            up.send_signal(signal.SIGINT)
            try:
                up.wait(60)
            except subprocess.TimeoutExpired:
                up.kill()
    seal = [d for name, d in measures if name == "microtask:seal"]
    signed = [d for name, d in measures if name == "microtask:seal-and-sign"]
    return seal, signed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--no-chain", action="store_true", help="skip the sealing benchmark")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.db)
        return
    subprocess.run(["node", "scripts/build_web.mjs"], cwd=REPO, check=True)
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/index.sqlite"
        seeded = populate(url, args.tasks)
        console.print(f"seeded {args.tasks:,} tasks in {seeded:.1f} s")
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--db", url], stdout=subprocess.PIPE, text=True,
            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        )  # fmt: skip
        try:
            assert server.stdout is not None
            base = f"http://127.0.0.1:{int(server.stdout.readline())}"
            anonymous = ttfb(base, args.requests, {})
            worker = ttfb(base, args.requests, {"mt_worker": WORKER})
            loaded, shipped = browse(base, args.loads)
        finally:
            server.terminate()
            server.wait(30)

    table = Table(title=f"web app, {args.tasks:,} tasks in the index (SQLite)")
    for column in ("measure", "p50", "p99", "aim"):
        table.add_column(column, justify="right" if column != "measure" else "left")
    table.add_row(
        "TTFB GET / (anonymous)",
        f"{statistics.median(anonymous):.1f} ms",
        f"{percentile(anonymous, 0.99):.1f} ms",
        "< 50 ms",
    )
    table.add_row(
        "TTFB GET / (worker: match, not-eligible list)",
        f"{statistics.median(worker):.1f} ms",
        f"{percentile(worker, 0.99):.1f} ms",
        "< 50 ms",
    )
    table.add_row(
        "task list loaded in Chromium (script ready)",
        f"{statistics.median(loaded):.0f} ms",
        f"{percentile(loaded, 0.99):.0f} ms",
        "",
    )
    console.print(table)
    shipped_table = Table(title="JavaScript per page (gzipped, as Chromium received it)")
    shipped_table.add_column("page")
    shipped_table.add_column("kB", justify="right")
    for name, size in shipped.items():
        shipped_table.add_row(
            name, f"{size / 1000:.1f}" + (" (aim < 60)" if name == "task list" else "")
        )
    console.print(shipped_table)
    if not args.no_chain:
        seal, signed = seal_in_browser()
        sealing = Table(title="one answer in Chromium (demo sentiment task, 6 answers)")
        sealing.add_column("step")
        sealing.add_column("p50", justify="right")
        sealing.add_row("seal (AES-GCM + ECIES x2 + keccak)", f"{statistics.median(seal):.1f} ms")
        sealing.add_row(
            "seal + EIP-712 signature (dev account on anvil)", f"{statistics.median(signed):.1f} ms"
        )
        console.print(sealing)


if __name__ == "__main__":
    main()
