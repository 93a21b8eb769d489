"""GET /tasks over 100,000 indexed tasks, beside a bare FastAPI endpoint, same machine, same run.

Each server is a real uvicorn process on 127.0.0.1 (the API through `ApiServer`, as
`microtask api` runs it); the load comes from another process, a small asyncio HTTP/1.1
client on keep-alive connections. Each endpoint gets a latency phase (one connection,
requests back to back: p50/p99 of a lone client) and a throughput phase (several
connections: requests per second). One server runs at a time, so neither steals the
other's core. Aim (docs/architecture.md, Targets): /tasks p50 under 10 ms and at least half the
bare endpoint's requests per second.

The last table is the time from a task's block to its appearance in GET /tasks: anvil,
the escrow deployed, the indexer and the API running as `microtask up` runs them, a task
created, /tasks polled until it shows.

    scripts/dev.sh bench api [--tasks N] [--seconds S] [--connections C] [--no-chain]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from microtask.api.pagination import encode_cursor

REPO = Path(__file__).resolve().parents[1]
console = Console()

KINDS = ["classification", "multi_label", "free_text", "transcription", "bounding_boxes"]
TAGS = ["images", "text", "audio", "animals", "medical", "legal", "retail", "maps"]
LANGUAGES = ["en", "de", "fr", "es"]
ETH = "0x0000000000000000000000000000000000000000"
USD = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
WORKER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
NOW = 1_800_000_000


# ------------------------------------------------------------------ the database


def populate(url: str, count: int) -> float:
    """``count`` tasks with manifests, tags and a checkpoint, inserted in bulk; seconds taken."""
    from sqlalchemy import insert

    from microtask.db import make_engine, migrate
    from microtask.db.base import ManifestStatus
    from microtask.db.models import Account, Checkpoint, Manifest, ManifestTag, Task

    started = time.perf_counter()
    engine = make_engine(url, writer=True)
    migrate(engine)
    rng = random.Random(5)
    manifests, tags = [], []
    for index in range(200):
        cid = f"Qm{index:044d}"
        chosen = rng.sample(TAGS, 2)
        manifests.append(
            {
                "cid": cid, "status": ManifestStatus.OK, "attempts": 1, "title": f"task {index}",
                "kind": KINDS[index % len(KINDS)], "language": LANGUAGES[index % 4],
                "tags": chosen, "time_estimate_seconds": 30, "item_count": 10,
                "redundancy": 1, "document": None,
            }
        )  # fmt: skip
        tags += [{"cid": cid, "tag": tag} for tag in chosen]
    requesters = [f"0x{0xA000 + i:040x}" for i in range(50)]
    tasks = []
    for task_id in range(1, count + 1):
        roll = rng.random()
        cancelled = roll < 0.1
        expired = 0.1 <= roll < 0.2
        full = 0.2 <= roll < 0.3
        slots = rng.randint(1, 50)
        reward = rng.randint(1, 10_000) * 10**13
        fee = reward // 100
        available = 0 if (full or cancelled) else rng.randint(1, slots)
        tasks.append(
            {
                "task_id": task_id, "requester": requesters[task_id % 50],
                "token": USD if task_id % 5 == 0 else ETH,
                "manifest_cid": manifests[task_id % 200]["cid"], "reward": reward,
                "fee_bps": 100, "slot_count": slots, "receipt_slots": 0,
                "open_slots": available, "receipt_slots_used": 0,
                "deadline": NOW - 10 if expired else NOW + rng.randint(60, 10**6),
                "review_period": 3600, "lease": 600, "verifier": requesters[(task_id + 1) % 50],
                "arbitrator": requesters[0], "min_approved": rng.choice([0, 0, 0, 5, 20]),
                "min_approval_bps": rng.choice([0, 0, 5000, 8000]), "cancelled": cancelled,
                "receipt_slots_reclaimed": False, "escrow": (reward + fee) * slots,
                "fee": fee, "available_slots": available, "approved_slots": 0,
                "closed_slots": 0, "funded": (reward + fee) * slots, "paid": 0,
                "fees_paid": 0, "refunded": 0, "bonuses": 0, "created_block": task_id,
                "created_at": NOW - count + task_id, "created_tx": f"0x{task_id:064x}",
                "cancelled_at": None, "updated_block": task_id,
            }
        )  # fmt: skip
    with engine.begin() as connection:
        connection.execute(insert(Manifest), manifests)
        connection.execute(insert(ManifestTag), tags)
        for start in range(0, len(tasks), 20_000):
            connection.execute(insert(Task), tasks[start : start + 20_000])
        connection.execute(
            insert(Account),
            [
                {
                    "token": ETH, "address": WORKER, "balance": 0, "approved": 10,
                    "rejected": 1, "disputes_won": 0, "disputes_lost": 0, "earned": 0,
                    "bonuses": 0, "fees": 0, "refunded": 0, "funded": 0, "withdrawn": 0,
                    "updated_block": 1,
                }
            ],
        )  # fmt: skip
        connection.execute(
            insert(Checkpoint).values(
                contract="0x5FbDB2315678afecb367f032d93F642f64180aa3", chain_id=31337,
                deployment_block=1, block_number=count, block_hash="0x" + "11" * 32,
                block_timestamp=NOW, chain_head=count, chain_head_timestamp=NOW,
                chain_head_seen_at=time.time(),
            )
        )  # fmt: skip
    engine.dispose()
    return time.perf_counter() - started


# ------------------------------------------------------------------ servers (child processes)


def serve(kind: str, url: str) -> None:
    """Run one server until SIGTERM; print its port when it accepts requests."""
    from fastapi import FastAPI

    from microtask.api import create_app
    from microtask.api.server import ApiServer
    from microtask.config import Settings

    if kind == "api":
        settings = Settings(data_dir=Path(tempfile.mkdtemp()), content_store="local")
        from microtask.db import make_engine

        app = create_app(settings, engine=make_engine(url))
    else:
        app = FastAPI()
        app.state.stopping = threading.Event()

        @app.get("/bare")
        async def bare() -> dict[str, bool]:
            return {"ok": True}

    server = ApiServer(app, "127.0.0.1", 0)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    print(server.port, flush=True)
    stop.wait()
    server.stop()


class Server:
    def __init__(self, kind: str, url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", kind, "--db", url],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.strip():
            raise RuntimeError(f"the {kind} server did not start")
        self.port = int(line)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(30)


# ------------------------------------------------------------------ the load (child process)


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return status


async def _load(port: int, paths: list[str], connections: int, seconds: float) -> dict[str, Any]:
    requests = [f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode() for p in paths]
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        index = offset * (len(requests) // connections)  # apart: distinct paths stay distinct
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                status = await _request(reader, writer, requests[index % len(requests)])
                latencies.append(time.perf_counter() - started)
                errors += status != 200
                index += 1
        finally:
            writer.close()

    # warm up (the first paths: a list of distinct queries stays uncached)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for raw in requests[:5]:
        await _request(reader, writer, raw)
    writer.close()
    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "errors": errors,
    }


def load(port: int, paths: list[str], connections: int, seconds: float) -> dict[str, Any]:
    """Run the load generator in its own process (so it does not share the GIL)."""
    output = subprocess.run(
        [sys.executable, __file__, "--load", str(port), "--connections", str(connections),
         "--seconds", str(seconds)],
        input=json.dumps(paths), capture_output=True, text=True, check=True, cwd=REPO,
    ).stdout  # fmt: skip
    result: dict[str, Any] = json.loads(output)
    return result


# ------------------------------------------------------------------ block to API


def block_to_api(samples: int) -> list[float]:
    """Seconds from a task's block (its receipt) to the task showing in GET /tasks."""
    import httpx

    from microtask.api import create_app
    from microtask.api.server import ApiServer
    from microtask.chain.accounts import dev_accounts
    from microtask.chain.anvil import AnvilProcess, find_anvil
    from microtask.chain.compiler import compile_project
    from microtask.chain.deployer import deploy_platform, platform_plan
    from microtask.chain.deployments import DeploymentStore
    from microtask.chain.devchain import latest_timestamp
    from microtask.chain.escrow import TaskEscrowClient
    from microtask.chain.networks import connect
    from microtask.chain.transactions import TransactionSender
    from microtask.config import Settings
    from microtask.escrow import TaskParams
    from microtask.indexer.service import IndexerService

    root = Path(tempfile.mkdtemp())
    settings = Settings(
        data_dir=root / "data", deployments_dir=root / "deployments", content_store="local",
        cache_dir=REPO / ".microtask" / "cache",
    )  # fmt: skip
    project = compile_project(settings)
    seen: list[float] = []
    with AnvilProcess(find_anvil(settings.node_root), port=0, log_file=root / "anvil.log") as anvil:
        connection = connect(settings, "local", url=anvil.url)
        store = DeploymentStore(settings.deployments_dir, "local")
        sender = TransactionSender(connection.w3, dev_accounts()[0])
        deploy_platform(sender, store, project, plan=platform_plan(settings.escrow))
        indexer = IndexerService.open(settings, "local", connection=connection)
        indexer.start()
        server = ApiServer(create_app(settings, network="local"), "127.0.0.1", 0)
        server.start()
        escrow = TaskEscrowClient.from_deployment(connection.w3, store, dev_accounts()[1])
        try:
            with httpx.Client(base_url=server.url) as client:
                rng = random.Random(7)
                for _ in range(samples):
                    # at a random point of the indexer's poll cycle, not right after a poll
                    time.sleep(rng.uniform(0, settings.poll_interval))
                    params = TaskParams(
                        manifest_cid=b"\x12\x20" + os.urandom(32), reward=10**15, slots=2,
                        deadline=latest_timestamp(connection.w3) + 86_400, review_period=3600,
                        lease=600,
                    )  # fmt: skip
                    task_id, _ = escrow.create_task(params)
                    mined = time.perf_counter()
                    while True:
                        page = client.get("/tasks", params={"status": "all", "limit": 1}).json()
                        if page["data"] and page["data"][0]["task_id"] == task_id:
                            break
                        time.sleep(0.002)
                    seen.append(time.perf_counter() - mined)
        finally:
            server.stop()
            indexer.stop()
    return seen


# ------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="per phase")
    parser.add_argument("--connections", type=int, default=8, help="throughput phase")
    parser.add_argument("--samples", type=int, default=20, help="block-to-API samples")
    parser.add_argument("--no-chain", action="store_true", help="skip block-to-API")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--load", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.db)
        return
    if args.load:
        result = asyncio.run(
            _load(args.load, json.loads(sys.stdin.read()), args.connections, args.seconds)
        )
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/index.sqlite"
        took = populate(url, args.tasks)
        console.print(f"inserted {args.tasks:,} tasks in {took:.1f} s (SQLite, {url})")
        api_paths = {
            "GET /tasks": ["/tasks"],
            "GET /tasks?cursor=…, uncached (every page new)": [
                f"/tasks?cursor={encode_cursor('-created', [args.tasks - i])}"
                for i in range(1, 20_000)
            ],
            "GET /tasks?token=…&min_reward=…, uncached (every query new)": [
                f"/tasks?token={USD}&min_reward={i * 10**12}" for i in range(1, 20_000)
            ],
            "GET /tasks?kind=…&min_reward=…, uncached (every query new)": [
                f"/tasks?kind=classification&min_reward={i * 10**12}" for i in range(1, 20_000)
            ],
            "GET /tasks?eligible_for=…&min_reward=…, uncached (every query new)": [
                f"/tasks?eligible_for={WORKER}&min_reward={i * 10**12}" for i in range(1, 20_000)
            ],
            "GET /tasks?sort=-reward&token=…": [f"/tasks?sort=-reward&token={ETH}"],
            "GET /tasks?tag=…&eligible_for=…": [f"/tasks?tag=images&eligible_for={WORKER}"],
        }
        rows = []
        with Server("bare", url) as bare:
            rows.append(("bare FastAPI (async, {ok: true})", bare.port, ["/bare"]))
            results = {
                "bare": (
                    load(bare.port, ["/bare"], 1, args.seconds),
                    load(bare.port, ["/bare"], args.connections, args.seconds),
                )
            }
        with Server("api", url) as api:
            for name, paths in api_paths.items():
                results[name] = (
                    load(api.port, paths, 1, args.seconds),
                    load(api.port, paths, args.connections, args.seconds),
                )
    table = Table(
        "endpoint", "p50 ms (1 conn)", "p99 ms (1 conn)",
        f"req/s ({args.connections} conns)", f"p50 ms ({args.connections} conns)",
        "vs bare req/s", "errors",
        title=f"GET /tasks with {args.tasks:,} tasks (SQLite), uvicorn on 127.0.0.1",
    )  # fmt: skip
    bare_rps = results["bare"][1]["rps"]
    for name, (lone, many) in results.items():
        table.add_row(
            "bare FastAPI endpoint" if name == "bare" else name,
            f"{lone['p50']:.2f}",
            f"{lone['p99']:.2f}",
            f"{many['rps']:,.0f}",
            f"{many['p50']:.2f}",
            f"{many['rps'] / bare_rps:.2f}",
            str(lone["errors"] + many["errors"]),
        )
    console.print(table)
    if not args.no_chain:
        from microtask.config import Settings

        seen = block_to_api(args.samples)
        chain = Table("samples", "p50 ms", "max ms", "poll interval ms",
                      title="task block → visible in GET /tasks (anvil, indexer, API)")  # fmt: skip
        chain.add_row(
            str(len(seen)),
            f"{statistics.median(seen) * 1000:.0f}",
            f"{max(seen) * 1000:.0f}",
            f"{Settings().poll_interval * 1000:.0f}",
        )
        console.print(chain)


if __name__ == "__main__":
    main()
