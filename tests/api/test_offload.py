"""`Offload`: the hot routes' blocking calls in the app's own threads."""

from __future__ import annotations

import asyncio
import threading

import pytest

from microtask.api.offload import Offload


def test_a_call_runs_in_a_thread_of_its_own_and_answers_the_awaiting_request() -> None:
    offload = Offload(threads=2)

    async def main() -> tuple[str, str]:
        loop_thread = threading.current_thread().name
        return loop_thread, await offload.run(lambda: threading.current_thread().name)

    try:
        loop_thread, call_thread = asyncio.run(main())
    finally:
        offload.close()
    assert call_thread.startswith("api-offload-")
    assert call_thread != loop_thread


def test_an_exception_is_raised_where_the_call_was_awaited() -> None:
    offload = Offload(threads=1)

    def refuse() -> None:
        raise LookupError("no slot")

    async def main() -> None:
        await offload.run(refuse)

    try:
        with pytest.raises(LookupError, match="no slot"):
            asyncio.run(main())
    finally:
        offload.close()


def test_calls_beyond_the_pool_wait_their_turn_and_close_lets_them_finish() -> None:
    offload = Offload(threads=2)
    release = threading.Event()
    started = threading.Semaphore(0)
    done: list[int] = []

    def blocked(n: int) -> int:
        started.release()
        release.wait()
        done.append(n)
        return n

    async def main() -> list[int]:
        calls = [asyncio.ensure_future(offload.run(lambda n=n: blocked(n))) for n in range(5)]
        await asyncio.to_thread(started.acquire)  # both threads are busy now
        await asyncio.to_thread(started.acquire)
        assert done == []
        release.set()
        return list(await asyncio.gather(*calls))

    try:
        assert asyncio.run(main()) == [0, 1, 2, 3, 4]
    finally:
        offload.close()
    assert sorted(done) == [0, 1, 2, 3, 4]


def test_close_lets_the_call_under_way_finish_and_the_pool_starts_again_after() -> None:
    offload = Offload(threads=1)
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        release.wait()
        finished.set()

    async def leave_running() -> None:
        pending = asyncio.ensure_future(offload.run(slow))  # cancelled with the loop
        await asyncio.to_thread(started.wait)
        assert not pending.done()

    asyncio.run(leave_running())
    closing = threading.Thread(target=offload.close)
    closing.start()
    assert closing.is_alive()  # it cannot return while the call runs
    release.set()
    closing.join()
    assert finished.is_set()

    async def again() -> int:
        return await offload.run(lambda: 7)

    try:
        assert asyncio.run(again()) == 7
    finally:
        offload.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("api-offload-")]
