"""`Offload`: the app's own threads for the blocking calls of the gasless slot's requests.

A claim, a submission and an upload each make one blocking call (the verifier's database
work, the content store's write and fsync) that must not hold the event loop: on SQLite
a write may wait on the writer gate behind the verifier's own transactions, and a
content store's fsync or a Kubo request takes milliseconds, during which the loop would
serve nobody. So the call goes to a thread; what is left to make cheap is the hand-over.

FastAPI's way, `run_in_threadpool`, goes through anyio per call (a capacity limiter, the
async library sniffed, run-variable lookups); `loop.run_in_executor` makes a
`concurrent.futures.Future` (with its own lock and condition), chains it to an asyncio
future through two callbacks, and asks the pool whether to start a thread. Here a call
is one put on a queue that idle threads wait on, and its answer one
`call_soon_threadsafe` onto the loop: on a 2-core machine shared with the indexer and
the verifier's loop, fewer instructions under the interpreter lock per request.

The pool is smaller than anyio's 40: on SQLite writers queue on one gate anyway, and on
PostgreSQL each API process has its own pool; a claim or a submission does not wait on
the chain (the verifier's clock reads the index). It is not as small as the cores: an
upload's fsync or a Kubo request holds its thread for milliseconds without using the
CPU, and claims should not queue behind a few of those. Calls beyond the pool wait in its
queue, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, Final, TypeVar

T = TypeVar("T")

THREADS: Final = 16
"""Threads per API process for the hot routes' blocking calls (see the module's note)."""

_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[[], Any]]


def _settle(future: asyncio.Future[Any], outcome: Any, failed: bool) -> None:
    if future.cancelled():  # the request went away while its call ran
        return
    if failed:
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def _serve(jobs: queue.SimpleQueue[_Job | None]) -> None:
    while (job := jobs.get()) is not None:
        loop, future, call = job
        try:
            outcome, failed = call(), False
        except BaseException as error:  # handed to the awaiting request, as raised
            outcome, failed = error, True
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting
            loop.call_soon_threadsafe(_settle, future, outcome, failed)
        del job, loop, future, call, outcome


class Offload:
    """A fixed set of threads started on first use and stopped by `close` (the app's
    lifespan); used again after `close`, it starts afresh (a test client may run the
    lifespan twice)."""

    def __init__(self, threads: int = THREADS) -> None:
        self._size = threads
        self._jobs: queue.SimpleQueue[_Job | None] | None = None
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def _queue(self) -> queue.SimpleQueue[_Job | None]:
        jobs = self._jobs
        if jobs is None:
            with self._lock:
                if self._jobs is None:
                    self._jobs = queue.SimpleQueue()
                    self._threads = [
                        threading.Thread(
                            target=_serve, args=(self._jobs,), name=f"api-offload-{n}", daemon=True
                        )
                        for n in range(self._size)
                    ]
                    for thread in self._threads:
                        thread.start()
                jobs = self._jobs
        return jobs

    async def run(self, call: Callable[[], T]) -> T:
        """``call()`` in one of the threads; its answer, or its exception raised here."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue().put((loop, future, call))
        return await future

    def close(self) -> None:
        """Let the calls under way and queued finish, then stop the threads."""
        with self._lock:
            jobs, threads = self._jobs, self._threads
            self._jobs, self._threads = None, []
        if jobs is None:
            return
        for _ in threads:
            jobs.put(None)
        for thread in threads:
            thread.join()
