"""`Offload`: the app's own threads for the blocking calls of the gasless slot's requests.

A claim, a submission and an upload each make one blocking call (the verifier's database
work, the content store's write and fsync) that must not hold the event loop. FastAPI's
way, `run_in_threadpool`, goes through anyio per call (a capacity limiter, the async
library sniffed, run-variable lookups, a worker-thread handshake); a plain executor hands
the call over with one queue put and hands the answer back with one loop wake-up, on
the three requests every slot makes.

The pool is small on purpose. On SQLite writers queue on one gate anyway, and every
extra thread runnable at once is one more contender for the interpreter lock with the
event loop; on PostgreSQL each API process has its own pool, and a claim or a submission
does not wait on the chain (the verifier's clock reads the index). Requests beyond the
pool wait in its queue, in order, instead of on a lock.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Final, TypeVar

T = TypeVar("T")

THREADS: Final = 8
"""Threads per API process for the hot routes' blocking calls (see the module's note)."""


class Offload:
    """A thread pool started on first use and stopped by `close` (the app's lifespan);
    used again after `close`, it starts afresh (a test client may run the lifespan twice)."""

    def __init__(self, threads: int = THREADS) -> None:
        self._threads = threads
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def _pool(self) -> ThreadPoolExecutor:
        executor = self._executor
        if executor is None:
            with self._lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(
                        self._threads, thread_name_prefix="api-offload"
                    )
                executor = self._executor
        return executor

    async def run(self, call: Callable[[], T]) -> T:
        """``call()`` in one of the pool's threads; its answer or its exception."""
        return await asyncio.get_running_loop().run_in_executor(self._pool(), call)

    def close(self) -> None:
        """Wait for the calls under way, then stop the threads."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
