"""Gasless work at marketplace scale: simulated workers against a running `microtask up`.

For each database layout, `microtask up --demo` runs as a child process exactly as a user
starts it (SQLite: its default, one process; PostgreSQL: a temporary server and whatever
layout `up` picks for this machine). For each load level, the demo requester (dev account
1, whose policy lets scripted answers through the too-fast check) posts a gasless
classification task through `microtask.client.Requester`; then simulated workers, each
with a fresh key and no gas, run in load processes of their own and do the task through
the project's own worker functions (`Worker.work_gasless`: sign a slot request, claim,
seal the answer to the slot's item, upload the envelope, hand it in, check and keep the
receipt) until the verifier has no slot left for them. A share of them is careless
(every answer wrong), so the verifier settles both approvals and rejections.

Per level it prints slots receipted per second (from the first claim to the last
receipt), p50 and p99 of each endpoint as the workers saw it, errors by status, the pace
in the first and the last fifth of the slots, the time from the last receipt to every
slot settled on chain, the settlement gas, and a check of the whole task afterwards:
every slot receipted once, decided once and settled on chain once for the worker who
holds its receipt (`SlotsApproved`/`SlotsRejected` events), the verifier's own account of
it (`GET /verifier/tasks/{id}`), and every worker's balance in the escrow. And the CPU
each slot cost, from "go" to everything settled: `up` with every process it started
(anvil included), the PostgreSQL server, and the simulated workers. Unlike slots per
second, that hardly moves when other work shares the machine.

The machine is shared: the load average is printed beside each level.

    scripts/dev.sh bench load [--databases sqlite,postgresql] [--levels 1x60,10x600,...]
                              [--careless 0.2] [--load-processes N]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.postgres import PostgresServer, find_pg_bin  # noqa: E402

from microtask.services import ManagedProcess  # noqa: E402

console = Console(width=300)
LABELS = ("positive", "neutral", "negative")
REWARD = 10_000  # 0.01 dUSD a slot
LEVELS = "1x60,10x600,50x600,50x2000,200x2000"
GOLD_SHARE = 0.25
SETTLE_TIMEOUT = float(os.environ.get("MICROTASK_BENCH_SETTLE_TIMEOUT", "900"))
ENDPOINTS = {
    ("POST", "/verifier/claims"): "claim",
    ("POST", "/content"): "upload",
    ("POST", "/verifier/submissions"): "submit",
}


def tree_cpu_seconds(root: int | None) -> float:
    """CPU time (user + system) of ``root`` and every process below it, from /proc (Linux);
    NaN elsewhere. A process that ended counts through its parent's time for children
    it waited for (PostgreSQL's backends come and go with connections)."""
    if root is None or not Path("/proc/self/stat").exists():
        return float("nan")
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = sum(int(fields[n]) for n in (11, 12, 13, 14)) / tick
    inside = {root}
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in inside and pid not in inside:
                inside.add(pid)
                changed = True
    return sum(cpu.get(pid, 0.0) for pid in inside)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ------------------------------------------------------------------ the platform under test


@dataclass(frozen=True)
class Layout:
    """Where `up` keeps its index: SQLite (its default) or a PostgreSQL database."""

    name: str
    database_url: str | None


def environment(root: Path, anvil_port: int, api_port: int, layout: Layout) -> dict[str, str]:
    """The settings `up`, the requester and the load processes share (as MICROTASK_*)."""
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("MICROTASK_"):
            del env[key]
    env.update(
        MICROTASK_PROJECT_ROOT=str(REPO),
        MICROTASK_DATA_DIR=str(root / "data"),
        MICROTASK_DEPLOYMENTS_DIR=str(root / "deployments"),
        MICROTASK_CACHE_DIR=str(REPO / ".microtask" / "cache"),
        MICROTASK_CONTENT_STORE="local",
        MICROTASK_API_PORT=str(api_port),
        MICROTASK_MTURK_PORT="0",  # any free port: the demo's MTurk endpoint is not measured
        MICROTASK_NETWORKS=json.dumps(
            {"local": {"kind": "anvil", "chain_id": 31337, "port": anvil_port}}
        ),
        MICROTASK_CONFIG=str(root / "none.toml"),
    )
    if layout.database_url is not None:
        env["MICROTASK_DATABASE_URL"] = layout.database_url
    return env


class Up(ManagedProcess):
    """`microtask up --demo --fresh` with the bench's settings; ready when it says so."""

    name = "microtask up"
    stop_signal = signal.SIGINT
    stop_timeout = 60.0
    tail_lines = 60

    def __init__(self, env: dict[str, str], log_file: Path) -> None:
        super().__init__(log_file=log_file)
        self.env = env

    def command(self) -> list[str]:
        return [sys.executable, "-m", "microtask", "up", "--demo", "--fresh"]

    def environment(self) -> dict[str, str]:
        return self.env

    def on_output(self, line: str) -> bool:
        return "microtask is up" in line

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.env['MICROTASK_API_PORT']}"

    def processes(self) -> str:
        """The layout `up` reported ("processes" row), else one process."""
        for line in self.output:
            if line.strip().startswith("processes"):
                return line.strip()[len("processes") :].strip()
        return "1"


class DurablePostgres(PostgresServer):
    """PostgreSQL as it would run for real: fsync and synchronous commit on, room for
    every process's connection pool."""

    def command(self) -> list[str]:
        return self._command(
            str(self.bin_dir / "postgres"), "-D", str(self.data),
            "-h", "127.0.0.1", "-p", str(self.port), "-k", str(self.root),
            "-c", "max_connections=300", "-c", "shared_buffers=128MB",
        )  # fmt: skip


@contextmanager
def postgres() -> Iterator[PostgresServer | None]:
    bin_dir = find_pg_bin()
    if bin_dir is None:
        yield None
        return
    server = DurablePostgres(bin_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ------------------------------------------------------------------ the task


@dataclass
class PostedTask:
    task_id: int
    slots: int
    items: int
    truth: dict[str, str]
    token: str


def post_task(env: dict[str, str], items: int, redundancy: int, seed: int) -> PostedTask:
    """The demo requester posts a gasless classification task; a quarter of its items gold."""
    from microtask.chain.accounts import dev_accounts
    from microtask.client import Platform, Requester, TaskTerms
    from microtask.config import Settings
    from microtask.manifests.answers import ClassificationAnswer
    from microtask.manifests.gold import seal_gold_answer

    rng = random.Random(seed)
    truth = {f"review-{n}": rng.choice(LABELS) for n in range(items)}
    with settings_env(env), Platform.open(Settings(), "local") as platform:
        key = platform.verifier_info().public_key
        gold_ids = [item for n, item in enumerate(truth) if n % round(1 / GOLD_SHARE) == 0]
        manifest = {
            "type": "microtask/task-manifest",
            "title": f"Sentiment of {items} product reviews",
            "instructions": "Pick the review's overall sentiment.",
            "kind": "classification",
            "answer_schema": {
                "kind": "classification",
                "labels": [{"id": label, "text": label.title()} for label in LABELS],
            },
            "inputs": {
                "source": "inline",
                "items": [
                    {"id": item, "data": {"text": f"review {n}: it was {label}"}}
                    for n, (item, label) in enumerate(truth.items())
                ],
            },
            "gold": {
                "scheme": "encrypted",
                "items": [
                    {
                        "item_id": item,
                        "sealed_answer": base64.b64encode(
                            seal_gold_answer(ClassificationAnswer(label=truth[item]), key)
                        ).decode(),
                    }
                    for item in gold_ids
                ],
            },
            "redundancy": redundancy,
            "tags": ["text", "sentiment"],
            "time_estimate_seconds": 20,
        }
        requester = Requester(platform, dev_accounts()[1])
        token = platform.token("dUSD")
        terms = TaskTerms(REWARD, token, gasless=True, review_period=24 * 3600, lease=1800)
        created = requester.create_task(requester.draft_task(manifest, terms))
        deadline = time.monotonic() + 60
        while True:  # the verifier reads the task from the index
            try:
                platform.verification(created.task_id)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        return PostedTask(created.task_id, items * redundancy, items, truth, token.address)


@contextmanager
def settings_env(env: dict[str, str]) -> Iterator[None]:
    """``env``'s MICROTASK_* settings in this process, for `Settings()`."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("MICROTASK_")}
    for key in saved:
        del os.environ[key]
    os.environ.update({k: v for k, v in env.items() if k.startswith("MICROTASK_")})
    try:
        yield
    finally:
        for key in [k for k in os.environ if k.startswith("MICROTASK_")]:
            del os.environ[key]
        os.environ.update(saved)


# ------------------------------------------------------------------ load processes


def client_main(spec: dict[str, Any]) -> None:
    """A load process: its share of the workers, in threads, from "go" until no slot is
    left; prints one JSON line with every request's timing and every receipt."""
    from eth_account import Account

    from microtask.client import Platform, Worker
    from microtask.client.errors import ApiRefused
    from microtask.config import Settings
    from microtask.manifests import ItemAnswer, SubmissionAnswers
    from microtask.manifests.answers import ClassificationAnswer

    timings: list[tuple[str, float, int]] = []
    receipts: list[tuple[float, int, str, str]] = []
    errors: list[str] = []

    def timed(method: str, path: str, seconds: float, status: int) -> None:
        """Each request to the endpoints the workers use, timed by the API client itself
        (from sending to the whole answer read), and its status."""
        timings.append((ENDPOINTS.get((method, path), "other"), seconds, status))

    settings = Settings()
    platform = Platform.open(settings, "local")
    platform.api.close()
    from microtask.client.api import ApiClient

    platform.api = ApiClient.for_settings(settings, observe=timed)
    task_id = int(spec["task_id"])
    published = platform.manifest(task_id)
    platform.task(task_id)  # web3 connected before the clock starts
    platform.task_parties(task_id)  # who signs receipts: read once per process, before too
    # what `Worker.request_slot` imports on first use (the verifier's request types pull in
    # the verifier package: ~1.5 s of CPU once per process) is loaded before the clock
    # starts too, as in a worker that has been running: the column is CPU per slot
    import microtask.client.verifier_requests  # noqa: F401

    truth: dict[str, str] = spec["truth"]

    def answers(careless: bool) -> SubmissionAnswers:
        chosen = {
            item: LABELS[(LABELS.index(label) + 1) % 3] if careless else label
            for item, label in truth.items()
        }
        return SubmissionAnswers(
            answers=[
                ItemAnswer(item_id=item, answer=ClassificationAnswer(label=label))
                for item, label in chosen.items()
            ]
        )

    careful, careless = answers(False), answers(True)

    def work(index: int) -> None:
        worker = Worker(platform, Account.create())
        mine = careless if index in spec["careless"] else careful
        failures = 0
        while failures < 20:
            try:
                done = worker.work_gasless(task_id, mine, manifest=published)
            except ApiRefused as refused:
                if refused.status == 409 and "no receipt slot" in str(refused):
                    return
                errors.append(f"{refused.status}: {str(refused)[:120]}")
                failures += 1
                continue
            except Exception as error:
                errors.append(f"{type(error).__name__}: {str(error)[:120]}")
                failures += 1
                continue
            receipts.append((time.time(), done.grant.slot, worker.address, done.receipt.worker))

    threads = [threading.Thread(target=work, args=(i,)) for i in spec["workers"]]
    print("ready", flush=True)
    sys.stdin.readline()  # "go"
    started = time.time()
    cpu_at_go = time.process_time()
    system_at_go = os.times().system
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seen = {
        "started": started,
        "timings": timings,
        "receipts": receipts,
        "errors": errors,
        "cpu": time.process_time() - cpu_at_go,
        "system": os.times().system - system_at_go,
    }
    # a file, not stdout: anything else printing to stdout (a library's warning, a
    # profiler) must not split the one line the bench reads
    Path(spec["out"]).write_text(json.dumps(seen), encoding="utf-8")
    print("done", flush=True)
    platform.api.close()
    platform.close()


@dataclass
class LoadResult:
    started: float
    timings: list[tuple[str, float, int]] = field(default_factory=list)
    receipts: list[tuple[float, int, str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu: float = 0.0  # seconds the load processes spent on CPU from "go"
    system: float = 0.0  # of which in the kernel (sockets, fsync, thread switches)


def run_load(
    env: dict[str, str], task: PostedTask, workers: int, careless: float, processes: int
) -> LoadResult:
    """Start the load processes, wait until each is ready, say go, gather what they saw."""
    rng = random.Random(workers)
    bad = set(rng.sample(range(workers), round(workers * careless)))
    if workers > 1 and not bad and careless > 0:
        bad = {0}
    shares = [list(range(p, workers, processes)) for p in range(processes)]
    children = []
    outputs = Path(tempfile.mkdtemp(prefix="microtask-load-"))
    for number, share in enumerate(shares):
        spec = {
            "task_id": task.task_id,
            "truth": task.truth,
            "workers": share,
            "careless": sorted(bad & set(share)),
            "out": str(outputs / f"load-{number}.json"),
        }
        children.append(
            subprocess.Popen(
                [sys.executable, __file__, "--client", json.dumps(spec)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=env,
                cwd=REPO,
            )
        )
    for child in children:
        assert child.stdout is not None
        line = child.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"a load process failed to start: {line!r}")
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    result = LoadResult(started=float("inf"))
    for number, child in enumerate(children):
        assert child.stdout is not None
        for line in child.stdout:  # until "done" (or the end: then the file is missing)
            if line.strip() == "done":
                break
        child.wait()
        out = json.loads((outputs / f"load-{number}.json").read_text(encoding="utf-8"))
        result.started = min(result.started, out["started"])
        result.timings += [tuple(t) for t in out["timings"]]
        result.receipts += [tuple(r) for r in out["receipts"]]
        result.errors += out["errors"]
        result.cpu += out["cpu"]
        result.system += out["system"]
    shutil.rmtree(outputs, ignore_errors=True)
    return result


# ------------------------------------------------------------------ afterwards


@dataclass
class Settlement:
    seconds: float
    decisions: Counter[str]
    gas: int
    transactions: int
    problems: list[str]


def settle_and_check(
    env: dict[str, str], task: PostedTask, load: LoadResult, last_receipt: float
) -> Settlement:
    """Wait for every slot to be settled on chain, then check everything against the
    receipts the workers hold."""
    from microtask.client import Platform
    from microtask.config import Settings

    problems: list[str] = []
    holders: dict[int, list[str]] = defaultdict(list)
    for _, slot, worker, named in load.receipts:
        holders[slot].append(worker)
        if named != worker:
            problems.append(f"slot {slot}: receipt names {named}, held by {worker}")
    doubled = {slot: who for slot, who in holders.items() if len(who) > 1}
    if doubled:
        problems.append(f"{len(doubled)} slots receipted more than once: {sorted(doubled)[:10]}")
    missing = set(range(task.slots)) - set(holders)
    if missing:
        problems.append(f"{len(missing)} slots never receipted: {sorted(missing)[:10]}")
    with settings_env(env), Platform.open(Settings(), "local") as platform:
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while True:
            status = platform.verification(task.task_id)
            decided = status.decisions
            unsettled = [d for d in decided if d.settled not in ("approved", "rejected")]
            if len(decided) >= len(holders) and not unsettled:
                break
            if time.monotonic() > deadline:
                problems.append(
                    f"not settled after {SETTLE_TIMEOUT:.0f} s: "
                    f"{Counter(d.settled for d in decided)}"
                )
                break
            time.sleep(0.2)
        settled_at = time.time()
        if status.receipted != len(holders):
            problems.append(f"the verifier counts {status.receipted} receipts, workers hold "
                            f"{len(holders)}")  # fmt: skip
        for decision in decided:
            if holders.get(decision.slot) != [decision.worker]:
                problems.append(f"slot {decision.slot} decided for {decision.worker}, "
                                f"receipted to {holders.get(decision.slot)}")  # fmt: skip
        on_chain: dict[int, list[tuple[str, str]]] = defaultdict(list)
        reader = platform.reader
        first = platform.record.block_number
        for name, outcome in (("SlotsApproved", "approved"), ("SlotsRejected", "rejected")):
            for log in reader.logs(name, from_block=first, task_id=task.task_id):
                for slot, worker in zip(log["slots"], log["workers"], strict=True):
                    on_chain[int(slot)].append((outcome, str(worker)))
        for slot, worker in holders.items():
            got = on_chain.get(slot, [])
            if len(got) != 1 or got[0][1] != worker[0]:
                problems.append(f"slot {slot} settled on chain as {got}, receipted to {worker}")
        approved_by: Counter[str] = Counter(
            got[0][1] for got in on_chain.values() if got and got[0][0] == "approved"
        )
        for worker in {w for who in holders.values() for w in who}:
            balance = reader.balance(worker, task.token)
            if balance != approved_by[worker] * REWARD:
                problems.append(f"{worker} holds {balance}, approved for "
                                f"{approved_by[worker]} slots")  # fmt: skip
        gas = 0
        txs = status.document().get("transactions", [])
        mined = [t for t in txs if t["status"] == "mined"]
        for tx in mined:
            gas += int(platform.w3.eth.get_transaction_receipt(tx["tx_hash"])["gasUsed"])
    return Settlement(
        seconds=settled_at - last_receipt,
        decisions=Counter(d.settled for d in decided),
        gas=gas,
        transactions=len(mined),
        problems=problems,
    )


# ------------------------------------------------------------------ one level, and the table


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def pace(times: list[float], started: float) -> tuple[float, float]:
    """Receipts per second over the first and the last fifth of the slots."""
    n = len(times)
    k = max(1, n // 5)
    first = k / max(times[k - 1] - started, 1e-9)
    last = k / max(times[-1] - times[-k - 1] if n > k else times[-1] - started, 1e-9)
    return first, last


def ms(values: list[float]) -> str:
    return f"{percentile(values, 0.5) * 1000:,.0f} / {percentile(values, 0.99) * 1000:,.0f}"


def level(
    env: dict[str, str],
    workers: int,
    slots: int,
    careless: float,
    processes: int,
    seed: int,
    servers: tuple[int | None, int | None],
) -> list[str]:
    """Post a task of ``slots``, work it with ``workers``, check it: one table row.

    ``servers`` are the process ids of `up` and of the PostgreSQL server (if any): their
    CPU time from "go" to everything settled, per slot, is what a slot costs the platform
    whatever else runs on the machine."""
    redundancy = 1 if workers == 1 else (3 if slots <= 600 else 5)
    task = post_task(env, slots // redundancy, redundancy, seed)
    load_before = os.getloadavg()[0]
    cpu_before = [tree_cpu_seconds(pid) for pid in servers]
    load = run_load(env, task, workers, careless, min(workers, processes))
    load_after = os.getloadavg()[0]
    times = sorted(r[0] for r in load.receipts)
    if not times:
        raise RuntimeError(f"no receipts at all: {load.errors[:5]}")
    elapsed = times[-1] - load.started
    settlement = settle_and_check(env, task, load, times[-1])
    platform_cpu, database_cpu = (
        tree_cpu_seconds(pid) - before for pid, before in zip(servers, cpu_before, strict=True)
    )
    by_endpoint: dict[str, list[float]] = defaultdict(list)
    statuses: Counter[str] = Counter()
    for name, seconds, status in load.timings:
        by_endpoint[name].append(seconds)
        if status >= 400:
            statuses[f"{name} {status}"] += 1
    ends = statuses.pop("claim 409", 0)
    statuses_text = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())) or "none"
    if ends > workers:
        statuses_text += f" (+{ends - workers} extra 409 on claims)"
    first, last = pace(times, load.started)
    problems = settlement.problems
    for error, count in Counter(load.errors).most_common(5):
        console.print(f"  [red]{count} x {error}[/red]")
    for problem in problems[:10]:
        console.print(f"  [red]{problem}[/red]")
    decided = settlement.decisions
    console.print(
        f"  workers' CPU: {load.cpu * 1000 / len(times):,.1f} ms/slot, of which in the kernel "
        f"{load.system * 1000 / len(times):,.1f}"
    )
    return [
        str(workers),
        f"{len(times):,}",
        f"{len(times) / elapsed:,.1f}",
        ms(by_endpoint["claim"]),
        ms(by_endpoint["upload"]),
        ms(by_endpoint["submit"]),
        statuses_text,
        f"{first:,.1f} → {last:,.1f}",
        f"{settlement.seconds:,.1f} s",
        f"{decided['approved']} / {decided['rejected']}",
        f"{settlement.gas:,} ({settlement.gas // max(1, len(times)):,}/slot, "
        f"{settlement.transactions} tx)",
        "[green]exactly once[/green]" if not problems else f"[red]{len(problems)} problems[/red]",
        " / ".join(
            "-" if cpu != cpu else f"{cpu * 1000 / len(times):,.1f}"
            for cpu in (platform_cpu, database_cpu, load.cpu)
        ),
        f"{load_before:.1f} → {load_after:.1f}",
    ]


COLUMNS = (
    "workers", "slots", "slots/s", "claim p50/p99 ms", "upload p50/p99 ms",
    "submit p50/p99 ms", "errors", "pace first → last fifth /s", "last receipt → settled",
    "approved / rejected", "settlement gas", "every slot",
    "CPU ms/slot: up / PostgreSQL / workers", "load avg",
)  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--levels", default=LEVELS, help="WORKERSxSLOTS, comma-separated.")
    parser.add_argument("--careless", type=float, default=0.2, help="Share of careless workers.")
    parser.add_argument(
        "--load-processes", type=int, default=max(2, os.cpu_count() or 2),
        help="Processes the simulated workers run in (threads inside each).",
    )  # fmt: skip
    options = parser.parse_args(argv)
    if options.client:
        client_main(json.loads(options.client))
        return
    levels = [tuple(int(n) for n in text.split("x")) for text in options.levels.split(",")]
    console.print(
        f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} "
        f"{os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}"
    )
    with tempfile.TemporaryDirectory() as scratch, postgres() as pg:
        for database in options.databases.split(","):
            if database == "postgresql" and pg is None:
                console.print("PostgreSQL binaries not found: skipped")
                continue
            url = pg.new_database() if database == "postgresql" and pg is not None else None
            root = Path(scratch) / database
            root.mkdir()
            env = environment(root, free_port(), free_port(), Layout(database, url))
            up = Up(env, root / "up.log")
            console.print(f"starting microtask up on {database} …")
            up.start(timeout=300)
            try:
                table = Table(title=f"gasless load: {database}, processes: {up.processes()}")
                for column in COLUMNS:
                    table.add_column(column, justify="right")
                for seed, (workers, slots) in enumerate(levels):
                    console.print(f"  {workers} workers on a {slots}-slot task …")
                    table.add_row(
                        *level(
                            env,
                            workers,
                            slots,
                            options.careless,
                            options.load_processes,
                            seed,
                            (up.pid, pg.pid if database == "postgresql" and pg else None),
                        )
                    )
                console.print(table)
            finally:
                up.stop()


if __name__ == "__main__":
    main()
